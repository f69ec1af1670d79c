package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.squeeze.train.Objective;
import dev.squeeze.train.ObjectiveInput;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The {@link Objective} a {@link Distiller} trains its student with:
 * {@code w · student_loss + (1 − w) · Σ_i w_i · term_i(student logits, teacher logits)}, where w is the
 * student-loss weight (Keras' α) and the sum is the distillation loss. Each step reports
 * {@code student_loss} and {@code distillation_loss} (and, with several terms, each term by its
 * {@link DistillationTerm#name()}), so they appear per epoch in {@code EpochStats.terms()}.
 *
 * <p>The teacher's logits come from the cache when one was given (row per training image, looked up by
 * {@link ObjectiveInput#indices()}), else from a no-grad forward pass over the step's inputs.
 */
final class DistillationObjective implements Objective {
    private final FrozenTeacher teacher;
    private final Objective studentLoss;
    private final double studentLossWeight;
    private final List<WeightedTerm> terms;
    private final float[] cache;
    private final int classes;

    DistillationObjective(FrozenTeacher teacher, Objective studentLoss, double studentLossWeight, List<WeightedTerm> terms,
            float[] cache) {
        this.teacher = teacher;
        this.studentLoss = studentLoss;
        this.studentLossWeight = studentLossWeight;
        this.terms = List.copyOf(terms);
        this.cache = cache;
        this.classes = teacher.network().architecture().numClasses();
    }

    boolean cached() { return cache != null; }

    @Override public NDArray loss(ObjectiveInput step) {
        NDArray s = step.logits();
        NDArray t = teacherLogits(step);
        NDArray sl = studentLoss.loss(step);
        step.report("student_loss", sl);
        NDArray dl = distillationLoss(s, t, step);
        step.report("distillation_loss", dl);
        return sl.mul((float) studentLossWeight).add(dl.mul((float) (1 - studentLossWeight)));
    }

    NDArray studentLossOnly(ObjectiveInput step) { return studentLoss.loss(step); }

    /** Σ w_i · term_i; reports each term when there are several. */
    NDArray distillationLoss(NDArray s, NDArray t, ObjectiveInput step) {
        NDArray sum = null;
        for (WeightedTerm wt : terms) {
            NDArray v = wt.term().loss(s, t);
            if (terms.size() > 1 && step != null) step.report(wt.term().name(), v);
            NDArray weighted = v.mul((float) wt.weight());
            sum = sum == null ? weighted : sum.add(weighted);
        }
        return sum;
    }

    NDArray teacherLogits(ObjectiveInput step) {
        if (cache == null) return teacher.logits(step.inputs());
        int[] idx = step.indices();
        float[] rows = new float[idx.length * classes];
        for (int i = 0; i < idx.length; i++) System.arraycopy(cache, idx[i] * classes, rows, i * classes, classes);
        return step.logits().getManager().create(FloatBuffer.wrap(rows), new Shape(idx.length, classes));
    }

    @Override public String describe() {
        return "distillation from " + teacher.network().architecture().name() + ": " + studentLossWeight + "·" + studentLoss.describe()
                + " + " + (1 - studentLossWeight) + "·(" + terms.stream().map(WeightedTerm::toString).collect(Collectors.joining(" + "))
                + ")" + (cache != null ? ", teacher logits cached" : "");
    }

    @Override public String toString() { return describe(); }
}
