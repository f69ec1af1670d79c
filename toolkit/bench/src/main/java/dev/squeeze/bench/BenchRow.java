package dev.squeeze.bench;

/**
 * One runtime on one case. Times are wall-clock milliseconds per call of {@code batch} images,
 * measured in interleaved rounds (see {@link Bench}).
 *
 * @param model zoo name
 * @param batch images per call
 * @param threads compute threads asked of the runtime
 * @param runtime runtime name, e.g. {@code "nd4j-fp32"}
 * @param medianMs median over the measured calls ({@code NaN} when the runtime failed)
 * @param minMs fastest call
 * @param maxMs slowest call
 * @param imagesPerSecond {@code batch / median}
 * @param top1Agreement share of the agreement images whose top-1 class equals the reference
 *     runtime's, in [0, 1]; 1 for the reference itself
 * @param speedupVsReference reference median / this median for the same (model, batch, threads);
 *     above 1 is faster than the reference
 * @param top1Accuracy share of the agreement images classified as labelled
 * @param cpuPerWall process CPU time / wall time during this runtime's measured calls: about the
 *     number of busy cores (≈ threads when the runtime really used them and the machine was free)
 * @param repeats measured calls
 * @param note threads in use as the runtime reports them, or why the row is empty
 */
public record BenchRow(String model, int batch, int threads, String runtime, double medianMs, double minMs, double maxMs,
        double imagesPerSecond, double top1Agreement, double speedupVsReference, double top1Accuracy, double cpuPerWall, int repeats,
        String note) {

    /** A row for a runtime that could not run this case; {@code why} names the error. */
    static BenchRow failed(String model, int batch, int threads, String runtime, String why) {
        return new BenchRow(model, batch, threads, runtime, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, 0, why);
    }
}
