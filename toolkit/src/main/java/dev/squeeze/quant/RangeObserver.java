package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.WeightMethod;

/**
 * Collects statistics of a tensor over calibration batches and turns them into quantization
 * parameters.
 *
 * <p>Every {@code observe} call is one batch (this matters for {@link MovingAverageMinMaxObserver}).
 * Values must be finite: a NaN or infinity fails with an {@link IllegalArgumentException} naming the
 * observer, the value and its index. Asking for a range or parameters before any value was observed
 * fails with an {@link IllegalStateException}. Observers are not thread-safe.
 */
public interface RangeObserver {

    /** Default percentile for {@link CalibrationMethod#PERCENTILE}. */
    double DEFAULT_PERCENTILE = 99.99;
    /** PyTorch's averaging constant for {@link MovingAverageMinMaxObserver}. */
    float DEFAULT_AVERAGING_CONSTANT = 0.01f;

    /** Observes {@code values[offset .. offset+length)} as one batch. */
    void observe(float[] values, int offset, int length);

    /** Observes the whole array as one batch. */
    default void observe(float[] values) { observe(values, 0, values.length); }

    /**
     * The statistics-level range {@code {min, max}}: observed extremes (or their moving averages), not
     * yet clipped and not yet widened to contain 0.
     */
    float[] range();

    /**
     * The range the parameters are computed from, {@code {lo, hi}}: {@link #range()} for the min-max
     * observers, the percentile or searched clipping range otherwise. It may depend on the scheme
     * (symmetric schemes clip |x|, affine ones clip both tails).
     */
    default float[] clippingRange(QScheme scheme) { return range(); }

    /**
     * Per-tensor parameters: {@code QuantParams.fromRange(clippingRange(scheme), scheme)}.
     *
     * @throws IllegalArgumentException for a per-channel scheme on a per-tensor observer
     */
    QuantParams params(QScheme scheme);

    /** Number of values observed so far. */
    long count();

    /** Forgets everything observed. */
    void reset();

    /** Name used in messages. */
    default String name() { return getClass().getSimpleName(); }

    /** An observer for {@code method} with the default percentile (99.99) and averaging constant (0.01). */
    static RangeObserver create(CalibrationMethod method) {
        return create(method, DEFAULT_PERCENTILE, DEFAULT_AVERAGING_CONSTANT);
    }

    /**
     * An observer for {@code method}.
     *
     * @param percentile used by {@link CalibrationMethod#PERCENTILE}, in (50, 100]
     * @param averagingConstant used by {@link CalibrationMethod#MOVING_AVERAGE_MIN_MAX}, in (0, 1]
     */
    static RangeObserver create(CalibrationMethod method, double percentile, float averagingConstant) {
        return switch (method) {
            case MIN_MAX -> new MinMaxObserver();
            case MOVING_AVERAGE_MIN_MAX -> new MovingAverageMinMaxObserver(averagingConstant);
            case PERCENTILE -> new PercentileObserver(percentile);
            case ENTROPY_KL, SYMMETRIC_KL, JENSEN_SHANNON, MSE -> new HistogramObserver(method);
        };
    }

    /** The activation observer a configuration asks for. */
    static RangeObserver forActivations(QConfig config) {
        return create(config.calibration(), config.percentile(), config.averagingConstant());
    }

    /**
     * The weight observer a configuration asks for: weights are known exactly, so they use min-max
     * (as PyTorch's default weight observers do): {@link PerChannelMinMaxObserver} for per-channel
     * weights, {@link MinMaxObserver} otherwise. {@link WeightMethod#TERNARY} and
     * {@link WeightMethod#BINARY} weights need no observer: {@link LowBitQuantizer} derives α from
     * the weight itself.
     *
     * @param outChannels size of axis 0 of the weight
     */
    static RangeObserver forWeights(QConfig config, int outChannels) {
        return config.perChannelWeights() ? new PerChannelMinMaxObserver(outChannels) : new MinMaxObserver();
    }
}
