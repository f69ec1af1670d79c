package dev.squeeze.distill;

import java.util.Map;

/**
 * A distilled student on a data set, as Keras' {@code distiller.evaluate} reports it.
 *
 * @param accuracy the student's top-1 in [0, 1]
 * @param studentLoss mean student loss (cross-entropy by default) over the images
 * @param distillationLoss mean distillation loss (Σ w_i · term_i; for the Keras form T² · KL) over the batches,
 *     weighted by batch size
 * @param terms each term's mean, by {@link DistillationTerm#name()}
 * @param teacherAgreement fraction of images on which student and teacher predict the same class
 * @param count images evaluated
 */
public record DistillEvaluation(double accuracy, double studentLoss, double distillationLoss, Map<String, Double> terms,
        double teacherAgreement, int count) {
    public DistillEvaluation { terms = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(terms)); }
}
