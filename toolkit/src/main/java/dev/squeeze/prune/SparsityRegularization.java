package dev.squeeze.prune;

import dev.squeeze.train.TrainingHook;
import dev.squeeze.train.TrainingState;
import java.util.List;

/**
 * L1 / L2 penalties on the weights in a scope, added to each step's gradient: L1 drives many weights
 * towards zero before magnitude pruning (seed 001's "sparsity regularisation"), L2 is plain weight
 * decay on just those weights. Add with {@code TrainConfig.builder().addHook(SparsityRegularization.l1(1e-5, Scope.convAndLinear()))}.
 */
public final class SparsityRegularization implements TrainingHook {
    private final float l1, l2;
    private final Scope scope;
    private List<String> names;

    private SparsityRegularization(double l1, double l2, Scope scope) {
        if (!(l1 >= 0) || !(l2 >= 0) || Double.isInfinite(l1) || Double.isInfinite(l2)) {
            throw new IllegalArgumentException("penalty weights must be finite and ≥ 0, got l1 " + l1 + ", l2 " + l2);
        }
        this.l1 = (float) l1;
        this.l2 = (float) l2;
        this.scope = java.util.Objects.requireNonNull(scope, "scope");
    }

    /** Adds {@code lambda · Σ|w|} to the loss, for the weights in {@code scope}. */
    public static SparsityRegularization l1(double lambda, Scope scope) { return new SparsityRegularization(lambda, 0, scope); }

    /** Adds {@code lambda · Σw²} to the loss, for the weights in {@code scope}. */
    public static SparsityRegularization l2(double lambda, Scope scope) { return new SparsityRegularization(0, lambda, scope); }

    /**
     * Network slimming's sparsity training (Liu et al. 2017): {@code lambda · Σ|γ|} over every BatchNorm's
     * scale, so that unimportant channels' γ shrink towards zero and {@code StructuredPruning.Criterion.BN_SCALE}
     * removes them with little loss. The paper uses λ = 1e-4 to 1e-5 on CIFAR.
     */
    public static SparsityRegularization batchNormScales(double lambda) { return l1(lambda, Scope.batchNormScales()); }

    @Override public void beforeStep(TrainingState s) {
        if (names == null) names = scope.weightNames(s.network());
        for (String n : names) s.addPenaltyGradient(n, l1, l2);
    }

    @Override public String toString() { return "sparsity regularisation (l1 " + l1 + ", l2 " + l2 + ", " + scope.describe() + ")"; }
}
