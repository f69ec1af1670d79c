package dev.squeeze.ir;

import java.util.Arrays;

/**
 * The integer weights of one convolution or fully connected layer, stored at their bit width.
 *
 * <p>Layout: {@code count() = channels · perChannel} codes in the float weight's row-major order
 * ({@code [out, in/groups, k, k]} or {@code [out, in]}), so output channel {@code c} is the contiguous
 * block {@code [c·perChannel, (c+1)·perChannel)}. The real weight is
 * <pre>
 *   ŵ[i] = (code[i] − zeroPoints[c]) · scales[c]        c = i / perChannel   (float32)
 * </pre>
 *
 * <p>Packing: code {@code i} is stored as the unsigned {@code bits}-bit value {@code u} at bit offset
 * {@code i·bits} of {@code packed}, least significant bit first (so 8-bit codes are plain bytes, 4-bit
 * codes two per byte with code {@code 2j} in the low nibble, 2-bit codes four per byte, 1-bit codes
 * eight per byte, bit {@code j mod 8} of byte {@code j/8}). The unused high bits of the last byte are
 * zero. With {@code b = bits}:
 * <pre>
 *   UNIFORM, TERNARY:  u = code − codeMin          code = u + codeMin
 *   BINARY:            u = (code + 1) / 2          code = 2u − 1        (codes ±1)
 * </pre>
 * Ternary weights are the 2-bit grid [-1, 1] ({@code codeMin} −1, {@code u} ∈ {0, 1, 2}).
 *
 * <p>Low-bit scale conventions (conversion, {@link dev.squeeze.quant.Int8Converter}): a ternary or binary channel's scale
 * is its α; a channel whose α is 0 (all weights zero, e.g. pruned) gets scale 1 — a ternary one then has
 * all codes 0, a binary one (whose codes are ±1 and cannot be 0) gets zero point +1 and codes +1, so
 * that every {@code code − zeroPoint} is exactly 0.
 *
 * @param method uniform grid, ternary or binary
 * @param bits stored bits per weight, 1–8
 * @param channels output channels (axis 0)
 * @param perChannel codes per output channel
 * @param packed the codes packed as above, {@code ceil(count·bits/8)} bytes
 * @param scales one float32 scale per output channel (all equal for per-tensor quantization), each finite and &gt; 0
 * @param zeroPoints one zero point per output channel (0 for symmetric signed weights)
 * @param codeMin smallest code
 * @param codeMax largest code
 * @param perChannelScales true when scales were computed per output channel, false when one per-tensor scale is repeated
 */
