package dev.squeeze.distill;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.squeeze.Environment;
import dev.squeeze.data.ImageSet;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer.*;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.EpochStats;
import dev.squeeze.train.Objective;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.TrainResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FitNets hints, FSP matrices and RKD on features: hand computations, shape checks, and a frozen teacher with an adapter kept out of the student. */
class FeatureDistillationTest {
    static final int[] SHAPE = {1, 12, 12};

    @BeforeAll
    static void env() { Environment.ensure(); }

    /** The Keras student's shape with 8 and 16 channels: conv1 [8, 6, 6], conv2 [16, 3, 3], fc. */
    static Architecture thin() {
        return new Architecture("thin", SHAPE, List.of(new Conv2d(1, 8, 3, 2, 1, 1, true), new LeakyRelu(0.2f), new MaxPool(2, 1, 0),
                new Conv2d(8, 16, 3, 2, 1, 1, true), new Flatten(), new Linear(16 * 9, 3, true)));
    }

    /** The teacher: Zoo's keras-student, conv1 [16, 6, 6], conv2 [32, 3, 3]. */
    static Network teacher() { return Network.create(Zoo.kerasStudent(SHAPE, 3), 11); }

    /** MNIST-like noise: 1×12×12 bytes with random labels; the hint needs no learnable labels. */
    static ImageSet noise(int n, long seed) { return noise(n, seed, 12); }

