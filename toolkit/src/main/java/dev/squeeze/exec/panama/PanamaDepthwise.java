package dev.squeeze.exec.panama;

import static dev.squeeze.exec.panama.Int16PairKernel.IS;
import static dev.squeeze.exec.panama.Int16PairKernel.L;

import dev.squeeze.exec.CodeType;
import dev.squeeze.exec.ConvSpec;
import dev.squeeze.exec.Int8KernelSupport;
import dev.squeeze.exec.OutputStage;
import jdk.incubator.vector.IntVector;

/**
 * Depthwise-style convolution (one input channel per group, any channel multiplier): a GEMM would have
 * one row per group, so this kernel works plane by plane instead. Per image and input channel the
 * centred input {@code x − zp} (0 at padding) is laid out in stride-phase planes as in
 * {@link PanamaConv}, making every tap a contiguous run in the wide pixel index {@code n' = oy·Wph + ox};
 * each output channel then accumulates {@code acc += w[tap] · plane[n' + tapOffset]} over int32 lanes
 * (products up to 255·128 need more than int16 pairs allow), requantizes, and keeps the {@code OW} valid
 * columns of each row. Workers split (image, input channel) planes.
 */
final class PanamaDepthwise implements Int8KernelSupport.ConvKernel {
    private final int C, M, k, s, pad, H, W, OH, OW, Mg, P, zp;
    private final int Hph, Wph, nPh, planeSize, wide, planeInts;
    private final int[] phaseIndex, tap, w, bias;
    private final Int16PairKernel.Stage stage;
    private final boolean uint8;

    PanamaDepthwise(ConvSpec spec, CodeType inType, int zp, int[] weights, int[] bias, OutputStage out) {
        C = spec.inChannels();
        M = spec.outChannels();
        k = spec.kernel();
        s = spec.stride();
        pad = spec.padding();
        H = spec.inHeight();
        W = spec.inWidth();
        OH = spec.outHeight();
        OW = spec.outWidth();
        P = OH * OW;
        Mg = spec.groupOutChannels();
        this.zp = zp;
        uint8 = inType == CodeType.UINT8;
        Hph = (H + 2 * pad + s - 1) / s;
        Wph = (W + 2 * pad + s - 1) / s;
        planeSize = Hph * Wph;
        phaseIndex = new int[s * s];
        java.util.Arrays.fill(phaseIndex, -1);
        int phases = 0;
        tap = new int[k * k];
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                int idx = (ky % s) * s + kx % s;
                if (phaseIndex[idx] < 0) phaseIndex[idx] = phases++;
                tap[ky * k + kx] = phaseIndex[idx] * planeSize + (ky / s) * Wph + kx / s;
            }
        }
        nPh = phases;
        wide = (OH * Wph + L - 1) / L * L;
        int maxTap = 0;
        for (int t : tap) maxTap = Math.max(maxTap, t);
        planeInts = Math.max(nPh * planeSize, maxTap + wide) + L;
        this.w = weights.clone(); // [M][k·k]
        this.bias = bias.clone();
        stage = new Int16PairKernel.Stage(out, M);
    }

    @Override public long sharedInts(int batch) { return 0; }
    /** Planes with slack for the junk lanes, then a row of accumulators. */
    @Override public long localInts(int batch) { return (long) planeInts + wide; }
    @Override public long localBytes(int batch) { return wide; }
    @Override public int phases() { return 1; }
    @Override public String path() { return "panama depthwise int32"; }

    @Override public void run(int phase, byte[] in, int inOff, int batch, byte[] out, int outOff, int[] shared, int[] plane,
            byte[] rowBuf, int worker, int workers) {
        int units = batch * C;
        int from = (int) ((long) units * worker / workers), to = (int) ((long) units * (worker + 1) / workers);
        int kk = k * k, accBase = planeInts;
        for (int u = from; u < to; u++) {
            int b = u / C, ci = u % C;
            buildPlane(in, inOff + (b * C + ci) * H * W, plane);
            for (int j = 0; j < Mg; j++) {
                int o = ci * Mg + j;
                int bo = bias[o], wo = o * kk;
                for (int n = 0; n < wide; n += L) {
                    IntVector acc = IntVector.zero(IS);
                    for (int t = 0; t < kk; t++) {
                        acc = acc.add(IntVector.fromArray(IS, plane, n + tap[t]).mul(w[wo + t]));
                    }
                    acc.intoArray(plane, accBase + n);
                }
                stage.row(plane, accBase, wide, o, bo, rowBuf, 0);
                int dst = outOff + (b * M + o) * P;
                for (int oy = 0; oy < OH; oy++) System.arraycopy(rowBuf, oy * Wph, out, dst + oy * OW, OW);
            }
        }
    }

    /** Stride-phase planes of {@code x − zp} with zeros at padding; the slack after them keeps stale values, read only by junk lanes. */
    private void buildPlane(byte[] in, int src, int[] plane) {
        for (int py = 0; py < s; py++) {
            for (int px = 0; px < s; px++) {
                int ph = phaseIndex[py * s + px];
                if (ph < 0) continue;
                int base = ph * planeSize;
                for (int yy = 0; yy < Hph; yy++) {
                    int iy = yy * s + py - pad, row = base + yy * Wph;
                    if (iy < 0 || iy >= H) {
                        java.util.Arrays.fill(plane, row, row + Wph, 0);
                        continue;
                    }
                    int r = src + iy * W;
                    for (int xx = 0; xx < Wph; xx++) {
                        int ix = xx * s + px - pad;
                        plane[row + xx] = ix < 0 || ix >= W ? 0 : (uint8 ? in[r + ix] & 0xFF : in[r + ix]) - zp;
                    }
                }
            }
        }
    }
}
