package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;

/**
 * Response-based knowledge without a temperature: the mean over batch and classes of (s − t)², the
 * logit regression of Ba &amp; Caruana (2014). Equivalent to Hinton's loss in the limit of high
 * temperature for zero-mean logits.
 */
public record LogitMse() implements DistillationTerm {

    @Override public NDArray loss(TermInput batch) { return loss(batch.studentLogits(), batch.teacherLogits()); }

    /**
     * @param studentLogits N×classes, with gradients
     * @param teacherLogits N×classes, without gradients
     * @return a scalar, the mean over the batch
     */
    public NDArray loss(NDArray studentLogits, NDArray teacherLogits) {
        return studentLogits.sub(teacherLogits).square().mean();
    }

    @Override public String name() { return "logit_mse"; }
}
