package dev.squeeze.quant;

import java.util.HashMap;
import java.util.Map;

/**
 * Histogram calibration with a clipping-threshold search: {@link CalibrationMethod#ENTROPY_KL}
 * (TensorRT entropy calibration), {@link CalibrationMethod#SYMMETRIC_KL},
 * {@link CalibrationMethod#JENSEN_SHANNON} or {@link CalibrationMethod#MSE}.
 *
 * <p>Batches go into 2048-bin {@link GrowingHistogram}s of x and |x| whose range grows as data
 * arrives (exact bin merging, see there). Symmetric schemes search a threshold T on |x| and use
 * [-T, T]; affine schemes search a range [lo, hi] containing 0 on x (one-sided [0, T] for data ≥ 0).
 * Candidates and scores are specified in {@link ClippingSearch}. Results are cached per scheme until
 * the next batch.
 */
public final class HistogramObserver extends HistogramBasedObserver {
    private final CalibrationMethod method;
    private final Map<QScheme, Clipping> cache = new HashMap<>();

    /** With 2048 bins. */
    public HistogramObserver(CalibrationMethod method) { this(method, GrowingHistogram.DEFAULT_BINS); }

    /**
     * @param method ENTROPY_KL, SYMMETRIC_KL, JENSEN_SHANNON or MSE
     * @param bins histogram bins, ≥ 16
     */
    public HistogramObserver(CalibrationMethod method, int bins) {
        super(bins);
        if (!method.isSearch()) {
            throw new IllegalArgumentException("HistogramObserver.method must be ENTROPY_KL, SYMMETRIC_KL, "
                    + "JENSEN_SHANNON or MSE, got " + method + " (use Observer.create for the others)");
        }
        this.method = method;
    }

    public CalibrationMethod method() { return method; }

    @Override void invalidate() { cache.clear(); }

    /** Runs (or returns the cached) search for the scheme. */
    public Clipping search(QScheme scheme) {
        if (signed.total() == 0) throw Checks.empty(name());
        QScheme key = scheme.withPerChannel(false);
        Clipping c = cache.get(key);
        if (c == null) {
            c = ClippingSearch.search(method, key, signed, abs);
            cache.put(key, c);
        }
        return c;
    }

    @Override public float[] clippingRange(QScheme scheme) { return search(scheme).range(); }

    @Override public String name() { return "HistogramObserver(" + method + ")"; }
}
