package dev.squeeze.distill;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.EpochStats;
import dev.squeeze.train.Evaluation;
import dev.squeeze.train.Objective;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.TrainResult;
import dev.squeeze.train.Training;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Distiller on tiny synthetic images: Keras semantics, a frozen teacher, the cache, evaluation. */
class DistillerTest {
    static final int[] SHAPE = {1, 12, 12};

    /** Three classes told apart by which third of the image is bright (as TrainingTest's data). */
    static ImageSet synthetic(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int h = 12, w = 12;
        byte[] px = new byte[n * h * w];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 3;
            labels[i] = label;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) px[i * h * w + y * w + x] = (byte) (r.nextInt(60) + (x / 4 == label ? 150 : 0));
            }
        }
        return new ImageSet("synthetic", px, labels, 1, h, w, List.of("left", "middle", "right"));
    }

    static TrainConfig.Builder config(int epochs) {
        return TrainConfig.builder().setEpochs(epochs).setOptimizer(OptimizerConfig.adam(3e-3f)).optBatchSize(16).optSeed(3)
                .optPreprocessing(Preprocessing.unitScale()).optProgress(Progress.silent());
    }

    /** A teacher trained for one epoch (weights that differ from any student's). */
    static Network teacher() {
        Network t = Network.create(Zoo.kerasStudent(SHAPE, 3), 11);
        Training.fit(t, synthetic(96, 5), null, config(1).build());
        return t;
    }

    static Network student() { return Network.create(Zoo.kerasStudent(SHAPE, 3), 5); }

    /** α = 1 gives the distillation loss no weight: the run is plain cross-entropy training, step for step. */
    @Test
    void alphaOneTrainsExactlyLikePlainCrossEntropy() {
        ImageSet train = synthetic(96, 1), test = synthetic(30, 2);
        List<EpochStats> plain, distilled;
        float[] plainWeights, distilledWeights;
        try (Network s = student()) {
            plain = Training.fit(s, train, test, config(3).build()).history();
            plainWeights = flat(s);
        }
        try (Network t = teacher(); Network s = student()) {
            Distiller d = Distiller.of(s, t).compile(OptimizerConfig.adam(3e-3f), Objective.crossEntropy(), SoftTargetLoss.klDivergence(), 1.0, 4);
            distilled = d.fit(train, test, config(3).build()).history();
            distilledWeights = flat(s);
        }
        for (int e = 0; e < 3; e++) {
            EpochStats a = plain.get(e), b = distilled.get(e);
            assertEquals(a.trainLoss(), b.trainLoss(), 1e-6, "epoch " + (e + 1) + " loss");
            assertEquals(a.trainAccuracy(), b.trainAccuracy(), 1e-9, "epoch " + (e + 1) + " train accuracy");
            assertEquals(a.testAccuracy(), b.testAccuracy(), 1e-9, "epoch " + (e + 1) + " test accuracy");
            assertEquals(a.testLoss(), b.testLoss(), 1e-6, "epoch " + (e + 1) + " test loss");
            assertEquals(b.trainLoss(), b.terms().get("student_loss"), 1e-6, "α = 1: the loss is the student loss");
            assertTrue(b.terms().get("distillation_loss") > 0, "the distillation loss is still reported: " + b.terms());
        }
        assertArrayEquals(plainWeights, distilledWeights, 1e-6f, "same weights after the same steps");
    }

    static float[] flat(Network n) {
        return n.parameters().stream().map(NamedTensor::values).reduce(new float[0], (a, b) -> {
            float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        });
    }

    /** Every teacher parameter (weights, biases) is bit-for-bit the same after fit, with the cache and without. */
    @Test
    void teacherWeightsNeverChange() {
        for (Preprocessing p : List.of(Preprocessing.unitScale(), Preprocessing.unitScale().withAugmentation(2, true))) {
            try (Network t = teacher(); Network s = student()) {
                List<NamedTensor> before = t.parameters();
                float[] studentBefore = flat(s);
                Distiller d = Distiller.of(s, t).compile(OptimizerConfig.adam(3e-3f), Objective.crossEntropy(), SoftTargetLoss.klDivergence(), 0.1, 3);
                TrainResult r = d.fit(synthetic(96, 1), null, config(2).optPreprocessing(p).build());
                List<NamedTensor> after = t.parameters();
                assertEquals(before.size(), after.size());
                for (int i = 0; i < before.size(); i++) {
                    assertArrayEquals(before.get(i).values(), after.get(i).values(), 0f, before.get(i).name() + " with " + p);
                }
                assertFalse(java.util.Arrays.equals(studentBefore, flat(s)), "the student did train");
                assertTrue(r.config().objective().describe().contains(p.augments() ? "keras-student" : "cached"),
                        r.config().objective().describe());
                assertEquals(!p.augments(), r.config().objective().describe().contains("teacher logits cached"));
            }
        }
    }

    /**
     * Inside a gradient scope the teacher's output has no autograd history: libtorch refuses to
     * back-propagate through it ("does not require grad and does not have a grad_fn"), whereas an ordinary
     * forward records a graph. (DJL's {@code JniUtils.requiresGrad} answers false even for recorded results,
     * and its grad_fn name crashes on a tensor without one, so the test asks backward itself.)
     */
    @Test
    void theTeacherRunsWithoutAGradientGraph() {
        try (Network t = teacher(); NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(FloatBuffer.wrap(new float[2 * 144]), new Shape(2, 1, 12, 12));
            float[] frozenValues;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray frozen = new FrozenTeacher(t).logits(x);
                frozenValues = frozen.toFloatArray();
                assertTrue(JniUtils.isGradMode(), "the student's gradient mode is restored");
                RuntimeException e = assertThrows(RuntimeException.class, () -> gc.backward(frozen.sum()), "no graph through the frozen teacher");
                assertTrue(String.valueOf(e.getMessage()).contains("grad"), e.getMessage());
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray recorded = t.djlModel().getBlock().forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
                assertTrue(JniUtils.getGradientFunctionNames((PtNDArray) recorded).contains("Backward"),
                        "control: an ordinary forward records one, got " + JniUtils.getGradientFunctionNames((PtNDArray) recorded));
                assertArrayEquals(recorded.toFloatArray(), frozenValues, 1e-6f);
            }
        }
    }

    /** Cached teacher logits give the same run as running the teacher at every step. */
    @Test
    void theCacheChangesNothingButTheCost() {
        ImageSet train = synthetic(96, 1);
        List<EpochStats> cached, live;
        try (Network t = teacher(); Network s = student()) {
            Distiller d = Distiller.of(s, t).compile(OptimizerConfig.adam(3e-3f), Objective.crossEntropy(), SoftTargetLoss.klDivergence(), 0.3, 2);
            cached = d.fit(train, null, config(2).build()).history();
        }
        try (Network t = teacher(); Network s = student()) {
            Objective uncached = new DistillationObjective(new FrozenTeacher(t), Objective.crossEntropy(), 0.3,
                    List.of(new LogitsDistillation(2).weighted(1)), null);
            live = Training.fit(s, train, null, config(2).optObjective(uncached).build()).history();
        }
        for (int e = 0; e < 2; e++) {
            assertEquals(live.get(e).trainLoss(), cached.get(e).trainLoss(), 1e-5, "epoch " + (e + 1));
            assertEquals(live.get(e).terms().get("distillation_loss"), cached.get(e).terms().get("distillation_loss"), 1e-5);
        }
    }

    /** A non-finite cached teacher logit is named when the objective is built, not found later as a NaN loss. */
    @Test
    void aNonFiniteCachedTeacherLogitIsNamed() {
        try (Network t = Network.create(Zoo.kerasStudent(SHAPE, 3), 1)) {
            float[] cache = new float[4 * 3];
            cache[7] = Float.NaN;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DistillationObjective(new FrozenTeacher(t),
                    Objective.crossEntropy(), 0.5, List.of(new LogitsDistillation(4).weighted(1)), cache));
            assertTrue(e.getMessage().contains("not finite") && e.getMessage().contains("NaN") && e.getMessage().contains("training image 2")
                    && e.getMessage().contains("class 1"), e.getMessage());
            cache[7] = Float.NEGATIVE_INFINITY;
            e = assertThrows(IllegalArgumentException.class, () -> new DistillationObjective(new FrozenTeacher(t), Objective.crossEntropy(),
                    0.5, List.of(new LogitsDistillation(4).weighted(1)), cache));
            assertTrue(e.getMessage().contains("-Infinity"), e.getMessage());
        }
    }

    /** Keras semantics: loss = α · student_loss + (1 − α) · distillation_loss, both reported per epoch and by evaluate. */
    @Test
    void reportsStudentAndDistillationLossAndEvaluatesLikeKeras() {
        ImageSet train = synthetic(96, 1), test = synthetic(45, 2);
        try (Network t = teacher(); Network s = student()) {
            double alpha = 0.25;
            Distiller d = Distiller.of(s, t).compile(OptimizerConfig.adam(3e-3f), Objective.crossEntropy(), SoftTargetLoss.klDivergence(), alpha, 3);
            TrainResult r = d.fit(train, 2);
            assertEquals(2, r.history().size());
            for (EpochStats e : r.history()) {
                assertEquals(List.of("student_loss", "distillation_loss"), List.copyOf(e.terms().keySet()));
                assertEquals(e.trainLoss(), alpha * e.terms().get("student_loss") + (1 - alpha) * e.terms().get("distillation_loss"), 1e-5);
            }
            assertEquals(32, r.config().batchSize(), "Keras' default batch size");
            DistillEvaluation ev = d.evaluate(test);
            Evaluation plain = Training.evaluate(s, test, Preprocessing.unitScale());
            assertEquals(plain.accuracy(), ev.accuracy(), 1e-9);
            assertEquals(plain.loss(), ev.studentLoss(), 1e-4, "cross-entropy of the student on the test set");
            assertEquals(45, ev.count());
            assertTrue(ev.distillationLoss() > 0 && ev.teacherAgreement() >= 0 && ev.teacherAgreement() <= 1, ev.toString());
            assertEquals(ev.distillationLoss(), ev.terms().get("logits_distillation"), 1e-6);
            assertTrue(s.provenance().get("train_objective").contains("distillation from keras-student"), s.provenance().toString());
        }
    }

    /** Keras 3's shape: several weighted terms, each reported by name, their weighted sum as distillation_loss. */
    @Test
    void composableTermsAreWeightedAndReportedByName() {
        try (Network t = teacher(); Network s = student()) {
            List<WeightedTerm> terms = List.of(new LogitsDistillation(3).weighted(1), DistillationTerm.logitMse().weighted(0.5),
                    DistillationTerm.rkdDistance().weighted(2), DistillationTerm.rkdAngle().weighted(4));
            Distiller d = Distiller.of(s, t, terms, 0.4).compile(OptimizerConfig.adam(3e-3f), Objective.crossEntropy());
            TrainResult r = d.fit(synthetic(96, 1), null, d.trainConfig(1).optBatchSize(16).optProgress(Progress.silent()).build());
            EpochStats e = r.history().get(0);
            assertEquals(List.of("student_loss", "logits_distillation", "logit_mse", "rkd_distance", "rkd_angle", "distillation_loss"),
                    List.copyOf(e.terms().keySet()));
            double sum = e.terms().get("logits_distillation") + 0.5 * e.terms().get("logit_mse") + 2 * e.terms().get("rkd_distance")
                    + 4 * e.terms().get("rkd_angle");
            assertEquals(sum, e.terms().get("distillation_loss"), 1e-4);
            assertEquals(e.trainLoss(), 0.4 * e.terms().get("student_loss") + 0.6 * sum, 1e-4);
            DistillEvaluation ev = d.evaluate(synthetic(30, 2));
            assertEquals(List.of("logits_distillation", "logit_mse", "rkd_distance", "rkd_angle"), List.copyOf(ev.terms().keySet()));
        }
    }

    @Test
    void alphaAndTemperatureErrorsNameTheFieldAndTheRange() {
        try (Network t = Network.create(Zoo.kerasStudent(SHAPE, 3), 1); Network s = student()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Distiller.of(s, t)
                    .compile(OptimizerConfig.adam(1e-3f), Objective.crossEntropy(), SoftTargetLoss.klDivergence(), 1.5, 3));
            assertTrue(e.getMessage().contains("alpha") && e.getMessage().contains("[0, 1]") && e.getMessage().contains("1.5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Distiller.of(s, t)
                    .compile(OptimizerConfig.adam(1e-3f), Objective.crossEntropy(), SoftTargetLoss.klDivergence(), 0.1, -2));
            assertTrue(e.getMessage().contains("temperature") && e.getMessage().contains("(0, ∞)") && e.getMessage().contains("-2.0"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Distiller.of(s, t, List.of(new LogitMse().weighted(1)), -0.1));
            assertTrue(e.getMessage().contains("studentLossWeight") && e.getMessage().contains("[0, 1]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Distiller.of(s, s));
            assertTrue(e.getMessage().contains("same network"), e.getMessage());
            IllegalStateException st = assertThrows(IllegalStateException.class, () -> Distiller.of(s, t).fit(synthetic(8, 1), 1));
            assertTrue(st.getMessage().contains("compile"), st.getMessage());
            try (Network other = Network.create(Zoo.kerasStudent(SHAPE, 4), 1)) {
                e = assertThrows(IllegalArgumentException.class, () -> Distiller.of(s, other));
                assertTrue(e.getMessage().contains("3 outputs") && e.getMessage().contains("4"), e.getMessage());
            }
        }
    }
}
