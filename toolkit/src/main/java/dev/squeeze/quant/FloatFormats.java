package dev.squeeze.quant;

/**
 * IEEE binary16 (fp16) and bfloat16 (bf16) conversions for weight storage. Both round to nearest,
 * ties to even, and keep NaN a NaN and ±Infinity infinite.
 *
 * <ul>
 *   <li>fp16: 1 sign, 5 exponent, 10 mantissa bits; max finite 65504, subnormals down to 2^-24.
 *       Values ≥ 65520 (the midpoint to 2^16) round to Infinity. Uses {@link Float#floatToFloat16}
 *       / {@link Float#float16ToFloat} (JDK 20+, exact IEEE round-to-nearest-even).</li>
 *   <li>bf16: the upper 16 bits of a float32 (1 sign, 8 exponent, 7 mantissa bits), same range as
 *       float32. Rounding: {@code bits + 0x7FFF + ((bits >>> 16) & 1)}, then keep the upper half;
 *       NaN maps to a quiet NaN with the same sign.</li>
 * </ul>
 */
public final class FloatFormats {
    private FloatFormats() {}

    /** float32 → fp16 bits, round to nearest even. */
    public static short toHalfBits(float x) { return Float.floatToFloat16(x); }

    /** fp16 bits → float32 (exact). */
    public static float fromHalfBits(short bits) { return Float.float16ToFloat(bits); }

    /** The float32 value {@code x} is stored as in fp16. */
    public static float roundToHalf(float x) { return Float.float16ToFloat(Float.floatToFloat16(x)); }

    /** float32 → bf16 bits, round to nearest even. */
    public static short toBfloat16Bits(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            // Truncating a NaN could clear every mantissa bit and yield Infinity; force a quiet NaN.
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        // Adding 0x7FFF + lsb carries into bit 16 exactly when the low half is > 0x8000, or == 0x8000
        // with an odd upper half: round to nearest, ties to even. Overflow of the largest finite values
        // carries into the exponent and correctly produces Infinity.
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** bf16 bits → float32 (exact). */
    public static float fromBfloat16Bits(short bits) { return Float.intBitsToFloat((bits & 0xFFFF) << 16); }

    /** The float32 value {@code x} is stored as in bf16. */
    public static float roundToBfloat16(float x) { return fromBfloat16Bits(toBfloat16Bits(x)); }

    /** Element-wise {@link #toHalfBits(float)}. */
    public static short[] toHalfBits(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Float.floatToFloat16(values[i]);
        return out;
    }

    /** Element-wise {@link #fromHalfBits(short)}. */
    public static float[] fromHalfBits(short[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) out[i] = Float.float16ToFloat(bits[i]);
        return out;
    }

    /** Element-wise {@link #toBfloat16Bits(float)}. */
    public static short[] toBfloat16Bits(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) out[i] = toBfloat16Bits(values[i]);
        return out;
    }

    /** Element-wise {@link #fromBfloat16Bits(short)}. */
    public static float[] fromBfloat16Bits(short[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) out[i] = fromBfloat16Bits(bits[i]);
        return out;
    }

    /** Element-wise {@link #roundToHalf(float)}, into a new array. */
    public static float[] roundToHalf(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) out[i] = roundToHalf(values[i]);
        return out;
    }

    /** Element-wise {@link #roundToBfloat16(float)}, into a new array. */
    public static float[] roundToBfloat16(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) out[i] = roundToBfloat16(values[i]);
        return out;
    }
}
