package dev.squeeze.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.quant.Fusion;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ND4J must compute what libtorch computes, on the same weights: logits within 1e-3. */
class Nd4jRuntimeTest {
    static final int[] CIFAR = {3, 32, 32};

    @Test
    void seedCnnMatchesDjl() {
        try (Network net = Network.create(Zoo.seedCnn(CIFAR, 10), 7)) {
            assertMatches(net, 5, 11);
        }
    }

    @Test
    void resnet18WithNonTrivialBatchNormMatchesDjl() {
        try (Network net = Network.create(Zoo.resnet18(CIFAR, 10), 3)) {
            randomizeBatchNorm(net, 5);
            assertMatches(net, 2, 13);
        }
    }

    @Test
    void mobileNetV2AndShuffleNetV2WithNonTrivialBatchNormMatchDjl() {
        for (String name : List.of("mobilenetv2", "shufflenetv2")) {
            try (Network net = Network.create(Zoo.get(name, CIFAR, 10), 3)) {
                randomizeBatchNorm(net, 5);
                assertMatches(net, 2, 13);
            }
        }
    }

    /** Every layer kind and option the zoo can express, including padded pools, LeakyReLU and groups. */
    @Test
    void everyLayerKindMatchesDjl() {
        Architecture arch = new Architecture("all-layers", new int[] {4, 16, 16}, List.of(
                new Layer.Conv2d(4, 8, 3, 2, 1, 2, true), new Layer.BatchNorm(8), new Layer.LeakyRelu(0.1f),
                new Layer.MaxPool(3, 1, 1),
                new Layer.AvgPool(3, 1, 1), new Layer.Relu(),
                new Layer.Residual(List.of(new Layer.Conv2d(8, 8, 3, 1, 1, 1, false), new Layer.BatchNorm(8), new Layer.Relu(),
                        new Layer.Conv2d(8, 8, 3, 1, 1, 1, false), new Layer.BatchNorm(8)), List.of()),
                new Layer.Relu(),
                new Layer.Residual(List.of(new Layer.Conv2d(8, 16, 3, 2, 1, 1, false), new Layer.BatchNorm(16)),
                        List.of(new Layer.Conv2d(8, 16, 1, 2, 0, 1, false), new Layer.BatchNorm(16))),
                new Layer.LeakyRelu(0.2f),
                new Layer.MaxPool(2, 2, 0),
                new Layer.Flatten(), new Layer.Linear(16 * 2 * 2, 12, true), new Layer.Relu(), new Layer.Linear(12, 5, false)));
        try (Network net = Network.create(arch, 11)) {
            randomizeBatchNorm(net, 17);
            assertMatches(net, 3, 19);
        }
        Architecture gap = new Architecture("gap", new int[] {3, 9, 9}, List.of(
                new Layer.Conv2d(3, 6, 3, 1, 0, 1, true), new Layer.Relu(), new Layer.GlobalAvgPool(), new Layer.Flatten(),
                new Layer.Linear(6, 4, true)));
        try (Network net = Network.create(gap, 23)) {
            assertMatches(net, 4, 29);
        }
    }

    /**
     * ShuffleNetV2's and MobileNetV2's ops — channel split, concat of branches, channel shuffle, an explicit
     * channel permutation (a pruned ShuffleNet's), depthwise convs (stride 1 and 2), ReLU6 and hard-swish —
     * in a small graph whose fused ops are built here from
     * the network's own weights (no BatchNorm, so fusing is only pairing each conv with its activation).
     */
    @Test
    void concatSliceShuffleDepthwiseAndTheNewActivationsMatchDjl() {
        Architecture arch = new Architecture("shuffle-unit", new int[] {4, 8, 8}, List.of(
                new Layer.Conv2d(4, 8, 3, 1, 1, 1, true), new Layer.Relu(),
                new Layer.Concat(List.of(List.of(new Layer.ChannelSlice(0, 4)), List.of(new Layer.ChannelSlice(4, 8),
                        new Layer.Conv2d(4, 8, 1, 1, 0, 1, true), new Layer.Relu6(),
                        new Layer.Conv2d(8, 8, 3, 1, 1, 8, true),
                        new Layer.Conv2d(8, 4, 1, 1, 0, 1, true), new Layer.HardSwish()))),
                new Layer.ChannelShuffle(2),
                new Layer.Concat(List.of(
                        List.of(new Layer.Conv2d(8, 8, 3, 2, 1, 8, true), new Layer.Conv2d(8, 4, 1, 1, 0, 1, true), new Layer.Relu()),
                        List.of(new Layer.Conv2d(8, 6, 1, 1, 0, 1, true), new Layer.Relu(), new Layer.Conv2d(6, 6, 3, 2, 1, 6, true)))),
                new Layer.ChannelShuffle(5),
                // a pruned ShuffleNet's explicit permutation: channel j of the output is channel order[j] of the input
                Layer.ChannelShuffle.permutation(new int[] {3, 7, 0, 9, 1, 5, 2, 8, 4, 6}),
                new Layer.GlobalAvgPool(), new Layer.Flatten(), new Layer.Linear(10, 5, true)));
        try (Network net = Network.create(arch, 43)) {
            java.util.Iterator<NamedTensor> params = net.parameters().iterator();
            int[] id = {0};
            List<dev.squeeze.ir.FusedOp> ops = fuse(arch.layers(), params, id);
            dev.squeeze.ir.FusedGraph graph = new dev.squeeze.ir.FusedGraph(arch, ops, id[0]);
            float[] x = randomInput(3 * 4 * 8 * 8, 47);
            float[] expected = net.logits(x, 3);
            try (Nd4jRuntime r = new Nd4jRuntime(graph, false)) {
                r.prepare(3, 2);
                float[] actual = r.run(x, 3);
                double worst = 0, scale = 0;
                for (int i = 0; i < expected.length; i++) {
                    worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                    scale = Math.max(scale, Math.abs(expected[i]));
                }
                assertTrue(scale > 1e-3, "logits are all ~0; the test would prove nothing");
                assertTrue(worst <= 1e-4 * scale, "ND4J differs from DJL by " + worst + " (largest |logit| " + scale + ")");
            }
        }
    }

