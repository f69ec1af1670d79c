package dev.squeeze.quant;

import java.util.Arrays;

/**
 * A fixed number of equal-width bins (2048 by default) whose range grows as data arrives, with exact
 * deterministic re-binning. Optionally histograms |x| instead of x.
 *
 * <h2>Layout</h2>
 * Bins are anchored at zero: bin {@code a} (an "absolute" index, any long) holds the values v with
 * {@code floor(v · (1/W)) == a}, i.e. {@code [a·W, (a+1)·W)}, where W is the bin width. The array
 * holds the window of {@code bins} consecutive absolute indices {@code [start, start + bins)}, and the
 * window always contains bin 0: the histogrammed range is {@code [min(min, 0), max(max, 0)]}, exactly
 * the range a quantization grid has to cover, so no resolution is lost on values that the grid could
 * not resolve anyway.
 *
 * <h2>Growth (instead of PyTorch's interpolating re-binning)</h2>
 * <ul>
 *   <li>The first batch with a non-zero value sets {@code W = span / (bins − 2)}, where span is the
 *       length of {@code [min(min,0), max(max,0)]}, so that the span fits into {@code bins} bins.
 *       While every value seen is exactly 0 no width is chosen; those zeros are counted and land in
 *       bin 0 once it is.</li>
 *   <li>When a batch falls outside the window and the occupied bins plus the batch's bins span more
 *       than {@code bins} indices, W doubles as often as needed. Doubling merges bins {@code 2k} and
 *       {@code 2k+1} into bin {@code k} (floor division), which is exact: a merged bin's count is the
 *       number of values in its new interval. No counts are ever split or interpolated.</li>
 *   <li>Otherwise the window just shifts so that it covers the occupied bins and the new batch.</li>
 * </ul>
 * The result depends on the batch order only through W (the resolution), and is identical for
 * identical sequences of batches. Exact zeros are also counted separately ({@link #exactZeros()}),
 * because they are exactly representable under every quantization grid.
 */
public final class GrowingHistogram {
    public static final int DEFAULT_BINS = 2048;

    private final int bins;
    private final boolean absolute;
    private final long[] counts;
    private double width;   // W; 0 until the first non-zero value
    private double inv;     // 1 / W: the bin index of v is floor(v · inv) (monotone in v)
    private long start;     // absolute index of counts[0]
    private long occLo, occHi; // absolute extent of the bins that were ever filled (occLo > occHi: none)
    private long total, zeros;
    private float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;

    /** 2048 bins of x. */
    public GrowingHistogram() { this(DEFAULT_BINS, false); }

    /**
     * @param bins number of bins, ≥ 16
     * @param absolute true to histogram |x|
     */
    public GrowingHistogram(int bins, boolean absolute) {
        if (bins < 16) throw new IllegalArgumentException("GrowingHistogram.bins must be ≥ 16, got " + bins);
        this.bins = bins;
        this.absolute = absolute;
        this.counts = new long[bins];
        reset();
    }

    /** Forgets everything. */
    public void reset() {
        Arrays.fill(counts, 0);
        width = inv = 0;
        start = 0;
        occLo = 1;
        occHi = 0;
        total = zeros = 0;
        min = Float.POSITIVE_INFINITY;
        max = Float.NEGATIVE_INFINITY;
    }

    /**
     * Adds {@code values[off .. off+len)}; they must be finite (checked by the caller, which knows the
     * observer's name for the message).
     */
    public void add(float[] values, int off, int len) {
        if (len == 0) return;
        float bmin = Float.POSITIVE_INFINITY, bmax = Float.NEGATIVE_INFINITY;
        long bzeros = 0;
        for (int i = off; i < off + len; i++) {
            float v = absolute ? Math.abs(values[i]) : values[i];
            if (!Float.isFinite(v)) throw new IllegalArgumentException("GrowingHistogram: non-finite value " + v);
            if (v < bmin) bmin = v;
            if (v > bmax) bmax = v;
            if (v == 0f) bzeros++;
        }
        min = Math.min(min, bmin);
        max = Math.max(max, bmax);
        double lo = Math.min(bmin, 0f), hi = Math.max(bmax, 0f);
        if (width == 0) {
            double span = hi - lo;
            if (span == 0) { // still nothing but zeros: wait for a width
                total += len;
                zeros += bzeros;
                return;
            }
            width = span / (bins - 2);
            inv = 1.0 / width;
            start = (long) Math.floor(lo * inv);
            ensureCovers(lo, hi);
            if (total > 0) { // the zeros seen before the width existed
                counts[(int) (0 - start)] += total;
                extendOccupied(0, 0);
            }
        } else {
            ensureCovers(lo, hi);
        }
        for (int i = off; i < off + len; i++) {
            float v = absolute ? Math.abs(values[i]) : values[i];
            counts[(int) ((long) Math.floor(v * inv) - start)]++;
        }
        extendOccupied((long) Math.floor(bmin * inv), (long) Math.floor(bmax * inv));
        total += len;
        zeros += bzeros;
    }

