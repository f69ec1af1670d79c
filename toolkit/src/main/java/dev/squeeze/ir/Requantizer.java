package dev.squeeze.ir;

/**
 * Fixed-point requantization of an int32 accumulator to an output code: the quantized multiplier of
 * gemmlowp and TFLite ({@code QuantizeMultiplier}) applied with a single rounding, as TFLite's
 * {@code MultiplyByQuantizedMultiplier} built with {@code TFLITE_SINGLE_ROUNDING}. Pure integer
 * arithmetic: the scalar integer reference and any vectorised executor must implement exactly this
 * formula to agree bit for bit.
 *
 * <h2>Multiplier</h2>
 * The real multiplier {@code M = s_in · s_w / s_out} (computed in double) is represented as
 * {@code M ≈ multiplier · 2^(shift − 31)} with {@code multiplier} an int32 in [2^30, 2^31) and
 * {@code shift} in [−31, 31] (TFLite's {@code QuantizeMultiplier}):
 * <pre>
 *   M = q · 2^shift  with q in [0.5, 1)              (frexp)
 *   multiplier = round_half_away(q · 2^31)
 *   if multiplier == 2^31: multiplier = 2^30, shift += 1
 *   if shift &lt; −31: multiplier = 0, shift = 0       (M &lt; 2^-32: every output is the zero point)
 *   M == 0: multiplier = 0, shift = 0
 * </pre>
 * M must be finite, ≥ 0 and &lt; 2^31.
 *
 * <h2>Requantization</h2>
 * <pre>
 *   t     = 31 − shift                                                // in [0, 62]
 *   y     = floor((acc · multiplier + 2^(t−1)) / 2^t)                 // int64; the 2^(t−1) term is 0 when t = 0
 *   out   = clamp(y + zeroPoint, qmin, qmax)                          // in int64: no wrap, no saturation before the clamp
 * </pre>
 * {@code |acc · multiplier| < 2^62}, so nothing overflows int64. The accumulator is the exact int32 sum
 * the executor computed, already including {@code −zp_in}/{@code −zp_w} corrections and the int32 bias
 * (see {@link #quantizeBias}).
 *
 * <h2>Accuracy</h2>
 * Let {@code M_q = multiplier · 2^(shift−31)} (see {@link #effectiveMultiplier()}) and
 * {@code v = acc · M_q} (exact rational). The result is exactly {@code floor(v + 1/2) + zeroPoint}
 * (round half up), clamped, for every accumulator and every multiplier: one rounding of the exact
 * product. For M a power of two ≥ 1 it is exactly {@code acc · M + zeroPoint}.
 * Against {@code round(acc · M)} with the real M the result is within 1 LSB whenever
 * {@code |acc · (M − M_q)|} is below the distance to the next rounding boundary; M_q has a relative
 * error ≤ 2^-31, which for any acc whose output is not clamped is far below one LSB.
 *
 * <p>Why single rounding: gemmlowp's reference kernels round twice ({@code SaturatingRoundingDoublingHighMul},
 * then {@code RoundingDivideByPOT}), which for {@code M < 0.5} moves the rounding threshold by up to
 * {@code 2^−(right+1)} of a step ({@code right = −shift}) and differs from {@code round(acc·M)} on about
 * 0.02 % of the outputs of a typical conv. ONNX Runtime (MLAS), PyTorch (fbgemm) and TFLite's
 * single-rounding build all compute one rounding of {@code acc · M}, so single rounding is what lets an
 * exported model reproduce this arithmetic. The remaining differences against a float runtime are
 * exact ties (this rounds half up, MLAS half to even) and the float32 rounding of the runtime's own
 * {@code s_in · s_w / s_out} and {@code acc · M}: far rarer (about 1 in 10^6 codes on the CIFAR-10 CNN).
 *
 * @param multiplier quantized multiplier, 0 or in [2^30, 2^31 − 1]
 * @param shift power-of-two exponent, in [−31, 31]
 * @param zeroPoint output zero point, in [qmin, qmax]
 * @param qmin smallest output code
 * @param qmax largest output code
 */
public record Requantizer(int multiplier, int shift, int zeroPoint, int qmin, int qmax) {

    public Requantizer {
        if (multiplier < 0) throw new IllegalArgumentException("Requantizer.multiplier must be ≥ 0, got " + multiplier);
        if (multiplier != 0 && multiplier < (1 << 30)) {
            throw new IllegalArgumentException("Requantizer.multiplier must be 0 or in [2^30, 2^31), got " + multiplier);
        }
        if (shift < -31 || shift > 31) throw new IllegalArgumentException("Requantizer.shift must be in [-31, 31], got " + shift);
        if (qmin > qmax) throw new IllegalArgumentException("Requantizer needs qmin ≤ qmax, got [" + qmin + ", " + qmax + "]");
        if (zeroPoint < qmin || zeroPoint > qmax) {
            throw new IllegalArgumentException("Requantizer.zeroPoint must be in [" + qmin + ", " + qmax + "], got " + zeroPoint);
        }
    }

    /**
     * A quantized multiplier {@code value · 2^(shift − 31)}.
     *
     * @param value 0 or in [2^30, 2^31)
     * @param shift in [−31, 31]
     */
    public record Multiplier(int value, int shift) {
        /** The represented real multiplier {@code value · 2^(shift − 31)} (exact in double). */
        public double real() { return Math.scalb((double) value, shift - 31); }
    }

