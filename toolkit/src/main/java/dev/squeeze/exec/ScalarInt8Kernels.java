package dev.squeeze.exec;

import dev.squeeze.ir.QuantParams;

/**
 * The plain-Java kernels: the default when the Vector API is absent and the reference the Panama
 * kernels are tested against. Straightforward loops with the exact arithmetic of the
 * {@link Int8Kernels} formulas; integer only, accumulators int32 in the same order as the
 * {@code IntegerReference} oracle (bias first, then products), so even a wrapping accumulator would
 * agree. Loops are written so that HotSpot's auto-vectorizer can handle the inner ones (int
 * multiply-add over arrays), but nothing relies on it.
 */
final class ScalarInt8Kernels implements Int8KernelSupport {

    @Override public String description() { return "scalar: plain Java loops, int32 accumulation"; }

    @Override public String name() { return "scalar"; }

    @Override public ConvKernel conv(ConvSpec spec, CodeType inType, int inZeroPoint, int[] weights, int[] bias, OutputStage stage) {
        return new Conv(spec, inType, inZeroPoint, weights.clone(), bias.clone(), stage);
    }

    @Override public LinearKernel linear(int in, int out, CodeType inType, int inZeroPoint, int[] weights, int[] bias, OutputStage stage) {
        return new Linear(in, out, inType, inZeroPoint, weights.clone(), bias.clone(), stage);
    }

    /**
     * Convolution as im2col + a row of multiply-adds per output channel: for each image and group the
     * {@code [K, P]} column matrix of centred inputs {@code x − zp} (0 at padded positions) is built in
     * the worker's scratch, then each output channel accumulates {@code acc[p] += w[k] · col[k, p]}.
     * Workers split the output channels of each (image, group) and each builds its own columns.
     */
    static final class Conv implements ConvKernel {
        private final ConvSpec spec;
        private final boolean uint8;
        private final int zp;
        private final int[] w, bias;
        private final OutputStage stage;

        Conv(ConvSpec spec, CodeType inType, int zp, int[] w, int[] bias, OutputStage stage) {
            this.spec = spec;
            this.uint8 = inType == CodeType.UINT8;
            this.zp = zp;
            this.w = w;
            this.bias = bias;
            this.stage = stage;
        }

        private int plane() { return spec.outHeight() * spec.outWidth(); }

        @Override public long sharedInts(int batch) { return 0; }
        @Override public long localInts(int batch) { return (long) spec.reduction() * plane() + plane(); }
        @Override public long localBytes(int batch) { return 0; }
        @Override public int phases() { return 1; }
        @Override public String path() { return "scalar im2col"; }

