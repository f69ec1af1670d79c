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

    /**
     * Scores logits batch by batch into an {@link Evaluation}: top-1 and softmax cross-entropy per image,
     * shared by every evaluator (libtorch's and the executors') so they count the same way.
     */
    public static final class Tally {
        private final ImageSetLabels labels;
        private final int[] predictions;
        private double lossSum;
        private long correct;
        private final long start = System.nanoTime();

        /** Labels by image index (an {@code ImageSet::label}). */
        @FunctionalInterface
        public interface ImageSetLabels { int label(int image); }

        public Tally(int images, ImageSetLabels labels) {
            this.labels = labels;
            this.predictions = new int[images];
        }

        /** Adds {@code count} images starting at image {@code from}; {@code logits} is {@code count × classes}. */
        public void add(float[] logits, int from, int count) {
            int classes = logits.length / count;
            for (int i = 0; i < count; i++) {
                int label = labels.label(from + i);
                double max = Double.NEGATIVE_INFINITY;
                int best = 0;
                for (int c = 0; c < classes; c++) {
                    float v = logits[i * classes + c];
                    if (v > max) { max = v; best = c; }
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c] - max);
                lossSum += Math.log(sum) + max - logits[i * classes + label];
                predictions[from + i] = best;
                if (best == label) correct++;
            }
        }

        /** Correct so far among the first {@code seen} images. */
        public long correct() { return correct; }

        public Evaluation result() {
            int n = predictions.length;
            double secs = (System.nanoTime() - start) / 1e9;
            return new Evaluation(n == 0 ? Double.NaN : (double) correct / n, n == 0 ? Double.NaN : lossSum / n, n, predictions.clone(), n / secs);
        }
    }
}
