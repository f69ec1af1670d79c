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
