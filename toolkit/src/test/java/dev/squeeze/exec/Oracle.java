package dev.squeeze.exec;

import dev.squeeze.ir.Requantizer;

/**
 * The straightforward definitions, written independently of the kernels: int codes, the
 * {@code IntegerReference} loop structure (bias first, skip padded positions) and
 * {@link Requantizer#requantize(int)} records chosen by the accumulator's sign, as
 * {@code Requantization.apply} does.
 */
final class Oracle {
    private Oracle() {}

    /** Per-channel requantizers for both signs. */
    record Out(Requantizer[] pos, Requantizer[] neg) {
        int apply(int c, int acc) { return (acc >= 0 ? pos[c] : neg[c]).requantize(acc); }
        OutputStage stage() { return OutputStage.of(pos, neg); }
    }

    static int[] decode(byte[] b, CodeType t) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) out[i] = t.decode(b[i]);
        return out;
    }

    static int[] conv(ConvSpec sp, int[] x, int zpIn, int[] w, int[] bias, Out r, int batch) {
        int k = sp.kernel(), stride = sp.stride(), pad = sp.padding();
        int cg = sp.groupInChannels(), mg = sp.groupOutChannels();
        int H = sp.inHeight(), W = sp.inWidth(), OH = sp.outHeight(), OW = sp.outWidth();
        int[] y = new int[batch * sp.outputSize()];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < sp.outChannels(); o++) {
                int g = o / mg;
                for (int oy = 0; oy < OH; oy++) {
                    for (int ox = 0; ox < OW; ox++) {
                        int acc = bias[o];
                        for (int i = 0; i < cg; i++) {
                            int plane = (n * sp.inChannels() + g * cg + i) * H * W;
                            for (int ky = 0; ky < k; ky++) {
                                int iy = oy * stride - pad + ky;
                                if (iy < 0 || iy >= H) continue;
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = ox * stride - pad + kx;
                                    if (ix < 0 || ix >= W) continue;
                                    acc += (x[plane + iy * W + ix] - zpIn) * w[((o * cg + i) * k + ky) * k + kx];
                                }
                            }
                        }
                        y[((n * sp.outChannels() + o) * OH + oy) * OW + ox] = r.apply(o, acc);
                    }
                }
            }
        }
        return y;
    }

    static int[] linear(int in, int out, int[] x, int zpIn, int[] w, int[] bias, Out r, int batch) {
        int[] y = new int[batch * out];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < out; o++) {
                int acc = bias[o];
                for (int i = 0; i < in; i++) acc += (x[n * in + i] - zpIn) * w[o * in + i];
                y[n * out + o] = r.apply(o, acc);
            }
        }
        return y;
    }

    static int[] maxPool(PoolSpec p, int[] x, int planes) {
        int H = p.height(), W = p.width(), OH = p.outHeight(), OW = p.outWidth();
        int[] y = new int[planes * OH * OW];
        for (int pl = 0; pl < planes; pl++) {
            for (int oy = 0; oy < OH; oy++) {
                for (int ox = 0; ox < OW; ox++) {
                    int best = Integer.MIN_VALUE;
                    for (int ky = 0; ky < p.kernel(); ky++) {
                        int iy = oy * p.stride() - p.padding() + ky;
                        if (iy < 0 || iy >= H) continue;
                        for (int kx = 0; kx < p.kernel(); kx++) {
                            int ix = ox * p.stride() - p.padding() + kx;
                            if (ix < 0 || ix >= W) continue;
                            best = Math.max(best, x[(pl * H + iy) * W + ix]);
                        }
                    }
                    y[(pl * OH + oy) * OW + ox] = best;
                }
            }
        }
        return y;
    }

    static int[] avgPool(PoolSpec p, int[] x, int zp, int planes) {
        int H = p.height(), W = p.width(), OH = p.outHeight(), OW = p.outWidth(), n = p.kernel() * p.kernel();
        int[] y = new int[planes * OH * OW];
        for (int pl = 0; pl < planes; pl++) {
            for (int oy = 0; oy < OH; oy++) {
                for (int ox = 0; ox < OW; ox++) {
                    long sum = 0;
                    for (int ky = 0; ky < p.kernel(); ky++) {
                        int iy = oy * p.stride() - p.padding() + ky;
                        if (iy < 0 || iy >= H) continue;
                        for (int kx = 0; kx < p.kernel(); kx++) {
                            int ix = ox * p.stride() - p.padding() + kx;
                            if (ix < 0 || ix >= W) continue;
                            sum += x[(pl * H + iy) * W + ix] - zp;
                        }
                    }
                    y[(pl * OH + oy) * OW + ox] = zp + (int) divRoundHalfAway(sum, n);
                }
            }
        }
        return y;
    }

    static int[] globalAvgPool(int plane, int[] x, int zp, int planes) {
        int[] y = new int[planes];
        for (int pl = 0; pl < planes; pl++) {
            long sum = 0;
            for (int i = 0; i < plane; i++) sum += x[pl * plane + i] - zp;
            y[pl] = zp + (int) divRoundHalfAway(sum, plane);
        }
        return y;
    }

    /** Written as {@code IntegerReference.divRoundHalfAway}: sign(s)·floor((2|s| + n)/(2n)). */
    static long divRoundHalfAway(long s, long n) {
        long q = (2 * Math.abs(s) + n) / (2 * n);
        return s < 0 ? -q : q;
    }

    static int[] add(int[] a, int zpA, int[] b, int zpB, int shift, Requantizer ra, Requantizer rb, Out r) {
        int[] y = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            int sa = ra.requantize((a[i] - zpA) << shift);
            int sb = rb.requantize((b[i] - zpB) << shift);
            y[i] = r.apply(0, sa + sb);
        }
        return y;
    }

    static int[] activation(int[] x, int zpIn, Out r) {
        int[] y = new int[x.length];
        for (int i = 0; i < x.length; i++) y[i] = r.apply(0, x[i] - zpIn);
        return y;
    }
}
