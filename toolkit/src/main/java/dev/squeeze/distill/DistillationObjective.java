package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.squeeze.train.Objective;
import dev.squeeze.train.ObjectiveInput;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@link Objective} a {@link Distiller} trains its student with:
 * {@code w · student_loss + (1 − w) · Σ_i w_i · term_i(student outputs, teacher outputs)}, where w is the
 * student-loss weight (Keras' α) and the sum is the distillation loss. Each step reports
 * {@code student_loss} and {@code distillation_loss} (and, with several terms, each term by its
 * {@link DistillationTerm#name()}), so they appear per epoch in {@code EpochStats.terms()}.
 *
 * <p>The student's intermediate outputs the terms need are {@link #features()}, recorded by
 * {@code Training.fit} in the training pass. The teacher's logits come from the cache when one was given
 * (row per training image, looked up by {@link ObjectiveInput#indices()}), else, and always when a term
 * needs teacher features, from a no-grad forward pass over the step's inputs. FitNets adapters are
 * {@link #extraParameters()}, trained with the student.
 */
final class DistillationObjective implements Objective {
    private final FrozenTeacher teacher;
    private final Objective studentLoss;
    private final double studentLossWeight;
    private final List<WeightedTerm> terms;
    private final List<HintAdapter> adapters;
    private final Set<String> studentNodes, teacherNodes;
    private final float[] cache;
    private final int classes;

    /** Terms without learned adapters (every term but {@link FeatureDistillation}). */
    DistillationObjective(FrozenTeacher teacher, Objective studentLoss, double studentLossWeight, List<WeightedTerm> terms, float[] cache) {
        this(teacher, studentLoss, studentLossWeight, terms, java.util.Collections.nCopies(terms.size(), null), cache);
    }

    /**
     * @param adapters one per term, in order: the adapter of a {@link FeatureDistillation} term, null for the others
     * @param cache teacher logits per training image, or null
     */
    DistillationObjective(FrozenTeacher teacher, Objective studentLoss, double studentLossWeight, List<WeightedTerm> terms,
            List<HintAdapter> adapters, float[] cache) {
        this.teacher = teacher;
        this.studentLoss = studentLoss;
        this.studentLossWeight = studentLossWeight;
        this.terms = List.copyOf(terms);
        this.adapters = new ArrayList<>(adapters);
        if (this.adapters.size() != this.terms.size()) throw new IllegalArgumentException(adapters.size() + " adapters for " + terms.size() + " terms");
        this.studentNodes = nodes(terms, true);
        this.teacherNodes = nodes(terms, false);
        if (cache != null && !teacherNodes.isEmpty()) throw new IllegalArgumentException("teacher logits cannot be cached when terms read teacher features " + teacherNodes);
        this.cache = cache;
        this.classes = teacher.network().architecture().numClasses();
        if (cache != null) checkFinite(cache, classes);
    }

    /**
     * A non-finite cached logit would surface steps later as "Training diverged: loss is NaN", blaming the
     * learning rate for what the teacher computed; name the image instead.
     */
    static void checkFinite(float[] cache, int classes) {
        for (int i = 0; i < cache.length; i++) {
            if (!Float.isFinite(cache[i])) {
                throw new IllegalArgumentException("the teacher's cached logits are not finite: " + cache[i] + " for training image "
                        + i / classes + " (class " + i % classes + "); the teacher's own forward pass produced it, so check the teacher"
                        + " (Training.evaluate on the training set) and recompute its logits before distilling from it");
            }
        }
    }

    /** Every node the terms read, of the student or of the teacher, in term order. */
    static Set<String> nodes(List<WeightedTerm> terms, boolean student) {
        Set<String> out = new LinkedHashSet<>();
        for (WeightedTerm wt : terms) out.addAll(student ? wt.term().studentNodes() : wt.term().teacherNodes());
        return out;
    }

    boolean cached() { return cache != null; }

    @Override public Set<String> features() { return studentNodes; }

    @Override public List<NDArray> extraParameters() {
        List<NDArray> out = new ArrayList<>();
        for (HintAdapter a : adapters) if (a != null) out.addAll(a.parameters());
        return out;
    }

    @Override public NDArray loss(ObjectiveInput step) {
        NDArray s = step.logits();
        FrozenTeacher.Outputs t = teacherOutputs(step);
        Map<String, NDArray> studentFeatures = new LinkedHashMap<>();
        for (String n : studentNodes) studentFeatures.put(n, step.feature(n));
        NDArray sl = studentLoss.loss(step);
        step.report("student_loss", sl);
        NDArray dl = distillationLoss(new TermInput(s, t.logits(), studentFeatures, t.features()), step);
        step.report("distillation_loss", dl);
        return sl.mul((float) studentLossWeight).add(dl.mul((float) (1 - studentLossWeight)));
    }

    NDArray studentLossOnly(ObjectiveInput step) { return studentLoss.loss(step); }

    Set<String> studentNodes() { return studentNodes; }

    Set<String> teacherNodes() { return teacherNodes; }

    /** Term {@code i} on {@code batch}, with its adapter if it has one. */
    NDArray term(int i, TermInput batch) {
        HintAdapter a = adapters.get(i);
        return terms.get(i).term().loss(a == null ? batch : batch.withAdapter(a));
    }

    /** Σ w_i · term_i; reports each term when there are several and {@code step} is not null. */
    NDArray distillationLoss(TermInput batch, ObjectiveInput step) {
        NDArray sum = null;
        for (int i = 0; i < terms.size(); i++) {
            WeightedTerm wt = terms.get(i);
            NDArray v = term(i, batch);
            if (terms.size() > 1 && step != null) step.report(wt.term().name(), v);
            NDArray weighted = v.mul((float) wt.weight());
            sum = sum == null ? weighted : sum.add(weighted);
        }
        return sum;
    }

    FrozenTeacher.Outputs teacherOutputs(ObjectiveInput step) {
        if (cache == null) return teacher.forward(step.inputs(), teacherNodes);
        int[] idx = step.indices();
        float[] rows = new float[idx.length * classes];
        for (int i = 0; i < idx.length; i++) System.arraycopy(cache, idx[i] * classes, rows, i * classes, classes);
        return new FrozenTeacher.Outputs(step.logits().getManager().create(FloatBuffer.wrap(rows), new Shape(idx.length, classes)), Map.of());
    }

    @Override public String describe() {
        return "distillation from " + teacher.network().architecture().name() + ": " + studentLossWeight + "·" + studentLoss.describe()
                + " + " + (1 - studentLossWeight) + "·(" + terms.stream().map(WeightedTerm::toString).collect(Collectors.joining(" + "))
                + ")" + (cache != null ? ", teacher logits cached" : "");
    }

    @Override public String toString() { return describe(); }
}
