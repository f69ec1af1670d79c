package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * One kind of knowledge a student is taught, as a differentiable loss between the student's and the
 * frozen teacher's outputs for the same batch. Terms compose by weight ({@link WeightedTerm}, {@link
 * Distiller#of(dev.squeeze.model.Network, dev.squeeze.model.Network, java.util.List, double)}).
 *
 * <p>What a term compares:
 * <ul>
 *   <li>response-based, the logits (N × classes): {@link LogitsDistillation}, {@link LogitMse};</li>
 *   <li>feature-based, intermediate layers chosen by node name ({@code Network.featureNodes()}):
 *       {@link FeatureDistillation} (FitNets hint through a learned 1×1 adapter), {@link FspDistillation}
 *       (Gram matrices between two layers);</li>
 *   <li>relation-based, distances and angles between the batch's samples: {@link RkdDistance},
 *       {@link RkdAngle}, on the logits or on a named layer.</li>
 * </ul>
 * A term names the nodes it reads in {@link #studentNodes()} and {@link #teacherNodes()}; the distiller
 * records exactly those during the forward passes and hands them over in a {@link TermInput}.
 */
public interface DistillationTerm {

    /**
     * @param batch both networks' logits and the nodes this term listed, for the same images
     * @return a scalar: the term's mean over the batch, with the student's gradients
     */
    NDArray loss(TermInput batch);

    /** The identifier its value is reported under per epoch, e.g. {@code logits_distillation}. */
    String name();

    /** One line for provenance: the name with its settings. */
    default String describe() { return name(); }

    /** The student's nodes this term reads ({@link TermInput#student(String)}); none (logits only) by default. */
    default List<String> studentNodes() { return List.of(); }

    /** The teacher's nodes this term reads ({@link TermInput#teacher(String)}); none (logits only) by default. */
    default List<String> teacherNodes() { return List.of(); }

    /** Hinton et al.'s knowledge distillation: T² · KL(softmax(t/T) ‖ softmax(s/T)). */
    static LogitsDistillation hinton(double temperature) { return new LogitsDistillation(temperature); }

    /** Mean squared difference of the logits (Ba &amp; Caruana 2014). */
    static LogitMse logitMse() { return new LogitMse(); }

    /** RKD distance (Park et al. 2019) on the logits. */
    static RkdDistance rkdDistance() { return new RkdDistance(); }

    /** RKD distance on two named layers' outputs, flattened per sample. */
    static RkdDistance rkdDistance(String teacherLayer, String studentLayer) { return new RkdDistance(teacherLayer, studentLayer); }

    /** RKD angle (Park et al. 2019) on the logits. */
    static RkdAngle rkdAngle() { return new RkdAngle(); }

    /** RKD angle on two named layers' outputs, flattened per sample. */
    static RkdAngle rkdAngle(String teacherLayer, String studentLayer) { return new RkdAngle(teacherLayer, studentLayer); }

    /** FitNets hint (Romero et al. 2015): MSE between the teacher's layer and the student's layer through a learned 1×1 adapter. */
    static FeatureDistillation featureDistillation(String teacherLayer, String studentLayer) {
        return new FeatureDistillation(teacherLayer, studentLayer);
    }

    /** FSP (Yim et al. 2017): the Gram matrix between two layers, teacher's vs student's, on the same node names in both. */
    static FspDistillation fsp(String firstLayer, String secondLayer) { return new FspDistillation(firstLayer, secondLayer); }

    /** This term with a weight, for {@link Distiller#of(dev.squeeze.model.Network, dev.squeeze.model.Network, java.util.List, double)}. */
    default WeightedTerm weighted(double weight) { return new WeightedTerm(this, weight); }
}
