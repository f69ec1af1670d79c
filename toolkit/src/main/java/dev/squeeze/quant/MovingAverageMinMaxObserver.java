package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;

/**
 * Exponential moving average of per-batch extremes, for quantization-aware training
 * ({@code torch.ao.quantization.MovingAverageMinMaxObserver}). The first batch sets the range; each
 * later batch with extremes {@code (bmin, bmax)} updates, in float32 as PyTorch does:
 * <pre>
 *   min += c · (bmin − min)
 *   max += c · (bmax − max)        c = averagingConstant (0.01 by default)
 * </pre>
 * Empty batches are ignored.
 */
public final class MovingAverageMinMaxObserver implements RangeObserver {
    private final float averagingConstant;
    private float min, max;
    private long count;
    private long batches;

    /** With PyTorch's averaging constant 0.01. */
    public MovingAverageMinMaxObserver() { this(DEFAULT_AVERAGING_CONSTANT); }

    /** @param averagingConstant weight of the newest batch, in (0, 1] */
    public MovingAverageMinMaxObserver(float averagingConstant) {
        if (!(averagingConstant > 0 && averagingConstant <= 1)) {
            throw new IllegalArgumentException("MovingAverageMinMaxObserver.averagingConstant must be in (0, 1], got "
                    + averagingConstant);
        }
        this.averagingConstant = averagingConstant;
    }

    public float averagingConstant() { return averagingConstant; }

    /** Number of non-empty batches seen. */
    public long batches() { return batches; }

    @Override public void observe(float[] values, int offset, int length) {
        Checks.finite(name(), values, offset, length);
        if (length == 0) return;
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int i = offset; i < offset + length; i++) {
            float v = values[i];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (batches == 0) {
            min = lo;
            max = hi;
        } else {
            min = min + averagingConstant * (lo - min);
            max = max + averagingConstant * (hi - max);
        }
        batches++;
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
        min = max = 0;
        count = batches = 0;
    }
}
