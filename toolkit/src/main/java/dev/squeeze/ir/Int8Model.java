package dev.squeeze.ir;

import dev.squeeze.util.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A quantized model that runs with integer arithmetic only: a graph of {@link Int8Op}s (the
 * {@link FusedGraph}'s ops with their integer weights, int32 biases and fixed-point requantizers)
 * between a {@link Int8Op.QuantizeInput} and a {@link Int8Op.Dequantize}. Immutable and
 * self-describing: everything an executor needs — shapes, grids, codes, multipliers — is in the ops,
 * and {@link #provenance()} records how the model was made. Made by {@link dev.squeeze.quant.Int8Converter} /
 * {@link dev.squeeze.quant.QuantizedNetwork#convert()}; executed by {@link dev.squeeze.quant.IntegerReference} (the bit-exact oracle).
 *
 * <h2>File format ({@code .sqz8}), version {@value #FORMAT_VERSION}</h2>
 * <pre>
 *   8 bytes   magic "SQZINT8\0"
 *   4 bytes   format version (little-endian int): 2, or 3 for a model that uses what version 3 added
 *             (lookup, concat, channel_slice and channel_shuffle ops; the relu6 and hard_swish activations;
 *             a requantization's "clamp_max" below the output qmax), or 4 for a model with a channel_shuffle
 *             that carries an explicit permutation ("layer": [1], "order": [source channel of each output
 *             channel]; a pruned ShuffleNet's). The writer picks the oldest version that holds the model,
 *             so a model without these still opens in a Squeeze that reads only 2 (or 3).
 *             Version 1 files were run with double-rounding requantization and are refused: re-export them.
 *   4 bytes   header length L
 *   L bytes   UTF-8 JSON: {"format":"squeeze-int8", "name", "input_shape":[C,H,W], "provenance":{...},
 *             "payload_bytes":P, "ops":[...]}  (each op's fields as in {@link Int8Op}; arrays are
 *             [offset, bytes] references into the payload; grids are [scale, zero_point, qmin, qmax]; an op
 *             may carry "node": its node name, e.g. "layer1.0.conv1" — optional, absent in files written
 *             before names were stored, and ignored by readers that do not know it, so it needs no new version)
 *   P bytes   payload: packed weight codes (see {@link Int8Weights}), float32 scales, int32 zero points,
 *             int32 biases, int32 multipliers, int8 shifts — little-endian, in op order
 *   32 bytes  SHA-256 of everything above
 * </pre>
 * Weights are stored at their bit width (1, 2, 4 or 8 bits per weight), so the file size is the honest
 * size of a low-bit model. The same model always encodes to the same bytes.
 */
public final class Int8Model {
    /**
     * Newest version of the file format this class writes and reads (it reads 2 to 4). 2: the
     * multipliers are applied with one rounding ({@link Requantizer}); version 1 files assumed gemmlowp's
     * double rounding, so running them now would change up to one step on some outputs — they are
     * refused with a message to re-export. 3: adds the ops and activations of MobileNetV2/ShuffleNetV2
     * (see the format above); a Squeeze that reads only version 2 refuses such a file with "upgrade
     * Squeeze", and this one refuses an op kind it does not know the same way. 4: a channel_shuffle may
     * carry an explicit "order"; a version-3 reader would ignore it and run the identity, so it must
     * refuse the file instead (it does: the version is above the ones it reads).
     */
    public static final int FORMAT_VERSION = 4;

    private final String name;
    private final List<Int8Op> ops;
    private final Map<String, String> provenance;
    private final Map<Integer, String> nodeNames;
    private volatile byte[] encoded; // lazily, for sizeBytes(); the model is immutable so it never goes stale

    /**
     * @param name the source architecture's name, e.g. {@code "seed-cnn"}
     * @param ops top-level ops in execution order: {@link Int8Op.QuantizeInput} first, {@link Int8Op.Dequantize}
     *     last; residual branches nest inside {@link Int8Op.Add}, concat branches inside {@link Int8Op.Concat}
     * @param provenance free-form facts about how the model was made (seed, data, method, bits, JDK, ...)
     * @throws IllegalArgumentException when the ops do not chain: each op's input shape and grid must be
     *     the previous op's output shape and grid (ops that keep their input's grid must keep it exactly)
     */
    public Int8Model(String name, List<Int8Op> ops, Map<String, String> provenance) {
        this(name, ops, provenance, Map.of());
    }

    /**
     * A model whose ops carry node names ({@link FusedGraph#nodeName(int)}, e.g. {@code layer1.0.conv1}).
     *
     * @param nodeNames op id → node name for some or all ops (the others answer {@code op<id>})
     * @throws IllegalArgumentException as above, or when a name is blank, used twice or given to an id
     *     that is no op of the model
     */
    public Int8Model(String name, List<Int8Op> ops, Map<String, String> provenance, Map<Integer, String> nodeNames) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("Int8Model.name must not be blank");
        this.name = name;
        this.ops = List.copyOf(ops);
        LinkedHashMap<String, String> p = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : provenance.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("Int8Model.provenance: null key or value for '" + e.getKey() + "'");
            }
            p.put(e.getKey(), e.getValue());
        }
        this.provenance = Collections.unmodifiableMap(p);
        validate();
        this.nodeNames = Collections.unmodifiableMap(new java.util.TreeMap<>(nodeNames));
        Set<Integer> ids = new HashSet<>();
        for (Int8Op op : flatOps()) ids.add(op.id());
        Set<String> seen = new HashSet<>();
        for (Map.Entry<Integer, String> e : this.nodeNames.entrySet()) {
            if (!ids.contains(e.getKey())) {
                throw new IllegalArgumentException("Int8Model " + name + ": node name '" + e.getValue() + "' is given to op id "
                        + e.getKey() + ", which is no op of the model (ids " + ids + ")");
            }
            if (e.getValue() == null || e.getValue().isBlank() || !seen.add(e.getValue())) {
                throw new IllegalArgumentException("Int8Model " + name + ": node name '" + e.getValue() + "' of op " + e.getKey()
                        + " is blank or used twice; node names must be unique");
            }
        }
    }

    // ---- structure ------------------------------------------------------------------------------

    private void validate() {
        if (ops.size() < 2 || !(ops.get(0) instanceof Int8Op.QuantizeInput) || !(ops.get(ops.size() - 1) instanceof Int8Op.Dequantize)) {
            throw new IllegalArgumentException("Int8Model " + name + ": the ops must start with a quantize-input op and end with a"
                    + " dequantize-output op, got " + ops.stream().map(Int8Op::kind).toList());
        }
        Int8Op.QuantizeInput in = (Int8Op.QuantizeInput) ops.get(0);
        State end = chain(ops.subList(1, ops.size() - 1), new State(in.outputShape(), in.output()), new HashSet<>());
        Int8Op.Dequantize out = (Int8Op.Dequantize) ops.get(ops.size() - 1);
        expect(out, end, out.inputShape(), out.output());
    }

    private record State(TensorShape shape, QuantParams params) {}

    private State chain(List<Int8Op> list, State s, Set<Integer> ids) {
        for (Int8Op op : list) {
            if (op instanceof Int8Op.QuantizeInput || op instanceof Int8Op.Dequantize) {
                throw new IllegalArgumentException("Int8Model " + name + ": " + op.kind() + " may only be the first/last op");
            }
            if (op.id() < 0 || !ids.add(op.id())) {
                throw new IllegalArgumentException("Int8Model " + name + ": op id " + op.id() + " (" + op.describe()
                        + ") is negative or used twice");
            }
            switch (op) {
                case Int8Op.Conv c -> expect(op, s, c.inputShape(), c.input());
                case Int8Op.Dense d -> expect(op, s, d.inputShape(), d.input());
                case Int8Op.Act a -> expect(op, s, a.inputShape(), a.input());
                case Int8Op.Lookup l -> expect(op, s, l.inputShape(), l.input());
                case Int8Op.Concat c -> {
                    expect(op, s, c.inputShape(), s.params());
                    TensorShape first = null;
                    for (int b = 0; b < c.branches().size(); b++) {
                        State end = chain(c.branches().get(b), s, ids);
                        if (!end.params().equals(c.branchGrids().get(b)) || !end.shape().equals(c.branchOutputShape(b))) {
                            throw new IllegalArgumentException("Int8Model " + name + ": concat op " + c.id() + " expects branch " + b
                                    + " to end on " + c.branchGrids().get(b) + " but it ends with " + end);
                        }
                        if (first == null) first = end.shape();
                        if (end.shape().height() != first.height() || end.shape().width() != first.width()) {
                            throw new IllegalArgumentException("Int8Model " + name + ": concat op " + c.id() + " branch " + b
                                    + " outputs " + end.shape() + " but branch 0 outputs " + first + "; heights and widths must agree");
                        }
                    }
                }
                case Int8Op.Add a -> {
                    expect(op, s, a.inputShape(), s.params());
                    State body = chain(a.body(), s, ids);
                    State shortcut = chain(a.shortcut(), s, ids);
                    if (!body.params().equals(a.a()) || !shortcut.params().equals(a.b()) || !body.shape().equals(shortcut.shape())) {
                        throw new IllegalArgumentException("Int8Model " + name + ": add op " + a.id() + " expects operands on "
                                + a.a() + " and " + a.b() + " but its body ends with " + body + " and its shortcut with " + shortcut);
                    }
                }
                default -> expect(op, s, op.inputShape(), op.output()); // pools and flatten keep their input's grid
            }
            s = new State(op.outputShape(), op.output());
        }
        return s;
    }

    private void expect(Int8Op op, State s, TensorShape shape, QuantParams params) {
        if (!s.shape().equals(shape) || !s.params().equals(params)) {
            throw new IllegalArgumentException("Int8Model " + name + ": op " + op.id() + " (" + op.describe() + ") expects input "
                    + shape + " on " + params + " but the op before it produces " + s.shape() + " on " + s.params());
        }
    }

    // ---- accessors ------------------------------------------------------------------------------

    /** Name of the source architecture. */
    public String name() { return name; }

    /** Top-level ops in execution order, from quantize-input to dequantize-output. */
    public List<Int8Op> ops() { return ops; }

    /**
     * Every op in execution order, residual bodies and shortcuts before their add, concat branches in order
     * before their concat (as {@link FusedGraph#flatOps()}).
     */
    public List<Int8Op> flatOps() {
        List<Int8Op> out = new ArrayList<>();
        flatten(ops, out);
        return out;
    }

    private static void flatten(List<Int8Op> ops, List<Int8Op> out) {
        for (Int8Op op : ops) {
            if (op instanceof Int8Op.Add a) {
                flatten(a.body(), out);
                flatten(a.shortcut(), out);
            }
            if (op instanceof Int8Op.Concat c) for (List<Int8Op> b : c.branches()) flatten(b, out);
            out.add(op);
        }
    }

    /** The op with this id ({@link Int8Op#INPUT_ID}, {@link Int8Op#OUTPUT_ID} or a fused-op id). */
    public Int8Op op(int id) {
        for (Int8Op op : flatOps()) if (op.id() == id) return op;
        throw new IllegalArgumentException("Int8Model " + name + " has no op " + id);
    }

    public Int8Op.QuantizeInput quantizeInput() { return (Int8Op.QuantizeInput) ops.get(0); }
    public Int8Op.Dequantize dequantizeOutput() { return (Int8Op.Dequantize) ops.get(ops.size() - 1); }

    /** Shape of one input image, {@code [C, H, W]}. */
    public TensorShape inputShape() { return quantizeInput().inputShape(); }

    /** Shape of one output, {@code [classes]}. */
    public TensorShape outputShape() { return dequantizeOutput().inputShape(); }

    /** Number of outputs per image. */
    public int classes() { return outputShape().size(); }

    /** The grid of the model input. */
    public QuantParams inputParams() { return quantizeInput().output(); }

    /** The grid of the output codes (the logits). */
    public QuantParams outputParams() { return dequantizeOutput().output(); }

    /**
     * The node name of op {@code id} as the fused graph named it ({@code layer1.0.conv1}, see {@link FusedGraph});
     * {@code input} and {@code output} for the two ends, {@code op<id>} for an op without a name (hand-built
     * models, files written before names were stored).
     */
    public String nodeName(int id) {
        if (id == Int8Op.INPUT_ID) return "input";
        if (id == Int8Op.OUTPUT_ID) return "output";
        String n = nodeNames.get(id);
        return n != null ? n : "op" + id;
    }

    /** Op id → node name for the ops that have one; unmodifiable. */
    public Map<Integer, String> nodeNames() { return nodeNames; }

    /** The id of the op named {@code node} ({@code layer1.0.conv1}). */
    public int opId(String node) {
        for (Map.Entry<Integer, String> e : nodeNames.entrySet()) if (e.getValue().equals(node)) return e.getKey();
        throw new IllegalArgumentException("Int8Model " + name + " has no op named '" + node + "'; its node names are "
                + nodeNames.values());
    }

    /** How the model was made; unmodifiable. */
    public Map<String, String> provenance() { return provenance; }

    /** Weight count over all conv and dense ops. */
    /** Widest weight format in the model (8 for int8, 4, 2 for ternary, 1 for binary). */
    public int weightBits() {
        int bits = 0;
        for (Int8Op op : flatOps()) {
            if (op instanceof Int8Op.Conv c) bits = Math.max(bits, c.weights().bits());
            if (op instanceof Int8Op.Dense d) bits = Math.max(bits, d.weights().bits());
        }
        return bits;
    }

    public long weightCount() {
        long n = 0;
        for (Int8Op op : flatOps()) {
            if (op instanceof Int8Op.Conv c) n += c.weights().count();
            if (op instanceof Int8Op.Dense d) n += d.weights().count();
        }
        return n;
    }

    /** Bytes of packed weight codes over all conv and dense ops. */
    public long weightBytes() {
        long n = 0;
        for (Int8Op op : flatOps()) {
            if (op instanceof Int8Op.Conv c) n += c.weights().packedBytes();
            if (op instanceof Int8Op.Dense d) n += d.weights().packedBytes();
        }
        return n;
    }

    /**
     * One row per op for tables.
     *
     * @param id op id
     * @param node node name ({@link #nodeName(int)}), e.g. {@code layer1.0.conv1}
     * @param kind file kind ({@code conv}, {@code max_pool}, ...)
     * @param description e.g. {@code "conv 3→16 5×5 + relu"}
     * @param outputShape per image
     * @param output output grid
     * @param weightFormat e.g. {@code "int8 per-channel"}, empty for ops without weights
     * @param weights weight count
     * @param weightBytes packed weight bytes
     * @param macs multiply-accumulates per image
     */
    public record OpInfo(int id, String node, String kind, String description, TensorShape outputShape, QuantParams output,
                         String weightFormat, long weights, long weightBytes, long macs) {}

    /** A row per op in execution order (nested ones included). */
    public List<OpInfo> describeOps() {
        List<OpInfo> rows = new ArrayList<>();
        for (Int8Op op : flatOps()) {
            Int8Weights w = op instanceof Int8Op.Conv c ? c.weights() : op instanceof Int8Op.Dense d ? d.weights() : null;
            long macs = op instanceof Int8Op.Conv c ? c.macs() : op instanceof Int8Op.Dense d ? d.macs() : 0;
            rows.add(new OpInfo(op.id(), nodeName(op.id()), op.kind(), op.describe(), op.outputShape(), op.output(), w == null ? "" : w.format(),
                    w == null ? 0 : w.count(), w == null ? 0 : w.packedBytes(), macs));
        }
        return rows;
    }

    // ---- files ----------------------------------------------------------------------------------

    /** Writes the model atomically (temp file and rename, see {@link AtomicFiles}). */
    public void write(Path path) {
        byte[] bytes = toBytes();
        AtomicFiles.write(path, out -> out.write(bytes));
    }

    /**
     * Reads a model written by {@link #write(Path)}.
     *
     * @throws IllegalArgumentException one clear error, naming the file, when it is not an int8 model,
     *     is truncated, was modified (SHA-256 mismatch), has another format version, or its content does
     *     not describe a valid model
     * @throws java.io.UncheckedIOException when the file cannot be read
     */
    public static Int8Model read(Path path) { return Int8ModelFile.read(path); }

    /** True when {@code path} starts with the int8 magic {@code SQZINT8} (see {@code ModelFile.hasMagic} for fp32). */
    public static boolean hasMagic(Path path) { return Int8ModelFile.startsWithMagic(path); }

    /** The exact bytes {@link #write(Path)} writes. */
    public byte[] toBytes() {
        byte[] e = encoded;
        if (e == null) encoded = e = Int8ModelFile.encode(this);
        return e.clone();
    }

    /** Size in bytes of the written file (header, payload and checksum). */
    public long sizeBytes() {
        byte[] e = encoded;
        if (e == null) encoded = e = Int8ModelFile.encode(this);
        return e.length;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Int8Model m && name.equals(m.name) && ops.equals(m.ops) && provenance.equals(m.provenance)
                && nodeNames.equals(m.nodeNames);
    }

    @Override public int hashCode() { return (name.hashCode() * 31 + ops.hashCode()) * 31 + provenance.hashCode(); }

    @Override public String toString() {
        return "Int8Model[" + name + ", " + inputShape() + " → " + outputShape() + ", " + flatOps().size() + " ops, "
                + String.format("%,d", weightCount()) + " weights in " + String.format("%,d", weightBytes()) + " bytes]";
    }
}
