package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;

/**
 * How far the student's temperature-softened distribution is from the teacher's: the
 * {@code distillation_loss_fn} of the Keras example. The {@link Distiller} (or {@link LogitsDistillation})
 * multiplies the result by T² so that the gradient's size does not shrink as 1/T² (Hinton et al. 2015).
 */
@FunctionalInterface
public interface SoftTargetLoss {

    /**
     * @param studentLogits N×classes, with gradients
     * @param teacherLogits N×classes, without gradients
     * @param temperature T &gt; 0: both are divided by it before the softmax
     * @return a scalar, the mean over the batch, not yet multiplied by T²
     */
    NDArray loss(NDArray studentLogits, NDArray teacherLogits, float temperature);

    default String describe() { return getClass().getSimpleName(); }

    /**
     * KL(p_t ‖ p_s) = Σ_c p_t,c (log p_t,c − log p_s,c) with p = softmax(logits / T), summed over classes
     * and averaged over the batch: Keras' {@code KLDivergence} and PyTorch's {@code kl_div(...,
     * reduction="batchmean")}. Computed from log-softmax, so no probability is clipped (Keras clips to
     * 1e-7, which only matters where a probability underflows).
     */
    static SoftTargetLoss klDivergence() { return KlDivergence.INSTANCE; }

    /** {@link #klDivergence()} as a named singleton. */
    final class KlDivergence implements SoftTargetLoss {
        static final KlDivergence INSTANCE = new KlDivergence();

        private KlDivergence() {}

        @Override public NDArray loss(NDArray studentLogits, NDArray teacherLogits, float temperature) {
            NDArray logPs = studentLogits.div(temperature).logSoftmax(1);
            NDArray logPt = teacherLogits.div(temperature).logSoftmax(1);
            NDArray pt = logPt.exp();
            return pt.mul(logPt.sub(logPs)).sum(new int[] {1}).mean();
        }

        @Override public String describe() { return "kl-divergence"; }

        @Override public String toString() { return describe(); }
    }
}
