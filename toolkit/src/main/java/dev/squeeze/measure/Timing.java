package dev.squeeze.measure;

/**
 * One runtime's latency in an interleaved comparison.
 *
 * @param speedupVsFirst the first runtime's median divided by this one's (> 1: faster than the first)
 */
public record Timing(String runtime, int batch, double medianMs, double minMs, double maxMs, double imagesPerSecond,
        double speedupVsFirst) {}
