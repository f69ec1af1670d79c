package dev.squeeze.quant;

import dev.squeeze.ir.QScheme;

/**
 * Result of a clipping-threshold search ({@link HistogramObserver#search(QScheme)}).
 *
 * @param lo lower end of the chosen range (≤ 0; {@code -hi} for symmetric schemes)
 * @param hi upper end of the chosen range (≥ 0)
 * @param score the minimised score: a divergence in nats, or the summed expected squared error for MSE
 * @param candidates number of candidate ranges scored
 */
public record Clipping(float lo, float hi, double score, int candidates) {
    /** {@code {lo, hi}}. */
    public float[] range() { return new float[] {lo, hi}; }
}
