package dev.squeeze.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code fit} and {@code evaluate}. Owns every DJL {@code NDManager} scope: one sub-manager per
 * batch, closed as soon as the step is done, so native memory stays flat over any number of epochs.
 */
public final class Training {
    private Training() {}

    /**
     * Trains {@code net} in place on {@code train}, evaluating on {@code test} (may be null).
     * Shuffle order and augmentation come from {@code config.seed()}: the same seed, data and network
     * reproduce the same run. An objective that asks for intermediate outputs ({@link Objective#features()})
     * gets them from each step's forward pass; one that owns weights ({@link Objective#extraParameters()})
     * has them updated after each step with the same optimizer settings. Neither changes anything otherwise.
     */
    public static TrainResult fit(Network net, ImageSet train, ImageSet test, TrainConfig config) {
        checkShapes(net, train);
        if (test != null) checkShapes(net, test);
        long t0 = System.nanoTime();
        int n = train.size();
        int bs = config.batchSize();
        int batches = (n + bs - 1) / bs;
        int totalSteps = batches * config.epochs();
        OptimizerConfig oc = config.optimizer();
        Tracker lr = numUpdate -> config.schedule().at(oc.learningRate(), Math.max(0, numUpdate - 1), totalSteps, batches);
        Optimizer optimizer = optimizer(oc, lr);
        // The loss DJL's trainer is configured with is never evaluated: the objective computes each step's
        // loss (TrainConfig.objective); DJL only requires one to build a trainer.
        DefaultTrainingConfig djl = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(optimizer);
        Objective objective = config.objective();
        java.util.Set<String> taps = objective.features();
        List<NDArray> extra = objective.extraParameters();
        // A separate optimizer instance with the same settings: DJL's trainer only updates the block's own parameters.
        Optimizer extraOptimizer = extra.isEmpty() ? null : optimizer(oc, lr);
        List<TrainingHook> hooks = config.hooks();
        BatchMaker maker = new BatchMaker(train, config.preprocessing());
        SplittableRandom rnd = new SplittableRandom(config.seed());
        int[] in = net.architecture().inputShape();
        int per = in[0] * in[1] * in[2];
        float[] xbuf = new float[bs * per];
        float[] ybuf = new float[bs];
        List<EpochStats> history = new ArrayList<>();
        Evaluation last = null;
        int step = 0;
        int recomputed = 0;
        Progress progress = config.progress();
        // The block is already initialised (seeded, PyTorch-style) by Network.create; the DJL trainer
        // only drives forward/backward/step, so its initializer is never called.
        try (Trainer trainer = net.djlModel().newTrainer(djl);
             TrainingState state = new TrainingState(net, config.epochs(), batches);
             dev.squeeze.model.FeatureRecording recording = taps.isEmpty() ? null : net.recordFeatures(taps)) {
            Map<String, NDArray> params = trainedParameters(net);
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                int[] order = ImageSet.permutation(n, rnd);
                state.at(epoch, step, false);
                for (TrainingHook h : hooks) h.epochStarted(state);
                progress.epochStarted(epoch + 1, config.epochs(), batches);
                long e0 = System.nanoTime();
                double lossSum = 0;
                Map<String, Double> termSums = new LinkedHashMap<>();
                long correct = 0, seen = 0;
                for (int b = 0; b < batches; b++) {
                    int from = b * bs, count = Math.min(bs, n - from);
                    maker.fill(order, from, count, xbuf, rnd);
                    for (int i = 0; i < count; i++) ybuf[i] = train.label(order[from + i]);
                    try (NDManager m = trainer.getManager().newSubManager()) {
                        NDArray x = m.create(FloatBuffer.wrap(xbuf, 0, count * per), new Shape(count, in[0], in[1], in[2]));
                        NDArray y = m.create(FloatBuffer.wrap(ybuf, 0, count), new Shape(count));
                        NDArray loss = null;
                        NDArray logits = null;
                        ObjectiveInput input = null;
                        float l;
                        for (int attempt = 1; ; attempt++) {
                            try (GradientCollector gc = trainer.newGradientCollector()) {
                                logits = trainer.forward(new NDList(x)).singletonOrThrow();
                                input = new ObjectiveInput(x, y, logits, epoch, step,
                                        java.util.Arrays.copyOfRange(order, from, from + count),
                                        recording == null ? Map.of() : recording.features());
                                loss = objective.loss(input);
                                if (loss.getShape().size() != 1) {
                                    throw new IllegalStateException("objective " + objective.describe() + " returned shape "
                                            + loss.getShape() + "; Objective.loss must return a scalar (the batch mean)");
                                }
                                gc.backward(loss);
                            }
                            l = loss.getFloat();
                            String fault = Float.isFinite(l) ? nonFinite(params, true) : "the loss is " + l;
                            if (fault == null) break;
                            String where = " at epoch " + (epoch + 1) + ", batch " + (b + 1) + " with " + oc;
                            String weights = nonFinite(params, false);
                            if (attempt == 2 || weights != null) {
                                throw new IllegalStateException("Training diverged: " + fault + where + " (terms: " + termValues(input)
                                        + (weights != null ? "; " + weights + " already"
                                        : "; the weights are finite and a second pass over the batch gave the same") + "); lower the learning rate");
                            }
                            // A fault with finite weights is retried once: libtorch's oneDNN kernels have
                            // given intermittent NaN gradient channels with 2 threads (ConvGradientCheck), and
                            // a second pass over the same batch then comes back finite. Real divergence
                            // repeats and fails above. BatchNorm running statistics see the batch twice.
                            progress.warning("Squeeze: " + fault + where + " although the weights are finite; recomputing the batch once"
                                    + " (an intermittent libtorch kernel fault does this: ./squeeze doctor checks conv gradients)");
                            zeroGradients(params.values());
                            zeroGradients(extra);
                            recomputed++;
                        }
                        state.at(epoch, step, true);
                        for (TrainingHook h : hooks) h.beforeStep(state);
                        trainer.step();
                        for (int i = 0; i < extra.size(); i++) {
                            NDArray w = extra.get(i);
                            try (NDArray g = w.getGradient()) {
                                extraOptimizer.update("objective.extra." + i, w, g);
                                g.muli(0); // libtorch accumulates into .grad; the next step starts from zero
                            }
                        }
                        lossSum += l * count;
                        for (Map.Entry<String, NDArray> t : input.terms().entrySet()) {
                            termSums.merge(t.getKey(), (double) t.getValue().getFloat() * count, Double::sum);
                        }
                        correct += logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false)
                                .eq(y.toType(ai.djl.ndarray.types.DataType.INT32, false)).sum().getLong();
                        seen += count;
                    }
                    state.at(epoch, step, false);
                    for (TrainingHook h : hooks) h.afterStep(state);
                    step++;
                    double secs = (System.nanoTime() - e0) / 1e9;
                    double ips = seen / secs;
                    double eta = ((double) totalSteps - step) * bs / ips;
                    progress.batch(epoch + 1, config.epochs(), b + 1, batches, lossSum / seen, (double) correct / seen, ips, eta);
                }
                double secs = (System.nanoTime() - e0) / 1e9;
                double testAcc = Double.NaN, testLoss = Double.NaN;
                if (test != null && (config.evaluateEachEpoch() || epoch == config.epochs() - 1)) {
                    last = evaluate(net, test, config.preprocessing());
                    testAcc = last.accuracy();
                    testLoss = last.loss();
                }
                Map<String, Double> terms = new LinkedHashMap<>();
                for (Map.Entry<String, Double> t : termSums.entrySet()) terms.put(t.getKey(), t.getValue() / seen);
                EpochStats s = new EpochStats(epoch + 1, lossSum / seen, (double) correct / seen, testAcc, testLoss,
                        config.schedule().at(oc.learningRate(), step - 1, totalSteps, batches), seen / secs, secs, terms);
                history.add(s);
                state.at(epoch, step - 1, false);
                for (TrainingHook h : hooks) h.epochFinished(state, s);
                progress.epochFinished(s, config.epochs());
            }
        }
        if (objective != Objective.crossEntropy()) net.provenance().put("train_objective", objective.describe());
        net.provenance().put("train_data", train.name());
        net.provenance().put("train_recipe", config.toString());
        net.provenance().put("train_seed", Long.toString(config.seed()));
        if (recomputed > 0) net.provenance().put("train_recomputed_batches", Integer.toString(recomputed));
        return new TrainResult(history, last, config, (System.nanoTime() - t0) / 1e9);
    }

    /** The network's trained parameters by path name ({@code layer1.0.conv1.weight}), in order. */
    private static Map<String, NDArray> trainedParameters(Network net) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        parametersByName(net).forEach((name, p) -> { if (p.requiresGradient()) out.put(name, p.getArray()); });
        return out;
    }

    /** The block's parameters by path name ({@code layer1.0.conv1.weight}), in order. */
    private static Map<String, ai.djl.nn.Parameter> parametersByName(Network net) {
        Map<String, ai.djl.nn.Parameter> out = new LinkedHashMap<>();
        var names = net.parameterNames().iterator();
        for (var p : net.djlModel().getBlock().getParameters()) out.put(names.next(), p.getValue());
        return out;
    }

    /**
     * {@code null} when every gradient (or weight) is finite, else "the gradient of NAME is not finite"
     * (or "the weights of NAME are not finite") for the first one that is not. One reduction per array and a single read back: NaN and ±inf
     * survive a sum.
     */
    static String nonFinite(Map<String, NDArray> params, boolean gradients) {
        if (params.isEmpty()) return null;
        NDArray[] sums = new NDArray[params.size()];
        int i = 0;
        for (NDArray w : params.values()) {
            if (!gradients) {
                sums[i++] = w.sum();
                continue;
            }
            // getGradient() is a new handle on the weight's long-lived manager: close it, or every step leaks one per parameter.
            try (NDArray g = w.getGradient()) { sums[i++] = g.sum(); }
        }
        float[] values;
        try (NDArray stacked = ai.djl.ndarray.NDArrays.stack(new NDList(sums))) {
            values = stacked.toFloatArray();
        } finally {
            for (NDArray s : sums) s.close();
        }
        i = 0;
        for (String name : params.keySet()) {
            if (!Float.isFinite(values[i++])) return gradients ? "the gradient of " + name + " is not finite" : "the weights of " + name + " are not finite";
        }
        return null;
    }

    /** Sets every gradient to 0 in place (not by multiplying by 0: NaN × 0 is NaN). */
    private static void zeroGradients(java.util.Collection<NDArray> weights) {
        for (NDArray w : weights) {
            try (NDArray g = w.getGradient()) { g.set(new ai.djl.ndarray.index.NDIndex("..."), 0f); }
        }
    }

    private static String termValues(ObjectiveInput input) {
        if (input == null || input.terms().isEmpty()) return "none reported";
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, NDArray> t : input.terms().entrySet()) {
            if (sb.length() > 0) sb.append(", ");
            sb.append(t.getKey()).append(' ').append(t.getValue().getFloat());
        }
        return sb.toString();
    }

    private static Optimizer optimizer(OptimizerConfig oc, Tracker lr) {
        return switch (oc.kind()) {
            case SGD -> Optimizer.sgd().setLearningRateTracker(lr).optMomentum(oc.momentum()).optWeightDecays(oc.weightDecay()).build();
            case ADAM -> Optimizer.adam().optLearningRateTracker(lr).optWeightDecays(oc.weightDecay()).build();
        };
    }

    /** Receives one batch's gradients in {@link #gradients}. */
    @FunctionalInterface
    public interface GradientSink {
        /**
         * @param name the parameter's path name ({@code layer1.0.conv1.weight})
         * @param weight its current values (flattened, as {@code Network.parameter(name)})
         * @param gradient ∂loss/∂weight of this batch's mean loss, same layout
         * @param batch the images in this batch
         */
        void accept(String name, float[] weight, float[] gradient, int batch);
    }

    /**
     * Forward and backward passes over {@code data} without any optimizer step: the gradients that
     * importance criteria (first-order Taylor, Fisher) accumulate. BatchNorm runs in inference mode, so
     * running statistics and weights are left exactly as they were.
     *
     * @param names the parameters to report (path names); each batch calls {@code sink} once per name
     * @param maxBatches stop after this many batches (≤ 0: the whole set)
     */
    public static void gradients(Network net, ImageSet data, Preprocessing preprocessing, int batchSize, int maxBatches,
            List<String> names, Objective objective, GradientSink sink) {
        checkShapes(net, data);
        if (batchSize <= 0) throw new IllegalArgumentException("batchSize must be ≥ 1, got " + batchSize);
        Map<String, ai.djl.nn.Parameter> byName = parametersByName(net);
        for (String n : names) {
            ai.djl.nn.Parameter p = byName.get(n);
            if (p == null) throw new IllegalArgumentException("no parameter named '" + n + "' in " + net.architecture().name() + "; its parameters are " + byName.keySet());
            if (!p.requiresGradient()) throw new IllegalArgumentException("parameter '" + n + "' is not trained (" + p.getType() + "): it has no gradient");
        }
        BatchMaker maker = new BatchMaker(data, preprocessing.withAugmentation(0, false));
        int[] in = net.architecture().inputShape();
        int n = data.size();
        int batches = (n + batchSize - 1) / batchSize;
        if (maxBatches > 0) batches = Math.min(batches, maxBatches);
        DefaultTrainingConfig djl = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(Optimizer.sgd()
                .setLearningRateTracker(Tracker.fixed(0f)).build());
        java.util.Set<String> taps = objective.features();
        try (Trainer trainer = net.djlModel().newTrainer(djl);
             dev.squeeze.model.FeatureRecording recording = taps.isEmpty() ? null : net.recordFeatures(taps)) {
            for (int b = 0; b < batches; b++) {
                int from = b * batchSize, count = Math.min(batchSize, n - from);
                float[] labels = new float[count];
                for (int i = 0; i < count; i++) labels[i] = data.label(from + i);
                try (NDManager m = trainer.getManager().newSubManager()) {
                    NDArray x = m.create(FloatBuffer.wrap(maker.batch(from, count), 0, count * in[0] * in[1] * in[2]), new Shape(count, in[0], in[1], in[2]));
                    NDArray y = m.create(FloatBuffer.wrap(labels), new Shape(count));
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDArray logits = net.djlModel().getBlock()
                                .forward(new ai.djl.training.ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
                        gc.backward(objective.loss(new ObjectiveInput(x, y, logits, 0, b, new int[count],
                                recording == null ? Map.of() : recording.features())));
                    }
                    for (String name : names) {
                        NDArray w = byName.get(name).getArray();
                        NDArray g = w.getGradient();
                        sink.accept(name, w.toFloatArray(), g.toFloatArray(), count);
                        g.muli(0); // libtorch accumulates into .grad; the next batch starts from zero
                    }
                }
            }
        }
    }

    /**
     * Re-estimates every BatchNorm's running mean and variance on {@code data} (unaugmented), as the
     * plain average of per-batch statistics (PyTorch's {@code momentum=None}); weights are untouched.
     * After structured pruning the surviving channels see different inputs than the statistics were
     * collected on, and stale statistics alone can wreck accuracy; a few hundred images fix them.
     *
     * <p>How: running statistics are set to zero before each batch, one forward pass in training mode
     * moves them to {@code momentum · batch statistics}, and the momentum itself is measured once
     * (two passes over the same batch from different starting values), so no engine constant is assumed.
     *
     * @param batches how many batches of {@code batchSize} images (≤ 0: the whole set)
     */
    public static void recalibrateBatchNorm(Network net, ImageSet data, Preprocessing preprocessing, int batches, int batchSize) {
        checkShapes(net, data);
        if (batchSize < 2) throw new IllegalArgumentException("batchSize must be ≥ 2 for batch statistics, got " + batchSize);
        List<String> names = net.parameterNames();
        Map<String, ai.djl.nn.Parameter> stats = new LinkedHashMap<>();
        var it = names.iterator();
        for (var p : net.djlModel().getBlock().getParameters()) {
            String n = it.next();
            if (n.endsWith(".running_mean") || n.endsWith(".running_var")) stats.put(n, p.getValue());
        }
        if (stats.isEmpty()) return;
        BatchMaker maker = new BatchMaker(data, preprocessing.withAugmentation(0, false));
        int[] in = net.architecture().inputShape();
        int n = data.size();
        int count = (n + batchSize - 1) / batchSize;
        if (batches > 0) count = Math.min(count, batches);
        Map<String, double[]> sums = new LinkedHashMap<>();
        double momentum = Double.NaN;
        int used = 0;
        try (NDManager m = net.djlModel().getNDManager().newSubManager()) {
            for (int b = 0; b < count; b++) {
                int from = b * batchSize, size = Math.min(batchSize, n - from);
                if (size < 2) break;
                NDArray x = m.create(FloatBuffer.wrap(maker.batch(from, size), 0, size * in[0] * in[1] * in[2]), new Shape(size, in[0], in[1], in[2]));
                if (Double.isNaN(momentum)) {
                    // Same batch from running values 0 and 1: the forward pass uses batch statistics either way,
                    // so the difference of the results is (1 − momentum).
                    String probe = stats.keySet().iterator().next();
                    fill(stats.values(), 0f);
                    trainingForward(net, m, x);
                    float a = stats.get(probe).getArray().toFloatArray()[0];
                    fill(stats.values(), 1f);
                    trainingForward(net, m, x);
                    float c = stats.get(probe).getArray().toFloatArray()[0];
                    momentum = 1.0 - (c - a);
                    if (!(momentum > 0 && momentum <= 1)) throw new IllegalStateException("BatchNorm momentum measured as " + momentum);
                }
                fill(stats.values(), 0f);
                trainingForward(net, m, x);
                for (var e : stats.entrySet()) {
                    float[] v = e.getValue().getArray().toFloatArray();
                    double[] sum = sums.computeIfAbsent(e.getKey(), k -> new double[v.length]);
                    for (int i = 0; i < v.length; i++) sum[i] += v[i] / momentum;
                }
                used++;
            }
        }
        if (used == 0) throw new IllegalArgumentException(data.name() + " has fewer than 2 images: no batch statistics");
        for (var e : stats.entrySet()) {
            double[] sum = sums.get(e.getKey());
            float[] avg = new float[sum.length];
            for (int i = 0; i < avg.length; i++) avg[i] = (float) (sum[i] / used);
            e.getValue().getArray().set(FloatBuffer.wrap(avg));
        }
        net.provenance().put("batchnorm_recalibrated", used + " batches of " + batchSize + " from " + data.name());
    }

    private static void fill(java.util.Collection<ai.djl.nn.Parameter> params, float value) {
        for (var p : params) {
            NDArray a = p.getArray();
            float[] v = new float[(int) a.getShape().size()];
            java.util.Arrays.fill(v, value);
            a.set(FloatBuffer.wrap(v));
        }
    }

    private static void trainingForward(Network net, NDManager m, NDArray x) {
        try (NDManager step = m.newSubManager()) {
            net.djlModel().getBlock().forward(new ai.djl.training.ParameterStore(step, false), new NDList(x), true);
        }
    }

    /** Top-1 accuracy and loss of {@code net} on {@code data}, unaugmented, batches of 256. */
    public static Evaluation evaluate(Network net, ImageSet data, Preprocessing preprocessing) {
        checkShapes(net, data);
        BatchMaker maker = new BatchMaker(data, preprocessing.withAugmentation(0, false));
        int bs = 256, n = data.size();
        Evaluation.Tally tally = new Evaluation.Tally(n, data::label);
        for (int from = 0; from < n; from += bs) {
            int count = Math.min(bs, n - from);
            tally.add(net.logits(maker.batch(from, count), count), from, count);
        }
        return tally.result();
    }

    private static void checkShapes(Network net, ImageSet data) {
        int[] in = net.architecture().inputShape();
        if (data.channels() != in[0] || data.height() != in[1] || data.width() != in[2]) {
            throw new IllegalArgumentException(net.architecture().name() + " expects " + in[0] + "×" + in[1] + "×" + in[2]
                    + " images but " + data.name() + " has " + data.channels() + "×" + data.height() + "×" + data.width()
                    + "; build the model for this data set's shape");
        }
        if (data.numClasses() > net.architecture().numClasses()) {
            throw new IllegalArgumentException(data.name() + " has " + data.numClasses() + " classes but "
                    + net.architecture().name() + " outputs " + net.architecture().numClasses());
        }
    }
}
