package dev.squeeze.train;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One training batch as an {@link Objective} sees it. Built by {@link Training#fit}; valid only during
 * the call.
 */
public final class ObjectiveInput {
    private final NDArray inputs, labels, logits;
    private final int epoch, step;
    private final int[] indices;
    private final Map<String, NDArray> terms = new LinkedHashMap<>();
    private final Map<String, NDArray> features;

    ObjectiveInput(NDArray inputs, NDArray labels, NDArray logits, int epoch, int step, int[] indices) {
        this(inputs, labels, logits, epoch, step, indices, Map.of());
    }

    ObjectiveInput(NDArray inputs, NDArray labels, NDArray logits, int epoch, int step, int[] indices, Map<String, NDArray> features) {
        this.features = Map.copyOf(features);
        this.inputs = inputs;
        this.labels = labels;
        this.logits = logits;
        this.epoch = epoch;
        this.step = step;
        this.indices = indices;
    }

    /**
     * A batch outside {@link Training#fit}, for code that evaluates an {@link Objective} on its own
     * (a distiller's test-set losses, tests); {@link #epoch()} and {@link #step()} are −1.
     *
     * @param indices the images' positions in their data set, in batch order (one per row)
     */
    public static ObjectiveInput of(NDArray inputs, NDArray labels, NDArray logits, int[] indices) {
        if (indices.length != labels.getShape().get(0)) {
            throw new IllegalArgumentException("ObjectiveInput.of: " + indices.length + " indices for a batch of " + labels.getShape().get(0));
        }
        return of(inputs, labels, logits, indices, Map.of());
    }

    /**
     * As {@link #of(NDArray, NDArray, NDArray, int[])}, with the network's intermediate outputs for
     * {@link #feature(String)}.
     *
     * @param features node name → that node's output for this batch (N × C × H × W or N × features)
     */
    public static ObjectiveInput of(NDArray inputs, NDArray labels, NDArray logits, int[] indices, Map<String, NDArray> features) {
        if (indices.length != labels.getShape().get(0)) {
            throw new IllegalArgumentException("ObjectiveInput.of: " + indices.length + " indices for a batch of " + labels.getShape().get(0));
        }
        return new ObjectiveInput(inputs, labels, logits, -1, -1, indices.clone(), features);
    }

    /** N×C×H×W, preprocessed and augmented as the network receives them (no gradient). */
    public NDArray inputs() { return inputs; }

    /** N class indices as float32 (the form DJL's losses take). */
    public NDArray labels() { return labels; }

    /** N×classes network output, in training mode, with gradients. */
    public NDArray logits() { return logits; }

    /**
     * The output of an intermediate node of the network for this batch, from the same forward pass as
     * {@link #logits()} and with its gradients: {@code N × C × H × W} for a feature map, {@code N × features}
     * after a flatten. Only the nodes the objective asked for in {@link Objective#features()} are recorded.
     *
     * @param node a name from {@code Network.featureNodes()}, e.g. {@code layer1.0}
     */
    public NDArray feature(String node) {
        NDArray a = features.get(node);
        if (a == null) {
            throw new IllegalArgumentException("no feature '" + node + "' in this step: the objective's features() asked for "
                    + features.keySet() + "; add '" + node + "' there to have Training.fit record it");
        }
        return a;
    }

    /** Images in this batch (the last batch of an epoch may be smaller). */
    public int batchSize() { return (int) labels.getShape().get(0); }

    /**
     * The positions in the training {@link dev.squeeze.data.ImageSet} of this batch's images, in batch
     * order (row {@code i} of {@link #inputs()} is image {@code indices()[i]}): lets an objective keep
     * per-image state, e.g. a frozen teacher's cached logits. A copy.
     */
    public int[] indices() { return indices.clone(); }

    /** 0-based epoch. */
    public int epoch() { return epoch; }

    /** 0-based optimizer step over the whole run. */
    public int step() { return step; }

    /**
     * Reports a named part of the loss (e.g. {@code student_loss}, {@code distillation_loss}): its mean
     * over the epoch appears in {@link EpochStats#terms()}. Reporting is for people; only the returned
     * loss is minimised.
     *
     * @param name a short identifier; reporting the same name twice in one step keeps the last value
     * @param scalar a scalar array
     */
    public void report(String name, NDArray scalar) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a loss term needs a name, got '" + name + "'");
        if (scalar.getShape().size() != 1) {
            throw new IllegalArgumentException("loss term '" + name + "' must be a scalar, got shape " + scalar.getShape());
        }
        terms.put(name, scalar);
    }

    Map<String, NDArray> terms() { return terms; }
}
