package dev.squeeze.train;

/**
 * What one epoch did.
 *
 * @param epoch 1-based
 * @param trainLoss mean objective (cross-entropy by default) over the epoch's batches
 * @param trainAccuracy top-1 on the (augmented) training batches, in [0, 1]
 * @param testAccuracy top-1 on the test set after the epoch, or NaN when not evaluated
 * @param testLoss mean cross-entropy on the test set, or NaN
 * @param learningRate at the end of the epoch
 * @param imagesPerSecond training throughput (forward + backward + step)
 * @param seconds wall time of the training part
 * @param terms mean over the epoch's batches of each loss term the objective reported
 *     ({@link ObjectiveInput#report}), in the order first reported; empty for plain cross-entropy
 */
public record EpochStats(int epoch, double trainLoss, double trainAccuracy, double testAccuracy, double testLoss,
        double learningRate, double imagesPerSecond, double seconds, java.util.Map<String, Double> terms) {

    public EpochStats {
        terms = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(terms));
    }
}
