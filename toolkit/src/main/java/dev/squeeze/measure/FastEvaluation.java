package dev.squeeze.measure;

import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.exec.FloatExecutor;
import dev.squeeze.exec.Int8Executor;
import dev.squeeze.model.Network;
import dev.squeeze.quant.FusedGraph;
import dev.squeeze.train.Evaluation;

/**
 * Test accuracy through Squeeze's own fp32 executor instead of libtorch: the same numbers as
 * {@code Training.evaluate} (logits agree to about 1e-5; BatchNorm folded as inference does) at about
 * 3× the speed on ResNet18 here (265 against 88 images/s on 2 Zen 5 cores, batch 64), which is what
 * makes a pruning sweep over all 10,000 CIFAR-10 test images affordable.
 */
public final class FastEvaluation {
    private FastEvaluation() {}

    private static final int BATCH = 64;

    /** Top-1 accuracy and mean cross-entropy of {@code net} on {@code data}, unaugmented; prints progress every 2,000 images. */
    public static Evaluation evaluate(Network net, ImageSet data, Preprocessing preprocessing) {
        int[] in = net.architecture().inputShape();
        if (data.channels() != in[0] || data.height() != in[1] || data.width() != in[2]) {
            throw new IllegalArgumentException(net.architecture().name() + " expects " + in[0] + "×" + in[1] + "×" + in[2] + " images but "
                    + data.name() + " has " + data.channels() + "×" + data.height() + "×" + data.width());
        }
        BatchMaker maker = new BatchMaker(data, preprocessing.withAugmentation(0, false));
        int n = data.size();
        int[] preds = new int[n];
        double lossSum = 0;
        long correct = 0;
        long t0 = System.nanoTime();
        try (FloatExecutor exec = FloatExecutor.of(FusedGraph.of(net),
                new Int8Executor.Options(Runtime.getRuntime().availableProcessors(), BATCH))) {
            int classes = exec.outputSize();
            int nextReport = 2000;
            for (int from = 0; from < n; from += BATCH) {
                int count = Math.min(BATCH, n - from);
                float[] logits = exec.run(maker.batch(from, count), count);
                for (int i = 0; i < count; i++) {
                    int label = data.label(from + i);
                    double max = Double.NEGATIVE_INFINITY;
                    int best = 0;
                    for (int c = 0; c < classes; c++) {
                        float v = logits[i * classes + c];
                        if (v > max) { max = v; best = c; }
                    }
                    double sum = 0;
                    for (int c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c] - max);
                    lossSum += Math.log(sum) + max - logits[i * classes + label];
                    preds[from + i] = best;
                    if (best == label) correct++;
                }
                if (n >= 4000 && from + count >= nextReport) {
                    System.err.println(String.format(java.util.Locale.ROOT, "  evaluated %,d / %,d images (%.1f %% so far)", from + count, n, 100.0 * correct / (from + count)));
                    nextReport += 2000;
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Evaluation(n == 0 ? Double.NaN : (double) correct / n, n == 0 ? Double.NaN : lossSum / n, n, preds, n / secs);
    }
}
