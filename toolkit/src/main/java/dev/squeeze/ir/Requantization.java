package dev.squeeze.ir;

import java.util.List;

/**
 * The output stage of an integer op: one int32 accumulator per output value becomes an output code,
 * with the fused activation folded into the requantization. For output channel {@code c}:
 * <pre>
 *   out = acc ≥ 0 ? positive[c].requantize(acc) : negative[c].requantize(acc)
 * </pre>
 * with {@link Requantizer#requantize(int)}'s exact fixed-point arithmetic. The accumulator's real value
 * is {@code acc · s_acc} with {@code s_acc > 0}, so its sign is the sign of the pre-activation:
 * <ul>
 *   <li>no activation: {@code negative == positive}, multiplier {@code M_c = s_acc[c] / s_out}, clamp [qmin, qmax];</li>
 *   <li>ReLU: {@code negative == positive}, clamp [zeroPoint, qmax] — {@code max(y, 0)} is exactly a
 *       clamp at the zero point, which represents real 0;</li>
 *   <li>LeakyReLU(α): {@code positive} as without activation, {@code negative} with multiplier
 *       {@code M_c · α} (computed in double before {@link Requantizer#quantizeMultiplier}), both clamp
 *       [qmin, qmax].</li>
 *   <li>ReLU6: {@code negative == positive}, clamp [zeroPoint, hi] with
 *       {@code hi = out.quantize(6f) = min(qmax, zeroPoint + rint(6 ·f32 (1/s_out)))}, the code of real 6
 *       on the output grid (what the fake-quant network stores for a saturated ReLU6). With a calibrated
 *       grid whose range ends at or below 6 this is qmax; {@link #qmax()} is then below the output grid's
 *       qmax only where the grid extends past 6.</li>
 *   <li>Hard-swish is not a clamp: it has no requantization form and runs as {@link Int8Op.Lookup}.</li>
 * </ul>
 * Every requantizer has the same output zero point and upper clamp {@link #qmax()} (≤ the output
 * grid's qmax), and all requantizers of one branch the same lower clamp, so a vector kernel needs
 * per-channel multipliers and shifts and three scalars.
 *
 * @param positive one requantizer per output channel for {@code acc ≥ 0}
 * @param negative one requantizer per output channel for {@code acc < 0}
 */
public record Requantization(List<Requantizer> positive, List<Requantizer> negative) {

    public Requantization {
        positive = List.copyOf(positive);
        negative = List.copyOf(negative);
        if (positive.isEmpty() || positive.size() != negative.size()) {
            throw new IllegalArgumentException("Requantization needs as many (≥ 1) negative as positive requantizers, got "
                    + positive.size() + " and " + negative.size());
        }
        Requantizer first = positive.get(0);
        for (List<Requantizer> l : List.of(positive, negative)) {
            for (Requantizer r : l) {
                if (r.zeroPoint() != first.zeroPoint() || r.qmax() != first.qmax() || r.qmin() != l.get(0).qmin()) {
                    throw new IllegalArgumentException("Requantization: every requantizer needs zero point " + first.zeroPoint()
                            + ", qmax " + first.qmax() + " and its branch's qmin " + l.get(0).qmin() + ", got " + r);
                }
            }
        }
    }

    /**
     * The output stage for real multipliers {@code m[c] = s_acc[c] / s_out} and a fused activation.
     *
     * @throws IllegalArgumentException when a multiplier is out of {@link Requantizer}'s range, α &lt; 0, or the
     *     activation is hard-swish (a table op, {@link Int8Op.Lookup})
     */
    public static Requantization of(double[] m, Activation act, QuantParams out) {
        Requantizer[] pos = new Requantizer[m.length], neg = new Requantizer[m.length];
        if (act.kind() == Activation.Kind.LEAKY_RELU && !(act.alpha() >= 0)) {
            throw new IllegalArgumentException("Integer LeakyReLU needs alpha ≥ 0 (the negative branch is a requantizer"
                    + " with multiplier M·alpha), got " + act.alpha());
        }
        if (act.kind() == Activation.Kind.HARD_SWISH) {
            throw new IllegalArgumentException("hard-swish cannot be fused into requantization (it is not a clamp);"
                    + " it runs as a table op, Int8Op.Lookup.of(...)");
        }
        int relu6Max = out.quantize(6f); // code of real 6: min(qmax, zp + rint(6 · (1/s))), as the fake-quant network stores it
        for (int c = 0; c < m.length; c++) {
            switch (act.kind()) {
                case NONE -> pos[c] = neg[c] = Requantizer.of(m[c], out.zeroPoint(), out.qmin(), out.qmax());
                case RELU -> pos[c] = neg[c] = Requantizer.of(m[c], out.zeroPoint(), out.zeroPoint(), out.qmax());
                case RELU6 -> pos[c] = neg[c] = Requantizer.of(m[c], out.zeroPoint(), out.zeroPoint(), relu6Max);
                case HARD_SWISH -> throw new AssertionError("checked above");
                case LEAKY_RELU -> {
                    pos[c] = Requantizer.of(m[c], out.zeroPoint(), out.qmin(), out.qmax());
                    neg[c] = Requantizer.of(m[c] * (double) act.alpha(), out.zeroPoint(), out.qmin(), out.qmax());
                }
            }
        }
        return new Requantization(List.of(pos), List.of(neg));
    }

    /** Output channels. */
    public int channels() { return positive.size(); }

    /** Requantizes accumulator {@code acc} of output channel {@code c}. */
    public int apply(int c, int acc) {
        return (acc >= 0 ? positive.get(c) : negative.get(c)).requantize(acc);
    }

    public int zeroPoint() { return positive.get(0).zeroPoint(); }
    /** Upper clamp of every requantizer: the output grid's qmax, or below it under ReLU6. */
    public int qmax() { return positive.get(0).qmax(); }

    /** Fixed-point multipliers for {@code acc ≥ 0}, one per channel. */
    public int[] multipliers() { return positive.stream().mapToInt(Requantizer::multiplier).toArray(); }
    /** Shifts for {@code acc ≥ 0}, one per channel. */
    public int[] shifts() { return positive.stream().mapToInt(Requantizer::shift).toArray(); }
    /** Lower clamp for {@code acc ≥ 0} (the zero point under ReLU, else the output qmin). */
    public int clampMin() { return positive.get(0).qmin(); }
    /** Fixed-point multipliers for {@code acc < 0}. */
    public int[] negativeMultipliers() { return negative.stream().mapToInt(Requantizer::multiplier).toArray(); }
    /** Shifts for {@code acc < 0}. */
    public int[] negativeShifts() { return negative.stream().mapToInt(Requantizer::shift).toArray(); }
    /** Lower clamp for {@code acc < 0}. */
    public int negativeClampMin() { return negative.get(0).qmin(); }

    /** True when the two branches are the same (no activation, ReLU or ReLU6): kernels need no sign select. */
    public boolean singleBranch() { return positive.equals(negative); }
}
