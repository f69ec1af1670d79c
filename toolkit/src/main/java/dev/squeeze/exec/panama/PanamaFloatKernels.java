package dev.squeeze.exec.panama;

import dev.squeeze.exec.ConvSpec;
import dev.squeeze.exec.FloatKernelSupport;
import dev.squeeze.quant.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * FloatVector implementation of {@link FloatKernelSupport}, the test-side {@code FloatBaseline} made a
 * product kernel: per image, the input is laid out in stride-phase planes, then a register-blocked
 * 6 channels × (2 vectors of pixels) FMA tile runs either straight on the planes through per-tap offsets
 * ("direct", computing junk columns on the plane's padded width) or on a panel of exact pixels copied
 * per tile ("packed", for small planes where junk columns would dominate), chosen per layer by the int8
 * kernels' cost rule. Bias and the activation are applied in the epilogue. Grouped convolutions run as
 * independent convolutions on channel slices.
 */
public final class PanamaFloatKernels implements FloatKernelSupport {
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    static final int L = FS.length(), NR = 2 * L, MR = 6;

    public PanamaFloatKernels() {
        if (FS.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("preferred float vector is " + FS.vectorBitSize() + " bits; the float kernels need ≥ 256");
        }
    }

    @Override public String description() { return "panama: FloatVector " + FS.vectorBitSize() + "-bit (" + L + " lanes), 6×" + NR + " FMA tile"; }

    @Override public String name() { return "panama"; }

    @Override public ConvKernel conv(ConvSpec spec, float[] weight, float[] bias, Activation act) {
        if (spec.groups() == 1) return new Conv(spec, weight, 0, bias, 0, act);
        return new Grouped(spec, weight, bias, act);
    }

    @Override public LinearKernel linear(int in, int out, float[] weight, float[] bias, Activation act) {
        return new Linear(in, out, weight, bias, act);
    }

    /** Groups as independent convolutions over slices of {@code in/groups} input and {@code out/groups} output channels. */
    static final class Grouped implements ConvKernel {
        final Conv[] g;
        final int mg, inSlice, outSlice;

        Grouped(ConvSpec s, float[] w, float[] bias, Activation act) {
            int groups = s.groups();
            mg = s.groupOutChannels();
            ConvSpec one = new ConvSpec(s.groupInChannels(), mg, s.kernel(), s.stride(), s.padding(), 1, s.inHeight(), s.inWidth());
            g = new Conv[groups];
            for (int i = 0; i < groups; i++) g[i] = new Conv(one, w, i * mg * one.reduction(), bias, i * mg, act);
            inSlice = one.inputSize();
            outSlice = one.outputSize();
        }

        @Override public int scratchFloats() { return g[0].scratchFloats(); }
        @Override public int channelBlock() { return mg; }

        @Override public void run(float[] in, int inOff, float[] out, int outOff, int oc0, int oc1, float[] scratch) {
            for (int i = oc0 / mg; i * mg < oc1; i++) g[i].run(in, inOff + i * inSlice, out, outOff + i * outSlice, 0, mg, scratch);
        }
    }

    /** One group-1 convolution {@code [C, H, W] → [M, OH, OW]}. */
    static final class Conv implements ConvKernel {
        final int C, M, k, s, pad, H, W, OH, OW, Hph, Wph, nPh, planeSize, K, MB, P, blocksPerImage, planesLen, scratch;
        final int[] phaseIndex, tap;
        final float[] a, bias;
        final Activation act;
        final boolean direct;

        /** Weights {@code w[wOff ..]} as {@code [M, C, k, k]}, bias {@code bias[bOff .. bOff+M)}. */
        Conv(ConvSpec spec, float[] w, int wOff, float[] bias, int bOff, Activation act) {
            C = spec.inChannels(); M = spec.outChannels(); k = spec.kernel(); s = spec.stride(); pad = spec.padding();
            H = spec.inHeight(); W = spec.inWidth(); OH = spec.outHeight(); OW = spec.outWidth(); P = OH * OW;
            this.act = act;
            Hph = (H + 2 * pad + s - 1) / s;
            Wph = (W + 2 * pad + s - 1) / s;
            planeSize = Hph * Wph;
            // only the stride phases some tap reads get a plane (k < s skips some)
            phaseIndex = new int[s * s];
            java.util.Arrays.fill(phaseIndex, -1);
            int ph = 0;
            for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) if (phaseIndex[(ky % s) * s + kx % s] < 0) phaseIndex[(ky % s) * s + kx % s] = ph++;
            nPh = ph;
            K = k * k * C;
            MB = (M + MR - 1) / MR;
            tap = new int[K];
            a = new float[MB * K * MR]; // [M/6][K][6]: one tile's weights contiguous; rows past M stay 0
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    for (int ci = 0; ci < C; ci++) {
                        int t = (ky * k + kx) * C + ci;
                        tap[t] = (ci * nPh + phaseIndex[(ky % s) * s + kx % s]) * planeSize + (ky / s) * Wph + kx / s;
                        for (int o = 0; o < M; o++) a[((o / MR) * K + t) * MR + o % MR] = w[wOff + ((o * C + ci) * k + ky) * k + kx];
                    }
                }
            }
            this.bias = java.util.Arrays.copyOfRange(bias, bOff, bOff + M);
            blocksPerImage = (OH * Wph + NR - 1) / NR;
            double packedCost = (double) ((P + NR - 1) / NR) * NR * (1 + (8 + 8.0 * NR / Math.min(OW, NR)) / (MB * MR));
            direct = 1.1 * blocksPerImage * NR < packedCost;
            int maxTap = 0;
            for (int t : tap) maxTap = Math.max(maxTap, t);
            // direct tiles read up to a tile past the last plane row (junk columns, discarded)
            planesLen = C * nPh * planeSize + maxTap + blocksPerImage * NR + L;
            scratch = planesLen + (direct ? 0 : K * NR) + MR * NR;
        }

        @Override public int scratchFloats() { return scratch; }
        @Override public int channelBlock() { return MR; }

        @Override public void run(float[] in, int inOff, float[] out, int outOff, int oc0, int oc1, float[] sc) {
            layOut(in, inOff, sc);
            int tile = scratch - MR * NR, mb0 = oc0 / MR, mb1 = (oc1 + MR - 1) / MR;
            if (direct) {
                for (int nb = 0; nb < blocksPerImage; nb++) {
                    int n0 = nb * NR;
                    for (int mb = mb0; mb < mb1; mb++) {
                        gemm6(a, mb * K * MR, sc, n0, tap, K, sc, tile);
                        for (int r = 0; r < MR && mb * MR + r < oc1; r++) {
                            int o = mb * MR + r;
                            float bo = bias[o];
                            for (int j = 0; j < NR; j++) {
                                int n = n0 + j, oy = n / Wph, ox = n - oy * Wph;
                                if (oy < OH && ox < OW) out[outOff + o * P + oy * OW + ox] = act.apply(sc[tile + r * NR + j] + bo);
                            }
                        }
                    }
                }
            } else {
                int panel = planesLen;
                for (int n0 = 0; n0 < P; n0 += NR) {
                    int cnt = Math.min(NR, P - n0);
                    // runs of consecutive pixels of one output row
                    for (int n = n0; n < n0 + cnt; ) {
                        int oy = n / OW, ox = n % OW, len = Math.min(OW - ox, n0 + cnt - n);
                        int src = oy * Wph + ox, dst = panel + n - n0;
                        for (int t = 0; t < K; t++) System.arraycopy(sc, src + tap[t], sc, dst + t * NR, len);
                        n += len;
                    }
                    for (int mb = mb0; mb < mb1; mb++) {
                        gemm6(a, mb * K * MR, sc, panel, K, sc, tile);
                        for (int r = 0; r < MR && mb * MR + r < oc1; r++) {
                            int o = mb * MR + r;
                            float bo = bias[o];
                            for (int j = 0; j < cnt; j++) out[outOff + o * P + n0 + j] = act.apply(sc[tile + r * NR + j] + bo);
                        }
                    }
                }
            }
        }

        /** Zero-padded stride-phase planes of one image into {@code sc[0 ..)}. */
        private void layOut(float[] in, int inOff, float[] sc) {
            for (int ci = 0; ci < C; ci++) {
                int src = inOff + ci * H * W;
                for (int py = 0; py < s; py++) for (int px = 0; px < s; px++) {
                    int ph = phaseIndex[py * s + px];
                    if (ph < 0) continue;
                    int dst = (ci * nPh + ph) * planeSize;
                    for (int yy = 0; yy < Hph; yy++) {
                        int iy = yy * s + py - pad;
                        for (int xx = 0; xx < Wph; xx++) {
                            int ix = xx * s + px - pad;
                            sc[dst + yy * Wph + xx] = iy < 0 || iy >= H || ix < 0 || ix >= W ? 0f : in[src + iy * W + ix];
                        }
                    }
                }
            }
            // the tail that direct tiles over-read: finite values so junk lanes cannot trap anything
            java.util.Arrays.fill(sc, C * nPh * planeSize, planesLen, 0f);
        }
    }

    /** 6 × NR tile on a packed panel (row stride NR) into {@code c[cOff ..)}. */
    static void gemm6(float[] a, int aOff, float[] b, int bOff, int K, float[] c, int cOff) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int t = 0; t < K; t++) {
            int o = bOff + t * NR;
            FloatVector b0 = FloatVector.fromArray(FS, b, o), b1 = FloatVector.fromArray(FS, b, o + L);
            int ai = aOff + t * MR;
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c00 = b0.fma(w, c00); c01 = b1.fma(w, c01);
            w = FloatVector.broadcast(FS, a[ai + 1]); c10 = b0.fma(w, c10); c11 = b1.fma(w, c11);
            w = FloatVector.broadcast(FS, a[ai + 2]); c20 = b0.fma(w, c20); c21 = b1.fma(w, c21);
            w = FloatVector.broadcast(FS, a[ai + 3]); c30 = b0.fma(w, c30); c31 = b1.fma(w, c31);
            w = FloatVector.broadcast(FS, a[ai + 4]); c40 = b0.fma(w, c40); c41 = b1.fma(w, c41);
            w = FloatVector.broadcast(FS, a[ai + 5]); c50 = b0.fma(w, c50); c51 = b1.fma(w, c51);
        }
        c00.intoArray(c, cOff); c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + NR); c11.intoArray(c, cOff + NR + L);
        c20.intoArray(c, cOff + 2 * NR); c21.intoArray(c, cOff + 2 * NR + L);
        c30.intoArray(c, cOff + 3 * NR); c31.intoArray(c, cOff + 3 * NR + L);
        c40.intoArray(c, cOff + 4 * NR); c41.intoArray(c, cOff + 4 * NR + L);
        c50.intoArray(c, cOff + 5 * NR); c51.intoArray(c, cOff + 5 * NR + L);
    }

    /** 6 × NR tile reading tap t's pixels at {@code b[bBase + offs[t] ..]} into {@code c[cOff ..)}. */
    static void gemm6(float[] a, int aOff, float[] b, int bBase, int[] offs, int K, float[] c, int cOff) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int t = 0; t < K; t++) {
            int o = bBase + offs[t];
            FloatVector b0 = FloatVector.fromArray(FS, b, o), b1 = FloatVector.fromArray(FS, b, o + L);
            int ai = aOff + t * MR;
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c00 = b0.fma(w, c00); c01 = b1.fma(w, c01);
            w = FloatVector.broadcast(FS, a[ai + 1]); c10 = b0.fma(w, c10); c11 = b1.fma(w, c11);
            w = FloatVector.broadcast(FS, a[ai + 2]); c20 = b0.fma(w, c20); c21 = b1.fma(w, c21);
            w = FloatVector.broadcast(FS, a[ai + 3]); c30 = b0.fma(w, c30); c31 = b1.fma(w, c31);
            w = FloatVector.broadcast(FS, a[ai + 4]); c40 = b0.fma(w, c40); c41 = b1.fma(w, c41);
            w = FloatVector.broadcast(FS, a[ai + 5]); c50 = b0.fma(w, c50); c51 = b1.fma(w, c51);
        }
        c00.intoArray(c, cOff); c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + NR); c11.intoArray(c, cOff + NR + L);
        c20.intoArray(c, cOff + 2 * NR); c21.intoArray(c, cOff + 2 * NR + L);
        c30.intoArray(c, cOff + 3 * NR); c31.intoArray(c, cOff + 3 * NR + L);
        c40.intoArray(c, cOff + 4 * NR); c41.intoArray(c, cOff + 4 * NR + L);
        c50.intoArray(c, cOff + 5 * NR); c51.intoArray(c, cOff + 5 * NR + L);
    }

    /** Fully connected: output features in the lanes (weights packed {@code [out/NR][in][NR]}), inputs broadcast. */
    static final class Linear implements LinearKernel {
        final int in, out, NB;
        final float[] wp, bias;
        final Activation act;

        Linear(int in, int out, float[] w, float[] bias, Activation act) {
            this.in = in;
            this.out = out;
            this.act = act;
            NB = (out + NR - 1) / NR;
            wp = new float[NB * in * NR];
            for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) wp[((o / NR) * in + i) * NR + o % NR] = w[o * in + i];
            this.bias = java.util.Arrays.copyOf(bias, NB * NR); // padded for whole-vector loads
        }

        @Override public int block() { return NR; }

        @Override public void run(float[] x, int xOff, int batch, float[] y, int yOff, int o0, int o1) {
            for (int b = 0; b < batch; b++) {
                for (int nb = o0 / NR; nb * NR < o1; nb++) {
                    FloatVector c0 = FloatVector.zero(FS), c1 = c0;
                    int base = nb * in * NR, xo = xOff + b * in;
                    for (int i = 0; i < in; i++) {
                        FloatVector w = FloatVector.broadcast(FS, x[xo + i]);
                        c0 = FloatVector.fromArray(FS, wp, base + i * NR).fma(w, c0);
                        c1 = FloatVector.fromArray(FS, wp, base + i * NR + L).fma(w, c1);
                    }
                    int yo = yOff + b * out + nb * NR, n = Math.min(NR, o1 - nb * NR);
                    c0 = c0.add(FloatVector.fromArray(FS, bias, nb * NR));
                    c1 = c1.add(FloatVector.fromArray(FS, bias, nb * NR + L));
                    if (n == NR) {
                        c0.intoArray(y, yo);
                        c1.intoArray(y, yo + L);
                    } else {
                        // the last, partial block: lane by lane (a few values per layer)
                        for (int j = 0; j < n; j++) y[yo + j] = j < L ? c0.lane(j) : c1.lane(j - L);
                    }
                    for (int j = 0; j < n; j++) y[yo + j] = act.apply(y[yo + j]);
                }
            }
        }
    }
}
