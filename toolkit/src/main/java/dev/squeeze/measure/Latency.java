package dev.squeeze.measure;

/**
 * Timing of repeated runs after warm-up, in milliseconds.
 *
 * @param batch images per run
 * @param repeats measured runs
 */
public record Latency(double medianMs, double minMs, double maxMs, double p90Ms, int batch, int repeats) {
    public double imagesPerSecond() { return batch * 1000.0 / medianMs; }
    @Override public String toString() {
        return String.format(java.util.Locale.ROOT, "%.3f ms median (%.3f–%.3f, %d runs, batch %d)", medianMs, minMs, maxMs, repeats, batch);
    }
}
