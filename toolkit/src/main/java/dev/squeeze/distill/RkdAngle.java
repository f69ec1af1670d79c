package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;

/**
 * Relation-based knowledge between samples, angle-wise (Park et al. 2019): for every triplet (i, j, k)
 * the cosine of the angle at e_i between e_j and e_k, ⟨(e_j − e_i)/‖·‖, (e_k − e_i)/‖·‖⟩, should match the
 * teacher's; smooth-L1 of the difference averaged over all N³ triplets (the paper's reference code).
 * Angles do not change when an embedding is scaled or translated, and neither does the loss.
 *
 * <p>The embedding is each network's logits, the only per-sample output available today (the paper
 * uses the penultimate features). Memory grows as N³ (32,768 cosines at batch 32). Batches of fewer
 * than three images have no angle: the term is then 0.
 */
public record RkdAngle() implements DistillationTerm {

    @Override public NDArray loss(NDArray studentLogits, NDArray teacherLogits) {
        long n = studentLogits.getShape().get(0);
        if (n < 3) return Rkd.zero(studentLogits);
        return Rkd.smoothL1(cosines(studentLogits).sub(cosines(teacherLogits))).mean();
    }

    /** N×N×N: {@code [i][j][k]} = cos of the angle at e_i between e_j and e_k (0 where j or k is i). */
    static NDArray cosines(NDArray e) {
        NDArray d = Rkd.differences(e);
        NDArray unit = d.div(d.square().sum(new int[] {2}, true).add(1e-12f).sqrt());
        return unit.matMul(unit.transpose(0, 2, 1));
    }

    @Override public String name() { return "rkd_angle"; }
}