public record Int8Weights(WeightMethod method, int bits, int channels, int perChannel, byte[] packed,
                          float[] scales, int[] zeroPoints, int codeMin, int codeMax, boolean perChannelScales) {

    public Int8Weights {
        if (method == null) throw new IllegalArgumentException("Int8Weights.method must not be null");
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("Int8Weights.bits must be in [1, 8], got " + bits);
        if (method == WeightMethod.BINARY && bits != 1) throw new IllegalArgumentException("Int8Weights: binary weights use 1 bit, got " + bits);
        if (method == WeightMethod.TERNARY && bits != 2) throw new IllegalArgumentException("Int8Weights: ternary weights use 2 bits, got " + bits);
        if (channels < 1 || perChannel < 1) {
            throw new IllegalArgumentException("Int8Weights needs ≥ 1 channel and ≥ 1 weight per channel, got " + channels + " × " + perChannel);
        }
        long count = (long) channels * perChannel;
        if (count > Integer.MAX_VALUE) throw new IllegalArgumentException("Int8Weights: " + count + " weights exceed 2^31 − 1");
        if (packed.length != packedLength((int) count, bits)) {
            throw new IllegalArgumentException("Int8Weights: " + count + " weights of " + bits + " bits need "
                    + packedLength((int) count, bits) + " bytes, got " + packed.length);
        }
        if (scales.length != channels || zeroPoints.length != channels) {
            throw new IllegalArgumentException("Int8Weights: " + channels + " channels need as many scales and zero points, got "
                    + scales.length + " and " + zeroPoints.length);
        }
        if (codeMin > codeMax) throw new IllegalArgumentException("Int8Weights: codeMin " + codeMin + " > codeMax " + codeMax);
        for (int c = 0; c < channels; c++) {
            if (!(scales[c] > 0) || !Float.isFinite(scales[c])) {
                throw new IllegalArgumentException("Int8Weights: scale of channel " + c + " must be finite and > 0, got " + scales[c]);
            }
            if (zeroPoints[c] < codeMin || zeroPoints[c] > codeMax) {
                throw new IllegalArgumentException("Int8Weights: zero point of channel " + c + " is " + zeroPoints[c]
                        + ", outside the code range [" + codeMin + ", " + codeMax + "]");
            }
        }
        packed = packed.clone();
        scales = scales.clone();
        zeroPoints = zeroPoints.clone();
        // Every stored code must decode inside [codeMin, codeMax], and the padding bits must be zero, so
        // that two equal models have byte-identical files and a damaged payload cannot smuggle in codes.
        int mask = (1 << bits) - 1;
        for (int i = 0; i < count; i++) {
            int code = decode(method, codeMin, extract(packed, i, bits, mask));
            if (code < codeMin || code > codeMax) {
                throw new IllegalArgumentException("Int8Weights: stored code " + code + " of weight " + i
                        + " lies outside [" + codeMin + ", " + codeMax + "]");
            }
        }
        int usedBits = (int) ((count * bits) % 8);
        if (usedBits != 0 && (packed[packed.length - 1] & 0xFF) >>> usedBits != 0) {
            throw new IllegalArgumentException("Int8Weights: padding bits of the last byte are not zero");
        }
    }

    /**
     * Packs integer codes.
     *
     * @param codes {@code channels · perChannel} codes in [codeMin, codeMax] (binary: ±1)
     */
    public static Int8Weights pack(WeightMethod method, int bits, int channels, int[] codes, float[] scales, int[] zeroPoints,
            int codeMin, int codeMax, boolean perChannelScales) {
        if (channels < 1 || codes.length % channels != 0) {
            throw new IllegalArgumentException("Int8Weights.pack: " + codes.length + " codes do not split into " + channels + " channels");
        }
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("Int8Weights.bits must be in [1, 8], got " + bits);
        byte[] packed = new byte[packedLength(codes.length, bits)];
        for (int i = 0; i < codes.length; i++) {
            int code = codes[i];
            if (code < codeMin || code > codeMax || (method == WeightMethod.BINARY && code != 1 && code != -1)) {
                throw new IllegalArgumentException("Int8Weights.pack: code " + code + " of weight " + i + " is not a valid "
                        + method + " code in [" + codeMin + ", " + codeMax + "]");
            }
            int u = method == WeightMethod.BINARY ? (code + 1) >> 1 : code - codeMin;
            if (u >= 1 << bits) {
                throw new IllegalArgumentException("Int8Weights.pack: code " + code + " needs more than " + bits + " bits");
            }
            long bit = (long) i * bits;
            // A code never straddles bytes when bits divides 8; for 3, 5, 6, 7 bits it may: write both parts.
            int byteIx = (int) (bit >>> 3), off = (int) (bit & 7);
            int v = u << off;
            packed[byteIx] |= (byte) v;
            if (off + bits > 8) packed[byteIx + 1] |= (byte) (v >>> 8);
        }
        return new Int8Weights(method, bits, channels, codes.length / channels, packed, scales, zeroPoints, codeMin, codeMax,
                perChannelScales);
    }

    /** Bytes that {@code count} codes of {@code bits} bits occupy. */
    public static int packedLength(int count, int bits) { return (int) (((long) count * bits + 7) / 8); }

    private static int extract(byte[] packed, int i, int bits, int mask) {
        long bit = (long) i * bits;
        int byteIx = (int) (bit >>> 3), off = (int) (bit & 7);
        int v = (packed[byteIx] & 0xFF) >>> off;
        if (off + bits > 8) v |= (packed[byteIx + 1] & 0xFF) << (8 - off);
        return v & mask;
    }

    private static int decode(WeightMethod method, int codeMin, int u) {
        return method == WeightMethod.BINARY ? 2 * u - 1 : u + codeMin;
    }

    /** Number of weights, {@code channels · perChannel}. */
    public int count() { return channels * perChannel; }

    /** Code of weight {@code i}. */
    public int code(int i) {
        return decode(method, codeMin, extract(packed, i, bits, (1 << bits) - 1));
    }

    /** Every code, unpacked, as ints in the weight's row-major layout. */
    public int[] unpackInts() {
        int[] out = new int[count()];
        int mask = (1 << bits) - 1;
        for (int i = 0; i < out.length; i++) out[i] = decode(method, codeMin, extract(packed, i, bits, mask));
        return out;
    }

    /**
     * Every code, unpacked to one byte each (what a SIMD int8 kernel consumes). Signed schemes (all the
     * presets) fit a Java byte exactly; for an unsigned 8-bit weight scheme (codes up to 255) each byte
     * holds the code's low 8 bits: read it with {@code b & 0xFF}.
     */
    public byte[] unpack() {
        int[] codes = unpackInts();
        byte[] out = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) out[i] = (byte) codes[i];
        return out;
    }

    /** The float weights these codes represent, {@code (code − zp[c]) · scale[c]} in float32. */
    public float[] dequantize() {
        int[] codes = unpackInts();
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            int c = i / perChannel;
            out[i] = (float) (codes[i] - zeroPoints[c]) * scales[c];
        }
        return out;
    }

    /** True when every zero point is 0 (symmetric signed weights): kernels may skip the weight-offset term. */
    public boolean symmetric() {
        for (int z : zeroPoints) if (z != 0) return false;
        return true;
    }

    /** Largest {@code |code − zeroPoint[c]|} in channel {@code c}: bounds the accumulator (see {@link dev.squeeze.quant.Int8Converter}). */
    public int maxAbsOffsetCode(int c) {
        int m = 0;
        for (int i = c * perChannel; i < (c + 1) * perChannel; i++) m = Math.max(m, Math.abs(code(i) - zeroPoints[c]));
        return m;
    }

    /** A short description for tables, e.g. {@code "int8 per-channel"}, {@code "ternary"}. */
    public String format() {
        return switch (method) {
            case BINARY -> "binary (1 bit)";
            case TERNARY -> "ternary (2 bits)";
            case UNIFORM -> (codeMin < 0 ? "int" : "uint") + bits + (perChannelScales ? " per-channel" : " per-tensor");
        };
    }

    @Override public byte[] packed() { return packed.clone(); }
    @Override public float[] scales() { return scales.clone(); }
    @Override public int[] zeroPoints() { return zeroPoints.clone(); }

    /** Scale of output channel {@code c}. */
    public float scale(int c) { return scales[c]; }
    /** Zero point of output channel {@code c}. */
    public int zeroPoint(int c) { return zeroPoints[c]; }
    /** Packed size in bytes. */
    public int packedBytes() { return packed.length; }

    // Package-private zero-copy view for the file writer.
    byte[] packedView() { return packed; }

    @Override public boolean equals(Object o) {
        return o instanceof Int8Weights w && method == w.method && bits == w.bits && channels == w.channels
                && perChannel == w.perChannel && codeMin == w.codeMin && codeMax == w.codeMax
                && perChannelScales == w.perChannelScales && Arrays.equals(packed, w.packed)
                && Arrays.equals(scales, w.scales) && Arrays.equals(zeroPoints, w.zeroPoints);
    }

    @Override public int hashCode() {
        return ((Arrays.hashCode(packed) * 31 + Arrays.hashCode(scales)) * 31 + Arrays.hashCode(zeroPoints)) * 31 + bits;
    }

    @Override public String toString() {
        return "Int8Weights[" + format() + ", " + channels + " × " + perChannel + ", " + packed.length + " bytes]";
    }
}
