package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fp32 export against Squeeze's own forward pass, through ONNX Runtime: every logit within
 * {@code 1e-4 · max(1, |logit|)} — absolute for logits up to 1, relative beyond (float32 summation
 * order differs between libtorch and ORT; observed differences are around 1e-6).
 */
class OnnxExportFp32Test {
    @TempDir Path dir;

    static final double TOL = 1e-4;

    /** Worst {@code |ort − squeeze| / max(1, |squeeze|)} over the batch. */
    static double check(Network net, Path file, int batch, long seed) throws Exception {
        int[] in = net.architecture().inputShape();
        float[] x = ExportFixtures.randomInput(batch * in[0] * in[1] * in[2], seed);
        float[] want = net.logits(x, batch);
        float[] got;
        try (Ort ort = new Ort(file)) {
            got = ort.run(x, batch, in[0], in[1], in[2]);
        }
        assertEquals(want.length, got.length, "logit count");
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
        assertTrue(worst <= TOL, net.architecture().name() + ": ORT logits differ from Squeeze's by up to " + worst);
        return worst;
    }

    @Test
    void seedCnnMatchesSqueezeForAnyBatchSize() throws Exception {
        try (Network net = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 1)) {
            Path f = OnnxExport.fp32(net, dir.resolve("seed.onnx"));
            check(net, f, 1, 10);
            check(net, f, 7, 11); // the batch dimension is symbolic
            OnnxReader.Model m = OnnxReader.read(f);
            assertEquals(8, m.irVersion());
            assertEquals(13L, m.opsets().get(""));
            assertEquals(List.of("input"), m.inputs());
            assertEquals(List.of("logits"), m.outputs());
            assertEquals(2, m.count("Conv"));
            assertEquals(3, m.count("Gemm"));
            assertEquals(10, m.initializers().size(), "weight and bias of 2 convs and 3 fcs");
            assertEquals("fp32", m.metadata().get("squeeze.format"));
        }
    }

    @Test
    void residualModelWithEveryLayerKindMatchesSqueeze() throws Exception {
        try (Network net = ExportFixtures.network(ExportFixtures.tinyResNet(), 2)) {
            Path f = OnnxExport.fp32(net, dir.resolve("tiny.onnx"));
            check(net, f, 5, 12);
            OnnxReader.Model m = OnnxReader.read(f);
            assertEquals(6, m.count("BatchNormalization"));
            assertEquals(2, m.count("Add"));
            assertEquals(1, m.count("AveragePool"));
            assertEquals(2, m.count("LeakyRelu"));
            OnnxReader.Node grouped = m.nodes().stream().filter(n -> n.name().equals("layer2.0.conv2")).findFirst().orElseThrow();
            assertEquals(2, grouped.attributes().get("group").value());
        }
    }

    @Test
    void kerasStyleAndResNet18MatchSqueeze() throws Exception {
        try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 28, 28}, 10), 3)) {
            check(net, OnnxExport.fp32(net, dir.resolve("student.onnx")), 3, 13);
        }
        try (Network net = ExportFixtures.network(Zoo.resnet18(new int[] {3, 32, 32}, 10), 4)) {
            check(net, OnnxExport.fp32(net, dir.resolve("resnet18.onnx")), 2, 14);
        }
    }

    /** Every layer of {@code layers}, branches and blocks included, that is an instance of {@code kind}. */
    static long count(List<Layer> layers, Class<? extends Layer> kind) {
        long n = 0;
        for (Layer l : layers) {
            if (kind.isInstance(l)) n++;
            if (l instanceof Layer.Residual r) n += count(r.body(), kind) + count(r.shortcut(), kind);
            if (l instanceof Layer.Concat c) for (List<Layer> b : c.branches()) n += count(b, kind);
        }
        return n;
    }

    /**
     * MobileNetV2 (ReLU6 as Clip) and ShuffleNetV2 (Slice, Concat, the Reshape–Transpose–Reshape shuffle)
     * against Squeeze's forward pass; every parameter is the initializer of its PyTorch-style name.
     */
    @Test
    void mobileNetV2AndShuffleNetV2MatchSqueeze() throws Exception {
        for (String name : List.of("mobilenetv2", "shufflenetv2")) {
            try (Network net = ExportFixtures.network(Zoo.get(name, new int[] {3, 32, 32}, 10), 15)) {
                Path f = OnnxExport.fp32(net, dir.resolve(name + ".onnx"));
                double worst = check(net, f, 2, 16);
                System.out.println("[onnx-fp32] " + name + ": worst |ort - squeeze| / max(1, |logit|) = " + worst);
                OnnxReader.Model m = OnnxReader.read(f);
                assertEquals(13L, m.opsets().get(""), "no HardSwish: opset 13");
                Set<String> inits = m.initializers().stream().map(OnnxReader.Initializer::name).collect(Collectors.toSet());
                assertTrue(inits.containsAll(net.parameterNames()), "initializers named as NodeNames: " + inits);
                List<Layer> layers = net.architecture().layers();
                assertEquals(count(layers, Layer.Relu6.class), m.count("Clip"));
                assertEquals(count(layers, Layer.Concat.class), m.count("Concat"));
                assertEquals(count(layers, Layer.ChannelSlice.class), m.count("Slice"));
                assertEquals(count(layers, Layer.ChannelShuffle.class), m.count("Transpose"));
                assertEquals(2 * count(layers, Layer.ChannelShuffle.class), m.count("Reshape"));
                if (name.equals("shufflenetv2")) {
                    Set<String> nodes = m.nodes().stream().map(OnnxReader.Node::name).collect(Collectors.toSet());
                    for (String n : List.of("stage2.0.branch1.conv1", "stage2.0.branch2.conv3", "stage2.1.branch2.channel_slice1",
                            "stage2.1.concat", "stage4.3.branch2.bn3", "conv2")) {
                        assertTrue(nodes.contains(n), "node " + n);
                    }
                }
            }
        }
    }

    /**
     * Hard-swish (opset 14), ReLU6, a concat of three branches (identity, channel slice, conv) and a
     * 4-group shuffle, against Squeeze's forward pass.
     */
    @Test
    void hardSwishAndThreeBranchConcatMatchSqueeze() throws Exception {
        try (Network net = ExportFixtures.network(mixedBranches(), 17)) {
            Path f = OnnxExport.fp32(net, dir.resolve("mixed.onnx"));
            double worst = check(net, f, 3, 18);
            System.out.println("[onnx-fp32] mixed branches: worst |ort - squeeze| / max(1, |logit|) = " + worst);
            OnnxReader.Model m = OnnxReader.read(f);
            assertEquals(14L, m.opsets().get(""), "HardSwish needs opset 14");
            assertEquals(2, m.count("HardSwish"));
            assertEquals(3, m.node("stage2.0.concat").inputs().size());
        }
    }

    /**
     * A pruned ShuffleNet's explicit channel permutation exports as {@code Gather(axis = 1)} with the source
     * channels as an int64 initializer (no Reshape–Transpose–Reshape, whose 1 group would be the identity)
     * and matches Squeeze's forward pass in ORT; the same weights with the identity permutation give other
     * logits, so a file that dropped the permutation would fail.
     */
    @Test
    void explicitChannelPermutationExportsAsGatherAndMatchesSqueeze() throws Exception {
        Architecture arch = dev.squeeze.quant.Int8Fixtures.permutedNet(dev.squeeze.quant.Int8Fixtures.PERMUTATION);
        try (Network net = ExportFixtures.network(arch, 21)) {
            Path f = OnnxExport.fp32(net, dir.resolve("permuted.onnx"));
            double worst = check(net, f, 3, 22);
            System.out.println("[onnx-fp32] permuted net: worst |ort - squeeze| / max(1, |logit|) = " + worst);
            OnnxReader.Model m = OnnxReader.read(f);
            assertEquals(1, m.count("Gather"));
            assertEquals(0, m.count("Transpose"));
            assertEquals(0, m.count("Reshape"));
            OnnxReader.Node gather = m.nodes().stream().filter(n -> n.opType().equals("Gather")).findFirst().orElseThrow();
            assertEquals("channel_shuffle1", gather.name());
            assertEquals(1, gather.attributes().get("axis").value());
            OnnxReader.Initializer indices = m.initializer(gather.inputs().get(1));
            assertEquals(Onnx.INT64, indices.dataType());
            assertArrayEquals(new long[] {8}, indices.dims());
            java.nio.LongBuffer b = java.nio.ByteBuffer.wrap(indices.raw()).order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer();
            long[] got = new long[b.remaining()];
            b.get(got);
            assertArrayEquals(java.util.Arrays.stream(dev.squeeze.quant.Int8Fixtures.PERMUTATION).asLongStream().toArray(), got);

            Architecture identity = dev.squeeze.quant.Int8Fixtures.permutedNet(dev.squeeze.quant.Int8Fixtures.IDENTITY);
            try (Network plain = ExportFixtures.network(identity, 21)) {
                float[] x = ExportFixtures.randomInput(3 * 3 * 12 * 12, 22);
                float[] ort;
                try (Ort o = new Ort(f)) {
                    ort = o.run(x, 3, 3, 12, 12);
                }
                float[] unpermuted = plain.logits(x, 3);
                double d = 0;
                for (int i = 0; i < ort.length; i++) d = Math.max(d, Math.abs(ort[i] - unpermuted[i]) / Math.max(1, Math.abs(unpermuted[i])));
                assertTrue(d > 100 * TOL, "the permutation changes the logits by only " + d);
            }
        }
    }

    /** Every new layer kind: hard-swish, ReLU6, identity / sliced / conv branches, a 4-group shuffle. */
    static Architecture mixedBranches() {
        return new Architecture("mixed-branches", new int[] {8, 8, 8}, List.of(
                new Layer.Conv2d(8, 16, 3, 1, 1, 1, true), new Layer.BatchNorm(16), new Layer.HardSwish(),
                new Layer.Concat(List.of(List.of(),
                        List.of(new Layer.ChannelSlice(8, 16), new Layer.Conv2d(8, 8, 1, 1, 0, 1, false), new Layer.BatchNorm(8), new Layer.Relu6()),
                        List.of(new Layer.Conv2d(16, 8, 3, 1, 1, 8, true), new Layer.HardSwish()))),
                new Layer.ChannelShuffle(4), new Layer.Relu6(),
                new Layer.GlobalAvgPool(), new Layer.Flatten(), new Layer.Linear(32, 5, true)));
    }

    @Test
    void exportIsDeterministicAndAtomic() throws Exception {
        Architecture a = Zoo.seedCnn(new int[] {3, 32, 32}, 10);
        try (Network net = Network.create(a, 5)) {
            Path f = dir.resolve("sub/x.onnx");
            OnnxExport.fp32(net, f);
            byte[] first = Files.readAllBytes(f);
            OnnxExport.fp32(net, f); // overwrites in place
            assertArrayEquals(first, Files.readAllBytes(f));
            try (var s = Files.list(f.getParent())) {
                assertEquals(List.of(f), s.toList(), "no temporary files left behind");
            }
        }
    }

    @Test
    void metadataPropsCarryFormatArchitectureAndProvenanceInOrder() throws Exception {
        try (Network net = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 6)) {
            net.provenance().put("dataset", "cifar10");
            OnnxReader.Model m = OnnxReader.read(OnnxExport.fp32(net, dir.resolve("p.onnx")));
            assertEquals(List.of("squeeze.format", "squeeze.architecture", "provenance.init_seed", "provenance.dataset"),
                    List.copyOf(m.metadata().keySet()));
            assertEquals("seed-cnn", m.metadata().get("squeeze.architecture"));
            assertEquals("6", m.metadata().get("provenance.init_seed"));
            assertEquals("cifar10", m.metadata().get("provenance.dataset"));
        }
    }

    @Test
    void weightsOfAnotherArchitectureAreRefusedByName() {
        try (Network net = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 1)) {
            Architecture other = Zoo.seedCnn(new int[] {3, 32, 32}, 5);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> OnnxExport.fp32Bytes(other, net.parameters(), java.util.Map.of()));
            assertTrue(e.getMessage().contains("fc 84→5") && e.getMessage().contains("do not belong"), e.getMessage());
        }
    }
}
