package dev.squeeze.ir;

import java.util.Arrays;

/**
 * Per-channel affine quantization parameters: channel {@code c} along {@code axis} uses
 * {@code scales[c]} and {@code zeroPoints[c]} with the shared integer range [qmin, qmax]; each channel
 * follows exactly the arithmetic of {@link QuantParams} (see {@link #channel(int)}).
 *
 * <p>Element {@code i} of a row-major tensor of shape {@code shape} belongs to channel
 * {@code (i / inner) % shape[axis]}, where {@code inner} is the product of the dimensions after
 * {@code axis}. For weights {@code [out, in, kh, kw]} with axis 0 each output channel is one
 * contiguous block of {@code in·kh·kw} values.
 *
 * @param scales one scale per channel, each finite and &gt; 0
 * @param zeroPoints one zero point per channel, each in [qmin, qmax]
 * @param axis the channel dimension, ≥ 0
 * @param qmin smallest code
 * @param qmax largest code
 */
public record PerChannelQuantParams(float[] scales, int[] zeroPoints, int axis, int qmin, int qmax) {

    public PerChannelQuantParams {
        if (scales.length == 0 || scales.length != zeroPoints.length) {
            throw new IllegalArgumentException("PerChannelQuantParams: scales and zeroPoints need the same non-zero"
                    + " length, got " + scales.length + " and " + zeroPoints.length);
        }
        if (axis < 0) throw new IllegalArgumentException("PerChannelQuantParams.axis must be ≥ 0, got " + axis);
        scales = scales.clone();
        zeroPoints = zeroPoints.clone();
        for (int c = 0; c < scales.length; c++) {
            try {
                new QuantParams(scales[c], zeroPoints[c], qmin, qmax); // same per-channel validation
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("PerChannelQuantParams channel " + c + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Per-channel parameters from per-channel ranges, each channel computed by
     * {@link QuantParams#fromRange(float, float, QScheme)} (so every edge case there applies per
     * channel: an all-zero, e.g. pruned, channel gets scale 1).
     */
    public static PerChannelQuantParams fromRanges(float[] mins, float[] maxs, QScheme scheme, int axis) {
        if (mins.length != maxs.length) {
            throw new IllegalArgumentException("PerChannelQuantParams: mins and maxs lengths differ: "
                    + mins.length + " vs " + maxs.length);
        }
        float[] s = new float[mins.length];
        int[] z = new int[mins.length];
        for (int c = 0; c < mins.length; c++) {
            QuantParams p;
            try {
                p = QuantParams.fromRange(mins[c], maxs[c], scheme);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("channel " + c + ": " + e.getMessage(), e);
            }
            s[c] = p.scale();
            z[c] = p.zeroPoint();
        }
        return new PerChannelQuantParams(s, z, axis, scheme.qmin(), scheme.qmax());
    }

    public int channels() { return scales.length; }

    /** The per-tensor parameters of channel {@code c}. */
    public QuantParams channel(int c) { return new QuantParams(scales[c], zeroPoints[c], qmin, qmax); }

    @Override public float[] scales() { return scales.clone(); }
    @Override public int[] zeroPoints() { return zeroPoints.clone(); }

    public float scale(int c) { return scales[c]; }
    public int zeroPoint(int c) { return zeroPoints[c]; }

    public int quantize(float x, int c) {
        return QuantParams.quantize(x, 1.0f / scales[c], zeroPoints[c], qmin, qmax);
    }

    public float dequantize(int q, int c) { return (float) (q - zeroPoints[c]) * scales[c]; }

    public float fakeQuantize(float x, int c) { return dequantize(quantize(x, c), c); }

    /** Quantizes a row-major tensor of the given shape ({@code shape[axis] == channels()}). */
    public int[] quantize(float[] values, int[] shape) {
        int inner = inner(values.length, shape);
        int channels = scales.length;
        float[] inv = new float[channels];
        for (int c = 0; c < channels; c++) inv[c] = 1.0f / scales[c];
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            int c = (i / inner) % channels;
            out[i] = QuantParams.quantize(values[i], inv[c], zeroPoints[c], qmin, qmax);
        }
        return out;
    }

    /** Dequantizes a row-major tensor of codes of the given shape. */
    public float[] dequantize(int[] codes, int[] shape) {
        int inner = inner(codes.length, shape);
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            int c = (i / inner) % scales.length;
            out[i] = (float) (codes[i] - zeroPoints[c]) * scales[c];
        }
        return out;
    }

    /** Fake-quantizes a row-major tensor of the given shape. */
    public float[] fakeQuantize(float[] values, int[] shape) {
        return dequantize(quantize(values, shape), shape);
    }

    /** Quantizes a weight laid out {@code [channels, ...]} (axis 0, contiguous per channel). */
    public int[] quantize(float[] values) { return quantize(values, axis0Shape(values.length)); }

    /** Fake-quantizes a weight laid out {@code [channels, ...]} (axis 0). */
    public float[] fakeQuantize(float[] values) { return fakeQuantize(values, axis0Shape(values.length)); }

    private int[] axis0Shape(int length) {
        if (axis != 0) {
            throw new IllegalArgumentException("PerChannelQuantParams: axis is " + axis + "; pass the tensor shape");
        }
        if (length % scales.length != 0) {
            throw new IllegalArgumentException("PerChannelQuantParams: " + length + " values do not split into "
                    + scales.length + " channels");
        }
        return new int[] {scales.length, length / scales.length};
    }

    private int inner(int length, int[] shape) {
        if (axis >= shape.length) {
            throw new IllegalArgumentException("PerChannelQuantParams: axis " + axis + " outside shape "
                    + Arrays.toString(shape));
        }
        if (shape[axis] != scales.length) {
            throw new IllegalArgumentException("PerChannelQuantParams: shape " + Arrays.toString(shape) + " has "
                    + shape[axis] + " channels on axis " + axis + ", parameters have " + scales.length);
        }
        long n = 1;
        for (int d : shape) n *= d;
        if (n != length) {
            throw new IllegalArgumentException("PerChannelQuantParams: shape " + Arrays.toString(shape) + " holds "
                    + n + " values, array has " + length);
        }
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
        return inner;
    }

    @Override public boolean equals(Object o) {
        return o instanceof PerChannelQuantParams p && Arrays.equals(scales, p.scales)
                && Arrays.equals(zeroPoints, p.zeroPoints) && axis == p.axis && qmin == p.qmin && qmax == p.qmax;
    }

    @Override public int hashCode() {
        return (Arrays.hashCode(scales) * 31 + Arrays.hashCode(zeroPoints)) * 31 + axis * 7 + qmin * 3 + qmax;
    }

    @Override public String toString() {
        return "PerChannelQuantParams[axis=" + axis + ", channels=" + scales.length + ", range=[" + qmin + ", "
                + qmax + "], scales=" + Arrays.toString(scales) + ", zeroPoints=" + Arrays.toString(zeroPoints) + "]";
    }
}
