package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * One batch as a {@link DistillationTerm} sees it: both networks' logits and the intermediate outputs
 * the term asked for ({@link DistillationTerm#studentNodes()}, {@link DistillationTerm#teacherNodes()}),
 * all from the same images in the same order. The student's arrays come from its training forward pass
 * and carry gradients; the teacher's come from its frozen, no-grad pass. Valid only during the call.
 */
public final class TermInput {
    private final NDArray studentLogits, teacherLogits;
    private final Map<String, NDArray> student, teacher;
    private final HintAdapter adapter;

    /**
     * @param studentLogits N × classes
     * @param teacherLogits N × classes
     * @param student student node name → output (N × C × H × W or N × features)
     * @param teacher teacher node name → output
     */
    public TermInput(NDArray studentLogits, NDArray teacherLogits, Map<String, NDArray> student, Map<String, NDArray> teacher) {
        this(studentLogits, teacherLogits, student, teacher, null);
    }

    private TermInput(NDArray studentLogits, NDArray teacherLogits, Map<String, NDArray> student, Map<String, NDArray> teacher,
            HintAdapter adapter) {
        this.studentLogits = studentLogits;
        this.teacherLogits = teacherLogits;
        this.student = Map.copyOf(student);
        this.teacher = Map.copyOf(teacher);
        this.adapter = adapter;
    }

    /** The same batch with the adapter the distiller keeps for one {@link FeatureDistillation} term. */
    TermInput withAdapter(HintAdapter a) { return new TermInput(studentLogits, teacherLogits, student, teacher, a); }

    HintAdapter adapter() { return adapter; }

    /** N × classes, with gradients. */
    public NDArray studentLogits() { return studentLogits; }

    /** N × classes, without gradients. */
    public NDArray teacherLogits() { return teacherLogits; }

    /** The student's output at {@code node} (null: the logits), with gradients. */
    public NDArray student(String node) { return node == null ? studentLogits : get(student, node, "student"); }

    /** The teacher's output at {@code node} (null: the logits), without gradients. */
    public NDArray teacher(String node) { return node == null ? teacherLogits : get(teacher, node, "teacher"); }

    private static NDArray get(Map<String, NDArray> outputs, String node, String who) {
        NDArray a = outputs.get(node);
        if (a == null) {
            throw new IllegalArgumentException("the " + who + "'s node '" + node + "' was not recorded for this batch (recorded: "
                    + outputs.keySet() + "); a term must list it in its " + who + "Nodes()");
        }
        return a;
    }
}
