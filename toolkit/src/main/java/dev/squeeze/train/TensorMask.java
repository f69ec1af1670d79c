package dev.squeeze.train;

import java.util.Arrays;

/**
 * Per-element factors for one named tensor, usually 0 (pruned) and 1 (kept). Immutable: the values
 * are copied in, so {@link TrainingState} may upload a mask once and reuse it for every step without
 * a caller's later edit going unseen.
 */
public final class TensorMask {
    private final float[] factors;
    private final long nonZero;

    private TensorMask(float[] factors) {
        this.factors = factors;
        long nz = 0;
        for (float f : factors) if (f != 0f) nz++;
        this.nonZero = nz;
    }

    /** A mask with these factors (copied). */
    public static TensorMask of(float[] factors) {
        if (factors == null || factors.length == 0) throw new IllegalArgumentException("a mask needs at least one factor");
        for (int i = 0; i < factors.length; i++) {
            if (!Float.isFinite(factors[i])) throw new IllegalArgumentException("mask factor " + i + " is " + factors[i]);
        }
        return new TensorMask(factors.clone());
    }

    /** 1 where {@code keep[i]}, else 0. */
    public static TensorMask keep(boolean[] keep) {
        float[] f = new float[keep.length];
        for (int i = 0; i < keep.length; i++) f[i] = keep[i] ? 1f : 0f;
        return of(f);
    }

    public int size() { return factors.length; }

    /** A copy of the factors. */
    public float[] factors() { return factors.clone(); }

    /** Fraction of factors that are exactly zero. */
    public double sparsity() { return 1.0 - (double) nonZero / factors.length; }

    float[] values() { return factors; }

    @Override public boolean equals(Object o) { return o instanceof TensorMask m && Arrays.equals(factors, m.factors); }

    @Override public int hashCode() { return Arrays.hashCode(factors); }

    @Override public String toString() {
        return "TensorMask(" + factors.length + " factors, sparsity " + String.format(java.util.Locale.ROOT, "%.4f", sparsity()) + ")";
    }
}
