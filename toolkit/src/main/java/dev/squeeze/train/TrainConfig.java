package dev.squeeze.train;

import dev.squeeze.data.Preprocessing;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a training run needs besides the model and data. Immutable; build with
 * {@link #builder()}: {@code set*} for required fields, {@code opt*} for optional ones.
 *
 * @param epochs passes over the training set, ≥ 1
 * @param batchSize images per optimizer step, ≥ 1
 * @param optimizer SGD or Adam with its learning rate
 * @param schedule learning-rate schedule over all steps
 * @param seed drives the shuffle order and augmentation (weights are seeded when the network is created)
 * @param preprocessing normalisation and augmentation for training batches (evaluation never augments)
 * @param hooks called at epoch and step boundaries ({@link TrainingHook}), in order
 * @param progress where progress goes; {@link Progress#console()} by default
 * @param evaluateEachEpoch evaluate the test set after every epoch (curves), else only at the end
 * @param objective what each step minimises; {@link Objective#crossEntropy()} by default
 */
public record TrainConfig(int epochs, int batchSize, OptimizerConfig optimizer, LrSchedule schedule, long seed,
        Preprocessing preprocessing, List<TrainingHook> hooks, Progress progress, boolean evaluateEachEpoch,
        Objective objective) {

    public TrainConfig { hooks = List.copyOf(hooks); }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs; b.batchSize = batchSize; b.optimizer = optimizer; b.schedule = schedule; b.seed = seed;
        b.preprocessing = preprocessing; b.hooks.addAll(hooks); b.progress = progress; b.evaluateEachEpoch = evaluateEachEpoch;
        b.objective = objective;
        return b;
    }

    @Override public String toString() {
        return epochs + " epochs, batch " + batchSize + ", " + optimizer + ", " + schedule + ", seed " + seed + ", " + preprocessing
                + (objective == Objective.crossEntropy() ? "" : ", objective " + objective.describe());
    }

    public static final class Builder {
        private Integer epochs;
        private int batchSize = 64;
        private OptimizerConfig optimizer;
        private LrSchedule schedule = new LrSchedule.Constant();
        private long seed = 42;
        private Preprocessing preprocessing = Preprocessing.halfHalf();
        private final List<TrainingHook> hooks = new ArrayList<>();
        private Objective objective = Objective.crossEntropy();
        private Progress progress;
        private boolean evaluateEachEpoch = true;

        public Builder setEpochs(int epochs) { this.epochs = epochs; return this; }
        public Builder setOptimizer(OptimizerConfig optimizer) { this.optimizer = optimizer; return this; }
        public Builder optBatchSize(int batchSize) { this.batchSize = batchSize; return this; }
        public Builder optSchedule(LrSchedule schedule) { this.schedule = schedule; return this; }
        public Builder optSeed(long seed) { this.seed = seed; return this; }
        public Builder optPreprocessing(Preprocessing p) { this.preprocessing = p; return this; }
        /** Adds a hook with any of {@link TrainingHook}'s call points. */
        public Builder addHook(TrainingHook hook) {
            if (hook == null) throw new IllegalArgumentException("TrainConfig hook must not be null");
            this.hooks.add(hook);
            return this;
        }
        /** Adds a hook called after every optimizer step (the common case, as a lambda). */
        public Builder addHook(StepHook hook) {
            if (hook == null) throw new IllegalArgumentException("TrainConfig hook must not be null");
            return addHook(new TrainingHook() {
                @Override public void afterStep(TrainingState s) { hook.afterStep(s.network(), s.epoch(), s.step()); }
            });
        }
        /** What each step minimises (default {@link Objective#crossEntropy()}). */
        public Builder optObjective(Objective objective) { this.objective = objective; return this; }
        public Builder optProgress(Progress progress) { this.progress = progress; return this; }
        public Builder optEvaluateEachEpoch(boolean on) { this.evaluateEachEpoch = on; return this; }

        public TrainConfig build() {
            if (epochs == null) throw new IllegalStateException("TrainConfig.epochs is required: call setEpochs(n) with n ≥ 1");
            if (epochs < 1) throw new IllegalArgumentException("TrainConfig.epochs must be ≥ 1, got " + epochs);
            if (optimizer == null) {
                throw new IllegalStateException("TrainConfig.optimizer is required: call setOptimizer(OptimizerConfig.sgd(0.01f, 0.9f)) or adam(1e-3f)");
            }
            if (batchSize < 1) throw new IllegalArgumentException("TrainConfig.batchSize must be ≥ 1, got " + batchSize);
            if (schedule == null) throw new IllegalArgumentException("TrainConfig.schedule must not be null; use new LrSchedule.Constant()");
            if (preprocessing == null) throw new IllegalArgumentException("TrainConfig.preprocessing must not be null");
            if (objective == null) throw new IllegalArgumentException("TrainConfig.objective must not be null; use Objective.crossEntropy()");
            return new TrainConfig(epochs, batchSize, optimizer, schedule, seed, preprocessing, hooks,
                    progress == null ? Progress.console() : progress, evaluateEachEpoch, objective);
        }
    }
}
