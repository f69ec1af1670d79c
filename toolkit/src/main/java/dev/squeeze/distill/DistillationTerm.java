package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;

/**
 * One kind of knowledge a student is taught, as a differentiable loss between the student's and the
 * frozen teacher's outputs for the same batch. Terms compose by weight ({@link WeightedTerm}, {@link
 * Distiller#of(dev.squeeze.model.Network, dev.squeeze.model.Network, java.util.List, double)}).
 *
 * <p>Today every term sees the two networks' <em>logits</em> (N×classes), the only per-sample output
 * a Squeeze network exposes: response-based terms ({@link LogitsDistillation}, {@link LogitMse}) use
 * them as intended, and the relation-based terms ({@link RkdDistance}, {@link RkdAngle}) use the logits
 * as the per-sample embedding. Feature-based terms (FitNets hints, FSP matrices) need intermediate
 * layers by name and are not offered yet.
 */
public interface DistillationTerm {

    /**
     * @param studentLogits N×classes, in training mode, with gradients
     * @param teacherLogits N×classes from the frozen teacher (inference mode), without gradients
     * @return a scalar: the term's mean over the batch
     */
    NDArray loss(NDArray studentLogits, NDArray teacherLogits);

    /** The identifier its value is reported under per epoch, e.g. {@code logits_distillation}. */
    String name();

    /** One line for provenance: the name with its settings. */
    default String describe() { return name(); }

    /** Hinton et al.'s knowledge distillation: T² · KL(softmax(t/T) ‖ softmax(s/T)). */
    static LogitsDistillation hinton(double temperature) { return new LogitsDistillation(temperature); }

    /** Mean squared difference of the logits (Ba &amp; Caruana 2014). */
    static LogitMse logitMse() { return new LogitMse(); }

    /** RKD distance (Park et al. 2019) on the logits. */
    static RkdDistance rkdDistance() { return new RkdDistance(); }

    /** RKD angle (Park et al. 2019) on the logits. */
    static RkdAngle rkdAngle() { return new RkdAngle(); }

    /** This term with a weight, for {@link Distiller#of(dev.squeeze.model.Network, dev.squeeze.model.Network, java.util.List, double)}. */
    default WeightedTerm weighted(double weight) { return new WeightedTerm(this, weight); }
}
