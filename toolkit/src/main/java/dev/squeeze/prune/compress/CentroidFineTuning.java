package dev.squeeze.prune.compress;

import dev.squeeze.train.TensorMask;
import dev.squeeze.train.TrainingHook;
import dev.squeeze.train.TrainingState;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trains the shared values of weight-shared layers (Deep Compression §3.3): the gradient of a centroid
 * is the sum of the gradients of the weights that share it,
 * <pre>
 *   ∂L/∂c_k = Σ_{i : cluster(i) = k} ∂L/∂w_i,        c_k ← c_k − learningRate · ∂L/∂c_k
 * </pre>
 * Add it to a {@code TrainConfig} with {@code addHook}; other parameters (biases) train with the run's
 * optimizer as usual.
 *
 * <p>In {@link #beforeStep} the hook reads each shared weight's gradient, updates the centroids by plain SGD
 * on the summed gradient, and zeroes the weight's gradient so that the run's optimizer does not move the
 * weight itself (with Adam, zero gradients from the start keep the moments at zero and the step at zero).
 * In {@link #afterStep} it writes {@code centroids[cluster]} back into every shared weight, which also undoes
 * anything weight decay did; pruned weights are written as exact zeros. The cluster assignment never
 * changes, so the network stays representable by the same indices.
 */
public final class CentroidFineTuning implements TrainingHook {
    private final Map<String, SharedWeights> shared = new LinkedHashMap<>();
    private final Map<String, float[]> centroids = new LinkedHashMap<>();
    private final Map<String, TensorMask> zeroGradient = new LinkedHashMap<>();
    private final float learningRate;

    /**
     * @param shared per parameter name (as in {@code Network.parameters()}), the clustering of that weight
     * @param learningRate step size on the summed gradient; summing over thousands of weights makes this
     *     much smaller than a per-weight learning rate
     */
    public CentroidFineTuning(Map<String, SharedWeights> shared, float learningRate) {
        if (!(learningRate > 0)) throw new IllegalArgumentException("centroid learning rate must be > 0, got " + learningRate);
        this.learningRate = learningRate;
        for (Map.Entry<String, SharedWeights> e : shared.entrySet()) {
            this.shared.put(e.getKey(), e.getValue());
            this.centroids.put(e.getKey(), e.getValue().centroids());
            this.zeroGradient.put(e.getKey(), TensorMask.of(new float[e.getValue().size()]));
        }
    }

    /** The clusterings with the centroids as trained so far. */
    public Map<String, SharedWeights> shared() {
        Map<String, SharedWeights> out = new LinkedHashMap<>();
        for (Map.Entry<String, SharedWeights> e : shared.entrySet()) out.put(e.getKey(), e.getValue().withCentroids(centroids.get(e.getKey())));
        return out;
    }

    @Override public void epochStarted(TrainingState state) {
        // The network may still hold the unshared weights: start from the shared ones.
        if (state.step() == 0) snap(state);
    }

    @Override public void beforeStep(TrainingState state) {
        for (Map.Entry<String, SharedWeights> e : shared.entrySet()) {
            String name = e.getKey();
            float[] g = state.gradient(name);
            int[] clusters = e.getValue().clusters();
            float[] c = centroids.get(name);
            double[] sum = new double[c.length];
            for (int i = 0; i < g.length; i++) if (clusters[i] != SharedWeights.PRUNED) sum[clusters[i]] += g[i];
            for (int k = 0; k < c.length; k++) c[k] -= (float) (learningRate * sum[k]);
            state.multiplyGradient(name, zeroGradient.get(name));
        }
    }

    @Override public void afterStep(TrainingState state) { snap(state); }

    private void snap(TrainingState state) {
        for (Map.Entry<String, SharedWeights> e : shared.entrySet()) {
            state.network().setParameter(e.getKey(), e.getValue().withCentroids(centroids.get(e.getKey())).values());
        }
    }
}
