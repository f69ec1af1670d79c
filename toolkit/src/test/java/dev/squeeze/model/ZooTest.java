package dev.squeeze.model;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import dev.squeeze.quant.Fusion;
import org.junit.jupiter.api.Test;

class ZooTest {
    static final int[] CIFAR = {3, 32, 32};
    static final int[] MNIST = {1, 28, 28};

    @Test
    void resnet18HasTheCifarVariantsParameterCount() {
        Architecture a = Zoo.resnet18(CIFAR, 10);
        assertEquals(11_173_962L, a.trainableParameters());
        assertArrayEquals(new int[] {10}, a.outputShape());
    }

    @Test
    void seedCnnShapesAndCount() {
        Architecture a = Zoo.seedCnn(CIFAR, 10);
        assertEquals(121_182L, a.trainableParameters());
        assertArrayEquals(new int[] {10}, a.outputShape());
        assertEquals(800, ((Layer.Linear) a.layers().get(7)).in());
    }

    @Test
    void kerasTeacherAndStudentOnMnist() {
        Architecture t = Zoo.kerasTeacher(MNIST, 10);
        Architecture s = Zoo.kerasStudent(MNIST, 10);
        // conv 1→256 (2,560) + conv 256→512 (1,180,160) + dense 7·7·512→10 (250,890): the Keras summary's figures.
        assertEquals(2_560L + 1_180_160L + 250_890L, t.trainableParameters());
        assertEquals(160L + 4_640L + 15_690L, s.trainableParameters());
        assertArrayEquals(new int[] {10}, t.outputShape());
    }

    @Test
    void lenet300100HasHansParameterCount() {
        Architecture a = Zoo.get("lenet-300-100", MNIST, 10);
        // 784·300 + 300 + 300·100 + 100 + 100·10 + 10, the count in Han et al. 2016's Table 2.
        assertEquals(266_610L, a.trainableParameters());
        assertArrayEquals(new int[] {10}, a.outputShape());
        assertEquals(784, ((Layer.Linear) a.layers().get(1)).in());
        assertEquals(3 * 32 * 32, ((Layer.Linear) Zoo.lenet300100(CIFAR, 10).layers().get(1)).in(), "in features follow the input shape");
    }

    @Test
    void mobileNetV2AndShuffleNetV2HaveTorchvisionsParameterCountsWithATenClassHead() {
        // torchvision's published totals less their 1000-class fc, plus a 10-class fc; the CIFAR variants
        // change strides only, which changes no parameter count:
        // MobileNetV2 3,504,872 − (1280·1000 + 1000) + (1280·10 + 10) = 2,236,682;
        // ShuffleNetV2 1.0× 2,278,604 − (1024·1000 + 1000) + (1024·10 + 10) = 1,263,854.
        assertEquals(3_504_872L - 1_281_000L + 12_810L, Zoo.get("mobilenetv2", CIFAR, 10).trainableParameters());
        assertEquals(2_278_604L - 1_025_000L + 10_250L, Zoo.get("shufflenetv2", CIFAR, 10).trainableParameters());
        // The same totals from the 1000-class heads, so the figures above are torchvision's, not ours rearranged.
        assertEquals(3_504_872L, Zoo.get("mobilenetv2", CIFAR, 1000).trainableParameters());
        assertEquals(2_278_604L, Zoo.get("shufflenetv2", CIFAR, 1000).trainableParameters());
        assertArrayEquals(new int[] {10}, Zoo.get("shufflenetv2", CIFAR, 10).outputShape());
    }

    @Test
    void macsCountDepthwiseConvolutionsPerGroupAndChannelMovesAsZero() {
        // Counted outside Squeeze (a short script over the layer lists in Zoo's javadoc; conv: out·H'·W'·in/groups·k², fc: in·out).
        assertEquals(87_976_448L, Zoo.get("mobilenetv2", CIFAR, 10).macsPerImage());
        assertEquals(45_002_112L, Zoo.get("shufflenetv2", CIFAR, 10).macsPerImage());
        // seed CNN: conv1 16·28·28·75 + conv2 32·10·10·400 + fc 800·120 + 120·84 + 84·10.
        assertEquals(16L * 28 * 28 * 75 + 32L * 10 * 10 * 400 + 800 * 120 + 120 * 84 + 84 * 10, Zoo.seedCnn(CIFAR, 10).macsPerImage());
        Architecture a = Zoo.get("shufflenetv2", CIFAR, 10);
        long rows = 0;
        for (Architecture.LayerInfo r : a.summary()) {
            rows += r.macs();
            if (r.layer().startsWith("channel-shuffle")) assertEquals(0, r.macs(), r.toString());
        }
        assertEquals(a.macsPerImage(), rows, "the summary's rows add up to the total");
        // A depthwise 3×3 conv on 8 channels of 4×4: 8·4·4·9, one input channel per output.
        Architecture dw = new Architecture("dw", new int[] {8, 4, 4}, java.util.List.of(new Layer.Conv2d(8, 8, 3, 1, 1, 8, false), new Layer.Relu6()));
        assertEquals(8L * 4 * 4 * 9, dw.macsPerImage());
        // The fp32 executor counts the same way (BatchNorm folded, element-wise ops 0).
        for (String name : java.util.List.of("seed-cnn", "resnet18", "mobilenetv2", "shufflenetv2")) {
            try (Network n = Network.create(Zoo.get(name, CIFAR, 10), 1);
                 var e = dev.squeeze.exec.FloatExecutor.of(dev.squeeze.quant.Fusion.of(n))) {
                assertEquals(e.macsPerImage(), n.architecture().macsPerImage(), name);
            }
        }
    }

