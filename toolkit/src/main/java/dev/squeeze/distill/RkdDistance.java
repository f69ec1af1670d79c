package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;

/**
 * Relation-based knowledge between samples, distance-wise (Park et al., "Relational Knowledge
 * Distillation", CVPR 2019): the student's pairwise Euclidean distances, each divided by their mean
 * over the batch's distinct pairs, should match the teacher's; smooth-L1 of the difference, averaged
 * over all N×N pairs (the paper's reference code). Dividing by the mean distance makes the loss
 * invariant to the scale of either embedding.
 *
 * <p>The embedding is each network's logits, the only per-sample output available today (the paper
 * uses the penultimate features). A batch of one image has no pair: the term is then 0.
 */
public record RkdDistance() implements DistillationTerm {

    @Override public NDArray loss(NDArray studentLogits, NDArray teacherLogits) {
        long n = studentLogits.getShape().get(0);
        if (n < 2) return Rkd.zero(studentLogits);
        return Rkd.smoothL1(normalisedDistances(studentLogits).sub(normalisedDistances(teacherLogits))).mean();
    }

    /** Pairwise distances divided by their mean over i ≠ j; zero on the diagonal. */
    static NDArray normalisedDistances(NDArray e) {
        long n = e.getShape().get(0);
        NDArray offDiagonal = e.getManager().eye((int) n).neg().add(1f);
        // The floor keeps the square root's gradient finite on the diagonal, which is then zeroed.
        NDArray d = Rkd.differences(e).square().sum(new int[] {2}).maximum(1e-12f).sqrt().mul(offDiagonal);
        NDArray mean = d.sum().div((float) (n * (n - 1)));
        return d.div(mean.maximum(1e-12f));
    }

    @Override public String name() { return "rkd_distance"; }
}
