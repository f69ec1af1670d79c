package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import dev.squeeze.model.Network;
import java.util.Arrays;
import java.util.List;

/**
 * Feature-based knowledge as the flow of the solution procedure (Yim et al., "A Gift from Knowledge
 * Distillation", CVPR 2017): how a network transforms its features between two layers, summarised by the
 * FSP matrix, should match the teacher's. For feature maps F1 ({@code N × C1 × H × W}) and F2
 * ({@code N × C2 × H × W}) of one network, G[n][i][j] = Σ_{h,w} F1[n][i][h][w] · F2[n][j][h][w] / (H·W),
 * {@code N × C1 × C2}. The loss is the squared L2 distance between teacher's and student's G, summed over
 * the C1 × C2 entries and averaged over the batch (the paper's per-pair term, λ = 1).
 *
 * <p>Within each network the two layers must have the same H × W; and since the matrices are compared entry
 * by entry, the student's C1 × C2 must equal the teacher's (in the paper the student is a shallower network
 * of the same widths). The {@link Distiller} checks both when it is built. No learned parameters.
 *
 * @param teacherFirst the teacher's first layer, e.g. {@code layer1.0}
 * @param teacherSecond the teacher's second layer, e.g. {@code layer1}
 * @param studentFirst the student's first layer
 * @param studentSecond the student's second layer
 */
public record FspDistillation(String teacherFirst, String teacherSecond, String studentFirst, String studentSecond)
        implements DistillationTerm {

    public FspDistillation {
        String[][] fields = {{"teacherFirst", teacherFirst}, {"teacherSecond", teacherSecond}, {"studentFirst", studentFirst},
                {"studentSecond", studentSecond}};
        for (String[] f : fields) {
            if (f[1] == null || f[1].isBlank()) {
                throw new IllegalArgumentException("FspDistillation." + f[0] + " must name a node such as 'layer1.0'"
                        + " (Network.featureNodes() lists them), got '" + f[1] + "'");
            }
        }
    }

    /** The same two node names in teacher and student. */
    public FspDistillation(String firstLayer, String secondLayer) { this(firstLayer, secondLayer, firstLayer, secondLayer); }

    @Override public NDArray loss(TermInput batch) {
        NDArray gs = matrix(batch.student(studentFirst), batch.student(studentSecond));
        NDArray gt = matrix(batch.teacher(teacherFirst), batch.teacher(teacherSecond));
        return gs.sub(gt).square().sum(new int[] {1, 2}).mean();
    }

    /**
     * The FSP matrix.
     *
     * @param first N × C1 × H × W
     * @param second N × C2 × H × W
     * @return N × C1 × C2, each entry averaged over the H·W positions
     */
    static NDArray matrix(NDArray first, NDArray second) {
        long n = first.getShape().get(0), c1 = first.getShape().get(1), c2 = second.getShape().get(1);
        long positions = first.getShape().size() / (n * c1);
        return first.reshape(n, c1, positions).matMul(second.reshape(n, c2, positions).transpose(0, 2, 1)).div((float) positions);
    }

    /** Checks that both pairs are rank-3 maps of one size each and that the two matrices have the same C1 × C2. */
    void checkShapes(Network student, Network teacher) {
        int[] s1 = student.featureShape(studentFirst), s2 = student.featureShape(studentSecond);
        int[] t1 = teacher.featureShape(teacherFirst), t2 = teacher.featureShape(teacherSecond);
        samePositions("student", student, studentFirst, s1, studentSecond, s2);
        samePositions("teacher", teacher, teacherFirst, t1, teacherSecond, t2);
        if (s1[0] != t1[0] || s2[0] != t2[0]) {
            throw new IllegalArgumentException("FspDistillation: the student's FSP matrix is " + s1[0] + "×" + s2[0] + " (" + studentFirst
                    + " " + Arrays.toString(s1) + ", " + studentSecond + " " + Arrays.toString(s2) + ") but the teacher's is " + t1[0] + "×"
                    + t2[0] + " (" + teacherFirst + " " + Arrays.toString(t1) + ", " + teacherSecond + " " + Arrays.toString(t2)
                    + "); choose layers with the same channel counts in both networks");
        }
    }

    private static void samePositions(String who, Network net, String a, int[] sa, String b, int[] sb) {
        if (sa.length != 3 || sb.length != 3 || sa[1] != sb[1] || sa[2] != sb[2]) {
            throw new IllegalArgumentException("FspDistillation: the " + who + "'s nodes '" + a + "' " + Arrays.toString(sa) + " and '" + b
                    + "' " + Arrays.toString(sb) + " of " + net.architecture().name() + " must both be C × H × W feature maps of the"
                    + " same H × W; choose two nodes of one stage");
        }
    }

    @Override public List<String> studentNodes() { return List.of(studentFirst, studentSecond); }

    @Override public List<String> teacherNodes() { return List.of(teacherFirst, teacherSecond); }

    @Override public String name() { return "fsp_" + studentFirst + "_" + studentSecond; }

    @Override public String describe() {
        return "FSP: teacher " + teacherFirst + "→" + teacherSecond + " / student " + studentFirst + "→" + studentSecond + ", squared L2";
    }
}
