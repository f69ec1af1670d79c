package dev.squeeze.measure;

/**
 * One row of a model comparison: what the model is, how good, how big, how fast.
 *
 * @param model label shown in tables and plots
 * @param parameters trainable parameter count
 * @param fileBytes size of the saved model file — the honest size, headers and all
 * @param accuracy top-1 on the test images
 * @param latencyMedianMs batch-1 latency, median
 * @param latencyMinMs batch-1 latency, fastest run
 * @param latencyMaxMs batch-1 latency, slowest run
 */
public record ModelSummary(String model, long parameters, long fileBytes, double accuracy, double latencyMedianMs,
        double latencyMinMs, double latencyMaxMs) {

    public static ModelSummary of(String model, long parameters, long fileBytes, double accuracy, Latency latency) {
        return new ModelSummary(model, parameters, fileBytes, accuracy, latency.medianMs(), latency.minMs(), latency.maxMs());
    }
}