    private void extendOccupied(long a, long b) {
        if (occLo > occHi) {
            occLo = a;
            occHi = b;
        } else {
            occLo = Math.min(occLo, a);
            occHi = Math.max(occHi, b);
        }
    }

    /** Makes the window contain the bins of lo ≤ 0 ≤ hi and every occupied bin, coarsening as needed. */
    private void ensureCovers(double lo, double hi) {
        // Extents in double: before coarsening, lo·inv may exceed the long range.
        while (true) {
            double aLo = Math.floor(lo * inv), aHi = Math.floor(hi * inv);
            if (occLo <= occHi) {
                aLo = Math.min(aLo, occLo);
                aHi = Math.max(aHi, occHi);
            }
            if (aHi - aLo + 1 <= bins) {
                // Every index is now within [-bins, bins] because bin 0 is inside the extent.
                shiftWindow((long) aLo, (long) aHi);
                return;
            }
            coarsen();
        }
    }

    /** Doubles W, merging bins 2k and 2k+1 into k. */
    private void coarsen() {
        long newStart = Math.floorDiv(start, 2);
        long[] merged = new long[bins];
        for (int j = 0; j < bins; j++) {
            if (counts[j] != 0) merged[(int) (Math.floorDiv(start + j, 2) - newStart)] += counts[j];
        }
        System.arraycopy(merged, 0, counts, 0, bins);
        start = newStart;
        width *= 2;
        inv *= 0.5; // exact: floor(v·inv/2) == floorDiv(floor(v·inv), 2), so old and new binning agree
        if (occLo <= occHi) {
            occLo = Math.floorDiv(occLo, 2);
            occHi = Math.floorDiv(occHi, 2);
        }
    }

    private void shiftWindow(long aLo, long aHi) {
        long newStart;
        if (aLo < start) newStart = aLo;
        else if (aHi >= start + bins) newStart = aHi - bins + 1;
        else return;
        long[] moved = new long[bins];
        for (int j = 0; j < bins; j++) {
            if (counts[j] != 0) moved[(int) (start + j - newStart)] = counts[j];
        }
        System.arraycopy(moved, 0, counts, 0, bins);
        start = newStart;
    }

    public int bins() { return bins; }
    public boolean absolute() { return absolute; }

    /** Bin width W; 0 while only zeros have been seen. */
    public double binWidth() { return width; }

    /** Values added so far. */
    public long total() { return total; }

    /** Values that were exactly ±0. */
    public long exactZeros() { return zeros; }

    /** Smallest value added (of |x| when absolute). */
    public float min() { return min; }

    /** Largest value added (of |x| when absolute). */
    public float max() { return max; }

    /** Lowest absolute bin of the histogrammed range: min(lowest occupied bin, 0). */
    public long occupiedFrom() { return occLo <= occHi ? Math.min(occLo, 0) : 0; }

    /** Highest absolute bin of the histogrammed range: max(highest occupied bin, 0). */
    public long occupiedTo() { return occLo <= occHi ? Math.max(occHi, 0) : 0; }

    /** Count of absolute bin {@code a} (0 outside the window). While W is 0 every value is in bin 0. */
    public long count(long a) {
        if (width == 0) return a == 0 ? total : 0;
        long j = a - start;
        return j < 0 || j >= bins ? 0 : counts[(int) j];
    }

    /** Lower edge {@code a·W} of absolute bin a. */
    public double lowerEdge(long a) { return a * width; }

    /** Counts of absolute bins {@code from .. to} inclusive, as doubles. */
    public double[] dense(long from, long to) {
        double[] out = new double[(int) (to - from + 1)];
        for (long a = from; a <= to; a++) out[(int) (a - from)] = count(a);
        return out;
    }

    /**
     * The {@code q}-quantile (q in [0, 1]) assuming values are uniform within each bin, clamped to
     * [min, max]: the point where the cumulative count reaches {@code q · total}.
     */
    public double quantile(double q) {
        if (total == 0) throw new IllegalStateException("GrowingHistogram: empty");
        if (!(q >= 0 && q <= 1)) throw new IllegalArgumentException("GrowingHistogram.quantile: q must be in [0, 1], got " + q);
        if (width == 0) return 0;
        double target = q * total;
        double cum = 0;
        for (long a = occupiedFrom(); a <= occupiedTo(); a++) {
            long c = count(a);
            if (c == 0) continue;
            if (cum + c >= target) {
                double v = (a + (target - cum) / c) * width;
                return Math.max(min, Math.min(max, v));
            }
            cum += c;
        }
        return max;
    }

    @Override public String toString() {
        return "GrowingHistogram[" + bins + " bins" + (absolute ? " of |x|" : "") + ", width=" + width
                + ", total=" + total + ", range=[" + min + ", " + max + "]]";
    }
}