    /**
     * TFLite's {@code QuantizeMultiplier}: see the class documentation.
     *
     * @throws IllegalArgumentException if m is NaN, negative, infinite or ≥ 2^31
     */
    public static Multiplier quantizeMultiplier(double m) {
        if (!(m >= 0) || Double.isInfinite(m)) {
            throw new IllegalArgumentException("Requantizer: real multiplier must be finite and ≥ 0, got " + m);
        }
        if (m >= 0x1.0p31) {
            throw new IllegalArgumentException("Requantizer: real multiplier must be < 2^31, got " + m
                    + " (output scale far too small for these input/weight scales?)");
        }
        if (m == 0) return new Multiplier(0, 0);
        // frexp: m = q · 2^shift, q in [0.5, 1). getExponent is floor(log2 m) for normal m.
        int shift = Math.getExponent(m) + 1;
        if (shift < -1000) return new Multiplier(0, 0); // subnormal: far below 2^-32
        double q = Math.scalb(m, -shift);
        long fixed = Math.round(q * 0x1.0p31); // q > 0: Math.round is round-half-away like std::round
        if (fixed == (1L << 31)) {
            fixed >>= 1;
            shift++;
        }
        if (shift < -31) return new Multiplier(0, 0);
        if (shift > 31) {
            throw new IllegalArgumentException("Requantizer: real multiplier " + m + " needs shift " + shift + " > 31");
        }
        return new Multiplier((int) fixed, shift);
    }

    /** Requantizer for real multiplier {@code m} onto [qmin, qmax] with the given output zero point. */
    public static Requantizer of(double m, int zeroPoint, int qmin, int qmax) {
        Multiplier q = quantizeMultiplier(m);
        return new Requantizer(q.value(), q.shift(), zeroPoint, qmin, qmax);
    }

    /** Requantizer for real multiplier {@code m} onto the output's grid. */
    public static Requantizer of(double m, QuantParams output) {
        return of(m, output.zeroPoint(), output.qmin(), output.qmax());
    }

    /**
     * Requantizer of a layer with per-tensor scales: {@code M = (double) s_in · s_w / s_out}, the
     * product and quotient in double as in TFLite's {@code GetQuantizedConvolutionMultipler}.
     */
    public static Requantizer forLayer(float inputScale, float weightScale, QuantParams output) {
        return of(realMultiplier(inputScale, weightScale, output.scale()), output);
    }

    /** One requantizer per output channel for per-channel weights ({@code M_c = s_in · s_w[c] / s_out}). */
    public static Requantizer[] perChannel(float inputScale, PerChannelQuantParams weights, QuantParams output) {
        Requantizer[] r = new Requantizer[weights.channels()];
        for (int c = 0; c < r.length; c++) r[c] = forLayer(inputScale, weights.scale(c), output);
        return r;
    }

    /** {@code (double) s_in · s_w / s_out}. */
    public static double realMultiplier(float inputScale, float weightScale, float outputScale) {
        return (double) inputScale * (double) weightScale / (double) outputScale;
    }

    /**
     * The int32 bias for accumulator scale {@code s_in · s_w}: {@code round_half_even(bias / (s_in · s_w))}
     * in double, saturated to int32 (as PyTorch/fbgemm quantize the bias with scale {@code s_in·s_w}
     * and zero point 0).
     */
    public static int quantizeBias(float bias, float inputScale, float weightScale) {
        if (!Float.isFinite(bias)) throw new IllegalArgumentException("Requantizer.quantizeBias: non-finite bias " + bias);
        double v = Math.rint(bias / ((double) inputScale * (double) weightScale));
        if (v >= Integer.MAX_VALUE) return Integer.MAX_VALUE;
        if (v <= Integer.MIN_VALUE) return Integer.MIN_VALUE;
        return (int) v;
    }

    /** The multiplier actually applied, {@code multiplier · 2^(shift − 31)}. */
    public double effectiveMultiplier() { return Math.scalb((double) multiplier, shift - 31); }

    /** Requantizes one accumulator; see the class documentation for the exact formula. */
    public int requantize(int acc) {
        long out = roundingShiftRight((long) acc * multiplier, 31 - shift) + zeroPoint;
        if (out < qmin) return qmin;
        if (out > qmax) return qmax;
        return (int) out;
    }

    /** Requantizes {@code acc[off .. off+len)} into {@code out[outOff ..]}. */
    public void requantize(int[] acc, int off, int len, int[] out, int outOff) {
        for (int i = 0; i < len; i++) out[outOff + i] = requantize(acc[off + i]);
    }

    /**
     * {@code p / 2^exponent} rounded to the nearest integer, ties toward +∞:
     * {@code floor((p + 2^(exponent−1)) / 2^exponent)}, and {@code p} itself for exponent 0. Exact for
     * {@code |p| ≤ 2^62} and exponent in [0, 62] (every product {@code acc · multiplier} qualifies).
     */
    public static long roundingShiftRight(long p, int exponent) {
        if (exponent < 0 || exponent > 62) {
            throw new IllegalArgumentException("roundingShiftRight: exponent must be in [0, 62], got " + exponent);
        }
        return exponent == 0 ? p : (p + (1L << (exponent - 1))) >> exponent;
    }
}
