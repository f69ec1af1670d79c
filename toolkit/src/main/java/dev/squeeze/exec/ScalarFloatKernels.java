package dev.squeeze.exec;

import dev.squeeze.ir.Activation;

/**
 * Plain-Java float32 kernels: the definition the Panama kernels are tested against, and the fallback
 * when the Vector API is not loaded. Convolution accumulates one weight tap at a time over a row of
 * output pixels (a loop C2 auto-vectorizes for stride 1), so it is not hopeless on big layers.
 */
final class ScalarFloatKernels implements FloatKernelSupport {

    @Override public String description() { return "scalar: plain Java float32 loops"; }

    @Override public String name() { return "scalar"; }

    @Override public ConvKernel conv(ConvSpec spec, float[] weight, float[] bias, Activation act) {
        return new Conv(spec, weight.clone(), bias.clone(), act);
    }

    @Override public LinearKernel linear(int in, int out, float[] weight, float[] bias, Activation act) {
        return new Linear(in, out, weight.clone(), bias.clone(), act);
    }

    /**
     * {@code out[o] = act(bias[o] + Σ in[g·Cg + i, y·s − p + ky, x·s − p + kx] · w[o, i, ky, kx] (+ res[o]))}, padding 0;
     * several images per call just loop.
     */
    static final class Conv implements FloatKernels.BatchConv {
        final ConvSpec s;
        final float[] w, bias;
        final Activation act;

        Conv(ConvSpec s, float[] w, float[] bias, Activation act) {
            this.s = s;
            this.w = w;
            this.bias = bias;
            this.act = act;
        }

        @Override public int scratchFloats() { return 0; }
        @Override public int channelBlock() { return 1; }

        @Override public void run(float[] in, int inOff, int images, float[] out, int outOff, float[] res, int resOff, int oc0, int oc1,
                float[] scratch) {
            int inSize = s.inputSize(), outSize = s.outputSize();
            for (int b = 0; b < images; b++) {
                one(in, inOff + b * inSize, out, outOff + b * outSize, res, resOff + b * outSize, oc0, oc1);
            }
        }

        private void one(float[] in, int inOff, float[] out, int outOff, float[] res, int resOff, int oc0, int oc1) {
            int H = s.inHeight(), W = s.inWidth(), OH = s.outHeight(), OW = s.outWidth(), k = s.kernel(), st = s.stride(), p = s.padding();
            int cg = s.groupInChannels(), mg = s.groupOutChannels(), P = OH * OW;
            for (int o = oc0; o < oc1; o++) {
                int dst = outOff + o * P, g = o / mg;
                java.util.Arrays.fill(out, dst, dst + P, bias[o]);
                for (int i = 0; i < cg; i++) {
                    int src = inOff + (g * cg + i) * H * W;
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            float wv = w[((o * cg + i) * k + ky) * k + kx];
                            // output columns whose input column x·s − p + kx lies inside [0, W)
                            int x0 = Math.max(0, -Math.floorDiv(kx - p, st)), x1 = Math.min(OW, Math.floorDiv(W - 1 + p - kx, st) + 1);
                            for (int y = 0; y < OH; y++) {
                                int iy = y * st - p + ky;
                                if (iy < 0 || iy >= H) continue;
                                int row = src + iy * W - p + kx, o0 = dst + y * OW;
                                for (int x = x0; x < x1; x++) out[o0 + x] += wv * in[row + x * st];
                            }
                        }
                    }
                }
                if (res != null) for (int j = 0, r = resOff + o * P; j < P; j++) out[dst + j] += res[r + j];
                FloatKernels.activate(act, out, dst, P);
            }
        }
    }

    /** {@code y[b, o] = act(bias[o] + Σ_i x[b, i] · w[o, i])}. */
    static final class Linear implements LinearKernel {
        final int in, out;
        final float[] w, bias;
        final Activation act;

        Linear(int in, int out, float[] w, float[] bias, Activation act) {
            this.in = in;
            this.out = out;
            this.w = w;
            this.bias = bias;
            this.act = act;
        }

        @Override public int block() { return 1; }

        @Override public void run(float[] x, int xOff, int batch, float[] y, int yOff, int o0, int o1) {
            for (int b = 0; b < batch; b++) {
                int xb = xOff + b * in;
                for (int o = o0; o < o1; o++) {
                    float acc = 0;
                    for (int i = 0, wo = o * in; i < in; i++) acc += x[xb + i] * w[wo + i];
                    y[yOff + b * out + o] = act.apply(acc + bias[o]);
                }
            }
        }
    }
}
