package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GrowingHistogramTest {

    /** Every bin count equals the number of values v with floor(v / W) == bin, for the final W. */
    private static void assertExact(GrowingHistogram h, float[][] batches) {
        double inv = 1.0 / h.binWidth();
        java.util.Map<Long, Long> expected = new java.util.HashMap<>();
        long total = 0;
        for (float[] b : batches) {
            for (float v : b) {
                float x = h.absolute() ? Math.abs(v) : v;
                expected.merge((long) Math.floor(x * inv), 1L, Long::sum);
                total++;
            }
        }
        assertEquals(total, h.total());
        long sum = 0;
        for (long a = h.occupiedFrom(); a <= h.occupiedTo(); a++) {
            assertEquals(expected.getOrDefault(a, 0L), h.count(a), "bin " + a);
            sum += h.count(a);
        }
        assertEquals(total, sum);
        assertTrue(h.occupiedTo() - h.occupiedFrom() + 1 <= h.bins());
    }

    @Test
    void growingRangeRebinsExactly() {
        SplittableRandom r = new SplittableRandom(1);
        for (boolean absolute : new boolean[] {false, true}) {
            GrowingHistogram h = new GrowingHistogram(2048, absolute);
            float[][] batches = new float[12][];
            double[] widths = new double[12];
            for (int b = 0; b < batches.length; b++) {
                float scale = (float) Math.pow(2.3, b);
                float shift = b % 3 == 0 ? -scale : 0.3f * scale;
                batches[b] = new float[5000];
                for (int i = 0; i < 5000; i++) batches[b][i] = (float) (shift + scale * r.nextDouble());
                h.add(batches[b], 0, 5000);
                widths[b] = h.binWidth();
                if (b > 0) {
                    double ratio = widths[b] / widths[b - 1]; // W only ever doubles
                    assertEquals(ratio, Math.scalb(1.0, Math.getExponent(ratio)), 0.0);
                }
                assertExact(h, java.util.Arrays.copyOf(batches, b + 1));
            }
            assertTrue(widths[11] > widths[0] * 100);
        }
    }

    @Test
    void zerosBeforeAWidthLandInBinZero() {
        GrowingHistogram h = new GrowingHistogram(2048, false);
        h.add(new float[500], 0, 500);
        assertEquals(0.0, h.binWidth());
        assertEquals(500, h.count(0));
        assertEquals(0.0, h.quantile(0.9));
        h.add(new float[] {1f, 2f, 0f, -0f}, 0, 4);
        assertEquals(502, h.count(0));
        assertEquals(502, h.exactZeros());
        assertEquals(504, h.total());
        assertEquals(2f / 2046, h.binWidth(), 1e-9);
    }

    @Test
    void shiftsWithoutCoarseningWhenTheSpanFits() {
        GrowingHistogram h = new GrowingHistogram(64, false);
        h.add(new float[] {0f, 31f}, 0, 2); // W = 31 / 62 = 0.5, bins 0..62
        double w = h.binWidth();
        h.add(new float[] {-0.4f}, 0, 1); // bin -1: the window shifts, W stays
        assertEquals(w, h.binWidth());
        assertEquals(1, h.count(-1));
        assertEquals(1, h.count(62));
        h.add(new float[] {-20f}, 0, 1); // now too wide: W doubles
        assertEquals(2 * w, h.binWidth());
        assertEquals(1, h.count(-20));
        assertEquals(1, h.count(0));  // 0 stays in bin 0
        assertEquals(1, h.count(-1)); // bin -1 → floorDiv(-1, 2) = -1
        assertEquals(1, h.count(31)); // bin 62 → 31
    }

    @Test
    void quantilesOfUniformData() {
        float[] u = new float[100_000];
        for (int i = 0; i < u.length; i++) u[i] = (i + 0.5f) / u.length * 10f; // uniform on [0, 10]
        GrowingHistogram h = new GrowingHistogram();
        h.add(u, 0, u.length);
        assertEquals(5.0, h.quantile(0.5), 0.01);
        assertEquals(9.9, h.quantile(0.99), 0.01);
        assertEquals(h.max(), h.quantile(1.0), 0.0);
        assertEquals(h.min(), h.quantile(0.0), 0.0);
    }
}
