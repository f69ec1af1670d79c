package dev.squeeze.exec.panama;

import dev.squeeze.exec.ConvSpec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 comparison point for {@link KernelBenchmark}: a FloatVector convolution and fully connected
 * layer engineered like the int8 Panama kernels, so the comparison is about the arithmetic, not the
 * effort. Same stride-phase planes and per-tap offsets ("direct" on wide pixels, or exact pixels copied
 * into a panel for small planes, chosen by the same rule), a register-blocked 6×(2 vectors) FMA tile
 * (the best of 4×32, 6×32, 8×32 and 4×48 measured on this machine; on a packed panel without the offset
 * table, as the int8 kernel), bias and ReLU in the epilogue. It has no half-width tile, so the benchmark
 * reports the better of its two modes.
 * Test code (in the panama package because only that package may import the Vector API): the toolkit
 * has no float executor; this exists to be measured against.
 */
public final class FloatBaseline {
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    static final int L = FS.length(), NR = 2 * L, MR = 6;

    /** Convolution {@code [C, H, W] → [M, OH, OW]} per image, float in and out. */
    public static final class Conv {
        final int C, M, k, s, pad, H, W, OH, OW, Hph, Wph, nPh, planeSize, K, MB, P, blocksPerImage;
        final int[] phaseIndex, tap;
        final float[] a, bias;
        public final boolean direct;
        float[] planes, panel = new float[0], tile = new float[MR * NR];

        public Conv(ConvSpec spec, float[] w, float[] bias, int batch) {
            this(spec, w, bias, batch, 0);
        }

