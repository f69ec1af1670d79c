package dev.squeeze.prune;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.quant.Int8Fixtures;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActivationSparsityTest {

    @Test
    void countsZerosAfterEveryReluByNode() {
        var images = Int8Fixtures.images(8, 3, 32, 32, 1);
        try (Network net = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 2)) {
            List<ActivationSparsity.Row> rows = ActivationSparsity.measure(net, images, Preprocessing.halfHalf(), 8);
            assertEquals(List.of("conv1", "conv2", "fc1", "fc2"), rows.stream().map(ActivationSparsity.Row::after).toList());
            assertEquals(8L * 16 * 28 * 28, rows.get(0).elements());
            for (var r : rows) assertTrue(r.zeroFraction() > 0 && r.zeroFraction() < 1, r.toString());
            // A conv whose every output is negative leaves nothing after its ReLU.
            float[] bias = new float[16];
            Arrays.fill(bias, -1000f);
            net.setParameter("conv1.bias", bias);
            assertEquals(1.0, ActivationSparsity.measure(net, images, Preprocessing.halfHalf(), 8).get(0).zeroFraction());
        }
        try (Network net = Network.create(Zoo.resnet18(new int[] {3, 32, 32}, 10), 2)) {
            List<ActivationSparsity.Row> rows = ActivationSparsity.measure(net, images, Preprocessing.halfHalf(), 2);
            assertEquals(17, rows.size());
            assertEquals("bn1", rows.get(0).after());
            assertEquals("layer1.0.bn1", rows.get(1).after());
            assertEquals("layer1.0 (add)", rows.get(2).after());
            assertEquals("layer4.1 (add)", rows.get(16).after());
        }
    }

    @Test
    void countsZerosAfterEveryRelu6AndInsideConcatBranches() {
        var images = Int8Fixtures.images(4, 3, 32, 32, 1);
        for (String name : List.of("mobilenetv2", "shufflenetv2")) {
            try (Network net = Network.create(Zoo.get(name, new int[] {3, 32, 32}, 10), 2)) {
                List<ActivationSparsity.Row> rows = ActivationSparsity.measure(net, images, Preprocessing.halfHalf(), 2);
                long activations = net.architecture().flatLayers().stream()
                        .filter(l -> l instanceof dev.squeeze.model.Layer.Relu || l instanceof dev.squeeze.model.Layer.Relu6).count();
                assertEquals(activations, rows.size(), name);
                assertEquals("bn1", rows.get(0).after(), name);
                assertEquals(2L * (name.startsWith("mobile") ? 32 : 24) * 32 * 32, rows.get(0).elements(), name + ": the stem's channels");
                for (var r : rows) assertTrue(r.zeroFraction() >= 0 && r.zeroFraction() < 1, name + " " + r);
            }
        }
        try (Network net = Network.create(Zoo.get("shufflenetv2", new int[] {3, 32, 32}, 10), 2)) {
            List<String> after = ActivationSparsity.measure(net, images, Preprocessing.halfHalf(), 2).stream().map(ActivationSparsity.Row::after).toList();
            assertEquals(List.of("stage2.0.branch1.bn2", "stage2.0.branch2.bn1", "stage2.0.branch2.bn3", "stage2.1.branch2.bn1"), after.subList(1, 5));
        }
    }
}
