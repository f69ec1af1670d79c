package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;
import dev.squeeze.train.Objective;
import dev.squeeze.train.ObjectiveInput;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.TrainResult;
import dev.squeeze.train.Training;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Teaches a student network from a frozen teacher, in the two shapes Keras offers.
 *
 * <p><b>The Keras example's shape</b> (keras.io "Knowledge Distillation"):
 * <pre>{@code
 * Distiller d = Distiller.of(student, teacher)
 *         .compile(OptimizerConfig.adam(1e-3f), Objective.crossEntropy(), SoftTargetLoss.klDivergence(), 0.1, 10);
 * TrainResult r = d.fit(train, 3);             // EpochStats.terms(): student_loss, distillation_loss
 * DistillEvaluation e = d.evaluate(test);      // accuracy, student_loss, distillation_loss
 * }</pre>
 * loss = α · student_loss + (1 − α) · distillation_loss, distillation_loss = T² · KL(softmax(t/T) ‖
 * softmax(s/T)) averaged over the batch.
 *
 * <p><b>Keras 3's composable shape</b> ({@code keras.distillation.Distiller(teacher, student,
 * distillation_losses, distillation_loss_weights, student_loss_weight)}):
 * <pre>{@code
 * Distiller d = Distiller.of(student, teacher,
 *         List.of(new LogitsDistillation(3).weighted(1.0), DistillationTerm.rkdDistance().weighted(25)), 0.5)
 *     .compile(OptimizerConfig.adam(1e-3f), Objective.crossEntropy());
 * }</pre>
 * loss = w · student_loss + (1 − w) · Σ_i w_i · term_i; each term's value is also reported under its name.
 *
 * <p><b>Feature-based terms</b> name layers of the two networks ({@link Network#featureNodes()}):
 * <pre>{@code
 * Distiller d = Distiller.of(student, teacher, List.of(
 *         new FeatureDistillation("layer2", "layer2").weighted(1),     // FitNets hint, learned 1×1 adapter
 *         new FspDistillation("layer1.0", "layer1").weighted(0.1)), 0.5)
 *     .compile(OptimizerConfig.sgd(0.05f, 0.9f), Objective.crossEntropy());
 * }</pre>
 * Names and shapes are checked here, when the distiller is built. The student's nodes are recorded in its
 * training pass; a {@link FeatureDistillation}'s adapter is created here from its seed, trained with the
 * student's optimizer settings across every {@code fit} of this distiller, and never added to the student.
 *
 * <p><b>The teacher is frozen.</b> It runs in inference mode with libtorch's autograd off (no graph,
 * even inside the student's gradient scope) and is never given to the optimizer: its weights do not change.
 * Teacher and student read the same preprocessed inputs, so the teacher should have been trained with the
 * preprocessing the distiller uses. <b>Teacher logits are cached</b> when the training preprocessing does not
 * augment ({@link Preprocessing#augments()} false) and no term reads teacher features: they are then a fixed function of each training image,
 * computed once per {@code fit} (one inference pass over the training set) and looked up by image index at
 * every step. With augmentation the teacher runs on every augmented batch.
 *
 * <p>The student is trained in place; the distiller does not own either network (close them yourself).
 */
public final class Distiller {
    /** Keras' default {@code batch_size} for {@code fit} and {@code evaluate}. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    private final Network student, teacher;
    private final FrozenTeacher frozen;
    private final boolean composable;
    private List<WeightedTerm> terms;
    /** One per term: the learned adapter of a {@link FeatureDistillation}, null for every other term. */
    private List<HintAdapter> adapters;
    private double studentLossWeight;
    private OptimizerConfig optimizer;
    private Objective studentLoss;
    private Preprocessing lastPreprocessing = Preprocessing.unitScale();
    private int lastBatchSize = DEFAULT_BATCH_SIZE;

    private Distiller(Network student, Network teacher, List<WeightedTerm> terms, double studentLossWeight, boolean composable) {
        if (student == null || teacher == null) throw new IllegalArgumentException("Distiller needs a student and a teacher, got "
                + student + " and " + teacher);
        if (student == teacher) throw new IllegalArgumentException("Distiller: the student and the teacher are the same network;"
                + " distil from a separate (e.g. copied) teacher");
        if (!Arrays.equals(student.architecture().inputShape(), teacher.architecture().inputShape())) {
            throw new IllegalArgumentException("Distiller: student " + student.architecture().name() + " takes "
                    + Arrays.toString(student.architecture().inputShape()) + " but teacher " + teacher.architecture().name()
                    + " takes " + Arrays.toString(teacher.architecture().inputShape()));
        }
        if (student.architecture().numClasses() != teacher.architecture().numClasses()) {
            throw new IllegalArgumentException("Distiller: student " + student.architecture().name() + " has "
                    + student.architecture().numClasses() + " outputs but teacher " + teacher.architecture().name() + " has "
                    + teacher.architecture().numClasses());
        }
        this.student = student;
        this.teacher = teacher;
        this.frozen = new FrozenTeacher(teacher);
        this.composable = composable;
        this.terms = terms;
        this.studentLossWeight = studentLossWeight;
        if (terms != null) this.adapters = prepare(terms);
    }

    /**
     * Checks every node a term names against the two networks (one error listing the valid names) and the
     * feature terms' shapes, before any training; creates the FitNets adapters, in a manager under the
     * student's so that they are freed with it but never join its block.
     */
    private List<HintAdapter> prepare(List<WeightedTerm> terms) {
        List<HintAdapter> out = new java.util.ArrayList<>();
        for (WeightedTerm wt : terms) {
            DistillationTerm term = wt.term();
            for (String n : term.studentNodes()) requireNode(student, "student", n, term);
            for (String n : term.teacherNodes()) requireNode(teacher, "teacher", n, term);
            if (term instanceof FspDistillation f) f.checkShapes(student, teacher);
            if (term instanceof FeatureDistillation f) {
                int[] channels = f.adapterChannels(student, teacher);
                out.add(new HintAdapter(channels[0], channels[1], f.seed(), student.djlModel().getNDManager().newSubManager()));
            } else {
                out.add(null);
            }
        }
        return out;
    }

    private static void requireNode(Network net, String role, String node, DistillationTerm term) {
        try {
            net.featureShape(node);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Distiller: term " + term.name() + " reads the " + role + "'s node '" + node + "'. "
                    + e.getMessage(), e);
        }
    }

    /** The FitNets adapters, one per term (null for terms without one): for tests and inspection. */
    List<HintAdapter> adapters() { requireCompiled(); return java.util.Collections.unmodifiableList(adapters); }

    /** The Keras example's distiller; call {@link #compile(OptimizerConfig, Objective, SoftTargetLoss, double, double)} next. */
    public static Distiller of(Network student, Network teacher) {
        return new Distiller(student, teacher, null, Double.NaN, false);
    }

    /**
     * Keras 3's distiller; call {@link #compile(OptimizerConfig, Objective)} next.
     *
     * @param terms the distillation losses with their weights, at least one
     * @param studentLossWeight w in [0, 1]: loss = w · student_loss + (1 − w) · Σ w_i · term_i
     */
    public static Distiller of(Network student, Network teacher, List<WeightedTerm> terms, double studentLossWeight) {
        if (terms == null || terms.isEmpty()) {
            throw new IllegalArgumentException("Distiller.terms must hold at least one WeightedTerm, e.g."
                    + " new LogitsDistillation(3).weighted(1)");
        }
        Validation.unitInterval("Distiller.studentLossWeight", studentLossWeight);
        return new Distiller(student, teacher, List.copyOf(terms), studentLossWeight, true);
    }

    /**
     * The Keras example's {@code compile}.
     *
     * @param optimizer for the student's weights (used by {@link #fit(ImageSet, int)} and {@link #trainConfig(int)})
     * @param studentLoss the student's loss against the labels, usually {@link Objective#crossEntropy()}
     * @param distillationLoss the divergence of the softened distributions, usually {@link SoftTargetLoss#klDivergence()}
     * @param alpha weight of the student loss, in [0, 1]; 1 − α goes to the distillation loss
     * @param temperature T &gt; 0, finite
     */
    public Distiller compile(OptimizerConfig optimizer, Objective studentLoss, SoftTargetLoss distillationLoss, double alpha,
            double temperature) {
        if (composable) {
            throw new IllegalStateException("Distiller.compile: this distiller was built with its terms and student-loss weight"
                    + " (Keras 3's shape); call compile(optimizer, studentLoss)");
        }
        Validation.unitInterval("Distiller.compile alpha", alpha);
        Validation.temperature("Distiller.compile temperature", temperature);
        if (distillationLoss == null) throw new IllegalArgumentException("Distiller.compile distillationLoss must not be null; use SoftTargetLoss.klDivergence()");
        setOptimizer(optimizer, studentLoss);
        this.terms = List.of(new WeightedTerm(new LogitsDistillation(temperature, distillationLoss), 1.0));
        this.adapters = java.util.Collections.singletonList(null);
        this.studentLossWeight = alpha;
        return this;
    }

    /** Keras 3's {@code compile}: the optimizer and the student's loss against the labels. */
    public Distiller compile(OptimizerConfig optimizer, Objective studentLoss) {
        if (!composable) {
            throw new IllegalStateException("Distiller.compile: Distiller.of(student, teacher) needs the distillation loss, alpha"
                    + " and temperature: compile(optimizer, studentLoss, distillationLoss, alpha, temperature); or build it with"
                    + " Distiller.of(student, teacher, terms, studentLossWeight)");
        }
        setOptimizer(optimizer, studentLoss);
        return this;
    }

    private void setOptimizer(OptimizerConfig optimizer, Objective studentLoss) {
        if (optimizer == null) throw new IllegalArgumentException("Distiller.compile optimizer must not be null, e.g. OptimizerConfig.adam(1e-3f)");
        if (studentLoss == null) throw new IllegalArgumentException("Distiller.compile studentLoss must not be null; use Objective.crossEntropy()");
        this.optimizer = optimizer;
        this.studentLoss = studentLoss;
    }

    public Network student() { return student; }

    public Network teacher() { return teacher; }

    /** The distillation terms with their weights (one {@link LogitsDistillation} in the Keras example's shape). */
    public List<WeightedTerm> terms() { requireCompiled(); return terms; }

    /** w (Keras' α). */
    public double studentLossWeight() { requireCompiled(); return studentLossWeight; }

    /**
     * A training config with the Keras example's defaults: the compiled optimizer, batch 32, pixels scaled
     * to [0, 1] ({@link Preprocessing#unitScale()}), seed 42. Change anything, then {@link #fit(ImageSet, ImageSet, TrainConfig)}.
     */
    public TrainConfig.Builder trainConfig(int epochs) {
        requireCompiled();
        return TrainConfig.builder().setEpochs(epochs).setOptimizer(optimizer).optBatchSize(DEFAULT_BATCH_SIZE)
                .optPreprocessing(Preprocessing.unitScale()).optSeed(42);
    }

    /** {@code fit(train, null, trainConfig(epochs).build())}: Keras' {@code distiller.fit(x, y, epochs=…)}. */
    public TrainResult fit(ImageSet train, int epochs) {
        return fit(train, null, trainConfig(epochs).build());
    }

    /**
     * Trains the student in place with the distillation objective; everything else (optimizer, batch, seed,
     * preprocessing, schedule, hooks, progress) comes from {@code config}, whose own objective is replaced.
     * The teacher's logits are cached for the run when {@code config.preprocessing()} does not augment.
     *
     * @param test evaluated after each epoch as in {@link Training#fit} (student accuracy), or null
     */
    public TrainResult fit(ImageSet train, ImageSet test, TrainConfig config) {
        requireCompiled();
        Objective objective = objective(train, config.preprocessing());
        TrainResult r = Training.fit(student, train, test, config.toBuilder().optObjective(objective).build());
        lastPreprocessing = config.preprocessing();
        lastBatchSize = config.batchSize();
        student.provenance().put("distilled_from", teacher.architecture().name() + " " + teacher.provenance().getOrDefault("train_data", ""));
        return r;
    }

    /**
     * The distillation objective for training on {@code train} with {@code preprocessing}, for callers that
     * drive {@link Training#fit} themselves (add it with {@code TrainConfig.Builder.optObjective}); it must be
     * used with the same training set, since the cached teacher logits are looked up by image index.
     */
    public Objective objective(ImageSet train, Preprocessing preprocessing) {
        requireCompiled();
        boolean teacherFeatures = !DistillationObjective.nodes(terms, false).isEmpty();
        float[] cache = preprocessing.augments() || teacherFeatures ? null : frozen.logitsOf(train, preprocessing, 256);
        return new DistillationObjective(frozen, studentLoss, studentLossWeight, terms, adapters, cache);
    }

    /** Keras' {@code distiller.evaluate(x, y)}: with the last fit's preprocessing and batch size (unit scale, 32 before any fit). */
    public DistillEvaluation evaluate(ImageSet test) {
        return evaluate(test, lastPreprocessing, lastBatchSize);
    }

    /**
     * The student's accuracy and mean losses on {@code data}, unaugmented, both networks in inference mode.
     * The relational terms depend on which images share a batch: compare their values at one batch size.
     */
    public DistillEvaluation evaluate(ImageSet data, Preprocessing preprocessing, int batchSize) {
        requireCompiled();
        if (batchSize < 1) throw new IllegalArgumentException("Distiller.evaluate batchSize must be ≥ 1, got " + batchSize);
        BatchMaker maker = new BatchMaker(data, preprocessing.withAugmentation(0, false));
        DistillationObjective objective = new DistillationObjective(frozen, studentLoss, studentLossWeight, terms, adapters, null);
        int[] in = student.architecture().inputShape();
        int n = data.size();
        long correct = 0, agree = 0;
        double studentSum = 0, distillSum = 0;
        Map<String, Double> termSums = new LinkedHashMap<>();
        for (int from = 0; from < n; from += batchSize) {
            int count = Math.min(batchSize, n - from);
            float[] x = maker.batch(from, count);
            float[] y = new float[count];
            int[] idx = new int[count];
            for (int i = 0; i < count; i++) { y[i] = data.label(from + i); idx[i] = from + i; }
            try (NDManager m = student.djlModel().getNDManager().newSubManager()) {
                NDArray xs = m.create(FloatBuffer.wrap(x, 0, count * in[0] * in[1] * in[2]), new Shape(count, in[0], in[1], in[2]));
                // Both networks in inference mode, no graph; the student's pass records the nodes its terms read.
                FrozenTeacher.Outputs so = FrozenTeacher.forward(student, xs, objective.studentNodes());
                FrozenTeacher.Outputs to = frozen.forward(xs, objective.teacherNodes());
                int[] sPred = Network.argmax(so.logits().toFloatArray(), count);
                int[] tPred = Network.argmax(to.logits().toFloatArray(), count);
                TermInput batch = new TermInput(so.logits(), to.logits(), so.features(), to.features());
                ObjectiveInput input = ObjectiveInput.of(xs, m.create(FloatBuffer.wrap(y), new Shape(count)), so.logits(), idx);
                float[] sl = FrozenTeacher.noGrad(() -> objective.studentLossOnly(input)).toFloatArray();
                float[] dl = FrozenTeacher.noGrad(() -> objective.distillationLoss(batch, null)).toFloatArray();
                Map<String, Float> termValues = new LinkedHashMap<>();
                for (int i = 0; i < terms.size(); i++) {
                    int term = i;
                    termValues.put(terms.get(i).term().name(), FrozenTeacher.noGrad(() -> objective.term(term, batch)).getFloat());
                }
                studentSum += (double) sl[0] * count;
                distillSum += (double) dl[0] * count;
                for (Map.Entry<String, Float> e : termValues.entrySet()) termSums.merge(e.getKey(), (double) e.getValue() * count, Double::sum);
                for (int i = 0; i < count; i++) {
                    if (sPred[i] == data.label(from + i)) correct++;
                    if (sPred[i] == tPred[i]) agree++;
                }
            }
        }
        Map<String, Double> means = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : termSums.entrySet()) means.put(e.getKey(), e.getValue() / n);
        return new DistillEvaluation((double) correct / n, studentSum / n, distillSum / n, means, (double) agree / n, n);
    }

    private void requireCompiled() {
        if (optimizer == null) {
            throw new IllegalStateException("Distiller is not compiled: call compile(...) before fit, evaluate or trainConfig");
        }
    }

    @Override public String toString() {
        return "Distiller(" + student.architecture().name() + " ← " + teacher.architecture().name()
                + (optimizer == null ? ", not compiled)" : ", w " + studentLossWeight + ", " + terms + ")");
    }
}
