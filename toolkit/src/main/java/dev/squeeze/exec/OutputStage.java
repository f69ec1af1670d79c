package dev.squeeze.exec;

import dev.squeeze.ir.Requantizer;
import java.util.Arrays;

/**
 * The output stage of an integer op: each int32 accumulator {@code acc} of output channel {@code c}
 * becomes a code with {@link Requantizer}'s exact fixed-point arithmetic, the fused activation folded in
 * as a second multiplier for negative accumulators:
 * <pre>
 *   (m, s) = acc ≥ 0 ? (multipliers[c], shifts[c]) : (negativeMultipliers[c], negativeShifts[c])
 *   t      = 31 − s
 *   y      = floor((acc · m + 2^(t−1)) / 2^t)              (int64, one rounding: round half up of acc · m · 2^−t)
 *   out    = clamp(y + zeroPoint, qmin, qmax)              (in int64: no wrap)
 * </pre>
 * bit for bit {@code Requantizer(m, s, zeroPoint, qmin', qmax').requantize(acc)}. No activation: the two
 * branches are equal. ReLU: equal branches and {@code qmin = zeroPoint}. LeakyReLU(α): the negative
 * branch has multiplier {@code M·α}.
 *
 * <p>One {@code qmin} and one {@code qmax} serve both branches because the other bound never binds: a
 * non-negative accumulator gives {@code y ≥ 0}, so {@code y + zp ≥ zp ≥ qmin}; a negative one gives
 * {@code y ≤ 0}, so {@code y + zp ≤ zp ≤ qmax}. Hence {@link #of(Requantizer[], Requantizer[])} takes
 * {@code qmax} from the positive requantizers and {@code qmin} from the negative ones.
 *
 * @param multipliers per output channel, 0 or in [2^30, 2^31)
 * @param shifts per output channel, in [−31, 31]
 * @param negativeMultipliers for {@code acc < 0}, same range
 * @param negativeShifts for {@code acc < 0}
 * @param zeroPoint output zero point, in [qmin, qmax]
 * @param qmin lower clamp (the zero point under ReLU)
 * @param qmax upper clamp
 */
