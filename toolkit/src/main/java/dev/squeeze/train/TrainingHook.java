package dev.squeeze.train;

/**
 * Code that runs inside {@link Training#fit} at fixed points of every run: pruning masks weights after
 * each optimizer step and gradients before it (so Adam's moments cannot move a pruned weight), a
 * pruning schedule raises the sparsity at epoch or step boundaries, QAT freezes BatchNorm statistics.
 * Every method has an empty default; implement the ones needed. Hooks run in the order they were added.
 */
public interface TrainingHook {

    /** Before the first batch of epoch {@link TrainingState#epoch()}. */
    default void epochStarted(TrainingState state) {}

    /**
     * After the batch's gradients are computed and before the optimizer applies them: edit gradients
     * here ({@link TrainingState#multiplyGradient}).
     */
    default void beforeStep(TrainingState state) {}

    /** After the optimizer step: edit weights here ({@link TrainingState#multiplyWeight}). */
    default void afterStep(TrainingState state) {}

    /** After the epoch, with its statistics (test accuracy is NaN when the epoch was not evaluated). */
    default void epochFinished(TrainingState state, EpochStats stats) {}
}
