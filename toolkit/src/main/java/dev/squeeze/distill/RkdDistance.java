package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Relation-based knowledge between samples, distance-wise (Park et al., "Relational Knowledge
 * Distillation", CVPR 2019): the student's pairwise Euclidean distances, each divided by their mean
 * over the batch's distinct pairs, should match the teacher's; smooth-L1 of the difference, averaged
 * over all N×N pairs (the paper's reference code). Dividing by the mean distance makes the loss
 * invariant to the scale of either embedding.
 *
 * <p>The embedding is each network's logits by default, or the output of a named node
 * ({@code Network.featureNodes()}) flattened per sample: N × C × H × W becomes N × (C·H·W). The paper
 * uses the penultimate features; the two embeddings may have different sizes. A batch of one image has
 * no pair: the term is then 0.
 *
 * @param teacherLayer the teacher's node, or null for its logits
 * @param studentLayer the student's node, or null for its logits
 */
public record RkdDistance(String teacherLayer, String studentLayer) implements DistillationTerm {

    public RkdDistance {
        Rkd.checkLayer("RkdDistance.teacherLayer", teacherLayer);
        Rkd.checkLayer("RkdDistance.studentLayer", studentLayer);
    }

    /** On the logits of both networks. */
    public RkdDistance() { this(null, null); }

    @Override public NDArray loss(TermInput batch) {
        return loss(Rkd.embedding(batch.student(studentLayer)), Rkd.embedding(batch.teacher(teacherLayer)));
    }

    /**
     * @param student N × D embedding, with gradients
     * @param teacher N × D' embedding (D' may differ from D)
     * @return a scalar
     */
    public NDArray loss(NDArray student, NDArray teacher) {
        long n = student.getShape().get(0);
        if (n < 2) return Rkd.zero(student);
        return Rkd.smoothL1(normalisedDistances(student).sub(normalisedDistances(teacher))).mean();
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

    @Override public List<String> studentNodes() { return studentLayer == null ? List.of() : List.of(studentLayer); }

    @Override public List<String> teacherNodes() { return teacherLayer == null ? List.of() : List.of(teacherLayer); }

    @Override public String name() { return "rkd_distance" + Rkd.suffix(teacherLayer, studentLayer); }

    @Override public String describe() { return teacherLayer == null && studentLayer == null ? name() : "RKD distance" + Rkd.on(teacherLayer, studentLayer); }
}