    /** Conv/linear + the activation right after it, as FusedGraph pairs them (no BatchNorm in the graph). */
    private static List<dev.squeeze.ir.FusedOp> fuse(List<Layer> layers, java.util.Iterator<NamedTensor> params, int[] id) {
        List<dev.squeeze.ir.FusedOp> out = new java.util.ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i), next = i + 1 < layers.size() ? layers.get(i + 1) : null;
            dev.squeeze.ir.Activation act = switch (next) {
                case Layer.Relu r -> dev.squeeze.ir.Activation.RELU;
                case Layer.Relu6 r -> dev.squeeze.ir.Activation.RELU6;
                case Layer.HardSwish h -> dev.squeeze.ir.Activation.HARD_SWISH;
                case null, default -> dev.squeeze.ir.Activation.NONE;
            };
            switch (l) {
                case Layer.Conv2d c -> {
                    out.add(new dev.squeeze.ir.FusedOp.Conv(id[0]++, c, params.next().values(), params.next().values(), act));
                    if (act != dev.squeeze.ir.Activation.NONE) i++;
                }
                case Layer.Linear f -> {
                    out.add(new dev.squeeze.ir.FusedOp.Dense(id[0]++, f, params.next().values(), params.next().values(), act));
                    if (act != dev.squeeze.ir.Activation.NONE) i++;
                }
                case Layer.Concat c -> {
                    List<List<dev.squeeze.ir.FusedOp>> branches = new java.util.ArrayList<>();
                    for (List<Layer> b : c.branches()) branches.add(fuse(b, params, id));
                    out.add(new dev.squeeze.ir.FusedOp.Concat(id[0]++, branches));
                }
                case Layer.ChannelSlice c -> out.add(new dev.squeeze.ir.FusedOp.ChannelSlice(id[0]++, c));
                case Layer.ChannelShuffle c -> out.add(new dev.squeeze.ir.FusedOp.ChannelShuffle(id[0]++, c));
                case Layer.GlobalAvgPool g -> out.add(new dev.squeeze.ir.FusedOp.GlobalAvgPool(id[0]++));
                case Layer.Flatten f -> out.add(new dev.squeeze.ir.FusedOp.Flatten(id[0]++));
                default -> throw new IllegalStateException("not in this test's graph: " + l);
            }
        }
        return out;
    }

    @Test
    void workspaceReuseAcrossBatchSizesGivesTheSameLogits() {
        try (Network net = Network.create(Zoo.seedCnn(CIFAR, 10), 31);
                Nd4jRuntime ws = new Nd4jRuntime(net);
                Nd4jRuntime plain = new Nd4jRuntime(dev.squeeze.quant.Fusion.of(net), false)) {
            float[] x = randomInput(4 * 3 * 32 * 32, 37);
            for (int batch : new int[] {4, 1, 4}) {
                ws.prepare(batch, 1);
                plain.prepare(batch, 1);
                float[] a = ws.run(x, batch), a2 = ws.run(x, batch), b = plain.run(x, batch);
                assertEquals(batch * 10, a.length);
                assertArrayEquals(a, a2, "second call in the reused workspace");
                assertArrayEquals(b, a, 1e-6f, "workspace vs none");
            }
        }
    }

    @Test
    void prepareSetsTheThreadCount() {
        try (Network net = Network.create(Zoo.seedCnn(CIFAR, 10), 41); Nd4jRuntime r = new Nd4jRuntime(net)) {
            r.prepare(1, 1);
            assertTrue(r.note().contains("1 op / 1 openblas"), r.note());
        }
    }

    static void assertMatches(Network net, int batch, long inputSeed) {
        int[] in = net.architecture().inputShape();
        float[] x = randomInput(batch * in[0] * in[1] * in[2], inputSeed);
        float[] expected = net.logits(x, batch);
        try (Nd4jRuntime r = new Nd4jRuntime(net)) {
            r.prepare(batch, 2);
            float[] actual = r.run(x, batch);
            assertEquals(expected.length, actual.length);
            double worst = 0, scale = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                scale = Math.max(scale, Math.abs(expected[i]));
            }
            assertTrue(scale > 1e-3, "logits are all ~0; the test would prove nothing");
            assertTrue(worst <= 1e-3, net.architecture().name() + ": ND4J differs from DJL by " + worst + " (largest |logit| " + scale + ")");
        }
    }

    static float[] randomInput(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    /** Trained-looking BatchNorm statistics, so that folding is really exercised (fresh nets have γ=1, β=0, μ=0, σ²=1). */
    static void randomizeBatchNorm(Network net, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (NamedTensor t : net.parameters()) {
            float[] v = new float[t.values().length];
            switch (t.type()) {
                case "GAMMA" -> fill(v, rnd, 0.5, 1.5);
                case "BETA", "RUNNING_MEAN" -> fill(v, rnd, -0.3, 0.3);
                case "RUNNING_VAR" -> fill(v, rnd, 0.5, 2.0);
                default -> { continue; }
            }
            net.setParameter(t.name(), v);
        }
    }

    private static void fill(float[] v, SplittableRandom rnd, double lo, double hi) {
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + rnd.nextDouble() * (hi - lo));
    }
}
