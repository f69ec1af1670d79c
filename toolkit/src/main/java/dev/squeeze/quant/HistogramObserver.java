package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
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
 * Results are cached per scheme until the next batch.
 *
 * <h2>Candidates</h2>
 * Let W be the bin width and {@code L} the number of quantization levels the divergence scores
 * simulate: {@code 2^(bits-1)} for symmetric schemes (128 for int8, as TensorRT) and
 * {@code qmax − qmin} (2^bits − 1 for a full range) for affine ones. A candidate window has at least
 * {@code minBins} bins: {@code max(2, 2^(bits-1))} for the divergences (TensorRT's 128 for int8:
 * below that the simulated quantization is not visible at histogram resolution and the divergence
 * degenerates to 0 for a one-bin window that clips everything), 1 for MSE, which models clipping
 * directly. The affine floor is 2^(bits-1), not L, so that an affine search still clips when a few
 * far outliers stretch the histogram until the bulk of the data covers fewer than L bins (with
 * TensorRT's floor every such window would have an empty edge bin and KL = +∞).
 * <ul>
 *   <li>Symmetric: thresholds {@code T_i = min(i·W, max|x|)} for {@code i = minBins .. n}, n the
 *       number of |x| bins from 0 to the last occupied one; range {@code [-T, T]}. Ties go to the
 *       larger T (TensorRT's "last argmin").</li>
 *   <li>Affine: bin windows {@code [l, r]} of the x histogram that always contain bin 0 (the range
 *       always contains 0). Starting from the full range, each step trims one edge bin from the side
 *       whose clipped tail mass would be smaller (on a tie, the side reaching farther from 0), as
 *       PyTorch's {@code HistogramObserver._non_linear_param_search} does, until the window would
 *       be narrower than minBins or both edges reach bin 0. Unlike PyTorch every candidate is scored
 *       (no stop at the first increase). Ties go to the wider range. For data ≥ 0 (after ReLU) the
 *       left edge is already bin 0 and this is a search over [0, T].</li>
 * </ul>
 * Windows narrower than L bins put each bin in its own group (Q = p inside the window).
 * Cost: O(n²) per search with n ≤ 2048, a few tens of milliseconds.
 *
 * <h2>Scores</h2>
 * For a window of m bins {@code p_0..p_{m-1}} (exact zeros removed from bin 0: zero is exactly
 * representable under every candidate, so it tells nothing about the threshold; this replaces
 * TensorRT's {@code bins[0] = bins[1]} work-around for post-ReLU zero spikes):
 * <pre>
 *   P = p with the mass outside the window added to the edge bins (clipped values land there)
 *   Q: split the m bins into L groups, bin k in group floor(k·L/m) (TensorRT's linspace/digitize);
 *      each group's mass (of p, without the clipped tails) is spread evenly over its non-empty bins;
 *      empty bins stay empty
 *   P, Q normalised to sum 1
 *   ENTROPY_KL      KL(P‖Q) = Σ P ln(P/Q)   (+∞ when P &gt; 0 = Q: the candidate is never chosen)
 *   SYMMETRIC_KL    (KL(P‖Q) + KL(Q‖P)) / 2
 *   JENSEN_SHANNON  (KL(P‖M) + KL(Q‖M)) / 2,  M = (P + Q) / 2
 * </pre>
 * {@code MSE} instead computes the expected squared error of the actual quantizer: the candidate's
 * {@link QuantParams#fromRange} parameters, applied to the x histogram with values uniform within
 * each bin (bins clamped to the observed [min, max]; exact zeros contribute 0), integrated exactly
 * piece by piece between the rounding boundaries, clipping included.
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
                    + "JENSEN_SHANNON or MSE, got " + method + " (use RangeObserver.create for the others)");
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