        /** @param mode 0 auto (the int8 kernels' cost rule), 1 direct, 2 packed */
        public Conv(ConvSpec spec, float[] w, float[] bias, int batch, int mode) {
            C = spec.inChannels(); M = spec.outChannels(); k = spec.kernel(); s = spec.stride(); pad = spec.padding();
            H = spec.inHeight(); W = spec.inWidth(); OH = spec.outHeight(); OW = spec.outWidth(); P = OH * OW;
            if (spec.groups() != 1) throw new IllegalArgumentException("float baseline: groups 1 only");
            Hph = (H + 2 * pad + s - 1) / s;
            Wph = (W + 2 * pad + s - 1) / s;
            planeSize = Hph * Wph;
            phaseIndex = new int[s * s];
            java.util.Arrays.fill(phaseIndex, -1);
            int ph = 0;
            for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) if (phaseIndex[(ky % s) * s + kx % s] < 0) phaseIndex[(ky % s) * s + kx % s] = ph++;
            nPh = ph;
            K = k * k * C;
            MB = (M + MR - 1) / MR;
            tap = new int[K];
            a = new float[MB * K * MR];
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    for (int ci = 0; ci < C; ci++) {
                        int t = (ky * k + kx) * C + ci;
                        tap[t] = (ci * nPh + phaseIndex[(ky % s) * s + kx % s]) * planeSize + (ky / s) * Wph + kx / s;
                        for (int o = 0; o < M; o++) a[((o / MR) * K + t) * MR + o % MR] = w[((o * C + ci) * k + ky) * k + kx];
                    }
                }
            }
            this.bias = bias.clone();
            blocksPerImage = (OH * Wph + NR - 1) / NR;
            double packedCost = (double) ((batch * P + NR - 1) / NR) * NR * (1 + (8 + 8.0 * NR / Math.min(OW, NR)) / (MB * MR));
            direct = mode == 1 || (mode == 0 && 1.1 * batch * blocksPerImage * NR < packedCost);
            int maxTap = 0;
            for (int t : tap) maxTap = Math.max(maxTap, t);
            planes = new float[batch * C * nPh * planeSize + maxTap + blocksPerImage * NR + L];
            if (!direct) panel = new float[K * NR];
        }

        public void run(float[] in, int batch, float[] out) {
            int img = C * nPh * planeSize;
            for (int b = 0; b < batch; b++) {
                for (int ci = 0; ci < C; ci++) {
                    int src = (b * C + ci) * H * W;
                    for (int py = 0; py < s; py++) for (int px = 0; px < s; px++) {
                        int ph = phaseIndex[py * s + px];
                        if (ph < 0) continue;
                        int dst = b * img + (ci * nPh + ph) * planeSize;
                        for (int yy = 0; yy < Hph; yy++) {
                            int iy = yy * s + py - pad;
                            for (int xx = 0; xx < Wph; xx++) {
                                int ix = xx * s + px - pad;
                                planes[dst + yy * Wph + xx] = iy < 0 || iy >= H || ix < 0 || ix >= W ? 0f : in[src + iy * W + ix];
                            }
                        }
                    }
                }
            }
            if (direct) {
                for (int b = 0; b < batch; b++) {
                    for (int nb = 0; nb < blocksPerImage; nb++) {
                        int n0 = nb * NR;
                        for (int mb = 0; mb < MB; mb++) {
                            gemm6(a, mb * K * MR, planes, b * img + n0, tap, K, tile);
                            for (int r = 0; r < MR && mb * MR + r < M; r++) {
                                int o = mb * MR + r;
                                for (int j = 0; j < NR; j++) {
                                    int n = n0 + j, oy = n / Wph, ox = n % Wph;
                                    if (oy < OH && ox < OW) out[(b * M + o) * P + oy * OW + ox] = Math.max(0f, tile[r * NR + j] + bias[o]);
                                }
                            }
                        }
                    }
                }
            } else {
                int N = batch * P;
                for (int n0 = 0; n0 < N; n0 += NR) {
                    int cnt = Math.min(NR, N - n0);
                    // copy runs of consecutive pixels of one output row, as the int8 kernel does
                    for (int n = n0; n < n0 + cnt; ) {
                        int b = n / P, rem = n % P, oy = rem / OW, ox = rem % OW, len = Math.min(OW - ox, n0 + cnt - n);
                        int src = b * img + oy * Wph + ox, dst = n - n0;
                        for (int t = 0; t < K; t++) System.arraycopy(planes, src + tap[t], panel, t * NR + dst, len);
                        n += len;
                    }
                    for (int mb = 0; mb < MB; mb++) {
                        gemm6(a, mb * K * MR, panel, K, tile);
                        for (int r = 0; r < MR && mb * MR + r < M; r++) {
                            int o = mb * MR + r;
                            for (int j = 0; j < cnt; j++) {
                                int n = n0 + j, b = n / P;
                                out[(b * M + o) * P + n % P] = Math.max(0f, tile[r * NR + j] + bias[o]);
                            }
                        }
                    }
                }
            }
        }
    }

    /** {@link #gemm6(float[], int, float[], int, int[], int, float[])} on a packed panel (row stride NR, no offset table). */
    static void gemm6(float[] a, int aOff, float[] b, int K, float[] c) {
        FloatVector z = FloatVector.zero(FS);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int t = 0; t < K; t++) {
            int o = t * NR;
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
        c00.intoArray(c, 0); c01.intoArray(c, L);
        c10.intoArray(c, NR); c11.intoArray(c, NR + L);
        c20.intoArray(c, 2 * NR); c21.intoArray(c, 2 * NR + L);
        c30.intoArray(c, 3 * NR); c31.intoArray(c, 3 * NR + L);
        c40.intoArray(c, 4 * NR); c41.intoArray(c, 4 * NR + L);
        c50.intoArray(c, 5 * NR); c51.intoArray(c, 5 * NR + L);
    }

    static void gemm6(float[] a, int aOff, float[] b, int bBase, int[] offs, int K, float[] c) {
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
        c00.intoArray(c, 0); c01.intoArray(c, L);
        c10.intoArray(c, NR); c11.intoArray(c, NR + L);
        c20.intoArray(c, 2 * NR); c21.intoArray(c, 2 * NR + L);
        c30.intoArray(c, 3 * NR); c31.intoArray(c, 3 * NR + L);
        c40.intoArray(c, 4 * NR); c41.intoArray(c, 4 * NR + L);
        c50.intoArray(c, 5 * NR); c51.intoArray(c, 5 * NR + L);
    }

    /** Fully connected {@code [batch, in] → [batch, out]}: features in lanes (weights packed once), rows broadcast. */
    public static final class Linear {
        final int in, out, NB;
        final float[] wp, bias, acc = new float[NR];

        public Linear(int in, int out, float[] w, float[] bias) {
            this.in = in;
            this.out = out;
            NB = (out + NR - 1) / NR;
            wp = new float[NB * in * NR];
            for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) wp[((o / NR) * in + i) * NR + o % NR] = w[o * in + i];
            this.bias = java.util.Arrays.copyOf(bias, NB * NR);
        }

        public void run(float[] x, int batch, float[] y) {
            for (int b = 0; b < batch; b++) {
                for (int nb = 0; nb < NB; nb++) {
                    FloatVector c0 = FloatVector.zero(FS), c1 = c0;
                    int base = nb * in * NR, xo = b * in;
                    for (int i = 0; i < in; i++) {
                        FloatVector w = FloatVector.broadcast(FS, x[xo + i]);
                        c0 = FloatVector.fromArray(FS, wp, base + i * NR).fma(w, c0);
                        c1 = FloatVector.fromArray(FS, wp, base + i * NR + L).fma(w, c1);
                    }
                    c0.add(FloatVector.fromArray(FS, bias, nb * NR)).lanewise(VectorOperators.MAX, 0f).intoArray(acc, 0);
                    c1.add(FloatVector.fromArray(FS, bias, nb * NR + L)).lanewise(VectorOperators.MAX, 0f).intoArray(acc, L);
                    System.arraycopy(acc, 0, y, b * out + nb * NR, Math.min(NR, out - nb * NR));
                }
            }
        }
    }
}
