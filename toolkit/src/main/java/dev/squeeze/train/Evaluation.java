package dev.squeeze.train;

/**
 * Result of evaluating a model on a data set.
 *
 * @param accuracy top-1 in [0, 1]
 * @param loss mean cross-entropy
 * @param count images evaluated
 * @param predictions top-1 class per image, in data-set order
 * @param imagesPerSecond inference throughput during evaluation (batched, not a latency figure)
 */
public record Evaluation(double accuracy, double loss, int count, int[] predictions, double imagesPerSecond) {
    /** Fraction of images on which two evaluations of the same data predict the same class. */
    public double agreement(Evaluation other) {
        if (other.predictions.length != predictions.length) {
            throw new IllegalArgumentException("Evaluations cover " + predictions.length + " and " + other.predictions.length + " images");
        }
        int same = 0;
        for (int i = 0; i < predictions.length; i++) if (predictions[i] == other.predictions[i]) same++;
        return predictions.length == 0 ? Double.NaN : (double) same / predictions.length;
    }
}
