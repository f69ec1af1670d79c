package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import dev.squeeze.model.Network;
import java.util.Arrays;
import java.util.List;

/**
 * Feature-based knowledge, FitNets' hint (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015),
 * named as Keras 3's {@code FeatureDistillation(teacher_layer_name, student_layer_name)}: the student's
 * feature map at {@code studentLayer}, passed through a learned 1×1 convolution (the adapter, or FitNets'
 * regressor), should match the teacher's at {@code teacherLayer}; the mean over all elements of the
 * squared difference.
 *
 * <p>Shapes: student {@code N × Cs × H × W} → adapter (weight {@code Ct × Cs × 1 × 1}, bias {@code Ct}) →
 * {@code N × Ct × H × W}, compared with the teacher's {@code N × Ct × H × W}. The adapter maps channels
 * only, so H × W must be the same in both (the {@link Distiller} checks this when it is built). Flattened
 * features ({@code N × Fs} after a flatten) work the same way with a linear adapter {@code Ft × Fs}.
 *
 * <p>The {@link Distiller} creates one adapter per term, initialised from {@link #seed()} like PyTorch's
 * {@code Conv2d} and kept for the distiller's life; it is trained with the student (same optimizer settings
 * and schedule) but is not part of the student: after {@code fit} the student's architecture, parameter
 * names and count are what they were. Its memory is freed when the student network is closed.
 *
 * @param teacherLayer a node of the teacher ({@code Network.featureNodes()}), e.g. {@code layer2}
 * @param studentLayer a node of the student, e.g. {@code layer1}
 * @param seed draws the adapter's initial weights
 */
public record FeatureDistillation(String teacherLayer, String studentLayer, long seed) implements DistillationTerm {

    public FeatureDistillation {
        for (String[] f : new String[][] {{"teacherLayer", teacherLayer}, {"studentLayer", studentLayer}}) {
            if (f[1] == null || f[1].isBlank()) {
                throw new IllegalArgumentException("FeatureDistillation." + f[0] + " must name a node such as 'conv2' or 'layer1'"
                        + " (Network.featureNodes() lists them), got '" + f[1] + "'");
            }
        }
    }

    /** With adapter seed 0. */
    public FeatureDistillation(String teacherLayer, String studentLayer) { this(teacherLayer, studentLayer, 0); }

    /** The same hint with another adapter seed. */
    public FeatureDistillation withSeed(long seed) { return new FeatureDistillation(teacherLayer, studentLayer, seed); }

    @Override public NDArray loss(TermInput batch) {
        HintAdapter adapter = batch.adapter();
        if (adapter == null) {
            throw new IllegalStateException("FeatureDistillation needs its learned adapter, which a Distiller creates; use it through"
                    + " Distiller.of(student, teacher, terms, studentLossWeight)");
        }
        return loss(adapter.apply(batch.student(studentLayer)), batch.teacher(teacherLayer));
    }

    /** Mean over all elements of (adapted − teacher)²; both {@code N × Ct × H × W}. */
    static NDArray loss(NDArray adaptedStudent, NDArray teacher) { return adaptedStudent.sub(teacher).square().mean(); }

    /**
     * The adapter's (in, out) channels for these two networks: the first dimension of each node's per-image
     * shape; checks that the remaining dimensions (H × W) agree.
     */
    int[] adapterChannels(Network student, Network teacher) {
        int[] s = student.featureShape(studentLayer), t = teacher.featureShape(teacherLayer);
        if (!Arrays.equals(Arrays.copyOfRange(s, 1, s.length), Arrays.copyOfRange(t, 1, t.length))) {
            throw new IllegalArgumentException("FeatureDistillation: student node '" + studentLayer + "' of " + student.architecture().name()
                    + " gives " + Arrays.toString(s) + " per image but teacher node '" + teacherLayer + "' of "
                    + teacher.architecture().name() + " gives " + Arrays.toString(t) + "; the 1×1 adapter maps channels only, so the"
                    + " spatial sizes must match: choose nodes at the same resolution");
        }
        return new int[] {s[0], t[0]};
    }

    @Override public List<String> studentNodes() { return List.of(studentLayer); }

    @Override public List<String> teacherNodes() { return List.of(teacherLayer); }

    @Override public String name() { return "feature_distillation_" + studentLayer; }

    @Override public String describe() {
        return "FitNets hint: teacher " + teacherLayer + " ← 1×1 adapter (seed " + seed + ") ← student " + studentLayer + ", MSE";
    }
}
