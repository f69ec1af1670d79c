package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;

/**
 * Response-based knowledge (Hinton et al. 2015), Keras 3's {@code LogitsDistillation(temperature)}:
 * T² · D(softmax(t/T), softmax(s/T)) with D the {@link SoftTargetLoss} (KL divergence by default),
 * averaged over the batch. The T² factor keeps the gradient, T·(p_s − p_t)/N with respect to the
 * student's logits for KL, comparable across temperatures.
 *
 * @param temperature T, finite and &gt; 0 (1 = the plain softmaxes)
 * @param divergence D
 */
public record LogitsDistillation(double temperature, SoftTargetLoss divergence) implements DistillationTerm {

    public LogitsDistillation {
        Validation.temperature("LogitsDistillation.temperature", temperature);
        if (divergence == null) throw new IllegalArgumentException("LogitsDistillation.divergence must not be null; use SoftTargetLoss.klDivergence()");
    }

    /** With the KL divergence. */
    public LogitsDistillation(double temperature) { this(temperature, SoftTargetLoss.klDivergence()); }

    @Override public NDArray loss(TermInput batch) { return loss(batch.studentLogits(), batch.teacherLogits()); }

    /**
     * @param studentLogits N×classes, with gradients
     * @param teacherLogits N×classes, without gradients
     * @return a scalar, the mean over the batch
     */
    public NDArray loss(NDArray studentLogits, NDArray teacherLogits) {
        float t = (float) temperature;
        return divergence.loss(studentLogits, teacherLogits, t).mul(t * t);
    }

    @Override public String name() { return "logits_distillation"; }

    @Override public String describe() { return "logits distillation (T " + temperature + ", " + divergence.describe() + ")"; }
}
