package dev.squeeze.quant;

/**
 * How an activation observer turns calibration data into a clipping range.
 *
 * <p>The six post-training methods are {@link #MIN_MAX}, {@link #PERCENTILE}, {@link #ENTROPY_KL},
 * {@link #SYMMETRIC_KL}, {@link #JENSEN_SHANNON} and {@link #MSE};
 * {@link #MOVING_AVERAGE_MIN_MAX} is meant for quantization-aware training, where ranges follow the
 * changing weights/activations. The four search methods share one histogram and one set of candidate
 * thresholds ({@link HistogramObserver}) and differ only in the score they minimise.
 */
public enum CalibrationMethod {
    /** Observed [min, max]: no clipping ({@link MinMaxObserver}). */
    MIN_MAX,
    /** Exponential moving average of per-batch min and max, constant 0.01 ({@link MovingAverageMinMaxObserver}). */
    MOVING_AVERAGE_MIN_MAX,
    /** The given percentile of |x| (symmetric) or the two tails of x (affine) ({@link PercentileObserver}). */
    PERCENTILE,
    /** TensorRT entropy calibration: minimise KL(P‖Q) ({@link HistogramObserver}). */
    ENTROPY_KL,
    /** Minimise (KL(P‖Q) + KL(Q‖P)) / 2. */
    SYMMETRIC_KL,
    /** Minimise the Jensen–Shannon divergence of P and Q. */
    JENSEN_SHANNON,
    /** Minimise the expected squared quantization plus clipping error. */
    MSE;

    /** True for the methods that search a histogram for a clipping threshold. */
    public boolean isSearch() {
        return this == ENTROPY_KL || this == SYMMETRIC_KL || this == JENSEN_SHANNON || this == MSE;
    }
}
