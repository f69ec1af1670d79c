package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;

/**
 * Running minimum and maximum over all batches ({@code torch.ao.quantization.MinMaxObserver}).
 * No clipping: a single outlier sets the range.
 */
public final class MinMaxObserver implements RangeObserver {
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;
    private long count;

    @Override public void observe(float[] values, int offset, int length) {
        Checks.finite(name(), values, offset, length);
        float lo = min, hi = max;
        for (int i = offset; i < offset + length; i++) {
            float v = values[i];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        min = lo;
        max = hi;
        count += length;
    }

    @Override public float[] range() {
        if (count == 0) throw Checks.empty(name());
        return new float[] {min, max};
    }

    @Override public QuantParams params(QScheme scheme) {
        Checks.perTensor(name(), scheme);
        float[] r = range();
        return QuantParams.fromRange(r[0], r[1], scheme);
    }

    @Override public long count() { return count; }

    @Override public void reset() {
        min = Float.POSITIVE_INFINITY;
        max = Float.NEGATIVE_INFINITY;
        count = 0;
    }
}
