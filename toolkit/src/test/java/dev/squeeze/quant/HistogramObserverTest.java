package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HistogramObserverTest {
    static final CalibrationMethod[] DIVERGENCES = {
        CalibrationMethod.ENTROPY_KL, CalibrationMethod.SYMMETRIC_KL, CalibrationMethod.JENSEN_SHANNON};
    static final CalibrationMethod[] SEARCHES = {
        CalibrationMethod.ENTROPY_KL, CalibrationMethod.SYMMETRIC_KL, CalibrationMethod.JENSEN_SHANNON,
        CalibrationMethod.MSE};

    static float[] data; // N(0,1) × 500k with outliers 38, 41, -39, -42
    static final Map<CalibrationMethod, HistogramObserver> observers = new EnumMap<>(CalibrationMethod.class);

    @BeforeAll
    static void calibrate() {
        data = Data.gaussianWithOutliers(500_000, 42);
        for (CalibrationMethod m : SEARCHES) {
            HistogramObserver o = new HistogramObserver(m);
            for (int b = 0; b < 5; b++) o.observe(data, b * 100_000, b == 4 ? data.length - 400_000 : 100_000);
            observers.put(m, o);
        }
    }

    @Test
    void minMaxDoesNotClipOutliers() {
        MinMaxObserver mm = new MinMaxObserver();
        mm.observe(data);
        assertEquals(42f / 127.5f, mm.params(QScheme.PER_TENSOR_SYMMETRIC).scale());
        assertArrayEquals(new float[] {-42f, 41f}, mm.range());
    }

    @Test
    void divergencesClipOutliersToTheBulkSymmetric() {
        for (CalibrationMethod m : DIVERGENCES) {
            Clipping c = observers.get(m).search(QScheme.PER_TENSOR_SYMMETRIC);
            assertEquals(-c.hi(), c.lo());
            assertTrue(c.hi() > 3f && c.hi() < 7f, m + " chose T = " + c.hi());
            assertTrue(Double.isFinite(c.score()) && c.candidates() > 100, m + " " + c);
        }
    }

    @Test
    void mseClipsEveryOutlier() {
        // Four outliers at ~40σ among 500k: clipping them all the way to the bulk costs more squared
        // error than the coarser step saves, so MSE clips less than the divergences, but below every outlier.
        float t = observers.get(CalibrationMethod.MSE).clippingRange(QScheme.PER_TENSOR_SYMMETRIC)[1];
        assertTrue(t > 8f && t < 38f, "MSE chose T = " + t);
        QuantParams chosen = observers.get(CalibrationMethod.MSE).params(QScheme.PER_TENSOR_SYMMETRIC);
        MinMaxObserver mm = new MinMaxObserver();
        mm.observe(data);
        QuantParams minMax = mm.params(QScheme.PER_TENSOR_SYMMETRIC);
        QuantParams kl = observers.get(CalibrationMethod.ENTROPY_KL).params(QScheme.PER_TENSOR_SYMMETRIC);
        double eChosen = Data.mse(data, chosen);
        assertTrue(eChosen < Data.mse(data, minMax), "MSE params beat min-max on squared error");
        assertTrue(eChosen < Data.mse(data, kl), "MSE params beat KL params on squared error");
        // and are close to the best threshold of a fine scan on the actual data
        double best = Double.POSITIVE_INFINITY;
        for (float s = 4f; s <= 42f; s += 0.25f) {
            best = Math.min(best, Data.mse(data, QuantParams.fromRange(-s, s, QScheme.PER_TENSOR_SYMMETRIC)));
        }
        assertTrue(eChosen <= best * 1.03, "empirical MSE " + eChosen + " vs best scanned " + best);
    }

    @Test
    void mseMatchesKnownGaussianOptimumAt4Bits() {
        // The MSE-optimal clipping of N(0,1) for a 16-level uniform quantizer is ≈ 2.55σ (Banner et al., ACIQ).
        HistogramObserver o = new HistogramObserver(CalibrationMethod.MSE);
        o.observe(Data.gaussian(400_000, 5));
        float t = o.clippingRange(QScheme.symmetric(4, true))[1];
        assertEquals(2.55, t, 0.2);
        // 8 bits clips much less
        assertTrue(o.clippingRange(QScheme.PER_TENSOR_SYMMETRIC)[1] > 3.3f);
    }

    @Test
    void affineSearchesClipBothTails() {
        for (CalibrationMethod m : DIVERGENCES) {
            float[] r = observers.get(m).clippingRange(QScheme.PER_TENSOR_AFFINE);
            assertTrue(r[0] < -3f && r[0] > -7f && r[1] > 3f && r[1] < 7f, m + " chose " + r[0] + ", " + r[1]);
        }
        float[] r = observers.get(CalibrationMethod.MSE).clippingRange(QScheme.PER_TENSOR_AFFINE);
        assertTrue(r[0] > -39f && r[1] < 38f && r[0] < -4f && r[1] > 4f, "MSE chose " + r[0] + ", " + r[1]);
    }

    @Test
    void reluActivationsSearchOnlyTheUpperEnd() {
        float[] relu = Data.relu(data);
        for (CalibrationMethod m : SEARCHES) {
            HistogramObserver o = new HistogramObserver(m);
            o.observe(relu);
            float[] r = o.clippingRange(QScheme.PER_TENSOR_AFFINE);
            assertEquals(0f, r[0], m.toString());
            assertTrue(r[1] < 38f, m + " chose hi = " + r[1]);
            if (m != CalibrationMethod.MSE) assertTrue(r[1] > 3f && r[1] < 7f, m + " chose hi = " + r[1]);
            QuantParams p = o.params(QScheme.PER_TENSOR_AFFINE);
            assertEquals(0, p.zeroPoint());
            assertEquals(r[1] / 255f, p.scale(), 1e-6f);
        }
    }

    @Test
    void skewedDataClipsEachSideOnItsOwn() {
        float[] x = Data.gaussian(300_000, 9);
        for (int i = 0; i < x.length; i++) x[i] = x[i] > 0 ? 3 * x[i] : 0.5f * x[i]; // long right tail
        HistogramObserver o = new HistogramObserver(CalibrationMethod.ENTROPY_KL);
        o.observe(x);
        float[] r = o.clippingRange(QScheme.PER_TENSOR_AFFINE);
        assertTrue(r[1] > 3 * -r[0], "range " + r[0] + ", " + r[1] + " follows the skew");
        assertTrue(r[0] >= o.range()[0] && r[1] <= o.range()[1]);
    }

    /**
     * ENTROPY_KL on a symmetric int8 scheme against a literal transcription of TensorRT's algorithm
     * (pytorch-quantization's _compute_amax_entropy: start at 128 bins, np.digitize over
     * linspace(0, i, 129), last argmin), run on the same |x| histogram.
     */
    @Test
    void entropyMatchesTensorRtReference() {
        HistogramObserver o = observers.get(CalibrationMethod.ENTROPY_KL);
        GrowingHistogram h = o.absHistogram();
        int n = (int) h.occupiedTo() + 1;
        double[] bins = h.dense(0, n - 1);
        bins[0] -= h.exactZeros();
        int nq = 128;
        double bestDiv = Double.POSITIVE_INFINITY;
        int bestI = -1;
        for (int i = nq; i <= n; i++) {
            double[] space = new double[nq + 1];
            for (int k = 0; k <= nq; k++) space[k] = (double) i * k / nq;
            int[] dig = new int[i];
            for (int j = 0; j < i; j++) {
                int d = 0;
                while (d + 1 <= nq && space[d + 1] <= j) d++; // np.digitize(j, space) - 1
                dig[j] = bins[j] == 0 ? -1 : d;
            }
            double[] counts = new double[nq];
            int[] members = new int[nq];
            for (int j = 0; j < i; j++) if (dig[j] >= 0) { counts[dig[j]] += bins[j]; members[dig[j]]++; }
            double[] q = new double[i];
            double[] p = new double[i];
            double qs = 0, ps = 0;
            for (int j = 0; j < i; j++) {
                q[j] = dig[j] >= 0 ? counts[dig[j]] / members[dig[j]] : 0;
                p[j] = bins[j];
                qs += q[j];
            }
            for (int j = i; j < n; j++) p[i - 1] += bins[j];
            for (int j = 0; j < i; j++) ps += p[j];
            double div = 0;
            for (int j = 0; j < i; j++) {
                if (p[j] == 0) continue;
                if (q[j] == 0) { div = Double.POSITIVE_INFINITY; break; }
                div += p[j] / ps * Math.log((p[j] / ps) / (q[j] / qs));
            }
            if (div <= bestDiv) { bestDiv = div; bestI = i; }
        }
        float expected = (float) Math.min(bestI * h.binWidth(), h.max());
        Clipping c = o.search(QScheme.PER_TENSOR_SYMMETRIC);
        assertEquals(expected, c.hi(), 0f);
        assertEquals(bestDiv, c.score(), 1e-12);
    }

    @Test
    void searchesAreDeterministicAndCacheUntilNewData() {
        HistogramObserver a = new HistogramObserver(CalibrationMethod.JENSEN_SHANNON);
        HistogramObserver b = new HistogramObserver(CalibrationMethod.JENSEN_SHANNON);
        for (int k = 0; k < 5; k++) {
            a.observe(data, k * 100_000, 100_000);
            b.observe(data, k * 100_000, 100_000);
        }
        Clipping ca = a.search(QScheme.PER_TENSOR_AFFINE);
        assertEquals(ca, b.search(QScheme.PER_TENSOR_AFFINE));
        assertSame(ca, a.search(QScheme.PER_TENSOR_AFFINE));
        a.observe(new float[] {100f, -100f, 100f});
        assertNotSame(ca, a.search(QScheme.PER_TENSOR_AFFINE));
        a.reset();
        assertThrows(IllegalStateException.class, () -> a.search(QScheme.PER_TENSOR_AFFINE));
        assertThrows(IllegalArgumentException.class, () -> b.params(QScheme.PER_CHANNEL_SYMMETRIC));
    }

    @Test
    void degenerateTensors() {
        for (CalibrationMethod m : SEARCHES) {
            HistogramObserver zeros = new HistogramObserver(m);
            zeros.observe(new float[1000]);
            assertArrayEquals(new float[] {0f, 0f}, zeros.clippingRange(QScheme.PER_TENSOR_AFFINE), m.toString());
            assertEquals(1f, zeros.params(QScheme.PER_TENSOR_SYMMETRIC).scale());

            float[] constant = new float[1000];
            java.util.Arrays.fill(constant, 2.5f);
            HistogramObserver c = new HistogramObserver(m);
            c.observe(constant);
            float[] sym = c.clippingRange(QScheme.PER_TENSOR_SYMMETRIC);
            assertEquals(2.5f, sym[1], 0.25f, m.toString());
            QuantParams p = c.params(QScheme.PER_TENSOR_AFFINE);
            assertEquals(2.5f, p.fakeQuantize(2.5f), 0.25f, m.toString());

            HistogramObserver neg = new HistogramObserver(m);
            neg.observe(new float[] {-3f, -2f, -2.5f, -1f});
            float[] r = neg.clippingRange(QScheme.PER_TENSOR_AFFINE);
            assertEquals(0f, r[1], m.toString());
            assertTrue(r[0] <= -1f && r[0] >= -3f, m + " " + r[0]);
        }
    }

    @Test
    void exactZerosDoNotDriveTheThreshold() {
        // Half of a ReLU output is exactly 0; adding more zeros must not move the KL threshold.
        float[] relu = Data.relu(Data.gaussian(200_000, 3));
        float[] moreZeros = java.util.Arrays.copyOf(relu, relu.length * 2); // 200k extra zeros
        HistogramObserver a = new HistogramObserver(CalibrationMethod.ENTROPY_KL);
        HistogramObserver b = new HistogramObserver(CalibrationMethod.ENTROPY_KL);
        a.observe(relu);
        b.observe(moreZeros);
        assertEquals(a.clippingRange(QScheme.PER_TENSOR_AFFINE)[1], b.clippingRange(QScheme.PER_TENSOR_AFFINE)[1]);
        assertEquals(a.clippingRange(QScheme.PER_TENSOR_SYMMETRIC)[1], b.clippingRange(QScheme.PER_TENSOR_SYMMETRIC)[1]);
        assertEquals(300_000, b.histogram().exactZeros(), 2_000);
    }
}
