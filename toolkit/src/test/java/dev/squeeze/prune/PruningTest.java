package dev.squeeze.prune;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.model.NodeNames;
import dev.squeeze.model.Zoo;
import dev.squeeze.quant.Int8Fixtures;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.quant.QConfig;
import dev.squeeze.quant.Quantization;
import dev.squeeze.quant.QuantizedNetwork;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TensorMask;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Unstructured pruning: exact counts, deterministic ties, names, masks that hold through training and QAT → int8. */
class PruningTest {
    static final Preprocessing PREP = Preprocessing.halfHalf();

    static Network seedCnn(long seed) { return Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), seed); }

    static long zeros(Network net, List<String> names) {
        long z = 0;
        for (String n : names) for (float v : net.parameter(n).values()) if (v == 0f) z++;
        return z;
    }

    @Test
    void globalPruningRemovesExactlyTheRequestedCountOfTheSmallestWeights() {
        try (Network net = seedCnn(1)) {
            List<String> names = Scope.convAndLinear().weightNames(net);
            assertEquals(List.of("conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight", "fc3.weight"), names);
            long total = names.stream().mapToLong(n -> net.parameter(n).values().length).sum();
            for (double amount : new double[] {0.0, 0.3, 0.5, 0.9, 0.95, 1.0}) {
                PruningMask m = Pruning.globalL1(net, amount);
                long expected = (long) Math.rint(amount * total);
                assertEquals(expected, m.pruned(), "amount " + amount);
                // Every pruned weight is no larger than every kept one.
                float maxPruned = 0, minKept = Float.MAX_VALUE;
                for (String n : names) {
                    float[] w = net.parameter(n).values(), f = m.mask(n).factors();
                    for (int i = 0; i < w.length; i++) {
                        if (f[i] == 0f) maxPruned = Math.max(maxPruned, Math.abs(w[i]));
                        else minKept = Math.min(minKept, Math.abs(w[i]));
                    }
                }
                if (amount > 0 && amount < 1) assertTrue(maxPruned <= minKept, amount + ": pruned " + maxPruned + " > kept " + minKept);
            }
            PruningMask m = Pruning.globalL1(net, 0.8);
            float[] before = net.parameter("fc1.weight").values();
            m.applyTo(net);
            assertEquals(m.pruned(), zeros(net, names), "applyTo zeroes exactly the masked weights");
            float[] after = net.parameter("fc1.weight").values();
            float[] f = m.mask("fc1.weight").factors();
            for (int i = 0; i < after.length; i++) {
                assertEquals(f[i] == 0f ? 0f : before[i], after[i]);
                if (f[i] == 0f) assertEquals(0, Float.floatToRawIntBits(after[i]), "+0, never −0");
            }
        }
    }

    @Test
    void countsRoundHalfToEvenAsPythonAndTiesFallToTheEarlierWeight() {
        assertEquals(2, Pruning.count(0.5, 5)); // Python: round(2.5) == 2
        assertEquals(4, Pruning.count(0.5, 7)); // round(3.5) == 4
        assertEquals(3, Pruning.count(0.3, 10));
        List<float[]> scores = List.of(new float[] {1, 1, 0.5f}, new float[] {1, 0.5f, 1});
        boolean[][] p = Pruning.lowest(scores, 3);
        // Both 0.5s go first, then the earliest 1 (index 0 of the first tensor).
        assertArrayEquals(new boolean[] {true, false, true}, p[0]);
        assertArrayEquals(new boolean[] {false, true, false}, p[1]);
        boolean[][] q = Pruning.lowest(List.of(new float[] {-2f, 3f, -0f, 0f, 1f}), 2);
        assertArrayEquals(new boolean[] {true, false, true, false, false}, q[0], "order by value, −0 ties with +0 by index");
    }

    @Test
    void layerWiseThresholdAndRandomPrune() {
        try (Network net = seedCnn(2)) {
            PruningMask lw = Pruning.layerWise(net, Scope.convAndLinear(), 0.5, Importance.l1());
            for (String n : lw.names()) {
                TensorMask t = lw.mask(n);
                assertEquals(Math.rint(0.5 * t.size()), Math.round(t.sparsity() * t.size()), n);
            }
            PruningMask lin = Pruning.global(net, Scope.linearOnly(), 0.7, Importance.l1());
            assertEquals(List.of("fc1.weight", "fc2.weight", "fc3.weight"), lin.names());
            PruningMask th = Pruning.threshold(net, Scope.nodes("fc2"), 0.05);
            float[] w = net.parameter("fc2.weight").values(), f = th.mask("fc2.weight").factors();
            for (int i = 0; i < w.length; i++) assertEquals(Math.abs(w[i]) < 0.05 ? 0f : 1f, f[i]);
            PruningMask r1 = Pruning.global(net, Scope.convAndLinear(), 0.5, Importance.random(7));
            PruningMask r2 = Pruning.global(net, Scope.convAndLinear(), 0.5, Importance.random(7));
            PruningMask r3 = Pruning.global(net, Scope.convAndLinear(), 0.5, Importance.random(8));
            assertEquals(r1, r2, "same seed, same mask");
            assertNotEquals(r1, r3);
            assertNotEquals(Pruning.globalL1(net, 0.5), r1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scope.nodes("layer9.conv").weightNames(net));
            assertTrue(e.getMessage().contains("'layer9.conv'") && e.getMessage().contains("[conv1, conv2, fc1, fc2, fc3]"), e.getMessage());
            IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> Pruning.globalL1(net, 80));
            assertTrue(a.getMessage().contains("80") && a.getMessage().contains("0.8"), a.getMessage());
        }
    }

    @Test
    void nodeNamesFollowTorchvision() {
        Architecture r = Zoo.resnet18(new int[] {3, 32, 32}, 10);
        List<String> p = NodeNames.parameterNames(r);
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "layer1.0.conv1.weight"),
                p.subList(0, 6));
        assertTrue(p.contains("layer2.0.downsample.0.weight") && p.contains("layer2.0.downsample.1.running_var"), p.toString());
        assertTrue(p.contains("layer4.1.bn2.bias") && !p.contains("layer1.0.downsample.0.weight"), p.toString());
        assertEquals(List.of("fc.weight", "fc.bias"), p.subList(p.size() - 2, p.size()));
        try (Network net = Network.create(r, 1)) {
            assertEquals(net.parameters().size(), net.parameterNames().size());
            assertEquals(20, Scope.convOnly().weightNames(net).size()); // 17 convs + 3 downsample
        }
    }

    /** Zero counts exact after masked SGD (momentum, weight decay) and Adam steps; kept weights still train. */
    @Test
    void masksHoldThroughSgdAndAdamFineTuning() {
        ImageSet train = Int8Fixtures.images(128, 3, 32, 32, 5);
        for (OptimizerConfig opt : List.of(new OptimizerConfig(OptimizerConfig.Kind.SGD, 0.05f, 0.9f, 5e-4f),
                new OptimizerConfig(OptimizerConfig.Kind.ADAM, 1e-3f, 0f, 1e-4f))) {
            try (Network net = seedCnn(3)) {
                PruningMask m = Pruning.globalL1(net, 0.7);
                List<String> names = m.names();
                float[] keptBefore = net.parameter("fc1.weight").values();
                Training.fit(net, train, null, TrainConfig.builder().setEpochs(2).setOptimizer(opt).optBatchSize(32).optSeed(1)
                        .optPreprocessing(PREP).optProgress(Progress.silent()).addHook(m.hook()).build());
                assertEquals(m.pruned(), zeros(net, names), opt + ": zeros after fine-tuning");
                for (String n : names) {
                    float[] v = net.parameter(n).values(), f = m.mask(n).factors();
                    for (int i = 0; i < v.length; i++) {
                        final int at = i;
                        // == 0, not equals(0f): a masked step may leave −0.0, which is zero (TensorMask's contract).
                        if (f[i] == 0f) assertTrue(v[i] == 0f, () -> opt + " " + n + "[" + at + "] = " + v[at]);
                    }
                }
                float[] keptAfter = net.parameter("fc1.weight").values();
                float[] f = m.mask("fc1.weight").factors();
                int moved = 0;
                for (int i = 0; i < f.length; i++) if (f[i] == 1f && keptAfter[i] != keptBefore[i]) moved++;
                assertTrue(moved > 1000, opt + ": kept weights should train, " + moved + " moved");
            }
        }
    }

    /**
     * The mask is keyed by node name, so it applies unchanged to the QAT network (BatchNorm folded, names
     * kept), survives QAT fine-tuning, and the int8 weights are zero exactly where the mask is.
     */
    @Test
    void maskKeyedByNodeNameSurvivesQatIntoTheInt8Model() {
        Architecture arch = Int8Fixtures.trainableTinyResNet(new Layer.AvgPool(2, 2, 0));
        ImageSet train = Int8Fixtures.images(256, 3, 16, 16, 11);
        try (Network net = Network.create(arch, 4)) {
            Training.fit(net, train, null, TrainConfig.builder().setEpochs(2).setOptimizer(OptimizerConfig.adam(3e-3f)).optBatchSize(32)
                    .optSeed(2).optPreprocessing(PREP).optProgress(Progress.silent()).build());
            PruningMask m = Pruning.globalL1(net, 0.6);
            m.applyTo(net);
            try (QuantizedNetwork q = Quantization.prepareQat(net, QConfig.x86())) {
                assertEquals(Scope.convAndLinear().weightNames(net), Scope.convAndLinear().weightNames(q.network()),
                        "the fused QAT network keeps the conv/linear node names");
                Training.fit(q.network(), train, null, TrainConfig.builder().setEpochs(1).setOptimizer(OptimizerConfig.adam(1e-3f))
                        .optBatchSize(32).optSeed(3).optPreprocessing(PREP).optProgress(Progress.silent()).addHook(m.hook()).build());
                Int8Model int8 = q.convert();
                List<String> names = new ArrayList<>(NodeNames.convAndLinear(arch).keySet());
                int k = 0;
                long checked = 0;
                for (Int8Op op : int8.flatOps()) {
                    var weights = op instanceof Int8Op.Conv c ? c.weights() : op instanceof Int8Op.Dense d ? d.weights() : null;
                    if (weights == null) continue;
                    String name = names.get(k++) + ".weight";
                    float[] f = m.mask(name).factors();
                    for (int i = 0; i < f.length; i++) {
                        int ch = i / weights.perChannel();
                        boolean zero = weights.code(i) == weights.zeroPoint(ch);
                        if (f[i] == 0f) assertTrue(zero, name + "[" + i + "] pruned but int8 code " + weights.code(i));
                        checked++;
                    }
                }
                assertEquals(names.size(), k);
                assertEquals(m.size(), checked);
            }
        }
    }

    @Test
    void taylorAndHessianScoresMatchAHandComputedLinearModel() {
        // One linear layer 4 → 2, one image: ∂L/∂W = (softmax(z) − onehot(y)) xᵀ, so the scores are known in closed form.
        Architecture a = new Architecture("lin", new int[] {1, 2, 2}, List.of(new Layer.Flatten(), new Layer.Linear(4, 2, true)));
        byte[] px = {(byte) 255, 0, (byte) 255, (byte) 255};
        ImageSet one = new ImageSet("one", px, new int[] {1}, 1, 2, 2, List.of("a", "b"));
        try (Network net = Network.create(a, 9)) {
            float[] w = {0.5f, -0.25f, 0.1f, 0.3f, -0.2f, 0.4f, 0.05f, -0.1f};
            net.setParameter("fc.weight", w);
            net.setParameter("fc.bias", new float[] {0.1f, -0.1f});
            float[] x = new float[4];
            for (int i = 0; i < 4; i++) x[i] = ((px[i] & 0xff) / 255f - 0.5f) / 0.5f; // halfHalf
            double[] z = new double[2];
            for (int o = 0; o < 2; o++) { z[o] = o == 0 ? 0.1 : -0.1; for (int i = 0; i < 4; i++) z[o] += w[o * 4 + i] * x[i]; }
            double m = Math.max(z[0], z[1]), s = Math.exp(z[0] - m) + Math.exp(z[1] - m);
            double[] p = {Math.exp(z[0] - m) / s, Math.exp(z[1] - m) / s};
            Map<String, float[]> taylor = Importance.taylor(one, PREP, 1, 1).scores(net, List.of("fc.weight"));
            Map<String, float[]> hessian = Importance.hessian(one, PREP, 1, 1).scores(net, List.of("fc.weight"));
            for (int o = 0; o < 2; o++) {
                for (int i = 0; i < 4; i++) {
                    double g = (p[o] - (o == 1 ? 1 : 0)) * x[i];
                    assertEquals(Math.abs(w[o * 4 + i] * g), taylor.get("fc.weight")[o * 4 + i], 1e-6, "taylor " + o + "," + i);
                    assertEquals(0.5 * g * g * w[o * 4 + i] * w[o * 4 + i], hessian.get("fc.weight")[o * 4 + i], 1e-6, "hessian " + o + "," + i);
                }
            }
            float[] l2 = Importance.l2().scores(net, List.of("fc.weight")).get("fc.weight");
            for (int i = 0; i < 8; i++) assertEquals(w[i] * w[i], l2[i], 1e-9);
            // The gradient pass leaves the network as it was.
            assertArrayEquals(w, net.parameter("fc.weight").values());
        }
    }

    @Test
    void schedulesFollowTfMotFormulas() {
        PruningSchedule p = PruningSchedule.polynomialDecay(0.1, 0.9, 100, 1100, 3, 100);
        assertEquals(0.1, p.sparsityAt(0), 1e-12);
        assertEquals(0.1, p.sparsityAt(100), 1e-12);
        // step 600: p = 0.5, s = 0.9 + (0.1 − 0.9)·0.5³ = 0.8
        assertEquals(0.8, p.sparsityAt(600), 1e-12);
        // step 350: p = 0.25, s = 0.9 − 0.8·0.421875 = 0.5625
        assertEquals(0.5625, p.sparsityAt(350), 1e-12);
        assertEquals(0.9, p.sparsityAt(1100), 1e-12);
        assertEquals(0.9, p.sparsityAt(5000), 1e-12);
        assertFalse(p.prunesAt(99));
        assertTrue(p.prunesAt(100));
        assertFalse(p.prunesAt(150));
        assertTrue(p.prunesAt(1100));
        assertFalse(p.prunesAt(1200), "after end_step");
        PruningSchedule c = PruningSchedule.constant(0.5, 0, -1, 10);
        assertEquals(0.5, c.sparsityAt(12345));
        assertTrue(c.prunesAt(1_000_000));
        assertThrows(IllegalArgumentException.class, () -> PruningSchedule.polynomialDecay(0, 0.9, 10, 5, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> PruningSchedule.constant(1.0, 0, -1, 1));
    }

    @Test
    void gradualPruningReachesTheFinalSparsityAndHoldsIt() {
        ImageSet train = Int8Fixtures.images(128, 3, 32, 32, 6);
        try (Network net = seedCnn(5)) {
            // 4 steps per epoch, 3 epochs: prune at steps 0, 2, 4, 6; final sparsity from step 6 on.
            GradualPruning g = new GradualPruning(PruningSchedule.polynomialDecay(0.2, 0.8, 0, 6, 3, 2), Scope.convAndLinear(), false);
            Training.fit(net, train, null, TrainConfig.builder().setEpochs(3).setOptimizer(OptimizerConfig.sgd(0.02f, 0.9f)).optBatchSize(32)
                    .optSeed(1).optPreprocessing(PREP).optProgress(Progress.silent()).addHook(g).build());
            assertEquals(0.8, g.currentSparsity(), 1e-12);
            for (String n : g.mask().names()) {
                TensorMask t = g.mask().mask(n);
                assertEquals(Math.rint(0.8 * t.size()), Math.round(t.sparsity() * t.size()), n);
            }
            assertEquals(g.mask().pruned(), zeros(net, g.mask().names()));
        }
    }

    @Test
    void masksAreSavedWithTheModel(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (Network net = seedCnn(4)) {
            PruningMask m = Pruning.globalL1(net, 0.75);
            m.applyTo(net);
            java.nio.file.Path f = dir.resolve("pruned.sqz");
            m.saveWith(net, f);
            assertEquals(m, PruningMask.readFrom(f));
            try (Network back = dev.squeeze.model.ModelFile.load(f)) {
                for (String n : net.parameterNames()) assertArrayEquals(net.parameter(n).values(), back.parameter(n).values(), n);
            }
            java.nio.file.Path plain = dir.resolve("plain.sqz");
            dev.squeeze.model.ModelFile.save(net, plain);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PruningMask.readFrom(plain));
            assertTrue(e.getMessage().contains("holds no pruning mask"), e.getMessage());
            byte[] bytes = java.nio.file.Files.readAllBytes(f);
            java.nio.file.Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 100));
            IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> PruningMask.readFrom(f));
            assertTrue(t.getMessage().contains("SHA-256"), t.getMessage());
        }
    }

    @Test
    void l1RegularisationShrinksTheWeightsInScopeOnly() {
        ImageSet train = Int8Fixtures.images(64, 3, 32, 32, 8);
        double[] norms = new double[2];
        for (int k = 0; k < 2; k++) {
            try (Network net = seedCnn(6)) {
                var b = TrainConfig.builder().setEpochs(2).setOptimizer(OptimizerConfig.sgd(0.01f, 0f)).optBatchSize(32).optSeed(1)
                        .optPreprocessing(PREP).optProgress(Progress.silent());
                if (k == 1) b.addHook(SparsityRegularization.l1(0.05, Scope.nodes("fc1")));
                Training.fit(net, train, null, b.build());
                for (float v : net.parameter("fc1.weight").values()) norms[k] += Math.abs(v);
            }
        }
        // 4 SGD steps of lr 0.01 · 0.05 move each fc1 weight by up to 0.002 towards zero.
        assertTrue(norms[1] < norms[0] - 0.001 * 96_000, "L1 should shrink fc1: " + norms[0] + " → " + norms[1]);
    }

    @Test
    void maskTableListsEveryTensorAndTheTotal() {
        try (Network net = seedCnn(1)) {
            PruningMask m = Pruning.globalL1(net, 0.5);
            var t = m.table();
            assertEquals(6, t.rowCount());
            assertEquals("total", t.stringColumn("node").get(5));
            assertEquals(0.5, t.doubleColumn("sparsity").get(5), 1e-5);
            NamedTensor conv1 = net.parameter("conv1.weight");
            assertEquals(conv1.values().length, t.intColumn("weights").get(0));
        }
    }
}
