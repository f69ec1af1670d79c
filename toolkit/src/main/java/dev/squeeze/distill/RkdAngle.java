package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Relation-based knowledge between samples, angle-wise (Park et al. 2019): for every triplet (i, j, k)
 * the cosine of the angle at e_i between e_j and e_k, ⟨(e_j − e_i)/‖·‖, (e_k − e_i)/‖·‖⟩, should match the
 * teacher's; smooth-L1 of the difference averaged over all N³ triplets (the paper's reference code).
 * Angles do not change when an embedding is scaled or translated, and neither does the loss.
 *
 * <p>The embedding is each network's logits by default, or the output of a named node flattened per
 * sample (N × C × H × W becomes N × (C·H·W)); the paper uses the penultimate features. Memory grows as
 * N²·D for the differences and N³ for the cosines (32,768 at batch 32). Batches of fewer than three
 * images have no angle: the term is then 0.
 *
 * @param teacherLayer the teacher's node, or null for its logits
 * @param studentLayer the student's node, or null for its logits
 */
public record RkdAngle(String teacherLayer, String studentLayer) implements DistillationTerm {

    public RkdAngle {
        Rkd.checkLayer("RkdAngle.teacherLayer", teacherLayer);
        Rkd.checkLayer("RkdAngle.studentLayer", studentLayer);
    }

    /** On the logits of both networks. */
    public RkdAngle() { this(null, null); }

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
        if (n < 3) return Rkd.zero(student);
        return Rkd.smoothL1(cosines(student).sub(cosines(teacher))).mean();
    }

    /** N×N×N: {@code [i][j][k]} = cos of the angle at e_i between e_j and e_k (0 where j or k is i). */
    static NDArray cosines(NDArray e) {
        NDArray d = Rkd.differences(e);
        NDArray unit = d.div(d.square().sum(new int[] {2}, true).add(1e-12f).sqrt());
        return unit.matMul(unit.transpose(0, 2, 1));
    }

    @Override public List<String> studentNodes() { return studentLayer == null ? List.of() : List.of(studentLayer); }

    @Override public List<String> teacherNodes() { return teacherLayer == null ? List.of() : List.of(teacherLayer); }

    @Override public String name() { return "rkd_angle" + Rkd.suffix(teacherLayer, studentLayer); }

    @Override public String describe() { return teacherLayer == null && studentLayer == null ? name() : "RKD angle" + Rkd.on(teacherLayer, studentLayer); }
}
