package dev.squeeze.exec.panama;

import static dev.squeeze.exec.panama.Int16PairKernel.L;
import static dev.squeeze.exec.panama.Int16PairKernel.MR;
import static dev.squeeze.exec.panama.Int16PairKernel.NR;

import dev.squeeze.exec.CodeType;
import dev.squeeze.exec.Int8KernelSupport;
import dev.squeeze.exec.OutputStage;

/**
 * Fully connected layer on the same int16-pair micro-kernel, transposed: the <em>output features</em> are
 * the vector lanes (weights packed once as the B panel {@code [feature block][kp][NR]} of pairs
 * {@code (w[o][2kp], w[o][2kp+1])}) and the batch rows are broadcast (A, packed per call from the input:
 * {@code x_s = x − off} pairs). That keeps all lanes busy at batch 1, where the layer is a matrix-vector
 * product bound by reading the weights. Rows come in groups of four ({@link Int16PairKernel#gemm4}); the remaining
 * one to three rows use {@link Int16PairKernel#gemm1}. The epilogue requantizes with per-lane multipliers and shifts
 * since each lane is a different output channel. Workers split the feature blocks.
 */
final class PanamaLinear implements Int8KernelSupport.LinearKernel {
    private final int in, out, KP2, NB;
    private final int[] bw, biasEff;
    private final Int16PairKernel.Stage stage;
    private final boolean uint8;
    private final int off;

    PanamaLinear(int in, int out, CodeType inType, int zp, int[] w, int[] bias, OutputStage st) {
        this.in = in;
        this.out = out;
        uint8 = inType == CodeType.UINT8;
        off = uint8 ? 127 : -1;
        int zps = zp - off;
        int kp = (in + 1) / 2;
        KP2 = kp + (kp & 1);
        NB = (out + NR - 1) / NR;
        bw = new int[NB * KP2 * NR];
        biasEff = new int[NB * NR];
        for (int o = 0; o < out; o++) {
            long sum = 0;
            for (int i = 0; i < in; i++) sum += w[o * in + i];
            biasEff[o] = bias[o] - zps * (int) sum; // int32 wrap-around, like the accumulator
            int nb = o / NR, j = o % NR;
            for (int t = 0; t < kp; t++) {
                int w0 = w[o * in + 2 * t];
                int w1 = 2 * t + 1 < in ? w[o * in + 2 * t + 1] : 0;
                bw[(nb * KP2 + t) * NR + j] = Int16PairKernel.pair(w0, w1);
            }
        }
        stage = new Int16PairKernel.Stage(st, NB * NR);
    }

    private int rows4(int batch) { return batch / MR * MR; }

    @Override public long sharedInts(int batch) { return 0; }

    /** Tile accumulators, then A pairs: [row group][kp][MR] for full groups, [row][kp] for the rest. */
    @Override public long localInts(int batch) { return MR * NR + (long) ((batch + MR - 1) / MR * MR) * KP2; }

    @Override public long localBytes(int batch) { return NR; }

    @Override public int phases() { return 1; }

    @Override public String path() { return "panama linear " + MR + "×" + NR; }

    @Override public void run(int phase, byte[] x, int inOff, int batch, byte[] y, int outOff, int[] shared, int[] local, byte[] tile,
            int worker, int workers) {
        int from = (int) ((long) NB * worker / workers), to = (int) ((long) NB * (worker + 1) / workers);
        if (from == to) return;
        int full = rows4(batch), aBase = MR * NR;
        // Pack A (each worker its own copy: batch·in values, small next to the weights it reads).
        for (int row = 0; row < batch; row++) {
            int src = inOff + row * in;
            for (int t = 0; t < KP2; t++) {
                int i0 = 2 * t, i1 = 2 * t + 1;
                int v0 = i0 < in ? (uint8 ? x[src + i0] & 0xFF : x[src + i0]) - off : 0;
                int v1 = i1 < in ? (uint8 ? x[src + i1] & 0xFF : x[src + i1]) - off : 0;
                int idx = row < full ? aBase + ((row / MR) * KP2 + t) * MR + row % MR : aBase + full * KP2 + (row - full) * KP2 + t;
                local[idx] = Int16PairKernel.pair(v0, v1);
            }
        }
        for (int nb = from; nb < to; nb++) {
            int bBase = nb * KP2 * NR;
            for (int rg = 0; rg < full; rg += MR) {
                if (out - nb * NR <= L) Int16PairKernel.gemm4h(local, aBase + rg * KP2, bw, bBase, KP2, local, 0);
                else Int16PairKernel.gemm4(local, aBase + rg * KP2, bw, bBase, KP2, local, 0);
                for (int r = 0; r < MR; r++) epilogue(local, r * NR, nb, rg + r, y, outOff, tile);
            }
            for (int row = full; row < batch; row++) {
                Int16PairKernel.gemm1(local, aBase + full * KP2 + (row - full) * KP2, bw, bBase, KP2, local, 0);
                epilogue(local, 0, nb, row, y, outOff, tile);
            }
        }
    }

    private void epilogue(int[] acc, int accOff, int nb, int row, byte[] y, int outOff, byte[] tile) {
        int o0 = nb * NR, dst = outOff + row * out + o0;
        if (o0 + NR <= out) {
            stage.lanes(acc, accOff, NR, o0, biasEff, y, dst);
        } else {
            stage.lanes(acc, accOff, NR, o0, biasEff, tile, 0);
            System.arraycopy(tile, 0, y, dst, out - o0);
        }
    }
}
