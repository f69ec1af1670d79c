package dev.squeeze.prune;

import dev.squeeze.train.TrainingHook;
import dev.squeeze.train.TrainingState;

/**
 * Pruning during training on a {@link PruningSchedule} (TF-MOT's {@code prune_low_magnitude}): at every
 * scheduled step the masks are recomputed by magnitude for the schedule's sparsity at that step; in
 * between, the current masks keep pruned weights at zero (gradients before the step, weights after).
 * Add it with {@code TrainConfig.builder().addHook(new GradualPruning(...))}.
 */
public final class GradualPruning implements TrainingHook {
    private final PruningSchedule schedule;
    private final Scope scope;
    private final boolean global;
    private PruningMask current;
    private double currentSparsity;

    /**
     * @param global rank weights across all tensors in {@code scope} (else each tensor to the same
     *     sparsity, as TF-MOT does)
     */
    public GradualPruning(PruningSchedule schedule, Scope scope, boolean global) {
        this.schedule = java.util.Objects.requireNonNull(schedule, "schedule");
        this.scope = java.util.Objects.requireNonNull(scope, "scope");
        this.global = global;
    }

    /** The masks in force (null before the first scheduled step). */
    public PruningMask mask() { return current; }

    /** The sparsity the masks were last computed for. */
    public double currentSparsity() { return currentSparsity; }

    @Override public void beforeStep(TrainingState s) {
        if (current != null) for (var e : current.masks().entrySet()) s.multiplyGradient(e.getKey(), e.getValue());
    }

    @Override public void afterStep(TrainingState s) {
        if (schedule.prunesAt(s.step())) {
            double target = schedule.sparsityAt(s.step());
            current = global ? Pruning.global(s.network(), scope, target, Importance.l1())
                    : Pruning.layerWise(s.network(), scope, target, Importance.l1());
            currentSparsity = target;
        }
        if (current != null) for (var e : current.masks().entrySet()) s.multiplyWeight(e.getKey(), e.getValue());
    }
}