        @Override public void run(int phase, byte[] in, int inOff, int batch, byte[] out, int outOff, int[] shared, int[] local,
                byte[] localBytes, int worker, int workers) {
            int k = spec.kernel(), s = spec.stride(), pad = spec.padding();
            int H = spec.inHeight(), W = spec.inWidth(), OH = spec.outHeight(), OW = spec.outWidth(), P = OH * OW;
            int cg = spec.groupInChannels(), mg = spec.groupOutChannels(), K = spec.reduction();
            int from = (int) ((long) mg * worker / workers), to = (int) ((long) mg * (worker + 1) / workers);
            if (from == to) return;
            int accBase = K * P;
            for (int b = 0; b < batch; b++) {
                for (int g = 0; g < spec.groups(); g++) {
                    // im2col of this group: col[(i·k + ky)·k + kx][oy·OW + ox] = x − zp, or 0 where padded.
                    for (int i = 0; i < cg; i++) {
                        int plane = inOff + (b * spec.inChannels() + g * cg + i) * H * W;
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int row = ((i * k + ky) * k + kx) * P;
                                for (int oy = 0; oy < OH; oy++) {
                                    int iy = oy * s - pad + ky;
                                    for (int ox = 0; ox < OW; ox++) {
                                        int ix = ox * s - pad + kx;
                                        int v = 0;
                                        if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                                            byte q = in[plane + iy * W + ix];
                                            v = (uint8 ? q & 0xFF : q) - zp;
                                        }
                                        local[row + oy * OW + ox] = v;
                                    }
                                }
                            }
                        }
                    }
                    for (int c = from; c < to; c++) {
                        int o = g * mg + c;
                        int bo = bias[o];
                        for (int p = 0; p < P; p++) local[accBase + p] = bo;
                        int wBase = o * K;
                        for (int kk = 0; kk < K; kk++) {
                            int wv = w[wBase + kk];
                            if (wv == 0) continue;
                            int row = kk * P;
                            for (int p = 0; p < P; p++) local[accBase + p] += wv * local[row + p];
                        }
                        int dst = outOff + (b * spec.outChannels() + o) * P;
                        for (int p = 0; p < P; p++) out[dst + p] = (byte) stage.requantize(o, local[accBase + p]);
                    }
                }
            }
        }
    }

    /** Fully connected: per image the centred input {@code x − zp} once, then one dot product per output; workers split the outputs. */
    static final class Linear implements LinearKernel {
        private final int in, outFeatures, zp;
        private final boolean uint8;
        private final int[] w, bias;
        private final OutputStage stage;

        Linear(int in, int out, CodeType inType, int zp, int[] w, int[] bias, OutputStage stage) {
            this.in = in;
            this.outFeatures = out;
            this.uint8 = inType == CodeType.UINT8;
            this.zp = zp;
            this.w = w;
            this.bias = bias;
            this.stage = stage;
        }

        @Override public long sharedInts(int batch) { return 0; }
        @Override public long localInts(int batch) { return in; }
        @Override public long localBytes(int batch) { return 0; }
        @Override public int phases() { return 1; }
        @Override public String path() { return "scalar dot"; }

        @Override public void run(int phase, byte[] x, int inOff, int batch, byte[] out, int outOff, int[] shared, int[] local,
                byte[] localBytes, int worker, int workers) {
            int from = (int) ((long) outFeatures * worker / workers), to = (int) ((long) outFeatures * (worker + 1) / workers);
            if (from == to) return;
            for (int b = 0; b < batch; b++) {
                int xo = inOff + b * in;
                for (int i = 0; i < in; i++) {
                    byte q = x[xo + i];
                    local[i] = (uint8 ? q & 0xFF : q) - zp;
                }
                for (int o = from; o < to; o++) {
                    int acc = bias[o];
                    int wo = o * in;
                    for (int i = 0; i < in; i++) acc += local[i] * w[wo + i];
                    out[outOff + b * outFeatures + o] = (byte) stage.requantize(o, acc);
                }
            }
        }
    }

    @Override public void quantize(float[] in, int inOff, float inv, int zp, int qmin, int qmax, byte[] out, int outOff, int count) {
        for (int i = 0; i < count; i++) {
            float x = in[inOff + i];
            if (Float.isNaN(x)) throw new IllegalArgumentException("input value " + i + " is NaN; check the preprocessing");
            out[outOff + i] = (byte) QuantParams.quantize(x, inv, zp, qmin, qmax);
        }
    }

    @Override public void maxPool(PoolSpec spec, CodeType type, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        boolean uint8 = type == CodeType.UINT8;
        int H = spec.height(), W = spec.width(), OH = spec.outHeight(), OW = spec.outWidth();
        int k = spec.kernel(), s = spec.stride(), pad = spec.padding();
        for (int pl = 0; pl < planes; pl++) {
            int src = inOff + pl * H * W, dst = outOff + pl * OH * OW;
            for (int oy = 0; oy < OH; oy++) {
                int y0 = Math.max(0, oy * s - pad), y1 = Math.min(H, oy * s - pad + k);
                for (int ox = 0; ox < OW; ox++) {
                    int x0 = Math.max(0, ox * s - pad), x1 = Math.min(W, ox * s - pad + k);
                    int best = Integer.MIN_VALUE;
                    for (int y = y0; y < y1; y++) {
                        for (int x = x0; x < x1; x++) {
                            byte q = in[src + y * W + x];
                            best = Math.max(best, uint8 ? q & 0xFF : q);
                        }
                    }
                    out[dst + oy * OW + ox] = (byte) best;
                }
            }
        }
    }

    @Override public void avgPool(PoolSpec spec, CodeType type, int zp, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        boolean uint8 = type == CodeType.UINT8;
        int H = spec.height(), W = spec.width(), OH = spec.outHeight(), OW = spec.outWidth();
        int k = spec.kernel(), s = spec.stride(), pad = spec.padding();
        int n = k * k;
        for (int pl = 0; pl < planes; pl++) {
            int src = inOff + pl * H * W, dst = outOff + pl * OH * OW;
            for (int oy = 0; oy < OH; oy++) {
                int y0 = Math.max(0, oy * s - pad), y1 = Math.min(H, oy * s - pad + k);
                for (int ox = 0; ox < OW; ox++) {
                    int x0 = Math.max(0, ox * s - pad), x1 = Math.min(W, ox * s - pad + k);
                    long sum = 0;
                    for (int y = y0; y < y1; y++) {
                        for (int x = x0; x < x1; x++) {
                            byte q = in[src + y * W + x];
                            sum += (uint8 ? q & 0xFF : q) - zp;
                        }
                    }
                    out[dst + oy * OW + ox] = (byte) (zp + Int8Kernels.divRoundHalfAway(sum, n));
                }
            }
        }
    }

    @Override public void globalAvgPool(int plane, CodeType type, int zp, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        boolean uint8 = type == CodeType.UINT8;
        for (int pl = 0; pl < planes; pl++) {
            long sum = 0;
            int src = inOff + pl * plane;
            for (int i = 0; i < plane; i++) {
                byte q = in[src + i];
                sum += (uint8 ? q & 0xFF : q) - zp;
            }
            out[outOff + pl] = (byte) (zp + Int8Kernels.divRoundHalfAway(sum, plane));
        }
    }

    @Override public void add(AddSpec spec, byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff, int count) {
        CodeType ta = spec.aType(), tb = spec.bType();
        for (int i = 0; i < count; i++) out[outOff + i] = (byte) spec.apply(ta.decode(a[aOff + i]), tb.decode(b[bOff + i]));
    }

    @Override public void activation(CodeType inType, int inZeroPoint, OutputStage stage, byte[] in, int inOff, byte[] out, int outOff,
            int count) {
        for (int i = 0; i < count; i++) out[outOff + i] = (byte) stage.requantize(0, inType.decode(in[inOff + i]) - inZeroPoint);
    }

    @Override public void requantize(OutputStage stage, int channel, int[] acc, int accOff, byte[] out, int outOff, int count) {
        for (int i = 0; i < count; i++) out[outOff + i] = (byte) stage.requantize(channel, acc[accOff + i]);
    }
}
