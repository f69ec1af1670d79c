package dev.squeeze.ir;

/**
 * Per-tensor affine quantization parameters: {@code q = clamp(rint(x · (1/scale)) + zeroPoint, qmin,
 * qmax)} and {@code x̂ = (q − zeroPoint) · scale}.
 *
 * <p>Arithmetic follows PyTorch's {@code quantize_val}/{@code fake_quantize_per_tensor_affine} bit for
 * bit: the inverse scale {@code 1.0f / scale} and the product {@code x · inv} are float32, the
 * rounding is {@link Math#rint} (round half to even, like {@code std::nearbyint}), and dequantization
 * is {@code (float)(q − zeroPoint) · scale} in float32.
 *
 * @param scale step between adjacent codes, finite and &gt; 0
 * @param zeroPoint the code that represents real 0, in [qmin, qmax]
 * @param qmin smallest code
 * @param qmax largest code, &gt; qmin
 */
public record QuantParams(float scale, int zeroPoint, int qmin, int qmax) {

    /**
     * Smallest scale produced from a non-degenerate range: {@code torch.finfo(torch.float32).eps}
     * = 2^-23, as PyTorch's observers clamp with it.
     */
    public static final float EPS = 0x1.0p-23f;

    public QuantParams {
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("QuantParams.scale must be finite and > 0, got " + scale);
        }
        if (qmin >= qmax) {
            throw new IllegalArgumentException("QuantParams needs qmin < qmax, got [" + qmin + ", " + qmax + "]");
        }
        if (zeroPoint < qmin || zeroPoint > qmax) {
            throw new IllegalArgumentException("QuantParams.zeroPoint must be in [" + qmin + ", " + qmax
                    + "], got " + zeroPoint);
        }
    }

    /**
     * Parameters for a float range under a scheme, computed like PyTorch's
     * {@code UniformQuantizationObserverBase._calculate_qparams} (float32 throughout):
     * <pre>
     *   minNeg = min(min, 0), maxPos = max(max, 0)           // the range always contains 0
     *   symmetric:  amax  = max(-minNeg, maxPos)
     *               scale = max(amax / ((qmax - qmin) / 2), EPS)
     *               zp    = 0 (signed) or 2^(bits-1) (unsigned, 128 for uint8)
     *   affine:     scale = max((maxPos - minNeg) / (qmax - qmin), EPS)
     *               zp    = clamp(qmin - rint(minNeg / scale), qmin, qmax)
     * </pre>
     * One deliberate difference: an all-zero range ({@code minNeg == maxPos == 0}) gives scale 1 (with
     * the scheme's zero point; PyTorch gives EPS). An all-zero tensor is common here (pruned channels,
     * dead ReLUs) and scale EPS would make the int32 bias scale {@code s_in · s_w} tiny enough to
     * overflow every bias; scale 1 represents the zeros exactly all the same.
     * Ranges that are merely tiny are clamped to EPS, as in PyTorch.
     *
     * <p>Consequences: a negative-only range [-a, -b] is treated as [-a, 0] (affine zero point = qmax);
     * a constant tensor c &gt; 0 gives [0, c].
     *
     * @throws IllegalArgumentException if min or max is not finite or min &gt; max
     */
    public static QuantParams fromRange(float min, float max, QScheme scheme) {
        checkRange(min, max);
        int qmin = scheme.qmin(), qmax = scheme.qmax();
        float minNeg = Math.min(min, 0f), maxPos = Math.max(max, 0f);
        if (minNeg == 0f && maxPos == 0f) {
            int zp = scheme.symmetric() ? scheme.symmetricZeroPoint() : qmin;
            return new QuantParams(1f, zp, qmin, qmax);
        }
        if (scheme.symmetric()) {
            float amax = Math.max(-minNeg, maxPos);
            float scale = Math.max(amax / ((float) (qmax - qmin) / 2f), EPS);
            return new QuantParams(scale, scheme.symmetricZeroPoint(), qmin, qmax);
        }
        float scale = Math.max((maxPos - minNeg) / (float) (qmax - qmin), EPS);
        long zp = qmin - (long) Math.rint(minNeg / scale);
        zp = Math.max(qmin, Math.min(qmax, zp));
        return new QuantParams(scale, (int) zp, qmin, qmax);
    }

    /** Symmetric per-tensor parameters: {@code fromRange(min, max, QScheme.symmetric(bits, signed))}. */
    public static QuantParams symmetric(float min, float max, int bits, boolean signed) {
        return fromRange(min, max, QScheme.symmetric(bits, signed));
    }

    /** Asymmetric per-tensor parameters: {@code fromRange(min, max, QScheme.affine(bits, signed))}. */
    public static QuantParams asymmetric(float min, float max, int bits, boolean signed) {
        return fromRange(min, max, QScheme.affine(bits, signed));
    }

    static void checkRange(float min, float max) {
        if (!Float.isFinite(min) || !Float.isFinite(max)) {
            throw new IllegalArgumentException("QuantParams: range must be finite, got [" + min + ", " + max + "]");
        }
        if (min > max) {
            throw new IllegalArgumentException("QuantParams: range min must be ≤ max, got [" + min + ", " + max + "]");
        }
    }

    /**
     * {@code clamp(rint(x · (1.0f/scale)) + zeroPoint, qmin, qmax)}; ±Infinity saturate to qmax/qmin.
     *
     * @throws IllegalArgumentException for NaN, which has no code
     */
    public int quantize(float x) {
        return quantize(x, 1.0f / scale, zeroPoint, qmin, qmax);
    }

    /** {@code (q − zeroPoint) · scale} in float32. */
    public float dequantize(int q) {
        return (float) (q - zeroPoint) * scale;
    }

    /** {@code dequantize(quantize(x))}: the value x is stored as. Round-trip error ≤ scale/2 inside the range. */
    public float fakeQuantize(float x) {
        return dequantize(quantize(x));
    }

    /** Element-wise {@link #quantize(float)}. */
    public int[] quantize(float[] values) {
        float inv = 1.0f / scale;
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = quantize(values[i], inv, zeroPoint, qmin, qmax);
        return out;
    }

    /** Element-wise {@link #dequantize(int)}. */
    public float[] dequantize(int[] codes) {
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) out[i] = (float) (codes[i] - zeroPoint) * scale;
        return out;
    }

    /** Element-wise {@link #fakeQuantize(float)}, into a new array. */
    public float[] fakeQuantize(float[] values) {
        float inv = 1.0f / scale;
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) (quantize(values[i], inv, zeroPoint, qmin, qmax) - zeroPoint) * scale;
        }
        return out;
    }

    /** Smallest representable value, {@code dequantize(qmin)}. */
    public float minRepresentable() { return dequantize(qmin); }

    /** Largest representable value, {@code dequantize(qmax)}. */
    public float maxRepresentable() { return dequantize(qmax); }

    /**
     * The quantization formula itself, for callers that hoist {@code inv = 1.0f/scale} out of a loop (the
     * executor's scalar kernels): {@code clamp(rint(x · inv) + zp, qmin, qmax)}, the product in float32.
     *
     * @throws IllegalArgumentException for NaN
     */
    public static int quantize(float x, float inv, int zp, int qmin, int qmax) {
        if (Float.isNaN(x)) {
            throw new IllegalArgumentException("QuantParams.quantize: NaN has no quantized code");
        }
        // float32 product as in PyTorch; rint is exact on the float widened to double.
        double r = Math.rint(x * inv) + zp;
        if (r <= qmin) return qmin;
        if (r >= qmax) return qmax;
        return (int) r;
    }

    @Override public String toString() {
        return "QuantParams[scale=" + scale + ", zeroPoint=" + zeroPoint + ", range=[" + qmin + ", " + qmax + "]]";
    }
}
