package dev.squeeze.train;

import java.util.List;

/**
 * A whole training run.
 *
 * @param history one row per epoch
 * @param finalEvaluation the test-set evaluation after the last epoch (null without a test set)
 * @param config what was run
 * @param seconds total wall time
 */
public record TrainResult(List<EpochStats> history, Evaluation finalEvaluation, TrainConfig config, double seconds) {
    public TrainResult { history = List.copyOf(history); }

    public double testAccuracy() { return finalEvaluation == null ? Double.NaN : finalEvaluation.accuracy(); }

    /** Median of the per-epoch training throughputs (the first epoch includes warm-up). */
    public double trainImagesPerSecond() {
        double[] v = history.stream().mapToDouble(EpochStats::imagesPerSecond).sorted().toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }
}
