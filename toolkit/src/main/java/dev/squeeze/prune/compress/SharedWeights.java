package dev.squeeze.prune.compress;

import java.util.Arrays;

/**
 * One weight tensor after weight sharing: every kept weight is one of {@code centroids}, every pruned
 * weight is exactly zero.
 *
 * @param shape the weight's shape, e.g. {@code [out, in]} for a fully connected layer
 * @param centroids the shared values, {@code k} of them (k ≤ 2^bits); a centroid may be unused
 * @param clusters one entry per weight in row-major order: the index of its centroid in {@code [0, k)},
 *     or {@link #PRUNED} for a weight that is zero and stays zero
 */
public record SharedWeights(long[] shape, float[] centroids, int[] clusters) {
    /** The cluster entry of a pruned weight. */
    public static final int PRUNED = -1;

    public SharedWeights {
        shape = shape.clone();
        centroids = centroids.clone();
        clusters = clusters.clone();
        long size = 1;
        for (long d : shape) size *= d;
        if (size != clusters.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + size + " elements but " + clusters.length + " cluster entries were given");
        }
        if (centroids.length == 0 && Arrays.stream(clusters).anyMatch(c -> c != PRUNED)) {
            throw new IllegalArgumentException("kept weights need at least one centroid");
        }
        for (int i = 0; i < clusters.length; i++) {
            if (clusters[i] != PRUNED && (clusters[i] < 0 || clusters[i] >= centroids.length)) {
                throw new IllegalArgumentException("weight " + i + " points at cluster " + clusters[i] + " of " + centroids.length);
            }
        }
    }

    /** A copy: the record is immutable, so fine-tuning cannot edit a clustering someone else holds. */
    @Override public long[] shape() { return shape.clone(); }

    /** A copy of the shared values. */
    @Override public float[] centroids() { return centroids.clone(); }

    /** A copy of the per-weight cluster indices. */
    @Override public int[] clusters() { return clusters.clone(); }

    public int size() { return clusters.length; }

    /** Number of shared values, {@code k}. */
    public int clusterCount() { return centroids.length; }

    /** Bits needed for a cluster index: {@code ceil(log2 k)}, at least 1. */
    public int indexBits() { return Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(1, centroids.length - 1))); }

    /** Kept (not pruned) weights. */
    public int kept() {
        int n = 0;
        for (int c : clusters) if (c != PRUNED) n++;
        return n;
    }

    /** The weight tensor: {@code centroids[clusters[i]]}, and {@code 0} where pruned. */
    public float[] values() {
        float[] out = new float[clusters.length];
        for (int i = 0; i < out.length; i++) out[i] = clusters[i] == PRUNED ? 0f : centroids[clusters[i]];
        return out;
    }

    /** The cluster indices of the kept weights, in order (the symbols Huffman coding sees). */
    public int[] keptClusters() {
        int[] out = new int[kept()];
        int n = 0;
        for (int c : clusters) if (c != PRUNED) out[n++] = c;
        return out;
    }

    /**
     * A stand-in tensor whose non-zeros are exactly the kept weights, for {@link RelativeIndices}: a kept
     * weight whose centroid is 0 is still kept (its index is stored).
     */
    float[] keptPattern() {
        float[] out = new float[clusters.length];
        for (int i = 0; i < out.length; i++) out[i] = clusters[i] == PRUNED ? 0f : 1f;
        return out;
    }

    /** The same clustering with new centroid values (centroid fine-tuning). */
    public SharedWeights withCentroids(float[] newCentroids) {
        if (newCentroids.length != centroids.length) {
            throw new IllegalArgumentException(centroids.length + " centroids expected, got " + newCentroids.length);
        }
        return new SharedWeights(shape, newCentroids, clusters);
    }

    @Override public boolean equals(Object o) {
        return o instanceof SharedWeights s && Arrays.equals(shape, s.shape) && Arrays.equals(centroids, s.centroids) && Arrays.equals(clusters, s.clusters);
    }

    @Override public int hashCode() { return Arrays.hashCode(clusters) * 31 + Arrays.hashCode(centroids); }

    @Override public String toString() {
        return "SharedWeights(" + Arrays.toString(shape) + ", " + centroids.length + " clusters, " + kept() + " of " + clusters.length + " kept)";
    }
}
