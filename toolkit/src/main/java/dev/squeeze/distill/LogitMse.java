package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;

/**
 * Response-based knowledge without a temperature: the mean over batch and classes of (s − t)², the
 * logit regression of Ba &amp; Caruana (2014). Equivalent to Hinton's loss in the limit of high
 * temperature for zero-mean logits.
 */
public record LogitMse() implements DistillationTerm {

    @Override public NDArray loss(NDArray studentLogits, NDArray teacherLogits) {
        return studentLogits.sub(teacherLogits).square().mean();
    }

    @Override public String name() { return "logit_mse"; }
}
