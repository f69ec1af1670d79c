package dev.squeeze.prune;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;
import dev.squeeze.train.Objective;
import dev.squeeze.train.Training;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How much each weight matters: a score per element, higher meaning keep. Pruning removes the lowest
 * scores, per tensor or across tensors. Scores of different tensors are compared directly by global
 * pruning, so a criterion should be on one scale across layers (magnitudes and loss estimates are).
 */
public interface Importance {

    /**
     * Scores for each named weight of {@code net}, same length as the weight.
     *
     * @param names parameter path names ({@code layer1.0.conv1.weight})
     */
    Map<String, float[]> scores(Network net, List<String> names);

    /** Short name for tables: {@code l1}, {@code taylor}, … */
    String describe();

    /** |w|: PyTorch's {@code L1Unstructured}, the seed's criterion. */
    static Importance l1() { return Magnitude.L1; }

    /** w²: same order as {@link #l1()} within a tensor; kept as its own name because group criteria differ. */
    static Importance l2() { return Magnitude.L2; }

    /**
     * Uniform random scores from {@code seed}: PyTorch's {@code RandomUnstructured}, the baseline any
     * criterion has to beat.
     */
    static Importance random(long seed) { return new RandomScores(seed); }

    /**
     * First-order Taylor |w · ∂L/∂w| (LeCun's saliency without the second-order term; Molchanov et al.):
     * the loss change when w is set to zero, to first order. The gradient is the mean over
     * {@code batches} batches of {@code batchSize} images of {@code data}, unaugmented, BatchNorm in
     * inference mode (Torch-Pruning accumulates gradients over batches the same way).
     */
    static Importance taylor(ImageSet data, Preprocessing preprocessing, int batches, int batchSize) {
        return new GradientScores(data, preprocessing, batches, batchSize, false);
    }

    /**
     * Optimal Brain Damage ½ · h · w² with the Hessian diagonal h estimated by the empirical Fisher
     * information: h ≈ B · mean over batches of g², g being a batch's mean gradient of B images (a
     * batch mean's variance is the per-sample Fisher / B, so ×B restores its scale).
     */
    static Importance hessian(ImageSet data, Preprocessing preprocessing, int batches, int batchSize) {
        return new GradientScores(data, preprocessing, batches, batchSize, true);
    }

    enum Magnitude implements Importance {
        L1, L2;

        @Override public Map<String, float[]> scores(Network net, List<String> names) {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String n : names) {
                float[] v = net.parameter(n).values();
                for (int i = 0; i < v.length; i++) v[i] = this == L1 ? Math.abs(v[i]) : v[i] * v[i];
                out.put(n, v);
            }
            return out;
        }

        @Override public String describe() { return this == L1 ? "l1" : "l2"; }
    }

    record RandomScores(long seed) implements Importance {
        @Override public Map<String, float[]> scores(Network net, List<String> names) {
            SplittableRandom rnd = new SplittableRandom(seed);
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String n : names) {
                float[] v = new float[net.parameter(n).values().length];
                for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextDouble();
                out.put(n, v);
            }
            return out;
        }

        @Override public String describe() { return "random"; }
    }

    record GradientScores(ImageSet data, Preprocessing preprocessing, int batches, int batchSize, boolean fisher) implements Importance {
        public GradientScores {
            if (batches <= 0) throw new IllegalArgumentException("batches must be ≥ 1, got " + batches);
            if (batchSize <= 0) throw new IllegalArgumentException("batchSize must be ≥ 1, got " + batchSize);
        }

        @Override public Map<String, float[]> scores(Network net, List<String> names) {
            Map<String, double[]> sums = new LinkedHashMap<>();
            Map<String, float[]> weights = new LinkedHashMap<>();
            int[] seen = {0};
            System.err.println(describe() + " importance: " + batches + " batches of " + batchSize + " images");
            Training.gradients(net, data, preprocessing, batchSize, batches, names, Objective.crossEntropy(), (name, w, g, b) -> {
                double[] s = sums.computeIfAbsent(name, k -> new double[g.length]);
                if (fisher) for (int i = 0; i < g.length; i++) s[i] += (double) g[i] * g[i] * b;
                else for (int i = 0; i < g.length; i++) s[i] += g[i];
                weights.put(name, w);
                if (name.equals(names.get(0))) seen[0]++;
            });
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String n : names) {
                double[] s = sums.get(n);
                float[] w = weights.get(n);
                float[] v = new float[w.length];
                for (int i = 0; i < v.length; i++) {
                    double mean = s[i] / seen[0];
                    v[i] = (float) (fisher ? 0.5 * mean * w[i] * w[i] : Math.abs(w[i] * mean));
                }
                out.put(n, v);
            }
            return out;
        }

        @Override public String describe() { return fisher ? "hessian" : "taylor"; }
    }
}
