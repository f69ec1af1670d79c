package dev.squeeze.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainingTest {

    /** Three classes told apart by which third of the image is bright, plus noise. */
    static ImageSet synthetic(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int c = 1, h = 12, w = 12;
        byte[] px = new byte[n * c * h * w];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 3;
            labels[i] = label;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = r.nextInt(60) + (x / 4 == label ? 150 : 0);
                    px[i * h * w + y * w + x] = (byte) v;
                }
            }
        }
        return new ImageSet("synthetic", px, labels, c, h, w, List.of("left", "middle", "right"));
    }

    static TrainConfig config(long seed, List<Double> stepLosses) {
        return TrainConfig.builder().setEpochs(4).setOptimizer(OptimizerConfig.sgd(0.05f, 0.9f)).optBatchSize(16)
                .optSeed(seed).optPreprocessing(Preprocessing.unitScale()).optProgress(Progress.silent()).build();
    }

    @Test
    void lossFallsAndTheModelLearnsASeparableTask() {
        ImageSet train = synthetic(240, 1), test = synthetic(90, 2);
        try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
            double before = Training.evaluate(net, test, Preprocessing.unitScale()).loss();
            TrainResult r = Training.fit(net, train, test, config(9, null));
            assertEquals(4, r.history().size());
            assertTrue(r.history().get(3).trainLoss() < r.history().get(0).trainLoss() * 0.5,
                    "train loss should fall: " + r.history());
            assertTrue(r.finalEvaluation().loss() < before, "test loss " + r.finalEvaluation().loss() + " vs " + before);
            assertTrue(r.testAccuracy() > 0.9, "accuracy " + r.testAccuracy());
            assertTrue(r.trainImagesPerSecond() > 0);
        }
    }

    /**
     * Cross-entropy plus a term that is 0 in the forward pass but whose gradient is NaN (√0's infinite slope
     * times 0) at the chosen steps: the shape of libtorch's intermittent NaN gradient channels, with a
     * finite loss. It fires once per listed step, or on every pass over it when {@code repeat};
     * {@code faults} counts how many times it fired.
     */
    static Objective nanGradientAt(java.util.Set<Integer> steps, boolean repeat, int[] faults) {
        java.util.Set<Integer> fired = new java.util.HashSet<>();
        return new Objective() {
            @Override public ai.djl.ndarray.NDArray loss(ObjectiveInput in) {
                ai.djl.ndarray.NDArray ce = Objective.crossEntropy().loss(in);
                if (!steps.contains(in.step()) || !(fired.add(in.step()) || repeat)) return ce;
                faults[0]++;
                return ce.add(in.logits().mul(0f).abs().sqrt().sum().mul(0f));
            }
        };
    }

    /**
     * A NaN gradient with finite weights is recomputed once, and the run goes on exactly as a run without
     * the fault (the model has no BatchNorm, so the second pass leaves no trace): same weights to the bit.
     * The count lands in the provenance.
     */
    @Test
    void aOneOffNanGradientIsRecomputedAndTheRunIsUnchanged() {
        ImageSet train = synthetic(96, 1);
        float[][] weights = new float[2][];
        int[] faults = {0};
        for (int k = 0; k < 2; k++) {
            try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
                TrainConfig c = config(9, null);
                if (k == 1) c = c.toBuilder().optObjective(nanGradientAt(java.util.Set.of(3, 10), false, faults)).build();
                Training.fit(net, train, null, c);
                weights[k] = net.parameter("conv1.weight").values();
                assertEquals(k == 1 ? "2" : null, net.provenance().get("train_recomputed_batches"));
            }
        }
        assertEquals(2, faults[0]);
        assertArrayEquals(weights[0], weights[1]);
    }

    /** A NaN gradient that comes back on the second pass stops the run, naming the parameter, the batch and the terms. */
    @Test
    void aRepeatedNanGradientStopsTheRunNamingTheParameter() {
        ImageSet train = synthetic(96, 1);
        try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
            TrainConfig c = config(9, null).toBuilder().optObjective(nanGradientAt(java.util.Set.of(4), true, new int[1])).build();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Training.fit(net, train, null, c));
            assertTrue(e.getMessage().startsWith("Training diverged: the gradient of "), e.getMessage());
            assertTrue(e.getMessage().contains(" is not finite at epoch 1, batch 5 "), e.getMessage());
            assertTrue(e.getMessage().contains("a second pass over the batch gave the same"), e.getMessage());
        }
    }

    @Test
    void sameSeedReproducesTheRun() {
        ImageSet train = synthetic(96, 1);
        double[] losses = new double[2];
        for (int k = 0; k < 2; k++) {
            try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
                losses[k] = Training.fit(net, train, null, config(9, null)).history().get(3).trainLoss();
            }
        }
        assertEquals(losses[0], losses[1], 1e-6);
    }

    /**
     * The README's promise: one seed reproduces a run bit for bit. A conv model (the seed CNN, with crop
     * and flip augmentation, on libtorch's default threads) trained twice gives the same history, to the
     * last bit, and model files with the same SHA-256; another seed gives another file, so the comparison
     * can fail.
     */
    @Test
    void sameSeedGivesIdenticalModelFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        ImageSet train = dev.squeeze.quant.Int8Fixtures.images(192, 3, 20, 20, 1);
        ImageSet test = dev.squeeze.quant.Int8Fixtures.images(64, 3, 20, 20, 2);
        String[] sums = new String[3];
        List<List<EpochStats>> histories = new ArrayList<>();
        long[] seeds = {7, 7, 8};
        for (int k = 0; k < 3; k++) {
            try (Network net = Network.create(Zoo.seedCnn(new int[] {3, 20, 20}, 10), seeds[k])) {
                TrainConfig cfg = TrainConfig.builder().setEpochs(2).setOptimizer(OptimizerConfig.sgd(0.02f, 0.9f)).optBatchSize(32)
                        .optSeed(seeds[k]).optPreprocessing(Preprocessing.unitScale().withAugmentation(2, true))
                        .optProgress(Progress.silent()).build();
                histories.add(Training.fit(net, train, test, cfg).history());
                java.nio.file.Path f = dir.resolve("run" + k + ".sqz");
                dev.squeeze.model.ModelFile.save(net, f);
                sums[k] = java.util.HexFormat.of().formatHex(dev.squeeze.util.Sha256.digest().digest(java.nio.file.Files.readAllBytes(f)));
            }
        }
        for (int e = 0; e < 2; e++) {
            EpochStats a = histories.get(0).get(e), b = histories.get(1).get(e);
            assertEquals(a.trainLoss(), b.trainLoss(), 0.0, "epoch " + (e + 1) + " train loss");
            assertEquals(a.testAccuracy(), b.testAccuracy(), 0.0, "epoch " + (e + 1) + " test accuracy");
        }
        assertEquals(sums[0], sums[1], "two runs with seed 7 wrote different model files");
        assertNotEquals(sums[0], sums[2], "seed 8 wrote the same file as seed 7");
    }

    @Test
    void hookRunsAfterEveryStepAndCanEditWeights() {
        ImageSet train = synthetic(64, 1);
        List<Integer> steps = new ArrayList<>();
        try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
            String first = net.parameters().get(0).name();
            int size = net.parameters().get(0).values().length;
            TrainConfig c = config(1, null).toBuilder().setEpochs(2).addHook((n, epoch, step) -> {
                steps.add(step);
                n.setParameter(first, new float[size]); // a "mask" that prunes the whole first layer
            }).build();
            Training.fit(net, train, null, c);
            assertEquals(8, steps.size()); // 64 images / batch 16 × 2 epochs
            assertEquals(7, steps.get(7));
            for (float v : net.parameters().get(0).values()) assertEquals(0f, v);
        }
    }

    @Test
    void builderNamesTheMissingField() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TrainConfig.builder().setOptimizer(OptimizerConfig.adam(1e-3f)).build());
        assertTrue(e.getMessage().contains("epochs"));
        e = assertThrows(IllegalStateException.class, () -> TrainConfig.builder().setEpochs(1).build());
        assertTrue(e.getMessage().contains("optimizer"));
    }

    @Test
    void schedules() {
        assertEquals(0.1f, new LrSchedule.Cosine(0f).at(0.1f, 0, 100, 10), 1e-7);
        assertEquals(0.05f, new LrSchedule.Cosine(0f).at(0.1f, 50, 100, 10), 1e-6);
        assertEquals(0.01f, new LrSchedule.Step(2, 0.1f).at(0.1f, 25, 100, 10), 1e-7);
        LrSchedule.OneCycle oc = LrSchedule.OneCycle.standard();
        assertEquals(0.1f / 25, oc.at(0.1f, 0, 100, 10), 1e-7);
        assertEquals(0.1f, oc.at(0.1f, 30, 100, 10), 1e-6);
        assertTrue(oc.at(0.1f, 100, 100, 10) < 1e-5);
    }

    @Test
    void recipesMatchTheSeed() {
        Recipe r = Recipe.of("seed-cnn", "cifar10", Budget.STANDARD);
        assertEquals(10, r.epochs());
        assertEquals(64, r.batchSize());
        assertEquals(Recipe.ALL, r.trainLimit());
        assertEquals(0.01f, r.optimizer().learningRate());
        assertEquals(0.9f, r.optimizer().momentum());
        assertEquals(Preprocessing.halfHalf(), r.preprocessing());
        assertTrue(Recipe.of("resnet18", "cifar10", Budget.QUICK).trainLimit() < 1000);
        // The mobile nets' quick run: three passes over 2,000 images (the seed's 30,000 passes took ~55 CPU-minutes).
        for (String m : java.util.List.of("mobilenetv2", "shufflenetv2")) {
            Recipe q = Recipe.of(m, "cifar10", Budget.QUICK);
            assertTrue((long) q.trainLimit() * q.epochs() <= 6_000, m + ": " + q);
            assertEquals(Preprocessing.cifarAugmented(), Recipe.of(m, "cifar10", Budget.STANDARD).preprocessing(), m);
        }
        assertThrows(IllegalArgumentException.class, () -> Budget.parse("huge"));
    }
}
