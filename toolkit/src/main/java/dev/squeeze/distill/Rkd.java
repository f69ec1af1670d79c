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

    /** A zero that keeps the student's graph, for batches too small to hold a relation. */
    static NDArray zero(NDArray student) { return student.sum().mul(0f); }
}
