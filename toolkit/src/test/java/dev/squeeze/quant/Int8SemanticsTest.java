package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.ir.Activation;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.Int8Weights;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantization;
import dev.squeeze.ir.Requantizer;
import dev.squeeze.ir.TensorShape;
import dev.squeeze.ir.WeightMethod;
import dev.squeeze.model.Layer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Per-op semantics of the integer reference on hand-built single-op models, each against a
 * double-precision computation on the same codes: {@code round(real / s_out) + zp_out}, clamped.
 */
class Int8SemanticsTest {

    static final QuantParams U8 = new QuantParams(0.1f, 10, 0, 255);

    static Int8Model single(Int8Op op, QuantParams in) {
        return new Int8Model("single", List.of(new Int8Op.QuantizeInput(op.inputShape(), in), op,
                new Int8Op.Dequantize(op.outputShape(), op.output())), Map.of());
    }

    /** The code a real value gets on grid {@code p}, computed in double: clamp(rint(v/s) + zp). */
    static int ideal(double v, QuantParams p) {
        double q = Math.rint(v / p.scale()) + p.zeroPoint();
        return (int) Math.max(p.qmin(), Math.min(p.qmax(), q));
    }

    static double act(Activation a, double v) {
        return switch (a.kind()) {
            case NONE -> v;
            case RELU -> Math.max(v, 0);
            case LEAKY_RELU -> v >= 0 ? v : a.alpha() * v;
            case RELU6 -> Math.min(Math.max(v, 0), 6);
            case HARD_SWISH -> v * Math.min(Math.max(v + 3, 0), 6) / 6;
        };
    }

