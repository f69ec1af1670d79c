package dev.squeeze.prune.compress;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WeightSharingTest {

    static float[] prunedGaussian(int n, double keep, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble(), v = r.nextDouble();
            double g = Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v) * 0.05;
            w[i] = r.nextDouble() < keep ? (float) g : 0f;
        }
        return w;
    }

    @Test
    void deterministicAndPrunedWeightsStayExactlyZero() {
        float[] w = prunedGaussian(30_000, 0.1, 4);
        long[] shape = {100, 300};
        SharedWeights a = WeightSharing.share(shape, w, 5), b = WeightSharing.share(shape, w.clone(), 5);
        assertEquals(a, b, "k-means with linear initialisation has no random draws");
        assertEquals(32, a.clusterCount());
        float[] v = a.values();
        for (int i = 0; i < w.length; i++) {
            if (w[i] == 0f) {
                assertEquals(SharedWeights.PRUNED, a.clusters()[i]);
                assertEquals(0, Float.floatToRawIntBits(v[i]), "pruned weight " + i + " must be +0.0");
            } else {
                assertNotEquals(SharedWeights.PRUNED, a.clusters()[i], "kept weight " + i + " lost");
            }
        }
        assertEquals(RelativeIndices.nonZero(w), a.kept());
    }

    @Test
    void everyWeightGoesToItsNearestCentroidAndCentroidsAreClusterMeans() {
        float[] w = prunedGaussian(5_000, 0.5, 7);
        SharedWeights s = WeightSharing.share(new long[] {5_000}, w, 3);
        float[] c = s.centroids();
        double[] sum = new double[c.length];
        int[] count = new int[c.length];
        for (int i = 0; i < w.length; i++) {
            int k = s.clusters()[i];
            if (k == SharedWeights.PRUNED) continue;
            for (float other : c) assertTrue(Math.abs(w[i] - c[k]) <= Math.abs(w[i] - other) + 1e-7, "weight " + i + " not at its nearest centroid");
            sum[k] += w[i];
            count[k]++;
        }
        for (int k = 0; k < c.length; k++) if (count[k] > 0) assertEquals(sum[k] / count[k], c[k], 1e-6, "centroid " + k);
    }

    @Test
    void linearInitialisationSpansMinToMaxOnAHandExample() {
        // Two clear groups; linear init puts centroids at -1 and 3, Lloyd moves them to the group means.
        float[] w = {-1f, 0f, -0.8f, 3f, 2.6f, 0f};
        SharedWeights s = WeightSharing.share(new long[] {2, 3}, w, 1);
        assertArrayEquals(new float[] {-0.9f, 2.8f}, s.centroids(), 1e-6f);
        assertArrayEquals(new int[] {0, -1, 0, 1, 1, -1}, s.clusters());
        assertArrayEquals(new float[] {s.centroids()[0], 0f, s.centroids()[0], s.centroids()[1], s.centroids()[1], 0f}, s.values());
    }

    @Test
    void fewerDistinctValuesThanClustersGiveFewerClusters() {
        SharedWeights s = WeightSharing.share(new long[] {4}, new float[] {0.5f, 0.5f, 0f, -0.25f}, 6);
        assertEquals(2, s.clusterCount());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0f, -0.25f}, s.values());
        SharedWeights none = WeightSharing.share(new long[] {3}, new float[3], 4);
        assertEquals(0, none.kept());
        assertArrayEquals(new float[3], none.values());
    }
}
