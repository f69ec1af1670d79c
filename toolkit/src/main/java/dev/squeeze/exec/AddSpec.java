package dev.squeeze.exec;

import dev.squeeze.ir.Requantizer;

/**
 * Residual addition of two quantized tensors of equal shape, TFLite-style: with {@code L = leftShift},
 * <pre>
 *   a'  = aRescale.requantize((qa − zpA) · 2^L)           (aRescale's multiplier and shift; no clamp)
 *   b'  = bRescale.requantize((qb − zpB) · 2^L)
 *   out = output.requantize(0, a' + b')                   (one-channel stage; the fused activation acts here)
 * </pre>
 * {@code (q − zp) · 2^L} is computed in int32 (|q − zp| ≤ 255 and L ≤ 22 cannot overflow), the rescales
 * are {@link Requantizer#requantize(int)} with zero point 0 and no clamp, the sum is int32.
 *
 * @param aType code type of the first operand (the residual body)
 * @param aZeroPoint its zero point
 * @param bType code type of the second operand (the shortcut)
 * @param bZeroPoint its zero point
 * @param leftShift L in [0, 22]
 * @param aMultiplier aRescale's multiplier (0 or in [2^30, 2^31))
 * @param aShift aRescale's shift
 * @param bMultiplier bRescale's multiplier
 * @param bShift bRescale's shift
 * @param output one-channel output stage
 */
public record AddSpec(CodeType aType, int aZeroPoint, CodeType bType, int bZeroPoint, int leftShift,
                      int aMultiplier, int aShift, int bMultiplier, int bShift, OutputStage output) {

    public AddSpec {
        if (leftShift < 0 || leftShift > 22) {
            throw new IllegalArgumentException("AddSpec.leftShift must be in [0, 22] so that (q − zp)·2^L fits int32, got " + leftShift);
        }
        if (output.channels() != 1) {
            throw new IllegalArgumentException("AddSpec.output must have one channel, got " + output.channels());
        }
        check(aZeroPoint, aType, "a");
        check(bZeroPoint, bType, "b");
        new Requantizer(aMultiplier, aShift, 0, Integer.MIN_VALUE, Integer.MAX_VALUE); // validates multiplier and shift
        new Requantizer(bMultiplier, bShift, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    private static void check(int zp, CodeType t, String which) {
        if (zp < t.min() || zp > t.max()) {
            throw new IllegalArgumentException("AddSpec: zero point " + zp + " of operand " + which + " is outside its " + t + " range");
        }
    }

    /** From the two operand rescale requantizers (zero point 0, full int32 range, as TFLite's add). */
    public static AddSpec of(CodeType aType, int aZeroPoint, CodeType bType, int bZeroPoint, int leftShift,
            Requantizer aRescale, Requantizer bRescale, OutputStage output) {
        for (Requantizer r : new Requantizer[] {aRescale, bRescale}) {
            if (r.zeroPoint() != 0 || r.qmin() != Integer.MIN_VALUE || r.qmax() != Integer.MAX_VALUE) {
                throw new IllegalArgumentException("AddSpec: operand rescales need zero point 0 and the full int32 range, got " + r);
            }
        }
        return new AddSpec(aType, aZeroPoint, bType, bZeroPoint, leftShift, aRescale.multiplier(), aRescale.shift(),
                bRescale.multiplier(), bRescale.shift(), output);
    }

    /** The scalar definition of one output code. */
    public int apply(int qa, int qb) {
        int sa = OutputStage.requantize((qa - aZeroPoint) << leftShift, aMultiplier, aShift, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
        int sb = OutputStage.requantize((qb - bZeroPoint) << leftShift, bMultiplier, bShift, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
        return output.requantize(0, sa + sb);
    }
}