    static int[] randomCodes(int n, QuantParams p, SplittableRandom r) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = p.qmin() + r.nextInt(p.qmax() - p.qmin() + 1);
        return v;
    }

    /** An output grid covering 80 % of [min, max] of {@code reals} (so some outputs clamp). */
    static QuantParams gridFor(double[] reals) {
        double lo = 0, hi = 0;
        for (double v : reals) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        return QuantParams.fromRange((float) (0.8 * lo), (float) (0.8 * hi), QScheme.PER_TENSOR_AFFINE);
    }

    @Test
    void convPaddingHoldsTheInputZeroPoint() {
        // M = s_in · s_w / s_out = 0.1 · 0.5 / 0.05 = 1 exactly: out = zp_out + Σ (x − zp_in) · w.
        QuantParams out = new QuantParams(0.05f, 100, 0, 255);
        Layer.Conv2d l = new Layer.Conv2d(1, 1, 3, 1, 1, 1, true);
        int[] ones = new int[9];
        java.util.Arrays.fill(ones, 1);
        Int8Weights w = Int8Weights.pack(WeightMethod.UNIFORM, 8, 1, ones, new float[] {0.5f}, new int[1], -128, 127, false);
        Requantization r = Requantization.of(new double[] {Requantizer.realMultiplier(0.1f, 0.5f, 0.05f)}, Activation.NONE, out);
        Int8Op.Conv conv = new Int8Op.Conv(0, l, new TensorShape(1, 4, 4), U8, out, Activation.NONE, w, new int[1], r);
        Int8Model m = single(conv, U8);

        int[] zeros = new int[16];
        java.util.Arrays.fill(zeros, U8.zeroPoint()); // real 0 everywhere
        for (int v : IntegerReference.runQuantized(m, zeros, 1)) assertEquals(100, v, "real 0 in, real 0 out: padding adds nothing");

        int[] threes = new int[16];
        java.util.Arrays.fill(threes, U8.zeroPoint() + 3);
        int[] y = IntegerReference.runQuantized(m, threes, 1);
        // Corners see 4 input cells, edges 6, the inside 9: padded cells are real 0, not code 0.
        int[] want = {112, 118, 118, 112, 118, 127, 127, 118, 118, 127, 127, 118, 112, 118, 118, 112};
        assertArrayEquals(want, y);
    }

    @Test
    void convMatchesDoublePrecisionWithin1Lsb() {
        SplittableRandom rnd = new SplittableRandom(11);
        int cases = 0;
        for (int groups : new int[] {1, 2}) {
            for (int stride : new int[] {1, 2}) {
                for (int pad : new int[] {0, 1, 2}) {
                    for (Activation a : List.of(Activation.NONE, Activation.RELU, Activation.leaky(0.1f))) {
                        for (boolean affineWeights : new boolean[] {false, true}) {
                            checkConv(groups, stride, pad, a, affineWeights, rnd);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(72, cases);
    }

    private void checkConv(int groups, int stride, int pad, Activation act, boolean affineWeights, SplittableRandom rnd) {
        int cin = 4, cout = 6, k = 3, h = 7, wd = 6, batch = 2;
        Layer.Conv2d l = new Layer.Conv2d(cin, cout, k, stride, pad, groups, true);
        QuantParams in = new QuantParams(0.02f + rnd.nextFloat() * 0.05f, rnd.nextInt(256), 0, 255);
        int per = cin / groups * k * k;
        QScheme ws = affineWeights ? QScheme.PER_CHANNEL_AFFINE : QScheme.PER_CHANNEL_SYMMETRIC;
        float[] scales = new float[cout];
        int[] zps = new int[cout];
        for (int c = 0; c < cout; c++) {
            scales[c] = 0.001f + rnd.nextFloat() * 0.01f;
            zps[c] = affineWeights ? rnd.nextInt(41) - 20 : 0;
        }
        int[] codes = new int[cout * per];
        for (int i = 0; i < codes.length; i++) codes[i] = -128 + rnd.nextInt(256);
        Int8Weights w = Int8Weights.pack(WeightMethod.UNIFORM, 8, cout, codes, scales, zps, ws.qmin(), ws.qmax(), true);
        int[] bias = new int[cout];
        for (int c = 0; c < cout; c++) bias[c] = rnd.nextInt(20001) - 10000;
        TensorShape inShape = new TensorShape(cin, h, wd);
        int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
        int[] x = randomCodes(batch * inShape.size(), in, rnd);

        // Real pre-activation in double: Σ dequant(x) · dequant(w) + bias · s_in · s_w, zero padding.
        double[] real = new double[batch * cout * oh * ow];
        for (int n = 0; n < batch; n++) for (int o = 0; o < cout; o++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            int g = o / (cout / groups);
            double s = (double) bias[o] * in.scale() * scales[o];
            for (int i = 0; i < cin / groups; i++) for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) {
                int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                int xi = ((n * cin + g * cin / groups + i) * h + iy) * wd + ix;
                s += (double) (x[xi] - in.zeroPoint()) * in.scale() * (codes[o * per + (i * k + ky) * k + kx] - zps[o]) * scales[o];
            }
            real[((n * cout + o) * oh + oy) * ow + ox] = act(act, s);
        }
        QuantParams out = gridFor(real);
        double[] m = new double[cout];
        for (int c = 0; c < cout; c++) m[c] = Requantizer.realMultiplier(in.scale(), scales[c], out.scale());
        Int8Op.Conv conv = new Int8Op.Conv(3, l, inShape, in, out, act, w, bias, Requantization.of(m, act, out));
        int[] y = IntegerReference.runQuantized(single(conv, in), x, batch);
        assertEquals(real.length, y.length);
        int exact = 0;
        for (int i = 0; i < y.length; i++) {
            int want = ideal(real[i], out);
            assertTrue(Math.abs(y[i] - want) <= 1, "conv " + l.describe() + " pad " + pad + " " + act + ": output " + i + " is "
                    + y[i] + ", double precision gives " + want + " (real " + real[i] + ")");
            if (y[i] == want) exact++;
            if (act.kind() == Activation.Kind.RELU) {
                assertTrue(y[i] >= out.zeroPoint(), "ReLU output below the zero point");
                if (real[i] == 0) assertEquals(out.zeroPoint(), y[i], "ReLU of a negative pre-activation is exactly the zero point");
            }
        }
        assertTrue(exact >= 0.97 * y.length, "only " + exact + " of " + y.length + " outputs exact");
    }

    @Test
    void reluClampsAtTheZeroPointAndLeakyReluUsesItsOwnMultiplier() {
        // Dense 1 → 3 with weights +1, −1, −2 (scale 1): acc = ±x.
        QuantParams in = new QuantParams(1f, 128, 0, 255);
        QuantParams out = new QuantParams(1f, 50, 0, 255);
        Int8Weights w = Int8Weights.pack(WeightMethod.UNIFORM, 8, 3, new int[] {1, -1, -2}, new float[] {1, 1, 1}, new int[3], -128, 127, true);
        double[] m = {1, 1, 1};
        Int8Op.Dense relu = new Int8Op.Dense(0, new Layer.Linear(1, 3, true), in, out, Activation.RELU, w, new int[3],
                Requantization.of(m, Activation.RELU, out));
        assertArrayEquals(new int[] {50 + 7, 50, 50}, IntegerReference.runQuantized(single(relu, in), new int[] {135}, 1));
        assertArrayEquals(new int[] {50, 50 + 7, 50 + 14}, IntegerReference.runQuantized(single(relu, in), new int[] {121}, 1));
        Int8Op.Dense leaky = new Int8Op.Dense(0, new Layer.Linear(1, 3, true), in, out, Activation.leaky(0.25f), w, new int[3],
                Requantization.of(m, Activation.leaky(0.25f), out));
        // acc = 8, −8, −16 → 8, −2, −4 (α = 1/4 exactly).
        assertArrayEquals(new int[] {58, 48, 46}, IntegerReference.runQuantized(single(leaky, in), new int[] {136}, 1));
        // Saturation at both ends of the grid.
        Int8Op.Dense big = new Int8Op.Dense(0, new Layer.Linear(1, 3, true), in, out, Activation.NONE, w, new int[3],
                Requantization.of(new double[] {4, 4, 4}, Activation.NONE, out));
        assertArrayEquals(new int[] {255, 0, 0}, IntegerReference.runQuantized(single(big, in), new int[] {255}, 1));
    }

    @Test
    void denseWithAffinePerChannelWeightsMatchesDoublePrecision() {
        SplittableRandom rnd = new SplittableRandom(5);
        int fin = 50, fout = 7, batch = 4;
        QuantParams in = new QuantParams(0.03f, 77, 0, 255);
        float[] scales = new float[fout];
        int[] zps = new int[fout], codes = new int[fin * fout], bias = new int[fout];
        for (int c = 0; c < fout; c++) {
            scales[c] = 0.002f + rnd.nextFloat() * 0.01f;
            zps[c] = rnd.nextInt(61) - 30;
            bias[c] = rnd.nextInt(4001) - 2000;
        }
        for (int i = 0; i < codes.length; i++) codes[i] = rnd.nextInt(256) - 128;
        Int8Weights w = Int8Weights.pack(WeightMethod.UNIFORM, 8, fout, codes, scales, zps, -128, 127, true);
        int[] x = randomCodes(batch * fin, in, rnd);
        double[] real = new double[batch * fout];
        for (int n = 0; n < batch; n++) for (int o = 0; o < fout; o++) {
            double s = (double) bias[o] * in.scale() * scales[o];
            for (int i = 0; i < fin; i++) s += (double) (x[n * fin + i] - in.zeroPoint()) * in.scale() * (codes[o * fin + i] - zps[o]) * scales[o];
            real[n * fout + o] = s;
        }
        QuantParams out = gridFor(real);
        double[] m = new double[fout];
        for (int c = 0; c < fout; c++) m[c] = Requantizer.realMultiplier(in.scale(), scales[c], out.scale());
        Int8Op.Dense d = new Int8Op.Dense(0, new Layer.Linear(fin, fout, true), in, out, Activation.NONE, w, bias,
                Requantization.of(m, Activation.NONE, out));
        int[] y = IntegerReference.runQuantized(single(d, in), x, batch);
        for (int i = 0; i < y.length; i++) assertTrue(Math.abs(y[i] - ideal(real[i], out)) <= 1, "output " + i);
    }

    @Test
    void maxPoolPaddingNeverWins() {
        QuantParams p = new QuantParams(0.1f, 200, 0, 255); // codes < 200 are negative reals
        SplittableRandom rnd = new SplittableRandom(3);
        TensorShape s = new TensorShape(2, 5, 5);
        int[] x = new int[2 * s.size()];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(150);
        Int8Op.MaxPool op = new Int8Op.MaxPool(0, new Layer.MaxPool(3, 2, 1), s, p);
        assertEquals(new TensorShape(2, 3, 3), op.outputShape());
        int[] y = IntegerReference.runQuantized(single(op, p), x, 2);
        for (int nc = 0; nc < 4; nc++) for (int oy = 0; oy < 3; oy++) for (int ox = 0; ox < 3; ox++) {
            int best = -1;
            for (int iy = Math.max(0, 2 * oy - 1); iy <= Math.min(4, 2 * oy + 1); iy++) {
                for (int ix = Math.max(0, 2 * ox - 1); ix <= Math.min(4, 2 * ox + 1); ix++) best = Math.max(best, x[(nc * 5 + iy) * 5 + ix]);
            }
            int got = y[(nc * 3 + oy) * 3 + ox];
            assertEquals(best, got);
            assertTrue(got < p.zeroPoint(), "a padded cell (real 0, code 200) must not win over negative inputs");
        }
    }

    @Test
    void globalAvgPoolRoundsHalfAwayFromZero() {
        QuantParams p = new QuantParams(0.5f, 5, 0, 255);
        // 2×2 planes; offsets from zp: sums 3, 2, −2, −1, 7 over 4 cells → 0.75, 0.5, −0.5, −0.25, 1.75.
        int[] x = {6, 6, 6, 5, 6, 6, 5, 5, 4, 4, 5, 5, 4, 5, 5, 5, 7, 7, 7, 6};
        Int8Op.GlobalAvgPool op = new Int8Op.GlobalAvgPool(0, new TensorShape(5, 2, 2), p);
        assertArrayEquals(new int[] {6, 6, 4, 5, 7}, IntegerReference.runQuantized(single(op, p), x, 1));
        assertEquals(3, IntegerReference.divRoundHalfAway(5, 2));
        assertEquals(-3, IntegerReference.divRoundHalfAway(-5, 2));
        assertEquals(0, IntegerReference.divRoundHalfAway(-1, 3));
        assertEquals(-1, IntegerReference.divRoundHalfAway(-2, 3));
    }

    @Test
    void avgPoolCountsPaddingAsZeroAndStaysWithin1LsbOfTheFloatMean() {
        QuantParams p = new QuantParams(0.05f, 30, 0, 255);
        SplittableRandom rnd = new SplittableRandom(9);
        TensorShape s = new TensorShape(3, 6, 6);
        int[] x = randomCodes(2 * s.size(), p, rnd);
        Layer.AvgPool l = new Layer.AvgPool(3, 2, 1);
        Int8Op.AvgPool op = new Int8Op.AvgPool(0, l, s, p);
        TensorShape o = op.outputShape();
        int[] y = IntegerReference.runQuantized(single(op, p), x, 2);
        for (int nc = 0; nc < 6; nc++) for (int oy = 0; oy < o.height(); oy++) for (int ox = 0; ox < o.width(); ox++) {
            long sum = 0;
            double real = 0;
            for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++) {
                int iy = 2 * oy - 1 + ky, ix = 2 * ox - 1 + kx;
                if (iy < 0 || iy >= 6 || ix < 0 || ix >= 6) continue;
                int q = x[(nc * 6 + iy) * 6 + ix];
                sum += q - p.zeroPoint();
                real += p.dequantize(q);
            }
            int got = y[(nc * o.height() + oy) * o.width() + ox];
            assertEquals(p.zeroPoint() + Math.round(Math.abs(sum) / 9.0) * Long.signum(sum), got, "divisor is kernel², padding included");
            assertTrue(Math.abs(got - ideal(real / 9, p)) <= 1);
        }
    }

    @Test
    void standaloneReluOnTheSameGridIsMaxWithTheZeroPoint() {
        QuantParams p = new QuantParams(0.07f, 90, 0, 255);
        Int8Op.Act relu = new Int8Op.Act(0, Activation.RELU, TensorShape.flat(256), p, p,
                Requantization.of(new double[] {1.0}, Activation.RELU, p));
        int[] x = new int[256];
        for (int i = 0; i < 256; i++) x[i] = i;
        int[] y = IntegerReference.runQuantized(single(relu, p), x, 1);
        for (int i = 0; i < 256; i++) assertEquals(Math.max(i, 90), y[i]);
    }

    @Test
    void standaloneLeakyReluOnANewGridWithin1Lsb() {
        QuantParams in = new QuantParams(0.07f, 90, 0, 255);
        QuantParams out = new QuantParams(0.05f, 30, 0, 255);
        Activation a = Activation.leaky(0.2f);
        Int8Op.Act op = new Int8Op.Act(0, a, TensorShape.flat(256), in, out,
                Requantization.of(new double[] {(double) in.scale() / out.scale()}, a, out));
        int[] x = new int[256];
        for (int i = 0; i < 256; i++) x[i] = i;
        int[] y = IntegerReference.runQuantized(single(op, in), x, 1);
        for (int i = 0; i < 256; i++) assertTrue(Math.abs(y[i] - ideal(act(a, (double) in.dequantize(i)), out)) <= 1, "code " + i);
    }

    @Test
    void residualAddRescalesBothOperandsWithin1Lsb() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (Activation act : List.of(Activation.NONE, Activation.RELU, Activation.leaky(0.1f))) {
            QuantParams in = new QuantParams(0.031f, 120, 0, 255);   // shortcut operand b: the add's input (identity)
            QuantParams a = new QuantParams(0.0117f, 70, 0, 255);    // body operand a: its own, finer grid
            QuantParams out = new QuantParams(0.043f, 100, 0, 255);
            // Body: a standalone LeakyReLU(0.5) moving the input onto grid a (any op with its own grid would do).
            Activation half = Activation.leaky(0.5f);
            Int8Op.Act body = new Int8Op.Act(0, half, TensorShape.flat(500), in, a,
                    Requantization.of(new double[] {(double) in.scale() / a.scale()}, half, a));
            double sa = a.scale(), sb = in.scale(), twiceMax = 2 * Math.max(sa, sb);
            Int8Op.Add add = new Int8Op.Add(1, List.of(body), List.of(), TensorShape.flat(500), a, in, out, act,
                    Int8Converter.ADD_LEFT_SHIFT,
                    Requantizer.of(sa / twiceMax, 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                    Requantizer.of(sb / twiceMax, 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                    Requantization.of(new double[] {twiceMax / ((1 << Int8Converter.ADD_LEFT_SHIFT) * (double) out.scale())}, act, out));
            float[] input = new float[500];
            for (int i = 0; i < input.length; i++) input[i] = (float) ((rnd.nextDouble() * 2 - 1) * 4);
            List<IntegerReference.Tap> taps = IntegerReference.runWithTaps(single(add, in), input, 1);
            assertEquals(List.of(-1, 0, 1), taps.stream().map(IntegerReference.Tap::opId).toList());
            int[] qb = taps.get(0).codes(), qa = taps.get(1).codes(), y = taps.get(2).codes();
            int exact = 0;
            for (int i = 0; i < y.length; i++) {
                double real = act(act, sa * (qa[i] - a.zeroPoint()) + sb * (qb[i] - in.zeroPoint()));
                int want = ideal(real, out);
                assertTrue(Math.abs(y[i] - want) <= 1, act + ": sum " + real + " gives " + y[i] + ", double precision " + want);
                if (y[i] == want) exact++;
            }
            assertTrue(exact > 0.97 * y.length, act + ": " + exact + " exact of " + y.length);
        }
    }

    @Test
    void signedActivationGridsSaturateAtTheNarrowInt8Extremes() {
        // Symmetric int8 activations (TensorRT-style narrow range [-127, 127], zp 0) through a dense op;
        // power-of-two scales so that every product is exact.
        QuantParams in = new QuantParams(0.125f, 0, -127, 127);
        Int8Weights w = Int8Weights.pack(WeightMethod.UNIFORM, 8, 2, new int[] {127, -127}, new float[] {1f / 128, 1f / 128},
                new int[2], -127, 127, true);
        for (float outScale : new float[] {0.25f, 0.0625f}) {
            QuantParams out = new QuantParams(outScale, 0, -127, 127);
            double mult = Requantizer.realMultiplier(0.125f, 1f / 128, outScale);
            Int8Op.Dense d = new Int8Op.Dense(0, new Layer.Linear(1, 2, true), in, out, Activation.NONE, w, new int[2],
                    Requantization.of(new double[] {mult, mult}, Activation.NONE, out));
            // 15.875 · 0.9921875 = 15.7509765625: 63.0039 steps of 0.25 (→ 63), 252.0 steps of 0.0625 (→ saturates at 127).
            int hi = outScale == 0.25f ? 63 : 127;
            assertArrayEquals(new int[] {hi, -hi}, IntegerReference.runQuantized(single(d, in), new int[] {127}, 1));
            assertArrayEquals(new int[] {-hi, hi}, IntegerReference.runQuantized(single(d, in), new int[] {-127}, 1));
            // A huge negative input saturates to −127 (not −128) at the quantize-input op.
            assertArrayEquals(new float[] {-hi * outScale, hi * outScale}, IntegerReference.logits(single(d, in), new float[] {-1000f}, 1));
        }
    }
}
