package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;

/** Shared pieces of the relational terms. */
final class Rkd {
    private Rkd() {}

    /** Smooth L1 (Huber with δ = 1), element-wise: ½x² for |x| &lt; 1, |x| − ½ beyond. PyTorch's {@code smooth_l1_loss}. */
    static NDArray smoothL1(NDArray x) {
        NDArray a = x.abs();
        NDArray m = a.minimum(1f);
        return m.square().mul(0.5f).add(a.sub(m));
    }

    /** e_j − e_i for every pair: N×N×D, {@code [i][j] = e[j] − e[i]}. */
    static NDArray differences(NDArray e) {
        return e.expandDims(0).sub(e.expandDims(1));
    }

    /** N × C × H × W (or N × D) → N × (C·H·W): one row per sample. */
    static NDArray embedding(NDArray x) {
        return x.getShape().dimension() == 2 ? x : x.reshape(x.getShape().get(0), -1);
    }

    static void checkLayer(String field, String layer) {
        if (layer != null && layer.isBlank()) {
            throw new IllegalArgumentException(field + " must be a node name such as 'layer2' or null for the logits, got '" + layer + "'");
        }
    }

    /** {@code ""} on the logits, else {@code _<student layer>} (or the teacher's) so two terms report apart. */
    static String suffix(String teacherLayer, String studentLayer) {
        if (teacherLayer == null && studentLayer == null) return "";
        return "_" + (studentLayer != null ? studentLayer : "logits") + (teacherLayer != null && !teacherLayer.equals(studentLayer)
                ? "_" + teacherLayer : "");
    }

    static String on(String teacherLayer, String studentLayer) {
        return " on teacher " + (teacherLayer == null ? "logits" : teacherLayer) + " / student " + (studentLayer == null ? "logits" : studentLayer);
    }

    /** A zero that keeps the student's graph, for batches too small to hold a relation. */
    static NDArray zero(NDArray student) { return student.sum().mul(0f); }
}
