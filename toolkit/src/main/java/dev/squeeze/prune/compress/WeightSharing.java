package dev.squeeze.prune.compress;

import java.util.Arrays;

/**
 * Deep Compression's weight sharing (Han et al. 2016, §3): per layer, one-dimensional k-means over the
 * layer's non-zero weights with {@code k = 2^bits} clusters, centroids initialised linearly between the
 * smallest and the largest weight. Han et al. compared Forgy (random), density-based and linear
 * initialisation and found linear best: it keeps centroids at the rare large weights, which matter most.
 *
 * <p>Deterministic: no random draws; the same weights give the same centroids and assignments. Zero
 * weights are pruned ones: they are left out of the clustering and stay exactly zero
 * ({@link SharedWeights#PRUNED}). A cluster that loses all its members keeps its last centroid (it costs
 * only its table entry, and Huffman coding gives it no code).
 */
public final class WeightSharing {
    private WeightSharing() {}

    /** Lloyd iterations at most; 1-D k-means on sorted data converges in far fewer for these sizes. */
    public static final int MAX_ITERATIONS = 100;

    /**
     * Clusters the non-zero entries of {@code weights}.
     *
     * @param shape the weight's shape (its product must equal {@code weights.length})
     * @param weights row-major values; zeros are pruned weights
     * @param bits cluster-index width in [1, 15] (the file format counts centroids in 16 bits): {@code 2^bits} clusters (fewer when the layer has fewer
     *     distinct non-zero values than that)
     */
    public static SharedWeights share(long[] shape, float[] weights, int bits) {
        if (bits < 1 || bits > 15) throw new IllegalArgumentException("weight-sharing bits must be in [1, 15], got " + bits);
        int n = RelativeIndices.nonZero(weights);
        int[] clusters = new int[weights.length];
        Arrays.fill(clusters, SharedWeights.PRUNED);
        if (n == 0) return new SharedWeights(shape, new float[0], clusters);
        // Sort the kept values once (with their positions) so that each assignment step is a merge
        // against the sorted centroids' midpoints, O(n + k) instead of O(n·k).
        float[] sorted = new float[n];
        int[] position = new int[n];
        {
            long[] keyed = new long[n];
            int j = 0;
            for (int i = 0; i < weights.length; i++) {
                if (weights[i] == 0f) continue;
                keyed[j++] = ((long) sortableBits(weights[i]) << 32) | (i & 0xFFFFFFFFL);
            }
            Arrays.sort(keyed);
            for (j = 0; j < n; j++) {
                position[j] = (int) keyed[j];
                sorted[j] = weights[position[j]];
            }
        }
        float min = sorted[0], max = sorted[n - 1];
        int k = 1 << bits;
        long distinct = 1;
        for (int j = 1; j < n && distinct < k; j++) if (sorted[j] != sorted[j - 1]) distinct++;
        k = (int) Math.min(k, distinct);
        double[] centroid = new double[k];
        for (int c = 0; c < k; c++) centroid[c] = k == 1 ? (min + (double) max) / 2 : min + (max - (double) min) * c / (k - 1);
        int[] assign = new int[n];
        assignSorted(sorted, centroid, assign);
        for (int iter = 0; iter < MAX_ITERATIONS; iter++) {
            double[] sum = new double[k];
            int[] count = new int[k];
            for (int j = 0; j < n; j++) { sum[assign[j]] += sorted[j]; count[assign[j]]++; }
            for (int c = 0; c < k; c++) if (count[c] > 0) centroid[c] = sum[c] / count[c];
            int changed = assignSorted(sorted, centroid, assign);
            if (changed == 0) break;
        }
        float[] centroids = new float[k];
        for (int c = 0; c < k; c++) centroids[c] = (float) centroid[c];
        for (int j = 0; j < n; j++) clusters[position[j]] = assign[j];
        return new SharedWeights(shape, centroids, clusters);
    }

    /**
     * Nearest centroid for each sorted value by one merge pass over the centroids in increasing order
     * (the boundary between neighbours is their midpoint). Centroids are re-sorted each time because an
     * empty cluster keeps its old value, which need not stay between its neighbours. Returns how many
     * assignments changed.
     */
    private static int assignSorted(float[] sorted, double[] centroid, int[] assign) {
        int k = centroid.length;
        Integer[] order = new Integer[k];
        for (int c = 0; c < k; c++) order[c] = c;
        Arrays.sort(order, (a, b) -> centroid[a] != centroid[b] ? Double.compare(centroid[a], centroid[b]) : Integer.compare(a, b));
        int changed = 0, r = 0;
        for (int j = 0; j < sorted.length; j++) {
            while (r + 1 < k && sorted[j] > (centroid[order[r]] + centroid[order[r + 1]]) / 2) r++;
            int c = order[r];
            if (assign[j] != c) { assign[j] = c; changed++; }
        }
        return changed;
    }

    /** Float bits mapped so that signed integer order is float order. */
    private static int sortableBits(float v) {
        int b = Float.floatToIntBits(v);
        return b >= 0 ? b : b ^ 0x7FFFFFFF;
    }
}
