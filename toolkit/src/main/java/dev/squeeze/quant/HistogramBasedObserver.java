package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;

/**
 * Common part of the histogram observers: every batch goes into two {@link GrowingHistogram}s of the
 * same number of bins, one of x (for affine schemes and for the MSE error integral) and one of |x|
 * (for symmetric schemes, whose clipping range is [-T, T]).
 */
public abstract sealed class HistogramBasedObserver implements RangeObserver permits HistogramObserver, PercentileObserver {
    final GrowingHistogram signed;
    final GrowingHistogram abs;

    HistogramBasedObserver(int bins) {
        signed = new GrowingHistogram(bins, false);
        abs = new GrowingHistogram(bins, true);
    }

    @Override public void observe(float[] values, int offset, int length) {
        Checks.finite(name(), values, offset, length);
        signed.add(values, offset, length);
        abs.add(values, offset, length);
        invalidate();
    }

    /** Called when the data changed: drop cached results. */
    void invalidate() {}

    /** Observed {min, max} of x. */
    @Override public float[] range() {
        if (signed.total() == 0) throw Checks.empty(name());
        return new float[] {signed.min(), signed.max()};
    }

    @Override public QuantParams params(QScheme scheme) {
        Checks.perTensor(name(), scheme);
        float[] r = clippingRange(scheme);
        return QuantParams.fromRange(r[0], r[1], scheme);
    }

    @Override public abstract float[] clippingRange(QScheme scheme);

    @Override public long count() { return signed.total(); }

    @Override public void reset() {
        signed.reset();
        abs.reset();
        invalidate();
    }

    /** The histogram of x. Live view: do not modify. */
    public GrowingHistogram histogram() { return signed; }

    /** The histogram of |x|. Live view: do not modify. */
    public GrowingHistogram absHistogram() { return abs; }
}