    static ImageSet noise(int n, long seed, int side) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * side * side];
        int[] labels = new int[n];
        for (int i = 0; i < px.length; i++) px[i] = (byte) r.nextInt(256);
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(3);
        return new ImageSet("noise", px, labels, 1, side, side, List.of("a", "b", "c"));
    }

    static Distiller hint(Network student, Network teacher, double studentLossWeight) {
        return Distiller.of(student, teacher, List.of(new FeatureDistillation("conv2", "conv2", 7).weighted(1)), studentLossWeight)
                .compile(OptimizerConfig.adam(3e-3f), Objective.crossEntropy());
    }

    @Test
    void theAdapterMapsStudentChannelsToTeacherChannels() {
        try (Network t = teacher(); Network s = Network.create(thin(), 5)) {
            HintAdapter a = hint(s, t, 0.5).adapters().get(0);
            assertArrayEquals(new long[] {32, 16, 1, 1}, a.kernelShape());
            float[] x = DistillationTermTest.random(1, 2 * 16 * 9, 1);
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                NDArray y = a.apply(m.create(x, new Shape(2, 16, 3, 3)));
                assertArrayEquals(new long[] {2, 32, 3, 3}, y.getShape().getShape());
                // pixel (n = 1, h = 2, w = 0), output channel 5, by hand: Σ_c W[5][c] · x[1][c][2][0] + b[5]
                float[] w = a.weights();
                float[] b = a.parameters().get(1).toFloatArray();
                double expected = b[5];
                for (int c = 0; c < 16; c++) expected += w[5 * 16 + c] * x[((1 * 16 + c) * 3 + 2) * 3];
                assertEquals(expected, y.toFloatArray()[((1 * 32 + 5) * 3 + 2) * 3], 1e-5);
            }
            // the same seed draws the same adapter; another seed another one
            assertArrayEquals(hint(s, t, 0.5).adapters().get(0).weights(), a.weights());
            Distiller other = Distiller.of(s, t, List.of(new FeatureDistillation("conv2", "conv2", 8).weighted(1)), 0.5)
                    .compile(OptimizerConfig.adam(3e-3f), Objective.crossEntropy());
            assertFalse(java.util.Arrays.equals(other.adapters().get(0).weights(), a.weights()));
        }
    }

    @Test
    void badNodesAndShapesAreRefusedWhenTheDistillerIsBuilt() {
        try (Network t = teacher(); Network s = Network.create(thin(), 5)) {
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> Distiller.of(s, t, List.of(new FeatureDistillation("layer3", "conv2").weighted(1)), 0.5));
            assertTrue(unknown.getMessage().contains("'layer3'") && unknown.getMessage().contains("teacher")
                    && unknown.getMessage().contains("[conv1, conv2, fc]"), unknown.getMessage());
            IllegalArgumentException spatial = assertThrows(IllegalArgumentException.class,
                    () -> Distiller.of(s, t, List.of(new FeatureDistillation("conv1", "conv2").weighted(1)), 0.5));
            assertTrue(spatial.getMessage().contains("[16, 3, 3]") && spatial.getMessage().contains("[16, 6, 6]"), spatial.getMessage());
            IllegalArgumentException fsp = assertThrows(IllegalArgumentException.class,
                    () -> Distiller.of(s, t, List.of(new FspDistillation("conv1", "conv2").weighted(1)), 0.5));
            assertTrue(fsp.getMessage().contains("same H × W"), fsp.getMessage());
        }
    }

    /**
     * A few epochs of the hint alone (student-loss weight 0) on noise bring the adapted student feature
     * closer to the teacher's; the adapter learns with the student; neither the student's layout nor the
     * teacher changes, and the saved student holds only its own parameters.
     */
    @Test
    void fitNetsReducesTheHintLossAndKeepsTheAdapterOutOfTheStudent(@TempDir Path dir) throws Exception {
        ImageSet train = noise(64, 1), probe = noise(32, 2);
        try (Network t = teacher(); Network s = Network.create(thin(), 5)) {
            List<String> names = s.parameterNames();
            long count = s.trainableParameters();
            float[] teacherBefore = DistillerTest.flat(t);
            Distiller d = hint(s, t, 0);
            String term = "feature_distillation_conv2";
            double before = d.evaluate(probe, dev.squeeze.data.Preprocessing.unitScale(), 16).terms().get(term);
            float[] adapterBefore = d.adapters().get(0).weights();
            TrainResult r = d.fit(train, null, DistillerTest.config(4).build());
            double after = d.evaluate(probe, dev.squeeze.data.Preprocessing.unitScale(), 16).terms().get(term);
            List<EpochStats> h = r.history();
            assertTrue(h.get(3).terms().get("distillation_loss") < h.get(0).terms().get("distillation_loss"), h.toString());
            assertTrue(after < 0.8 * before, "hint loss on held-out noise " + before + " → " + after);
            assertFalse(java.util.Arrays.equals(adapterBefore, d.adapters().get(0).weights()), "the adapter must be trained");

            assertEquals(names, s.parameterNames());
            assertEquals(count, s.trainableParameters());
            assertEquals(thin(), s.architecture());
            assertArrayEquals(teacherBefore, DistillerTest.flat(t), "the teacher is frozen");
            Path file = dir.resolve("student.sqz");
            ModelFile.save(s, file);
            try (Network loaded = ModelFile.load(file)) {
                assertEquals(names, loaded.parameterNames());
                List<NamedTensor> a = s.parameters(), b = loaded.parameters();
                for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i).values(), b.get(i).values(), a.get(i).name());
            }
            assertTrue(Files.size(file) < 4L * (count + 1000), "file of " + Files.size(file) + " bytes for " + count + " parameters");
        }
    }

    /**
     * The adapter's manager holds the same arrays (its weights and their optimizer state) after 2 and after
     * 8 batches: a hint's per-batch arrays (and the autograd graph they keep alive) are freed with the batch.
     * Before this was checked, a ResNet18 hint run grew by ~370 MB of native memory per batch until the
     * kernel killed it.
     */
    @Test
    void hintStepsLeaveNothingBehindInTheAdaptersManager() {
        try (Network t = teacher(); Network s = Network.create(thin(), 5)) {
            Distiller d = hint(s, t, 0.5);
            var manager = (ai.djl.ndarray.BaseNDManager) d.adapters().get(0).parameters().get(0).getManager();
            d.fit(noise(32, 1), null, DistillerTest.config(1).optBatchSize(16).build());
            int afterTwo = manager.getManagedArrays().size();
            d.fit(noise(128, 2), null, DistillerTest.config(1).optBatchSize(16).build());
            assertEquals(afterTwo, manager.getManagedArrays().size(), "arrays left in the adapter's manager after 8 more batches");
        }
    }

    /** The adapter's seed and the training seed reproduce a hint run bit for bit, adapter included. */
    @Test
    void aHintRunReproducesBitForBit() {
        ImageSet train = noise(32, 4);
        float[][] student = new float[2][], adapter = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (Network t = teacher(); Network s = Network.create(thin(), 5)) {
                Distiller d = hint(s, t, 0.5);
                d.fit(train, null, DistillerTest.config(1).build());
                student[run] = DistillerTest.flat(s);
                adapter[run] = d.adapters().get(0).weights();
            }
        }
        assertArrayEquals(student[0], student[1]);
        assertArrayEquals(adapter[0], adapter[1]);
    }

    /** G = F1 · F2ᵀ / (H·W) per sample, loss = mean over samples of Σ_ij (Gs − Gt)², against loops in double. */
    @Test
    void fspMatchesAHandComputation() {
        int n = 2, c1 = 2, c2 = 3, hw = 4;
        float[] s1 = DistillationTermTest.random(11, n * c1 * hw, 1), s2 = DistillationTermTest.random(12, n * c2 * hw, 1);
        float[] t1 = DistillationTermTest.random(13, n * c1 * hw, 2), t2 = DistillationTermTest.random(14, n * c2 * hw, 2);
        double expected = 0;
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < c1; i++) {
                for (int j = 0; j < c2; j++) {
                    double gs = 0, gt = 0;
                    for (int p = 0; p < hw; p++) {
                        gs += (double) s1[(k * c1 + i) * hw + p] * s2[(k * c2 + j) * hw + p];
                        gt += (double) t1[(k * c1 + i) * hw + p] * t2[(k * c2 + j) * hw + p];
                    }
                    double diff = gs / hw - gt / hw;
                    expected += diff * diff;
                }
            }
        }
        expected /= n;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Shape a = new Shape(n, c1, 2, 2), b = new Shape(n, c2, 2, 2);
            NDArray logits = m.zeros(new Shape(n, 3));
            TermInput batch = new TermInput(logits, logits, Map.of("x", m.create(s1, a), "y", m.create(s2, b)),
                    Map.of("x", m.create(t1, a), "y", m.create(t2, b)));
            assertEquals(expected, new FspDistillation("x", "y").loss(batch).getFloat(), 1e-5 * expected);
            assertEquals(0, new FspDistillation("x", "y", "x", "y").loss(new TermInput(logits, logits,
                    Map.of("x", m.create(t1, a), "y", m.create(t2, b)), Map.of("x", m.create(t1, a), "y", m.create(t2, b)))).getFloat());
        }
    }

    /** RKD on a layer is RKD on its output flattened per sample; the logits stay the default. */
    @Test
    void rkdOnALayerUsesTheFlattenedFeature() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray s = m.create(DistillationTermTest.random(21, 5 * 8 * 4, 1), new Shape(5, 8, 2, 2));
            NDArray t = m.create(DistillationTermTest.random(22, 5 * 16, 3), new Shape(5, 16, 1, 1));
            NDArray ls = m.create(DistillationTermTest.random(23, 15, 1), new Shape(5, 3)), lt = m.create(DistillationTermTest.random(24, 15, 1), new Shape(5, 3));
            TermInput batch = new TermInput(ls, lt, Map.of("conv2", s), Map.of("layer2", t));
            assertEquals(new RkdDistance().loss(s.reshape(5, 32), t.reshape(5, 16)).getFloat(),
                    new RkdDistance("layer2", "conv2").loss(batch).getFloat(), 1e-6);
            assertEquals(new RkdAngle().loss(s.reshape(5, 32), t.reshape(5, 16)).getFloat(),
                    new RkdAngle("layer2", "conv2").loss(batch).getFloat(), 1e-6);
            assertEquals(new RkdDistance().loss(ls, lt).getFloat(), new RkdDistance().loss(batch).getFloat(), 0);
            assertEquals("rkd_distance_conv2_layer2", new RkdDistance("layer2", "conv2").name());
            assertEquals("rkd_distance", new RkdDistance().name());
        }
    }

    /**
     * Logits, hint, FSP and feature RKD by weight in one distiller between two residual nets: each term is
     * reported per epoch and by evaluate, where the distillation loss is Σ w_i · term_i.
     */
    @Test
    void featureTermsComposeByWeight() {
        ImageSet train = noise(48, 3, 8);
        try (Network t = Network.create(FeatureTapsTest.tinyResnet("deep", 8, 2), 4);
             Network s = Network.create(FeatureTapsTest.tinyResnet("shallow", 8, 1), 6)) {
            List<WeightedTerm> terms = List.of(new LogitsDistillation(2).weighted(1), new FeatureDistillation("layer2", "layer2").weighted(2),
                    new FspDistillation("bn1", "layer1").weighted(0.5), DistillationTerm.rkdAngle("layer1", "layer1").weighted(3));
            Distiller d = Distiller.of(s, t, terms, 0.5).compile(OptimizerConfig.adam(3e-3f), Objective.crossEntropy());
            TrainResult r = d.fit(train, null, DistillerTest.config(1).build());
            Map<String, Double> epoch = r.history().get(0).terms();
            for (WeightedTerm wt : terms) assertTrue(epoch.containsKey(wt.term().name()), wt.term().name() + " in " + epoch);
            var e = d.evaluate(train, dev.squeeze.data.Preprocessing.unitScale(), 16);
            double sum = 0;
            for (WeightedTerm wt : terms) sum += wt.weight() * e.terms().get(wt.term().name());
            assertEquals(sum, e.distillationLoss(), 1e-4 * sum);
            assertTrue(e.terms().get("fsp_bn1_layer1") > 0 && e.terms().get("feature_distillation_layer2") > 0, e.terms().toString());
        }
    }
}