public record OutputStage(int[] multipliers, int[] shifts, int[] negativeMultipliers, int[] negativeShifts,
                          int zeroPoint, int qmin, int qmax) {

    public OutputStage {
        int n = multipliers.length;
        if (n == 0 || shifts.length != n || negativeMultipliers.length != n || negativeShifts.length != n) {
            throw new IllegalArgumentException("OutputStage needs ≥ 1 channel and as many shifts and negative multipliers/shifts"
                    + " as multipliers, got " + n + ", " + shifts.length + ", " + negativeMultipliers.length + ", " + negativeShifts.length);
        }
        multipliers = multipliers.clone();
        shifts = shifts.clone();
        negativeMultipliers = negativeMultipliers.clone();
        negativeShifts = negativeShifts.clone();
        for (int c = 0; c < n; c++) {
            checkMultiplier(multipliers[c], shifts[c], c, "");
            checkMultiplier(negativeMultipliers[c], negativeShifts[c], c, "negative ");
        }
        if (qmin > qmax || zeroPoint < qmin || zeroPoint > qmax) {
            throw new IllegalArgumentException("OutputStage needs qmin ≤ zeroPoint ≤ qmax, got zero point " + zeroPoint
                    + " and clamp [" + qmin + ", " + qmax + "]");
        }
    }

    private static void checkMultiplier(int m, int s, int c, String which) {
        if (m < 0 || (m != 0 && m < (1 << 30))) {
            throw new IllegalArgumentException("OutputStage: " + which + "multiplier of channel " + c + " must be 0 or in [2^30, 2^31), got "
                    + m + " (make it with Requantizer.quantizeMultiplier)");
        }
        if (s < -31 || s > 31) {
            throw new IllegalArgumentException("OutputStage: " + which + "shift of channel " + c + " must be in [-31, 31], got " + s);
        }
    }

    /** One channel, no activation: {@code r}'s multiplier, zero point and clamp. */
    public static OutputStage of(Requantizer r) {
        return of(new Requantizer[] {r}, new Requantizer[] {r});
    }

    /**
     * Per-channel stage from positive-branch and negative-branch requantizers (equal arrays: no
     * activation or ReLU).
     *
     * @throws IllegalArgumentException when the arrays differ in length, the zero points differ, the
     *     positive requantizers disagree on qmax or the negative ones on qmin
     */
    public static OutputStage of(Requantizer[] positive, Requantizer[] negative) {
        if (positive.length == 0 || positive.length != negative.length) {
            throw new IllegalArgumentException("OutputStage.of needs as many (≥ 1) negative as positive requantizers, got "
                    + positive.length + " and " + negative.length);
        }
        int n = positive.length;
        int[] m = new int[n], s = new int[n], nm = new int[n], ns = new int[n];
        int zp = positive[0].zeroPoint(), qmax = positive[0].qmax(), qmin = negative[0].qmin();
        for (int c = 0; c < n; c++) {
            Requantizer p = positive[c], q = negative[c];
            if (p.zeroPoint() != zp || q.zeroPoint() != zp || p.qmax() != qmax || q.qmin() != qmin) {
                throw new IllegalArgumentException("OutputStage.of: channel " + c + " has requantizers " + p + " / " + q
                        + " but channel 0 has zero point " + zp + ", positive qmax " + qmax + ", negative qmin " + qmin
                        + "; one output stage has one zero point and one clamp");
            }
            m[c] = p.multiplier();
            s[c] = p.shift();
            nm[c] = q.multiplier();
            ns[c] = q.shift();
        }
        return new OutputStage(m, s, nm, ns, zp, qmin, qmax);
    }

    /** Output channels. */
    public int channels() { return multipliers.length; }

    // Per-channel reads without copying the arrays (kernels call these on the hot path).
    /** Multiplier of channel {@code c} for {@code acc ≥ 0}. */
    public int multiplier(int c) { return multipliers[c]; }
    /** Shift of channel {@code c} for {@code acc ≥ 0}. */
    public int shift(int c) { return shifts[c]; }
    /** Multiplier of channel {@code c} for {@code acc < 0}. */
    public int negativeMultiplier(int c) { return negativeMultipliers[c]; }
    /** Shift of channel {@code c} for {@code acc < 0}. */
    public int negativeShift(int c) { return negativeShifts[c]; }
    /** Whether channel {@code c} uses one multiplier for both signs. */
    public boolean singleBranch(int c) { return multipliers[c] == negativeMultipliers[c] && shifts[c] == negativeShifts[c]; }

    /** True when both branches are equal for every channel (no sign select needed). */
    public boolean singleBranch() {
        return Arrays.equals(multipliers, negativeMultipliers) && Arrays.equals(shifts, negativeShifts);
    }

    /** The stage restricted to channels {@code [from, to)}. */
    public OutputStage slice(int from, int to) {
        return new OutputStage(Arrays.copyOfRange(multipliers, from, to), Arrays.copyOfRange(shifts, from, to),
                Arrays.copyOfRange(negativeMultipliers, from, to), Arrays.copyOfRange(negativeShifts, from, to), zeroPoint, qmin, qmax);
    }

    /** Requantizes accumulator {@code acc} of channel {@code c}: the scalar definition every kernel reproduces. */
    public int requantize(int c, int acc) {
        return acc >= 0 ? requantize(acc, multipliers[c], shifts[c], zeroPoint, qmin, qmax)
                : requantize(acc, negativeMultipliers[c], negativeShifts[c], zeroPoint, qmin, qmax);
    }

    /** {@link Requantizer#requantize(int)} on raw fields, without building a record per value. */
    static int requantize(int acc, int multiplier, int shift, int zeroPoint, int qmin, int qmax) {
        long out = Requantizer.roundingShiftRight((long) acc * multiplier, 31 - shift) + zeroPoint;
        return out < qmin ? qmin : out > qmax ? qmax : (int) out;
    }

    // Accessors return copies: the record is immutable and kernels keep their own packed copies.
    @Override public int[] multipliers() { return multipliers.clone(); }
    @Override public int[] shifts() { return shifts.clone(); }
    @Override public int[] negativeMultipliers() { return negativeMultipliers.clone(); }
    @Override public int[] negativeShifts() { return negativeShifts.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof OutputStage s && zeroPoint == s.zeroPoint && qmin == s.qmin && qmax == s.qmax
                && Arrays.equals(multipliers, s.multipliers) && Arrays.equals(shifts, s.shifts)
                && Arrays.equals(negativeMultipliers, s.negativeMultipliers) && Arrays.equals(negativeShifts, s.negativeShifts);
    }

    @Override public int hashCode() { return (Arrays.hashCode(multipliers) * 31 + Arrays.hashCode(shifts)) * 31 + zeroPoint; }

    @Override public String toString() {
        return "OutputStage[" + channels() + " channels, zero point " + zeroPoint + ", clamp [" + qmin + ", " + qmax + "]"
                + (singleBranch() ? "" : ", two branches") + "]";
    }
}
