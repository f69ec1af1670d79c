package dev.squeeze.quant;

import dev.squeeze.ir.PerChannelQuantParams;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;

/**
 * Running min and max per channel along axis 0 of an {@code [out, ...]} tensor
 * ({@code torch.ao.quantization.PerChannelMinMaxObserver} with {@code ch_axis=0}). Each batch of
 * length {@code L} must split into {@code channels} contiguous blocks of {@code L / channels}
 * values; block {@code c} belongs to channel {@code c}. For a weight {@code [out, in, kh, kw]} in
 * row-major order that is exactly one output channel per block.
 */
public final class PerChannelMinMaxObserver implements RangeObserver {
    private final int channels;
    private final float[] mins, maxs;
    private long count;

    /** @param channels size of axis 0 */
    public PerChannelMinMaxObserver(int channels) {
        if (channels <= 0) {
            throw new IllegalArgumentException("PerChannelMinMaxObserver.channels must be > 0, got " + channels);
        }
        this.channels = channels;
        mins = new float[channels];
        maxs = new float[channels];
        reset();
    }

    public int channels() { return channels; }

    @Override public void observe(float[] values, int offset, int length) {
        Checks.finite(name(), values, offset, length);
        if (length % channels != 0) {
            throw new IllegalArgumentException(name() + ": batch of " + length + " values does not split into "
                    + channels + " channels along axis 0");
        }
        int n = length / channels;
        for (int c = 0; c < channels; c++) {
            float lo = mins[c], hi = maxs[c];
            for (int i = offset + c * n; i < offset + (c + 1) * n; i++) {
                float v = values[i];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            mins[c] = lo;
            maxs[c] = hi;
        }
        count += length;
    }

    /** Per-channel minima (a copy). */
    public float[] channelMins() {
        if (count == 0) throw Checks.empty(name());
        return mins.clone();
    }

    /** Per-channel maxima (a copy). */
    public float[] channelMaxs() {
        if (count == 0) throw Checks.empty(name());
        return maxs.clone();
    }

    /** The range over all channels. */
    @Override public float[] range() {
        if (count == 0) throw Checks.empty(name());
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < channels; c++) {
            lo = Math.min(lo, mins[c]);
            hi = Math.max(hi, maxs[c]);
        }
        return new float[] {lo, hi};
    }

    /**
     * One set of parameters over all channels (a per-tensor scheme applied to this tensor).
     *
     * @throws IllegalArgumentException for a per-channel scheme: use {@link #channelParams(QScheme)}
     */
    @Override public QuantParams params(QScheme scheme) {
        if (scheme.perChannel()) {
            throw new IllegalArgumentException(name() + ".params gives per-tensor parameters; scheme " + scheme
                    + " is per-channel: use channelParams");
        }
        float[] r = range();
        return QuantParams.fromRange(r[0], r[1], scheme);
    }

    /** Per-channel parameters along axis 0, each channel by {@link QuantParams#fromRange}. Any granularity flag of the scheme is ignored. */
    public PerChannelQuantParams channelParams(QScheme scheme) {
        if (count == 0) throw Checks.empty(name());
        return PerChannelQuantParams.fromRanges(mins, maxs, scheme, 0);
    }

    @Override public long count() { return count; }

    @Override public void reset() {
        java.util.Arrays.fill(mins, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(maxs, Float.NEGATIVE_INFINITY);
        count = 0;
    }
}
