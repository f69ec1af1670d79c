package dev.squeeze.quant;

import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.Int8Weights;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantization;
import dev.squeeze.ir.Requantizer;
import dev.squeeze.ir.TensorShape;
import dev.squeeze.train.Evaluation;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference executor of {@link Int8Model}s: plain scalar Java, integer arithmetic only between
 * the input quantization and the output dequantization. Activations are int codes on their op's grid
 * (uint8 or int8 values held in {@code int}s), accumulators are int32 (Java {@code int}; the converter
 * guarantees they never wrap), requantization is {@link Requantizer#requantize(int)}. Every op follows
 * the arithmetic documented on its {@link Int8Op} record, so this class is the oracle that any faster
 * executor (e.g. a Vector-API one) must match bit for bit: compare with {@link #runWithTaps}.
 *
 * <p>Tensors are batch-major NCHW, {@code [batch, C, H, W]} row-major ({@code [batch, F]} when flat).
 * Thread-safe: it keeps no state; call it from several threads on separate batches if you like.
 */
public final class IntegerReference {
    private IntegerReference() {}

    /**
     * One op's output, for debugging and for checking another executor op by op.
     *
     * @param opId {@link Int8Op#id()} ({@link Int8Op#INPUT_ID} for the quantized input)
     * @param description {@link Int8Op#describe()}
     * @param shape per image
     * @param params the grid of {@code codes}
     * @param codes {@code [batch, shape]} codes
     */
    public record Tap(int opId, String description, TensorShape shape, QuantParams params, int[] codes) {}

    /**
     * Output codes (quantized logits) for a batch of normalised float images.
     *
     * @param input {@code [batch, C, H, W]} floats (as {@link BatchMaker} makes them); extra values are ignored
     * @return {@code [batch, classes]} codes on {@link Int8Model#outputParams()}
     */
    public static int[] run(Int8Model m, float[] input, int batch) {
        return runQuantized(m, quantizeInput(m, input, batch), batch);
    }

    /**
     * Output codes for an already quantized input.
     *
     * @param codes {@code [batch, C, H, W]} codes on {@link Int8Model#inputParams()}
     */
    public static int[] runQuantized(Int8Model m, int[] codes, int batch) {
        checkInput(m, codes.length, batch, "codes");
        return execute(m, codes, batch, null);
    }

    /**
     * Dequantized logits: {@code (float)(q − zp) · s} of {@link #run}.
     *
     * @return {@code [batch, classes]} floats
     */
    public static float[] logits(Int8Model m, float[] input, int batch) {
        return m.outputParams().dequantize(run(m, input, batch));
    }

    /** Top-1 class per image: the first index of the largest output code (the largest logit: the scale is positive). */
    public static int[] predict(Int8Model m, float[] input, int batch) {
        return argmax(run(m, input, batch), batch);
    }

    /**
     * Runs the batch and records every op's output in execution order: the quantized input first
     * (id −1), then each op, residual bodies and shortcuts before their add, concat branches before their
     * concat (as {@link Int8Model#flatOps()}).
     * The last tap is the output codes; dequantization is not a tap.
     */
    public static List<Tap> runWithTaps(Int8Model m, float[] input, int batch) {
        int[] codes = quantizeInput(m, input, batch);
        List<Tap> taps = new ArrayList<>();
        Int8Op.QuantizeInput q = m.quantizeInput();
        taps.add(new Tap(q.id(), q.describe(), q.outputShape(), q.output(), codes.clone()));
        execute(m, codes, batch, taps);
        return taps;
    }

    /**
     * Accuracy of the integer model on a data set (no augmentation), with the loss computed on the
     * dequantized logits like {@code Training.evaluate}.
     */
    public static Evaluation evaluate(Int8Model m, ImageSet data, Preprocessing prep) {
        return evaluate(m, data, prep, (input, batch) -> run(m, input, batch));
    }

    /** Output codes {@code [batch, classes]} of {@code m} for a float batch. */
    @FunctionalInterface
    public interface CodeRunner {
        int[] run(float[] input, int batch);
    }

    /**
     * As {@link #evaluate(Int8Model, ImageSet, Preprocessing)}, with the output codes computed by
     * {@code codes}: {@code Int8Executor::runCodes} gives the same codes bit for bit, many times faster
     * than this scalar reference (what the CLI's eval uses on whole test sets).
     */
    public static Evaluation evaluate(Int8Model m, ImageSet data, Preprocessing prep, CodeRunner codesOf) {
        TensorShape in = m.inputShape();
        if (data.channels() != in.channels() || data.height() != in.height() || data.width() != in.width()) {
            throw new IllegalArgumentException("Int8 model " + m.name() + " expects " + in + " images but " + data.name() + " has "
                    + data.channels() + "×" + data.height() + "×" + data.width());
        }
        BatchMaker maker = new BatchMaker(data, prep.withAugmentation(0, false));
        int n = data.size(), bs = 100;
        int[] preds = new int[n];
        long correct = 0;
        double lossSum = 0;
        long t0 = System.nanoTime();
        for (int from = 0; from < n; from += bs) {
            int count = Math.min(bs, n - from);
            int[] codes = codesOf.run(maker.batch(from, count), count);
            float[] logits = m.outputParams().dequantize(codes);
            int classes = codes.length / count;
            int[] best = argmax(codes, count);
            for (int i = 0; i < count; i++) {
                int label = data.label(from + i);
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c] - max);
                lossSum += Math.log(sum) + max - logits[i * classes + label];
                preds[from + i] = best[i];
                if (best[i] == label) correct++;
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Evaluation(n == 0 ? Double.NaN : (double) correct / n, n == 0 ? Double.NaN : lossSum / n, n, preds, n / secs);
    }

    /** Index of the first largest value per row of {@code [batch, classes]}. */
    public static int[] argmax(int[] codes, int batch) {
        int classes = codes.length / batch;
        int[] out = new int[batch];
        for (int b = 0; b < batch; b++) {
            int best = 0;
            for (int c = 1; c < classes; c++) if (codes[b * classes + c] > codes[b * classes + best]) best = c;
            out[b] = best;
        }
        return out;
    }

    /** {@link Int8Op.QuantizeInput}: {@link QuantParams#quantize(float)} on every value. */
    public static int[] quantizeInput(Int8Model m, float[] input, int batch) {
        checkInput(m, input.length, batch, "floats");
        QuantParams p = m.inputParams();
        int n = batch * m.inputShape().size();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            float x = input[i];
            if (Float.isNaN(x)) {
                throw new IllegalArgumentException("Int8 model " + m.name() + ": input value " + i + " is NaN; check the preprocessing");
            }
            out[i] = p.quantize(x);
        }
        return out;
    }

    private static void checkInput(Int8Model m, int length, int batch, String what) {
        long need = (long) batch * m.inputShape().size();
        if (batch < 1 || length < need) {
            throw new IllegalArgumentException("Int8 model " + m.name() + ": input holds " + length + " " + what + " but batch "
                    + batch + " of " + m.inputShape() + " needs " + need);
        }
    }

    // ---- execution ------------------------------------------------------------------------------

    private static int[] execute(Int8Model m, int[] x, int batch, List<Tap> taps) {
        List<Int8Op> ops = m.ops();
        return sequence(ops.subList(1, ops.size() - 1), x, batch, taps);
    }

    private static int[] sequence(List<Int8Op> ops, int[] x, int batch, List<Tap> taps) {
        for (Int8Op op : ops) {
            x = apply(op, x, batch, taps);
            if (taps != null) taps.add(new Tap(op.id(), op.describe(), op.outputShape(), op.output(), x.clone()));
        }
        return x;
    }

    private static int[] apply(Int8Op op, int[] x, int batch, List<Tap> taps) {
        return switch (op) {
            case Int8Op.Conv c -> conv(c, x, batch);
            case Int8Op.Dense d -> dense(d, x, batch);
            case Int8Op.MaxPool p -> maxPool(p, x, batch);
            case Int8Op.AvgPool p -> avgPool(p, x, batch);
            case Int8Op.GlobalAvgPool g -> globalAvgPool(g, x, batch);
            case Int8Op.Flatten f -> x; // NCHW is already channel-major: the same codes in the same order
            case Int8Op.Act a -> act(a, x);
            case Int8Op.Lookup l -> lookup(l, x);
            case Int8Op.Concat c -> concat(c, x, batch, taps);
            case Int8Op.ChannelSlice c -> channelSlice(c, x, batch);
            case Int8Op.ChannelShuffle c -> channelShuffle(c, x, batch);
            case Int8Op.Add a -> add(a, x, batch, taps);
            case Int8Op.QuantizeInput q -> throw new IllegalStateException("quantize-input inside the graph");
            case Int8Op.Dequantize d -> throw new IllegalStateException("dequantize inside the graph");
        };
    }

    /** See {@link Int8Op.Conv}: padded positions (input zero point) contribute 0 and are skipped. */
    private static int[] conv(Int8Op.Conv op, int[] x, int batch) {
        var l = op.layer();
        TensorShape in = op.inputShape(), out = op.outputShape();
        int zpIn = op.input().zeroPoint();
        int[] w = offsetWeights(op.weights());
        int[] bias = op.bias();
        Requantization r = op.requantization();
        int k = l.kernel(), stride = l.stride(), pad = l.padding();
        int inPerGroup = l.in() / l.groups(), outPerGroup = l.out() / l.groups();
        int H = in.height(), W = in.width(), OH = out.height(), OW = out.width();
        int[] y = new int[batch * out.size()];
        for (int n = 0; n < batch; n++) {
            int xBase = n * in.size();
            for (int o = 0; o < l.out(); o++) {
                int g = o / outPerGroup;
                int wBase = o * inPerGroup * k * k;
                for (int oy = 0; oy < OH; oy++) {
                    for (int ox = 0; ox < OW; ox++) {
                        int acc = bias[o];
                        for (int i = 0; i < inPerGroup; i++) {
                            int plane = xBase + (g * inPerGroup + i) * H * W;
                            for (int ky = 0; ky < k; ky++) {
                                int iy = oy * stride - pad + ky;
                                if (iy < 0 || iy >= H) continue;
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = ox * stride - pad + kx;
                                    if (ix < 0 || ix >= W) continue;
                                    acc += (x[plane + iy * W + ix] - zpIn) * w[wBase + (i * k + ky) * k + kx];
                                }
                            }
                        }
                        y[((n * l.out() + o) * OH + oy) * OW + ox] = r.apply(o, acc);
                    }
                }
            }
        }
        return y;
    }

    /** See {@link Int8Op.Dense}. */
    private static int[] dense(Int8Op.Dense op, int[] x, int batch) {
        int in = op.layer().in(), out = op.layer().out();
        int zpIn = op.input().zeroPoint();
        int[] w = offsetWeights(op.weights());
        int[] bias = op.bias();
        Requantization r = op.requantization();
        int[] y = new int[batch * out];
        int[] xc = new int[in];
        for (int n = 0; n < batch; n++) {
            for (int i = 0; i < in; i++) xc[i] = x[n * in + i] - zpIn;
            for (int o = 0; o < out; o++) {
                int acc = bias[o];
                for (int i = 0; i < in; i++) acc += xc[i] * w[o * in + i];
                y[n * out + o] = r.apply(o, acc);
            }
        }
        return y;
    }

    /** Weight codes minus their channel's zero point, {@code [out, perChannel]}. */
    private static int[] offsetWeights(Int8Weights w) {
        int[] codes = w.unpackInts();
        for (int i = 0; i < codes.length; i++) codes[i] -= w.zeroPoint(i / w.perChannel());
        return codes;
    }

    /** See {@link Int8Op.MaxPool}: only positions inside the input compete. */
    private static int[] maxPool(Int8Op.MaxPool op, int[] x, int batch) {
        var l = op.layer();
        TensorShape in = op.inputShape(), out = op.outputShape();
        int[] y = new int[batch * out.size()];
        for (int nc = 0; nc < batch * in.channels(); nc++) {
            for (int oy = 0; oy < out.height(); oy++) {
                for (int ox = 0; ox < out.width(); ox++) {
                    int best = Integer.MIN_VALUE;
                    for (int ky = 0; ky < l.kernel(); ky++) {
                        int iy = oy * l.stride() - l.padding() + ky;
                        if (iy < 0 || iy >= in.height()) continue;
                        for (int kx = 0; kx < l.kernel(); kx++) {
                            int ix = ox * l.stride() - l.padding() + kx;
                            if (ix < 0 || ix >= in.width()) continue;
                            best = Math.max(best, x[(nc * in.height() + iy) * in.width() + ix]);
                        }
                    }
                    y[(nc * out.height() + oy) * out.width() + ox] = best; // padding ≤ k/2: a window always has an input position
                }
            }
        }
        return y;
    }

    /** See {@link Int8Op.AvgPool}: divisor kernel², padded positions are real 0. */
    private static int[] avgPool(Int8Op.AvgPool op, int[] x, int batch) {
        var l = op.layer();
        TensorShape in = op.inputShape(), out = op.outputShape();
        int zp = op.output().zeroPoint();
        int n = l.kernel() * l.kernel();
        int[] y = new int[batch * out.size()];
        for (int nc = 0; nc < batch * in.channels(); nc++) {
            for (int oy = 0; oy < out.height(); oy++) {
                for (int ox = 0; ox < out.width(); ox++) {
                    long sum = 0;
                    for (int ky = 0; ky < l.kernel(); ky++) {
                        int iy = oy * l.stride() - l.padding() + ky;
                        if (iy < 0 || iy >= in.height()) continue;
                        for (int kx = 0; kx < l.kernel(); kx++) {
                            int ix = ox * l.stride() - l.padding() + kx;
                            if (ix < 0 || ix >= in.width()) continue;
                            sum += x[(nc * in.height() + iy) * in.width() + ix] - zp;
                        }
                    }
                    y[(nc * out.height() + oy) * out.width() + ox] = zp + (int) divRoundHalfAway(sum, n);
                }
            }
        }
        return y;
    }

    /** See {@link Int8Op.GlobalAvgPool}. */
    private static int[] globalAvgPool(Int8Op.GlobalAvgPool op, int[] x, int batch) {
        TensorShape in = op.inputShape();
        int zp = op.output().zeroPoint(), plane = in.plane();
        int[] y = new int[batch * in.channels()];
        for (int nc = 0; nc < y.length; nc++) {
            long sum = 0;
            for (int i = 0; i < plane; i++) sum += x[nc * plane + i] - zp;
            y[nc] = zp + (int) divRoundHalfAway(sum, plane);
        }
        return y;
    }

    /**
     * {@code s / n} rounded to the nearest integer, ties away from zero:
     * {@code sign(s) · floor((2|s| + n) / (2n))}, for {@code n > 0}.
     */
    public static long divRoundHalfAway(long s, long n) {
        if (n <= 0) throw new IllegalArgumentException("divRoundHalfAway: divisor must be > 0, got " + n);
        long q = (2 * Math.abs(s) + n) / (2 * n);
        return s < 0 ? -q : q;
    }

    /** See {@link Int8Op.Act}. */
    private static int[] act(Int8Op.Act op, int[] x) {
        int zpIn = op.input().zeroPoint();
        Requantization r = op.requantization();
        int[] y = new int[x.length];
        for (int i = 0; i < x.length; i++) y[i] = r.apply(0, x[i] - zpIn);
        return y;
    }

    /** See {@link Int8Op.Lookup}. */
    private static int[] lookup(Int8Op.Lookup op, int[] x) {
        int[] table = op.table();
        int qmin = op.input().qmin();
        int[] y = new int[x.length];
        for (int i = 0; i < x.length; i++) y[i] = table[x[i] - qmin];
        return y;
    }

    /** See {@link Int8Op.Concat}: branch b's channels land after those of branches 0..b−1, per image. */
    private static int[] concat(Int8Op.Concat op, int[] x, int batch, List<Tap> taps) {
        TensorShape out = op.outputShape();
        int plane = out.plane();
        int[] y = new int[batch * out.size()];
        int channelOffset = 0;
        for (int b = 0; b < op.branches().size(); b++) {
            int[] q = sequence(op.branches().get(b), x, batch, taps); // an empty branch returns x itself: the identity
            int zp = op.branchGrids().get(b).zeroPoint();
            Requantizer r = op.rescales().get(b);
            int per = op.branchOutputShape(b).size();
            for (int n = 0; n < batch; n++) {
                int dst = n * out.size() + channelOffset * plane;
                for (int i = 0; i < per; i++) y[dst + i] = r.requantize(q[n * per + i] - zp);
            }
            channelOffset += op.branchOutputShape(b).channels();
        }
        return y;
    }

    /** See {@link Int8Op.ChannelSlice}. */
    private static int[] channelSlice(Int8Op.ChannelSlice op, int[] x, int batch) {
        TensorShape in = op.inputShape();
        int per = op.outputShape().size(), from = op.layer().from() * in.plane();
        int[] y = new int[batch * per];
        for (int n = 0; n < batch; n++) System.arraycopy(x, n * in.size() + from, y, n * per, per);
        return y;
    }

    /**
     * See {@link Int8Op.ChannelShuffle}: output channel {@code j} is input channel {@code sources[j]} (for the
     * g-group shuffle, output channel {@code j·g + i} is input channel {@code i·k + j}; for an explicit
     * permutation, {@code order[j]}).
     */
    private static int[] channelShuffle(Int8Op.ChannelShuffle op, int[] x, int batch) {
        TensorShape in = op.inputShape();
        int[] sources = op.sources();
        int plane = in.plane();
        int[] y = new int[x.length];
        for (int n = 0; n < batch; n++) {
            int base = n * in.size();
            for (int j = 0; j < sources.length; j++) System.arraycopy(x, base + sources[j] * plane, y, base + j * plane, plane);
        }
        return y;
    }

    /** See {@link Int8Op.Add}. */
    private static int[] add(Int8Op.Add op, int[] x, int batch, List<Tap> taps) {
        int[] a = sequence(op.body(), x, batch, taps);
        int[] b = sequence(op.shortcut(), x, batch, taps); // an empty shortcut returns x itself: the identity
        int zpA = op.a().zeroPoint(), zpB = op.b().zeroPoint(), shift = op.leftShift();
        Requantizer ra = op.aRescale(), rb = op.bRescale();
        Requantization r = op.requantization();
        int[] y = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            int sa = ra.requantize((a[i] - zpA) << shift); // |q − zp| ≤ 255 and shift ≤ 22: no overflow
            int sb = rb.requantize((b[i] - zpB) << shift);
            y[i] = r.apply(0, sa + sb);
        }
        return y;
    }
}