    @Test
    void nodeNamesAreUniqueAndNameTheLiveParametersInOrder() {
        for (String name : java.util.List.of("mobilenetv2", "shufflenetv2", "resnet18")) {
            Architecture a = Zoo.get(name, CIFAR, 10);
            java.util.List<NodeNames.Node> nodes = NodeNames.weightedNodes(a);
            assertEquals(nodes.size(), nodes.stream().map(NodeNames.Node::name).distinct().count(), name + ": node names repeat");
            try (Network n = Network.create(a, 1)) {
                java.util.List<NamedTensor> params = n.parameters();
                assertEquals(NodeNames.parameterNames(a), params.stream().map(NamedTensor::name).toList(), name);
                // Each name's live tensor has the shape its node's layer says: names and block order agree.
                int i = 0;
                for (NodeNames.Node node : nodes) {
                    for (long[] want : shapes(node.layer())) {
                        NamedTensor t = params.get(i++);
                        assertTrue(t.name().startsWith(node.name() + "."), t.name() + " at " + node.name());
                        assertArrayEquals(want, t.shape(), name + " " + t.name());
                    }
                }
                assertEquals(params.size(), i);
            }
        }
        assertTrue(NodeNames.parameterNames(Zoo.get("shufflenetv2", CIFAR, 10)).contains("stage2.0.branch1.conv1.weight"));
        assertTrue(NodeNames.parameterNames(Zoo.get("shufflenetv2", CIFAR, 10)).contains("stage4.3.branch2.bn3.running_var"));
    }

    private static java.util.List<long[]> shapes(Layer l) {
        return switch (l) {
            case Layer.Conv2d c -> {
                long[] w = {c.out(), c.in() / c.groups(), c.kernel(), c.kernel()};
                yield c.bias() ? java.util.List.of(w, new long[] {c.out()}) : java.util.List.of(w);
            }
            case Layer.Linear f -> f.bias() ? java.util.List.of(new long[] {f.out(), f.in()}, new long[] {f.out()})
                    : java.util.List.<long[]>of(new long[] {f.out(), f.in()});
            case Layer.BatchNorm b -> java.util.Collections.nCopies(4, new long[] {b.channels()});
            default -> throw new IllegalStateException("not weighted: " + l);
        };
    }

    @Test
    void liveDjlBlockAgreesWithTheDescription() {
        for (String name : Zoo.NAMES) {
            int[] in = name.startsWith("keras") || name.startsWith("lenet") ? MNIST : CIFAR;
            Architecture a = Zoo.get(name, in, 10);
            try (Network n = Network.create(a, 1)) {
                assertEquals(a.trainableParameters(), n.trainableParameters(), name);
                int per = in[0] * in[1] * in[2];
                float[] logits = n.logits(new float[2 * per], 2);
                assertEquals(20, logits.length, name);
            }
        }
    }

    @Test
    void mismatchedLayersFailWhenDescribed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Architecture("bad", CIFAR,
                java.util.List.of(Layer.Conv2d.of(3, 8, 3), new Layer.Linear(10, 2, true))));
        assertTrue(e.getMessage().contains("Flatten"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Architecture("bad", CIFAR, java.util.List.of(Layer.Conv2d.of(4, 8, 3))));
        assertTrue(e.getMessage().contains("input channels 3"), e.getMessage());
    }

    @Test
    void architectureJsonRoundTrips() {
        for (String name : Zoo.NAMES) {
            Architecture a = Zoo.get(name, CIFAR, 10);
            JsonObject j = ArchitectureJson.toJson(a);
            assertEquals(a, ArchitectureJson.fromJson(com.google.gson.JsonParser.parseString(j.toString()).getAsJsonObject()));
        }
    }

    @Test
    void sameSeedSameWeightsDifferentSeedDifferent() {
        Architecture a = Zoo.seedCnn(CIFAR, 10);
        try (Network x = Network.create(a, 7); Network y = Network.create(a, 7); Network z = Network.create(a, 8)) {
            float[] wx = x.parameters().get(0).values(), wy = y.parameters().get(0).values(), wz = z.parameters().get(0).values();
            assertArrayEquals(wx, wy);
            assertFalse(java.util.Arrays.equals(wx, wz));
            // PyTorch's default bound for conv1: 1/sqrt(3·5·5)
            double bound = 1 / Math.sqrt(75);
            for (float v : wx) assertTrue(Math.abs(v) <= bound, "init outside ±1/sqrt(fan_in): " + v);
        }
    }
}
