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
        assertThrows(IllegalArgumentException.class, () -> Budget.parse("huge"));
    }
}
