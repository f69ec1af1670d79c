package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;

/**
 * Clips at a percentile, read from the observer's 2048-bin {@link GrowingHistogram}s (deterministic;
 * values are assumed uniform within a bin, so the answer is exact to within one bin width):
 * <ul>
 *   <li>symmetric scheme: {@code T = quantile_{p/100}(|x|)}, range {@code [-T, T]} (as TensorRT /
 *       pytorch-quantization's percentile calibration);</li>
 *   <li>affine scheme: {@code [quantile_{1-p/100}(x), quantile_{p/100}(x)]}, clipping each tail.</li>
 * </ul>
 * Results are clamped to the observed range, so p = 100 gives min-max.
 */
public final class PercentileObserver extends HistogramBasedObserver {
    private final double percentile;

    /** Percentile 99.99 with 2048 bins. */
    public PercentileObserver() { this(DEFAULT_PERCENTILE); }

    /** @param percentile in (50, 100] */
    public PercentileObserver(double percentile) { this(percentile, GrowingHistogram.DEFAULT_BINS); }

    /**
     * @param percentile in (50, 100]
     * @param bins histogram bins, ≥ 16
     */
    public PercentileObserver(double percentile, int bins) {
        super(bins);
        this.percentile = Checks.percentile("PercentileObserver", percentile);
    }

    public double percentile() { return percentile; }

    @Override public float[] clippingRange(QScheme scheme) {
        if (signed.total() == 0) throw Checks.empty(name());
        double q = percentile / 100.0;
        if (scheme.symmetric()) {
            float t = (float) abs.quantile(q);
            return new float[] {-t, t};
        }
        return new float[] {(float) signed.quantile(1 - q), (float) signed.quantile(q)};
    }
}
