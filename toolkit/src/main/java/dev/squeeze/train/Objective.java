package dev.squeeze.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * What a training step minimises: a scalar computed from the batch, its labels and the model's output.
 * {@link Training#fit} calls it inside the gradient scope, so every array it returns carries gradients
 * back into the network. Cross-entropy is the default ({@link #crossEntropy()}); distillation holds a
 * teacher and mixes its soft targets in; a sparsity regulariser adds a penalty on the weights.
 *
 * <p>An objective works on DJL {@link NDArray}s because it must be differentiable; it never creates
 * or closes a manager: arrays derived from the step's arrays live in the step's scope and are freed
 * with it.
 */
@FunctionalInterface
public interface Objective {

    /**
     * The loss to minimise for one batch.
     *
     * @param step the batch ({@code inputs} N×C×H×W after preprocessing), its labels (N, class indices as
     *     float32) and the network's output (N×classes logits, in training mode)
     * @return a scalar (shape {@code ()} or {@code (1)}): the mean over the batch
     */
    NDArray loss(ObjectiveInput step);

    /**
     * Intermediate nodes of the trained network whose outputs this objective reads with
     * {@link ObjectiveInput#feature(String)} (names from {@code Network.featureNodes()}, e.g. {@code conv2},
     * {@code layer1.0}). {@link Training#fit} records them during the step's forward pass, with gradients;
     * none by default, and then the forward pass is the plain one.
     */
    default java.util.Set<String> features() { return java.util.Set.of(); }

    /**
     * Weights this objective owns and trains together with the network, e.g. a FitNets adapter: arrays with
     * {@code setRequiresGradient(true)} that the returned loss depends on. {@link Training#fit} updates them
     * after every step with an optimizer of the same settings and learning-rate schedule as the network's;
     * they are not part of the network, so they are neither counted nor saved with it. None by default.
     */
    default java.util.List<NDArray> extraParameters() { return java.util.List.of(); }

    /** One line for provenance and logs; override it, lambdas have no useful name. */
    default String describe() { return getClass().getSimpleName(); }

    /** Softmax cross-entropy of the logits against the labels, averaged over the batch (PyTorch's default). */
    static Objective crossEntropy() { return CrossEntropy.INSTANCE; }

    /** {@link #crossEntropy()} as a named, stateless singleton, so configs compare and print well. */
    final class CrossEntropy implements Objective {
        static final CrossEntropy INSTANCE = new CrossEntropy();
        private final Loss loss = Loss.softmaxCrossEntropyLoss();

        private CrossEntropy() {}

        @Override public NDArray loss(ObjectiveInput step) {
            return loss.evaluate(new NDList(step.labels()), new NDList(step.logits()));
        }

        @Override public String describe() { return "cross-entropy"; }

        @Override public String toString() { return describe(); }
    }
}
