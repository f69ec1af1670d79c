package dev.squeeze.export;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.onnx.proto.AttributeProto;
import dev.squeeze.onnx.proto.GraphProto;
import dev.squeeze.onnx.proto.ModelProto;
import dev.squeeze.onnx.proto.NodeProto;
import dev.squeeze.onnx.proto.OperatorSetIdProto;
import dev.squeeze.onnx.proto.StringStringEntryProto;
import dev.squeeze.onnx.proto.TensorProto;
import dev.squeeze.onnx.proto.TensorShapeProto;
import dev.squeeze.onnx.proto.ValueInfoProto;
import dev.squeeze.util.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Imports an fp32 ONNX model into a trainable Squeeze {@link Network}: the graph becomes an
 * {@link Architecture}, each Squeeze parameter takes the values of the ONNX initializer that the graph
 * feeds into its node (bound through the node's inputs, not by the order of the file), BatchNorm stays
 * BatchNorm (running statistics included) so the model can be fine-tuned, pruned and quantized.
 *
 * <h2>Supported ops ({@link #SUPPORTED})</h2>
 * <ul>
 *   <li>{@code Conv}: square kernel, equal strides, symmetric equal pads ({@code auto_pad} NOTSET or
 *       VALID), dilations 1, any {@code group}, bias optional;</li>
 *   <li>{@code BatchNormalization} (inference form, one output) with ε = 1e-5: Squeeze's BatchNorm has
 *       its ε fixed at 1e-5 (PyTorch's default; {@link Layer.BatchNorm}, {@code DjlBlocks}), so a file
 *       with another ε (Keras/tf2onnx writes 1e-3) would compute different outputs and is refused;</li>
 *   <li>{@code Relu}, {@code LeakyRelu}; {@code Clip} with min 0 and max 6 (inputs or, before opset 11,
 *       attributes) → ReLU6, other bounds are refused; {@code HardSwish}, and {@code Mul(x, HardSigmoid(x))}
 *       with α = 1/6, β = 0.5 where x feeds nothing else (PyTorch's decomposition) → hard-swish;</li>
 *   <li>{@code MaxPool} (square, symmetric pads, no dilation, {@code ceil_mode} 0, one output),
 *       {@code AveragePool} (the same; {@code count_include_pad} 1 when it pads, Squeeze's and PyTorch's
 *       convention), {@code GlobalAveragePool}, {@code ReduceMean} over axes {@code [2, 3]} (PyTorch's
 *       {@code x.mean([2, 3])}: a global average pool, followed by a flatten when {@code keepdims} is 0);</li>
 *   <li>{@code Flatten} (axis 1), {@code Reshape} to {@code [N, features]} ({@code [0, -1]},
 *       {@code [-1, F]}, {@code [0, F]});</li>
 *   <li>the channel shuffle {@code Reshape [N, g, C/g, H, W]} → {@code Transpose(perm = [0, 2, 1, 3, 4])} →
 *       {@code Reshape [N, C, H, W]} (torchvision's ShuffleNetV2; the batch as 0 or -1, ONNX's 0 / -1 rules
 *       for the other dimensions) → ChannelShuffle(g); a 5-D Reshape or a Transpose outside it is refused;</li>
 *   <li>{@code Slice} of one channel range ({@code axes [1]}, steps 1; negative and out-of-range ends as
 *       ONNX clamps them) → ChannelSlice;</li>
 *   <li>{@code Gemm} (α = β = 1, transA 0; transB 1 keeps the weight, transB 0 transposes it) and
 *       {@code MatMul} by a constant, optionally followed by an {@code Add} of a constant bias → Linear;</li>
 *   <li>branches: where a tensor feeds several nodes (or a channel {@code Split}, whose outputs are
 *       branches starting with ChannelSlice), every branch must end in the same join node. An {@code Add}
 *       of two computed tensors joins two branches into a residual block: a body and a shortcut
 *       (identity when one Add input is the fork tensor itself, else a projection); the branch with more
 *       nodes is the body (ties: the Add's first input), as Squeeze's exporter and torchvision write them.
 *       A {@code Concat} on axis 1 joins any number into a Concat layer whose branches are in the order of
 *       the Concat's inputs (an input that is the fork tensor itself is an empty, identity branch).
 *       Branches nest; a join that does not close the branches of one fork is refused;</li>
 *   <li>{@code Constant} nodes and initializers supply constants (weights, a Reshape's shape, Clip
 *       bounds, Slice and Split sizes).</li>
 *   <li>shape computations ({@link #SHAPE_OPS}): a Reshape's shape, Slice bounds and Split sizes may be
 *       computed from {@code Shape} nodes and constants through {@code Gather}, {@code Unsqueeze},
 *       {@code Squeeze}, {@code Cast} (to int64/int32), {@code Concat} (axis 0), {@code Slice}, {@code Add},
 *       {@code Sub}, {@code Mul} and {@code Div} on int64 scalars and vectors, as PyTorch writes
 *       {@code x.size()}, {@code x.view(b, ...)} and {@code x.chunk(2, 1)} (torchvision's ShuffleNetV2,
 *       with or without a dynamic batch). They are evaluated at import for the input's fixed C, H and W;
 *       the batch stays open, so a computed shape must keep it first and not compute with it. A
 *       Reshape shape whose first entry is the graph input's fixed batch (an export without dynamic
 *       axes) keeps the batch too.</li>
 * </ul>
 * Any other op is one {@link IllegalArgumentException} naming the node, its op type and the supported
 * set, raised before anything is built; an unsupported form of a supported op (attributes, bounds,
 * axes, a broken shuffle pattern) is one such error naming the node, its op type, the values and what
 * is supported. Shapes are checked on
 * load: the input shape comes from the graph input ({@code [N, C, H, W]}, C, H and W fixed), every
 * layer's input against its weights, every weight's shape against its layer, concatenated heights and
 * widths against each other, and the graph output's
 * declared shape against the computed one. Tensors stored in external files are refused.
 *
 * <p>The file's {@code metadata_props} become the network's {@link Network#provenance() provenance}:
 * keys written by Squeeze's exporter as {@code provenance.<key>} lose that prefix, other keys are kept
 * as they are, and Squeeze's file keys {@code squeeze.format} / {@code squeeze.architecture} are not
 * provenance (the latter names the architecture). Added: {@code source} (the file name),
 * {@code source_sha256} (of the file's bytes) and {@code source_producer}.
 *
 * <p>The ONNX side (reading, op/attribute/weight checks, metadata) is written against nodes and named
 * tensors; only {@code Tree} maps them onto the {@link Layer} tree (residual blocks and concats of
 * branches that fork from one tensor).
 */
public final class OnnxImport {
    private OnnxImport() {}

    /** Default-domain ops the importer maps, in the order the error message lists them. */
    public static final List<String> SUPPORTED = List.of("Conv", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "HardSwish",
            "HardSigmoid", "Mul", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Gemm", "MatMul",
            "Add", "Concat", "Split", "Slice", "ReduceMean", "Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast", "Sub", "Div");

    /**
     * Ops read only inside a shape computation: a subgraph from {@code Shape} nodes and constants that
     * PyTorch writes for {@code x.size()} / {@code x.view(b, ...)} / {@code x.chunk(2, 1)}, evaluated at
     * import for the graph input's fixed C, H and W (the batch stays open).
     */
    static final List<String> SHAPE_OPS = List.of("Shape", "Gather", "Unsqueeze", "Squeeze", "Cast", "Concat", "Slice", "Add", "Sub",
            "Mul", "Div");

    private static final float BN_EPS = 1e-5f;

    /** An imported model before its weights go into DJL: the architecture and, in DJL parameter order, where each value comes from. */
    record Plan(Architecture architecture, List<Binding> bindings, Map<String, String> provenance, Map<String, TensorProto> constants,
            String where) {}

    /**
     * One Squeeze parameter and the ONNX tensor feeding it.
     *
     * @param type DJL's parameter type name ({@code WEIGHT}, {@code BIAS}, {@code GAMMA}, {@code BETA},
     *     {@code RUNNING_MEAN}, {@code RUNNING_VAR})
     * @param dims the Squeeze parameter's shape
     * @param transpose the ONNX tensor is {@code [in, out]} for a Squeeze {@code [out, in]} weight
     */
    record Binding(String tensor, String node, String type, long[] dims, boolean transpose) {}

    // ---- entry points ---------------------------------------------------------------------------

    /** Reads {@code path} into a network (architecture named after the file's metadata, graph or file name). */
    public static Network load(Path path) { return load(path, null); }

    /**
     * Reads {@code path} into a network whose architecture is called {@code name} (null: the file's
     * {@code squeeze.architecture} metadata, else its graph name, else the file name).
     */
    public static Network load(Path path, String name) {
        return load(readBytes(path), path.getFileName().toString(), name);
    }

    /** The architecture of the model in {@code path}, checked as {@link #load} checks it; no weights are loaded into DJL. */
    public static Architecture readArchitecture(Path path) {
        byte[] b = readBytes(path);
        return plan(OnnxFile.parse(b, path.toString()), path.getFileName().toString(), sha256(b), null).architecture();
    }

    static Network load(byte[] bytes, String fileName, String name) {
        Plan p = plan(OnnxFile.parse(bytes, fileName), fileName, sha256(bytes), name);
        Network net = Network.create(p.architecture(), 0);
        try {
            bind(net, p);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        net.provenance().clear();
        net.provenance().putAll(p.provenance());
        return net;
    }

    static byte[] readBytes(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("ONNX file " + path + " does not exist (absolute: " + path.toAbsolutePath() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read ONNX file " + path + ": " + e + "; check the path and its permissions", e);
        } catch (OutOfMemoryError e) {
            throw new IllegalArgumentException("ONNX file " + path + " is too large to read into memory", e);
        }
    }

    static String sha256(byte[] b) { return HexFormat.of().formatHex(Sha256.of(b, b.length)); }

    // ---- the ONNX side ---------------------------------------------------------------------------

    /** Checks the model and maps it; every failure is one IllegalArgumentException naming the file. */
    static Plan plan(ModelProto m, String fileName, String sha, String name) {
        String where = "ONNX import of " + fileName;
        long opset = m.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                .mapToLong(OperatorSetIdProto::getVersion).max().orElse(0);
        if (opset < 9) {
            throw new IllegalArgumentException(where + ": default-domain opset " + opset + " is older than 9, the oldest Squeeze reads"
                    + " (BatchNormalization and friends changed their attributes then); re-export with opset 9 or newer (13 recommended)");
        }
        GraphProto g = m.getGraph();
        Map<String, TensorProto> constants = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) constants.put(t.getName(), t);
        for (NodeProto n : g.getNodeList()) {
            String op = n.getOpType();
            boolean defaultDomain = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
            if (!defaultDomain || !SUPPORTED.contains(op)) {
                // Dropout only appears in a training-mode export (torch drops it in eval mode); say so, since
                // the fix is on the exporting side, not a missing op.
                String hint = op.equals("Dropout") && defaultDomain
                        ? " It is written only by a training-mode export: call model.eval() before torch.onnx.export"
                                + " (training=TrainingMode.PRESERVE keeps BatchNorm unfolded)."
                        : "";
                throw new IllegalArgumentException(where + ": node '" + n.getName() + "' has op type " + (defaultDomain ? op : n.getDomain() + "::" + op)
                        + ", which Squeeze cannot import. Supported ops: " + String.join(", ", SUPPORTED) + " (default ONNX domain)." + hint);
            }
            if (op.equals("Constant")) {
                if (n.getOutputCount() != 1) throw new IllegalArgumentException(where + ": Constant node '" + n.getName() + "' must have one output");
                AttributeProto v = n.getAttributeList().stream().filter(a -> a.getName().equals("value")).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(where + ": Constant node '" + n.getName()
                                + "' has no tensor 'value' (value_float(s)/value_int(s) constants are not read)"));
                constants.put(n.getOutput(0), v.getT().toBuilder().setName(n.getOutput(0)).build());
            }
        }
        for (TensorProto t : constants.values()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
                String loc = t.getExternalDataList().stream().filter(e -> e.getKey().equals("location")).map(StringStringEntryProto::getValue)
                        .findFirst().orElse("?");
                throw new IllegalArgumentException(where + ": tensor '" + t.getName() + "' keeps its values in an external file ('" + loc
                        + "'); Squeeze reads only self-contained ONNX files. Save the model with its data inside (Python: "
                        + "m = onnx.load(f); onnx.save_model(m, out, save_as_external_data=False); possible below 2 GiB)");
            }
        }
        // The graph input: the one declared input that is not a constant (IR < 4 lists initializers as inputs too).
        List<ValueInfoProto> inputs = g.getInputList().stream().filter(v -> !constants.containsKey(v.getName())).toList();
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(where + ": the graph has " + inputs.size() + " inputs " + inputs.stream().map(ValueInfoProto::getName).toList()
                    + "; Squeeze imports image models with exactly one input [N, C, H, W]");
        }
        ValueInfoProto input = inputs.get(0);
        int[] inShape = imageShape(input, where);
        if (g.getOutputCount() != 1) {
            throw new IllegalArgumentException(where + ": the graph has " + g.getOutputCount() + " outputs; Squeeze imports models with exactly one (the logits)");
        }
        ValueInfoProto output = g.getOutput(0);

        var batchDim = input.getType().getTensorType().getShape().getDim(0);
        Tree tree = new Tree(g, constants, where, batchDim.hasDimValue() ? batchDim.getDimValue() : Tree.BATCH);
        Tree.Seq seq = tree.map(input.getName(), inShape, output.getName());

        Map<String, String> meta = new LinkedHashMap<>();
        String archName = name;
        for (StringStringEntryProto e : m.getMetadataPropsList()) {
            String k = e.getKey();
            if (k.equals("squeeze.architecture")) {
                if (archName == null) archName = e.getValue();
            } else if (k.equals("squeeze.format")) {
                if (!e.getValue().equals("fp32")) {
                    throw new IllegalArgumentException(where + ": it is a Squeeze '" + e.getValue() + "' export; only fp32 ONNX files are imported"
                            + " (an int8 QDQ file holds quantized codes, not trainable weights)");
                }
            } else {
                meta.put(k.startsWith("provenance.") ? k.substring("provenance.".length()) : k, e.getValue());
            }
        }
        if (archName == null || archName.isBlank()) archName = g.getName();
        if (archName == null || archName.isBlank()) archName = fileName.replaceFirst("\\.onnx$", "");
        meta.put("source", fileName);
        meta.put("source_sha256", sha);
        String producer = (m.getProducerName() + " " + m.getProducerVersion()).strip();
        if (!producer.isEmpty()) meta.put("source_producer", producer);

        Architecture arch;
        try {
            arch = new Architecture(archName, inShape, seq.layers);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        int[] declared = declaredShape(output);
        if (declared != null) {
            int[] got = arch.outputShape();
            if (!Arrays.equals(declared, got)) {
                throw new IllegalArgumentException(where + ": the graph output '" + output.getName() + "' is declared [N, " + join(declared)
                        + "] but the layers compute [N, " + join(got) + "]");
            }
        }
        return new Plan(arch, seq.bindings, meta, constants, where);
    }

    private static int[] imageShape(ValueInfoProto v, String where) {
        var t = v.getType().getTensorType();
        if (t.getElemType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new IllegalArgumentException(where + ": the graph input '" + v.getName() + "' is " + Onnx.typeName(t.getElemType())
                    + "; Squeeze imports float32 models");
        }
        List<TensorShapeProto.Dimension> d = t.getShape().getDimList();
        boolean fixed = d.size() == 4 && d.subList(1, 4).stream().allMatch(x -> x.hasDimValue() && x.getDimValue() > 0);
        if (!fixed) {
            throw new IllegalArgumentException(where + ": the graph input '" + v.getName() + "' has shape " + dims(d)
                    + "; Squeeze needs [N, C, H, W] with C, H and W fixed");
        }
        return new int[] {(int) d.get(1).getDimValue(), (int) d.get(2).getDimValue(), (int) d.get(3).getDimValue()};
    }

    /** The per-example shape an output declares ({@code [N, ...]} without N), or null when it declares none. */
    private static int[] declaredShape(ValueInfoProto v) {
        if (!v.getType().getTensorType().hasShape()) return null;
        List<TensorShapeProto.Dimension> d = v.getType().getTensorType().getShape().getDimList();
        if (d.size() < 2) return null;
        int[] s = new int[d.size() - 1];
        for (int i = 1; i < d.size(); i++) {
            if (!d.get(i).hasDimValue()) return null;
            s[i - 1] = (int) d.get(i).getDimValue();
        }
        return s;
    }

    private static String dims(List<TensorShapeProto.Dimension> d) {
        return d.stream().map(x -> x.hasDimValue() ? Long.toString(x.getDimValue()) : x.hasDimParam() ? x.getDimParam() : "?").toList().toString();
    }

    private static String join(int[] a) {
        return String.join(", ", Arrays.stream(a).mapToObj(Integer::toString).toList());
    }

    /** Float values of a constant, from {@code raw_data} (little-endian) or {@code float_data}. */
    static float[] floats(TensorProto t, String where) {
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new IllegalArgumentException(where + ": tensor '" + t.getName() + "' is " + Onnx.typeName(t.getDataType())
                    + "; weights must be float32 (import an fp32 model, not a quantized or half-precision one)");
        }
        long n = count(t);
        if (t.hasRawData()) {
            if (t.getRawData().size() != n * 4) {
                throw new IllegalArgumentException(where + ": tensor '" + t.getName() + "' of shape " + t.getDimsList() + " needs " + n * 4
                        + " bytes of raw_data, has " + t.getRawData().size());
            }
            float[] v = new float[(int) n];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            return v;
        }
        if (t.getFloatDataCount() != n) {
            throw new IllegalArgumentException(where + ": tensor '" + t.getName() + "' of shape " + t.getDimsList() + " holds "
                    + t.getFloatDataCount() + " values, needs " + n);
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = t.getFloatData(i);
        return v;
    }

    /** Int64 values of a constant (a Reshape's shape). */
    static long[] int64s(TensorProto t, String where) {
        if (t.getDataType() != TensorProto.DataType.INT64_VALUE) {
            throw new IllegalArgumentException(where + ": tensor '" + t.getName() + "' is " + Onnx.typeName(t.getDataType()) + ", expected int64");
        }
        long n = count(t);
        long[] v = new long[(int) n];
        if (t.hasRawData()) {
            if (t.getRawData().size() != n * 8) throw new IllegalArgumentException(where + ": tensor '" + t.getName() + "' has a broken raw_data size");
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < v.length; i++) v[i] = b.getLong();
        } else {
            if (t.getInt64DataCount() != n) throw new IllegalArgumentException(where + ": tensor '" + t.getName() + "' holds the wrong number of values");
            for (int i = 0; i < v.length; i++) v[i] = t.getInt64Data(i);
        }
        return v;
    }

    private static long count(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) n *= d;
        return n;
    }

    // ---- onto today's tree of layers ---------------------------------------------------------------

    /** Maps the node graph onto a list of layers with residual blocks and concats. */
    static final class Tree {
        final GraphProto g;
        final Map<String, TensorProto> constants;
        final String where;
        final Map<String, List<NodeProto>> consumers = new HashMap<>();
        final Set<NodeProto> used = new HashSet<>();
        /** The batch in a computed shape: the graph input's dimension 0, which Squeeze leaves open. */
        static final long BATCH = Long.MIN_VALUE;
        /** The graph input's fixed batch (a file exported without dynamic axes writes it into its Reshape shapes), or {@link #BATCH}. */
        final long fixedBatch;
        /** Nodes of shape computations (see {@link #SHAPE_OPS}) by the tensors they compute. */
        final Map<String, NodeProto> shapeNodes = new HashMap<>();
        /** Per-example shapes of the activations the walk has reached, for {@code Shape} nodes. */
        final Map<String, int[]> shapes = new HashMap<>();
        /** Values of computed shape tensors already evaluated. */
        final Map<String, Ints> evaluated = new HashMap<>();

        /** Layers in order and their parameter sources in DJL parameter order. */
        static final class Seq {
            final List<Layer> layers = new ArrayList<>();
            final List<Binding> bindings = new ArrayList<>();
            int nodes;
        }

        /** Where a chain stopped: its last tensor, that tensor's shape and the join Add it feeds (null at the graph's end). */
        record End(String tensor, int[] shape, NodeProto join) {}

        Tree(GraphProto g, Map<String, TensorProto> constants, String where, long fixedBatch) {
            this.g = g;
            this.constants = constants;
            this.where = where;
            this.fixedBatch = fixedBatch;
            // A shape computation starts at a Shape node and goes on through nodes whose inputs are all
            // constants or computed shapes (ONNX lists nodes in topological order).
            for (NodeProto n : g.getNodeList()) {
                boolean fromShapes = n.getInputList().stream().allMatch(in -> in.isEmpty() || constants.containsKey(in) || shapeNodes.containsKey(in));
                if (n.getOpType().equals("Shape") || (SHAPE_OPS.contains(n.getOpType()) && n.getInputCount() > 0 && fromShapes)) {
                    for (String out : n.getOutputList()) shapeNodes.put(out, n);
                }
            }
            for (NodeProto n : g.getNodeList()) {
                if (n.getOpType().equals("Constant") || shapeNodes.containsKey(n.getOutputCount() > 0 ? n.getOutput(0) : "")) continue;
                for (String in : n.getInputList()) {
                    if (in.isEmpty() || constants.containsKey(in) || shapeNodes.containsKey(in)) continue;
                    List<NodeProto> c = consumers.computeIfAbsent(in, k -> new ArrayList<>());
                    if (!c.contains(n)) c.add(n);
                }
            }
        }

        Seq map(String input, int[] shape, String output) {
            Seq seq = new Seq();
            End end = chain(input, shape, seq);
            if (end.join != null) {
                throw err(end.join, "joins tensors that do not fork from one tensor; Squeeze's layers express branches that fork from"
                        + " one tensor and join in one node: a residual block (Add) or a concatenation (Concat)");
            }
            if (!end.tensor.equals(output)) {
                throw new IllegalArgumentException(where + ": the layers end in tensor '" + end.tensor + "' but the graph output is '" + output
                        + "'; the output must be computed by a chain from the input");
            }
            List<String> unused = g.getNodeList().stream().filter(n -> !n.getOpType().equals("Constant") && !used.contains(n)
                            && !(n.getOutputCount() > 0 && shapeNodes.containsKey(n.getOutput(0))))
                    .map(n -> "'" + n.getName() + "' (" + n.getOpType() + ")").toList();
            if (!unused.isEmpty()) {
                throw new IllegalArgumentException(where + ": nodes " + unused + " are not on the path from the input to the output;"
                        + " Squeeze imports models whose every node computes the output");
            }
            return seq;
        }

        /** A node where branches meet: every Concat, and an Add of two computed tensors. */
        private boolean isJoin(NodeProto n) {
            if (n.getOpType().equals("Concat")) return true;
            return n.getOpType().equals("Add") && n.getInputCount() == 2 && !constants.containsKey(n.getInput(0))
                    && !constants.containsKey(n.getInput(1));
        }

        /** Follows tensor {@code t} node by node, forks included, until a join (Add, Concat) that it does not open, or the end. */
        End chain(String t, int[] s, Seq seq) {
            while (true) {
                shapes.put(t, s);
                List<NodeProto> cons = consumers.getOrDefault(t, List.of());
                if (cons.isEmpty()) return new End(t, s, null);
                NodeProto hardSwish = hardSwish(t, cons);
                if (hardSwish != null) {
                    seq.layers.add(new Layer.HardSwish());
                    seq.nodes += 2;
                    t = hardSwish.getOutput(0);
                    continue;
                }
                if (cons.size() == 1 && !cons.get(0).getOpType().equals("Split")) {
                    NodeProto n = cons.get(0);
                    if (isJoin(n)) return new End(t, s, n);
                    End e = node(n, t, s, seq);
                    t = e.tensor;
                    s = e.shape;
                    continue;
                }
                // A fork: one branch per consumer of t (one per output of a channel Split), which must all meet in one join.
                List<Seq> br = new ArrayList<>();
                List<End> ends = new ArrayList<>();
                for (NodeProto n : cons) {
                    if (isJoin(n)) {
                        br.add(new Seq());
                        ends.add(new End(t, s, n));
                    } else if (n.getOpType().equals("Split")) {
                        int[][] parts = split(n, t, s);
                        used.add(n);
                        for (int j = 0; j < parts.length; j++) {
                            Seq b = new Seq();
                            b.nodes = 1;
                            b.layers.add(new Layer.ChannelSlice(parts[j][0], parts[j][1]));
                            ends.add(chain(n.getOutput(j), new int[] {parts[j][1] - parts[j][0], s[1], s[2]}, b));
                            br.add(b);
                        }
                    } else {
                        Seq b = new Seq();
                        End first = node(n, t, s, b);
                        ends.add(chain(first.tensor, first.shape, b));
                        br.add(b);
                    }
                }
                NodeProto join = ends.get(0).join;
                if (join == null || ends.stream().anyMatch(e -> e.join != join)) {
                    throw new IllegalArgumentException(where + ": the " + ends.size() + " branches forking at tensor '" + t
                            + "' do not meet in one Add or Concat (they end at " + String.join(", ", ends.stream().map(Tree::describe).toList())
                            + "); Squeeze's layers express branches that fork from one tensor and join in one node: a residual"
                            + " block (Add) or a concatenation (Concat)");
                }
                used.add(join);
                if (join.getOpType().equals("Add")) {
                    s = residual(join, t, br, ends, seq);
                } else {
                    s = concat(join, t, br, ends, seq);
                }
                t = join.getOutput(0);
            }
        }

        /** Two branches joined by {@code join} (an Add) as a residual block; returns its output shape. */
        private int[] residual(NodeProto join, String t, List<Seq> br, List<End> ends, Seq seq) {
            checkArity(join, 2, 2);
            if (br.size() != 2) {
                throw err(join, "joins the " + br.size() + " branches forking at '" + t + "'; an Add joins two (a residual block's body and"
                        + " shortcut)");
            }
            if (join.getInput(0).equals(join.getInput(1))) throw err(join, "adds a tensor to itself, which no Squeeze layer expresses");
            Set<String> ins = Set.of(join.getInput(0), join.getInput(1));
            if (!ins.equals(Set.of(ends.get(0).tensor, ends.get(1).tensor))) {
                throw err(join, "does not add the ends of the two branches forking at '" + t + "'");
            }
            if (!Arrays.equals(ends.get(0).shape, ends.get(1).shape)) {
                throw err(join, "adds shapes " + Arrays.toString(ends.get(0).shape) + " and " + Arrays.toString(ends.get(1).shape)
                        + " (per example); they must be equal (Squeeze does not broadcast)");
            }
            int body;
            if (br.get(0).layers.isEmpty()) body = 1;
            else if (br.get(1).layers.isEmpty()) body = 0;
            else if (br.get(0).nodes != br.get(1).nodes) body = br.get(0).nodes > br.get(1).nodes ? 0 : 1;
            else body = join.getInput(0).equals(ends.get(0).tensor) ? 0 : 1;
            Seq b = br.get(body), sc = br.get(1 - body);
            seq.layers.add(new Layer.Residual(b.layers, sc.layers));
            seq.bindings.addAll(b.bindings);
            seq.bindings.addAll(sc.bindings);
            seq.nodes += b.nodes + sc.nodes + 1;
            return ends.get(0).shape;
        }

        /**
         * The branches joined by {@code join} (a Concat) as a {@link Layer.Concat}, in the order of the
         * Concat's inputs; returns its output shape.
         */
        private int[] concat(NodeProto join, String t, List<Seq> br, List<End> ends, Seq seq) {
            checkArity(join, 2, Integer.MAX_VALUE);
            only(join, "axis");
            long axis = i(join, "axis", Long.MIN_VALUE);
            if (axis != 1 && axis != -3) {
                throw err(join, "concatenates on axis " + (axis == Long.MIN_VALUE ? "(none given)" : axis) + "; Squeeze concatenates"
                        + " [N, C, H, W] on channels (axis 1)");
            }
            int inputs = join.getInputCount();
            if (inputs != br.size()) {
                throw err(join, "concatenates " + inputs + " tensors " + join.getInputList() + " but " + br.size() + " branches fork at '"
                        + t + "' and end in it; every input must be a branch from that tensor, each once");
            }
            List<Integer> order = new ArrayList<>();
            for (String in : join.getInputList()) {
                int k = -1;
                for (int b = 0; b < ends.size() && k < 0; b++) if (!order.contains(b) && ends.get(b).tensor.equals(in)) k = b;
                if (k < 0) {
                    throw err(join, "concatenates '" + in + "', which is not the end of one of the branches forking at '" + t + "' (or is"
                            + " used twice); every input must be a branch from that tensor, each once");
                }
                order.add(k);
            }
            List<List<Layer>> branches = new ArrayList<>();
            int channels = 0;
            int[] first = null;
            for (int k : order) {
                int[] o = ends.get(k).shape;
                if (o.length != 3) throw err(join, "gets an input of shape " + Arrays.toString(o) + " per example; it needs [C, H, W]");
                if (first != null && (o[1] != first[1] || o[2] != first[2])) {
                    throw err(join, "concatenates shapes " + Arrays.toString(first) + " and " + Arrays.toString(o)
                            + " (per example); their heights and widths must be equal");
                }
                if (first == null) first = o;
                channels += o[0];
                Seq b = br.get(k);
                branches.add(b.layers);
                seq.bindings.addAll(b.bindings);
                seq.nodes += b.nodes;
            }
            seq.layers.add(new Layer.Concat(branches));
            seq.nodes++;
            return new int[] {channels, first[1], first[2]};
        }

        /**
         * The hard-swish that exporters write as {@code Mul(x, HardSigmoid(x))} (α = 1/6, β = 0.5, as
         * PyTorch's {@code hardsigmoid}): when {@code t} feeds exactly such a pair, returns the Mul.
         */
        private NodeProto hardSwish(String t, List<NodeProto> cons) {
            if (cons.size() != 2) return null;
            NodeProto h = cons.get(0).getOpType().equals("HardSigmoid") ? cons.get(0) : cons.get(1);
            NodeProto m = h == cons.get(0) ? cons.get(1) : cons.get(0);
            if (!h.getOpType().equals("HardSigmoid") || !m.getOpType().equals("Mul")) return null;
            List<NodeProto> after = consumers.getOrDefault(h.getOutput(0), List.of());
            if (after.size() != 1 || after.get(0) != m || !Set.copyOf(m.getInputList()).equals(Set.of(t, h.getOutput(0)))) return null;
            checkArity(h, 1, 1);
            checkArity(m, 2, 2);
            only(h, "alpha", "beta");
            float alpha = f(h, "alpha", 0.2f), beta = f(h, "beta", 0.5f);
            if (Math.abs(alpha - 1f / 6) > 1e-6f || beta != 0.5f) {
                throw err(h, "has alpha " + alpha + " and beta " + beta + "; Squeeze reads x · HardSigmoid(x) as hard-swish, which needs"
                        + " alpha 1/6 and beta 0.5");
            }
            used.add(h);
            used.add(m);
            return m;
        }

        /** A channel Split of {@code t}: {@code [from, to)} of each output. */
        private int[][] split(NodeProto n, String t, int[] s) {
            only(n, "axis", "split", "num_outputs");
            if (!n.getInput(0).equals(t)) throw err(n, "takes '" + t + "' as input " + n.getInputList().indexOf(t) + "; it must be the data input");
            rank(n, s, 3);
            long axis = i(n, "axis", 0);
            if (axis != 1 && axis != -3) throw err(n, "splits axis " + axis + "; Squeeze splits [N, C, H, W] on channels (axis 1)");
            int k = n.getOutputCount();
            long[] sizes = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? longs(n, 1, "split") : ints(n, "split");
            if (sizes == null) {
                if (k < 1 || s[0] % k != 0) throw err(n, "splits " + s[0] + " channels into " + k + " equal parts; give the part sizes");
                sizes = new long[k];
                Arrays.fill(sizes, s[0] / k);
            }
            if (sizes.length != k || Arrays.stream(sizes).anyMatch(x -> x <= 0) || Arrays.stream(sizes).sum() != s[0]) {
                throw err(n, "splits " + s[0] + " channels into " + Arrays.toString(sizes) + " for " + k + " outputs; the parts must be"
                        + " positive, one per output, and add up to the channels");
            }
            int[][] parts = new int[k][];
            int from = 0;
            for (int j = 0; j < k; j++) {
                parts[j] = new int[] {from, from + (int) sizes[j]};
                from += (int) sizes[j];
            }
            return parts;
        }

        private static String describe(End e) {
            return e.join == null ? "the graph's end ('" + e.tensor + "')" : e.join.getOpType() + " '" + e.join.getName() + "'";
        }

        private IllegalArgumentException err(NodeProto n, String what) {
            return new IllegalArgumentException(where + ": node '" + n.getName() + "' (" + n.getOpType() + ") " + what);
        }

        private void checkArity(NodeProto n, int minIn, int maxIn) {
            int in = n.getInputCount();
            while (in > 0 && n.getInput(in - 1).isEmpty()) in--;
            if (in < minIn || in > maxIn) {
                throw err(n, "has " + in + " inputs, expected " + (minIn == maxIn ? minIn : maxIn == Integer.MAX_VALUE ? "at least " + minIn
                        : minIn + " to " + maxIn));
            }
            if (n.getOutputCount() != 1) {
                throw err(n, "has " + n.getOutputCount() + " outputs; Squeeze reads the inference form with one output");
            }
        }

        // ---- shape computations -------------------------------------------------------------------

        /** A value of a shape computation: int64s of rank 0 (a scalar) or 1. */
        private record Ints(long[] v, int rank) {}

        /**
         * The int64 values of input {@code i} of {@code n} (a Reshape's shape, Slice bounds, Split sizes):
         * a constant, or a shape computation evaluated for the graph input's C, H and W; null when the
         * input is absent. The batch appears as {@link #BATCH}.
         */
        private long[] longs(NodeProto n, int i, String role) {
            if (n.getInputCount() <= i || n.getInput(i).isEmpty()) return null;
            String t = n.getInput(i);
            if (!constants.containsKey(t) && !shapeNodes.containsKey(t)) {
                throw err(n, "takes its " + role + " from the tensor '" + t + "', which is computed from the activations; Squeeze imports "
                        + role + "s stored as initializers or Constant nodes, or computed from Shape nodes and constants");
            }
            return value(t, n).v;
        }

        private Ints value(String t, NodeProto user) {
            TensorProto c = constants.get(t);
            if (c != null) {
                if (c.getDimsCount() > 1) throw err(user, "uses the constant '" + t + "' of shape " + c.getDimsList() + " in a shape computation; it must be a scalar or a vector");
                return new Ints(int64s(c, where), c.getDimsCount());
            }
            NodeProto n = shapeNodes.get(t);
            if (n == null) {
                throw err(user, "computes a shape from the tensor '" + t + "', which depends on the activations; Squeeze evaluates shape"
                        + " computations made of " + String.join(", ", SHAPE_OPS) + " from Shape nodes and constants");
            }
            Ints v = evaluated.get(t);
            if (v == null) {
                v = evaluate(n);
                evaluated.put(t, v);
            }
            return v;
        }

        /** One node of a shape computation, as ONNX defines it, on int64 scalars and vectors. */
        private Ints evaluate(NodeProto n) {
            String op = n.getOpType();
            String forms = "; Squeeze evaluates it on the int64 scalars and vectors of a shape computation (as PyTorch writes x.size(),"
                    + " x.view(...) and x.chunk(...))";
            switch (op) {
                case "Shape" -> {
                    checkArity(n, 1, 1);
                    only(n, "start", "end");
                    int[] s = shapes.get(n.getInput(0));
                    if (s == null) {
                        throw err(n, "takes the shape of '" + n.getInput(0) + "', which is not on Squeeze's walk from the input to the node"
                                + " that needs it; Squeeze evaluates the shapes of tensors that come before the node using them");
                    }
                    long[] full = new long[s.length + 1];
                    full[0] = BATCH;
                    for (int k = 0; k < s.length; k++) full[k + 1] = s[k];
                    int r = full.length;
                    long from = i(n, "start", 0), to = i(n, "end", r);
                    from = Math.clamp(from < 0 ? from + r : from, 0, r);
                    to = Math.clamp(to < 0 ? to + r : to, 0, r);
                    return new Ints(Arrays.copyOfRange(full, (int) from, (int) Math.max(from, to)), 1);
                }
                case "Gather" -> {
                    checkArity(n, 2, 2);
                    only(n, "axis");
                    Ints data = value(n.getInput(0), n), idx = value(n.getInput(1), n);
                    if (data.rank != 1 || i(n, "axis", 0) != 0) throw err(n, "gathers axis " + i(n, "axis", 0) + " of a rank-" + data.rank + " tensor" + forms);
                    long[] out = new long[idx.v.length];
                    for (int k = 0; k < out.length; k++) {
                        long j = idx.v[k] < 0 ? idx.v[k] + data.v.length : idx.v[k];
                        if (j < 0 || j >= data.v.length) throw err(n, "gathers index " + idx.v[k] + " of " + data.v.length + " values");
                        out[k] = data.v[(int) j];
                    }
                    return new Ints(out, idx.rank);
                }
                case "Unsqueeze", "Squeeze" -> {
                    // Opset ≥ 13: axes is an input; before: an attribute.
                    checkArity(n, 1, 2);
                    only(n, "axes");
                    Ints data = value(n.getInput(0), n);
                    long[] axes = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? value(n.getInput(1), n).v : ints(n, "axes");
                    boolean unsq = op.equals("Unsqueeze");
                    boolean ok = unsq ? data.rank == 0 && axes != null && Arrays.equals(axes, new long[] {0})
                            : data.rank == 1 && data.v.length == 1 && (axes == null || Arrays.equals(axes, new long[] {0}) || Arrays.equals(axes, new long[] {-1}));
                    if (!ok) throw err(n, (unsq ? "unsqueezes" : "squeezes") + " axes " + Arrays.toString(axes) + " of a rank-" + data.rank + " tensor" + forms);
                    return new Ints(data.v, unsq ? 1 : 0);
                }
                case "Cast" -> {
                    checkArity(n, 1, 1);
                    only(n, "to", "saturate");
                    long to = i(n, "to", 0);
                    if (to != TensorProto.DataType.INT64_VALUE && to != TensorProto.DataType.INT32_VALUE) {
                        throw err(n, "casts to " + Onnx.typeName((int) to) + forms + " (casts to int64 or int32)");
                    }
                    return value(n.getInput(0), n);
                }
                case "Concat" -> {
                    checkArity(n, 1, Integer.MAX_VALUE);
                    only(n, "axis");
                    if (i(n, "axis", 0) != 0) throw err(n, "concatenates axis " + i(n, "axis", 0) + forms);
                    List<Long> out = new ArrayList<>();
                    for (String in : n.getInputList()) {
                        Ints v = value(in, n);
                        if (v.rank != 1) throw err(n, "concatenates '" + in + "' of rank " + v.rank + forms);
                        for (long x : v.v) out.add(x);
                    }
                    return new Ints(out.stream().mapToLong(Long::longValue).toArray(), 1);
                }
                case "Slice" -> {
                    checkArity(n, 1, 5);
                    only(n, "starts", "ends", "axes");
                    Ints data = value(n.getInput(0), n);
                    long[] starts = n.getInputCount() > 1 ? value(n.getInput(1), n).v : ints(n, "starts");
                    long[] ends = n.getInputCount() > 2 ? value(n.getInput(2), n).v : ints(n, "ends");
                    long[] axes = n.getInputCount() > 3 && !n.getInput(3).isEmpty() ? value(n.getInput(3), n).v : ints(n, "axes");
                    long[] steps = n.getInputCount() > 4 && !n.getInput(4).isEmpty() ? value(n.getInput(4), n).v : null;
                    if (data.rank != 1 || starts == null || ends == null || starts.length != 1 || ends.length != 1
                            || (axes != null && !(Arrays.equals(axes, new long[] {0}) || Arrays.equals(axes, new long[] {-1})))
                            || (steps != null && !Arrays.equals(steps, new long[] {1}))) {
                        throw err(n, "slices starts " + Arrays.toString(starts) + ", ends " + Arrays.toString(ends) + ", axes " + Arrays.toString(axes)
                                + ", steps " + Arrays.toString(steps) + " of a rank-" + data.rank + " tensor" + forms);
                    }
                    long c = data.v.length;
                    long from = Math.clamp(starts[0] < 0 ? starts[0] + c : starts[0], 0, c);
                    long to = Math.clamp(ends[0] < 0 ? ends[0] + c : ends[0], 0, c);
                    return new Ints(Arrays.copyOfRange(data.v, (int) from, (int) Math.max(from, to)), 1);
                }
                case "Add", "Sub", "Mul", "Div" -> {
                    checkArity(n, 2, 2);
                    only(n);
                    Ints a = value(n.getInput(0), n), b = value(n.getInput(1), n);
                    int len = Math.max(a.v.length, b.v.length);
                    if ((a.v.length != len && a.v.length != 1) || (b.v.length != len && b.v.length != 1)) {
                        throw err(n, "combines " + a.v.length + " and " + b.v.length + " values" + forms);
                    }
                    long[] out = new long[len];
                    for (int k = 0; k < len; k++) {
                        long x = a.v[a.v.length == 1 ? 0 : k], y = b.v[b.v.length == 1 ? 0 : k];
                        if (x == BATCH || y == BATCH) {
                            throw err(n, "computes with the batch size (dimension 0 of the graph input), which Squeeze leaves open; Squeeze"
                                    + " reads reshapes that keep the batch as it is");
                        }
                        if (op.equals("Div") && y == 0) throw err(n, "divides by zero");
                        // ONNX's integer Div truncates, as Java's does.
                        out[k] = switch (op) {
                            case "Add" -> x + y;
                            case "Sub" -> x - y;
                            case "Mul" -> x * y;
                            default -> x / y;
                        };
                    }
                    return new Ints(out, Math.max(a.rank, b.rank));
                }
                default -> throw err(n, "cannot be evaluated in a shape computation; Squeeze evaluates " + String.join(", ", SHAPE_OPS));
            }
        }

        /**
         * A Reshape's target shape with the batch written as ONNX's 0 (copy the input's dimension): the
         * batch of a shape computation, or the graph input's fixed batch that an export without dynamic
         * axes writes as a number. The batch anywhere else is refused.
         */
        private long[] batchAsZero(NodeProto n, long[] shape) {
            long[] out = shape.clone();
            if (out.length > 0 && (out[0] == BATCH || (fixedBatch != BATCH && out[0] == fixedBatch))) out[0] = 0;
            for (int k = 1; k < out.length; k++) {
                if (out[k] == BATCH) {
                    throw err(n, "reshapes to " + show(shape) + ", which moves the batch (N) away from dimension 0; Squeeze reads reshapes"
                            + " that keep the batch first");
                }
            }
            return out;
        }

        /** A computed shape for messages, the batch as N. */
        private static String show(long[] v) {
            return Arrays.stream(v).mapToObj(x -> x == BATCH ? "N" : Long.toString(x)).toList().toString();
        }

        private TensorProto constant(NodeProto n, int i, String role) {
            if (n.getInputCount() <= i || n.getInput(i).isEmpty()) return null;
            TensorProto t = constants.get(n.getInput(i));
            if (t == null) {
                throw err(n, "takes its " + role + " from the computed tensor '" + n.getInput(i)
                        + "'; Squeeze imports " + role + "s stored as initializers or Constant nodes");
            }
            return t;
        }

        private void shape(NodeProto n, TensorProto t, String role, long... want) {
            long[] got = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
            if (!Arrays.equals(got, want)) {
                throw err(n, "has " + role + " '" + t.getName() + "' of shape " + Arrays.toString(got) + " but the layer needs "
                        + Arrays.toString(want));
            }
        }

        // attributes
        private AttributeProto attr(NodeProto n, String name) {
            for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a;
            return null;
        }

        private long i(NodeProto n, String name, long dflt) {
            AttributeProto a = attr(n, name);
            return a == null ? dflt : a.getI();
        }

        private float f(NodeProto n, String name, float dflt) {
            AttributeProto a = attr(n, name);
            return a == null ? dflt : a.getF();
        }

        private long[] ints(NodeProto n, String name) {
            AttributeProto a = attr(n, name);
            return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
        }

        private String s(NodeProto n, String name, String dflt) {
            AttributeProto a = attr(n, name);
            return a == null ? dflt : a.getS().toStringUtf8();
        }

        private void only(NodeProto n, String... allowed) {
            List<String> ok = List.of(allowed);
            for (AttributeProto a : n.getAttributeList()) {
                if (!ok.contains(a.getName())) throw err(n, "has attribute '" + a.getName() + "', which Squeeze does not read; known: " + ok);
            }
        }

        /** One side of a square 2-D window attribute; all entries equal. */
        private int square(NodeProto n, String name, long[] v, int dflt) {
            if (v == null) return dflt;
            if (v.length != 2 || v[0] != v[1]) {
                throw err(n, "has " + name + " " + Arrays.toString(v) + "; Squeeze's layers are 2-D and square (equal height and width)");
            }
            return (int) v[0];
        }

        private int pads(NodeProto n) {
            String auto = s(n, "auto_pad", "NOTSET");
            long[] p = ints(n, "pads");
            if (!auto.equals("NOTSET") && !auto.equals("VALID")) {
                throw err(n, "has auto_pad " + auto + "; Squeeze pads symmetrically: re-export with explicit pads");
            }
            if (auto.equals("VALID") || p == null) return 0;
            if (p.length != 4 || Arrays.stream(p).distinct().count() != 1) {
                throw err(n, "has pads " + Arrays.toString(p) + "; Squeeze pads the same on every side (pads [p, p, p, p])");
            }
            return (int) p[0];
        }

        private void noDilation(NodeProto n) {
            long[] d = ints(n, "dilations");
            if (d != null && Arrays.stream(d).anyMatch(x -> x != 1)) throw err(n, "has dilations " + Arrays.toString(d) + "; Squeeze supports dilation 1 only");
        }

        private void rank(NodeProto n, int[] s, int r) {
            if (s.length != r) {
                throw err(n, "gets an input of shape " + Arrays.toString(s) + " per example; it needs rank " + r
                        + (r == 1 ? " (flatten before it)" : ""));
            }
        }

        private void bind(Seq seq, NodeProto n, TensorProto t, String type, boolean transpose, long... dims) {
            seq.bindings.add(new Binding(t.getName(), n.getName(), type, dims, transpose));
        }

        /** Maps node {@code n}, which consumes {@code x} of per-example shape {@code s}; returns its output. */
        End node(NodeProto n, String x, int[] s, Seq seq) {
            used.add(n);
            seq.nodes++;
            if (!n.getInput(0).equals(x)) {
                throw err(n, "takes '" + x + "' as input " + n.getInputList().indexOf(x) + "; Squeeze layers take their activation as the first input");
            }
            String op = n.getOpType();
            int[] out;
            switch (op) {
                case "Conv" -> {
                    checkArity(n, 2, 3);
                    only(n, "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad");
                    rank(n, s, 3);
                    TensorProto w = constant(n, 1, "weight");
                    TensorProto b = constant(n, 2, "bias");
                    if (w.getDimsCount() != 4) throw err(n, "has weight '" + w.getName() + "' of shape " + w.getDimsList() + "; a 2-D conv weight has rank 4");
                    int groups = (int) i(n, "group", 1);
                    int outC = (int) w.getDims(0);
                    int k = (int) w.getDims(2);
                    int ks = square(n, "kernel_shape", ints(n, "kernel_shape"), k);
                    if (ks != k || w.getDims(3) != k) throw err(n, "has kernel_shape " + ks + " but weight '" + w.getName() + "' of shape " + w.getDimsList());
                    int stride = square(n, "strides", ints(n, "strides"), 1);
                    noDilation(n);
                    int pad = pads(n);
                    if (groups < 1 || s[0] % groups != 0) throw err(n, "has group " + groups + ", which does not divide its " + s[0] + " input channels");
                    Layer.Conv2d c;
                    try {
                        c = new Layer.Conv2d(s[0], outC, k, stride, pad, groups, b != null);
                    } catch (IllegalArgumentException e) {
                        throw err(n, e.getMessage());
                    }
                    shape(n, w, "weight", outC, s[0] / groups, k, k);
                    bind(seq, n, w, "WEIGHT", false, outC, s[0] / groups, k, k);
                    if (b != null) {
                        shape(n, b, "bias", outC);
                        bind(seq, n, b, "BIAS", false, outC);
                    }
                    seq.layers.add(c);
                    out = new int[] {outC, spatial(n, s[1], k, stride, pad), spatial(n, s[2], k, stride, pad)};
                }
                case "BatchNormalization" -> {
                    checkArity(n, 5, 5);
                    only(n, "epsilon", "momentum", "spatial", "training_mode");
                    if (i(n, "training_mode", 0) != 0) throw err(n, "is in training mode; export the model in inference mode (model.eval())");
                    if (i(n, "spatial", 1) != 1) throw err(n, "has spatial 0 (per-activation statistics); Squeeze's BatchNorm is per channel");
                    float eps = f(n, "epsilon", 1e-5f);
                    if (Math.abs(eps - BN_EPS) > 1e-9f) {
                        throw err(n, "has epsilon " + eps + "; Squeeze's BatchNorm has ε fixed at 1e-5 (PyTorch's default, Layer.BatchNorm),"
                                + " so this file would compute different outputs. Re-export with eps 1e-5, or fold the BatchNorm into the conv first");
                    }
                    if (s.length != 3 && s.length != 1) throw err(n, "gets an input of shape " + Arrays.toString(s) + " per example");
                    int ch = s[0];
                    String[] types = {"GAMMA", "BETA", "RUNNING_MEAN", "RUNNING_VAR"};
                    String[] roles = {"scale", "bias", "mean", "var"};
                    for (int i = 0; i < 4; i++) {
                        TensorProto t = constant(n, i + 1, roles[i]);
                        shape(n, t, roles[i], ch);
                        bind(seq, n, t, types[i], false, ch);
                    }
                    seq.layers.add(new Layer.BatchNorm(ch));
                    out = s;
                }
                case "Relu" -> {
                    checkArity(n, 1, 1);
                    only(n);
                    seq.layers.add(new Layer.Relu());
                    out = s;
                }
                case "LeakyRelu" -> {
                    checkArity(n, 1, 1);
                    only(n, "alpha");
                    seq.layers.add(new Layer.LeakyRelu(f(n, "alpha", 0.01f)));
                    out = s;
                }
                case "MaxPool", "AveragePool" -> {
                    checkArity(n, 1, 1);
                    boolean max = op.equals("MaxPool");
                    if (max) only(n, "kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode", "storage_order");
                    else only(n, "kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode", "count_include_pad");
                    rank(n, s, 3);
                    long[] ksa = ints(n, "kernel_shape");
                    if (ksa == null) throw err(n, "has no kernel_shape");
                    int k = square(n, "kernel_shape", ksa, 0);
                    int stride = square(n, "strides", ints(n, "strides"), 1);
                    noDilation(n);
                    int pad = pads(n);
                    if (i(n, "ceil_mode", 0) != 0) throw err(n, "has ceil_mode 1; Squeeze's pools round the output size down (ceil_mode 0)");
                    if (!max && pad > 0 && i(n, "count_include_pad", 0) != 1) {
                        throw err(n, "pads without count_include_pad; Squeeze's average pool counts padded cells as zeros (count_include_pad 1),"
                                + " as PyTorch's default does");
                    }
                    seq.layers.add(max ? new Layer.MaxPool(k, stride, pad) : new Layer.AvgPool(k, stride, pad));
                    out = new int[] {s[0], spatial(n, s[1], k, stride, pad), spatial(n, s[2], k, stride, pad)};
                }
                case "GlobalAveragePool" -> {
                    checkArity(n, 1, 1);
                    only(n);
                    rank(n, s, 3);
                    seq.layers.add(new Layer.GlobalAvgPool());
                    out = new int[] {s[0], 1, 1};
                }
                case "Flatten" -> {
                    checkArity(n, 1, 1);
                    only(n, "axis");
                    if (i(n, "axis", 1) != 1) throw err(n, "has axis " + i(n, "axis", 1) + "; Squeeze flattens to [N, features] (axis 1)");
                    seq.layers.add(new Layer.Flatten());
                    out = new int[] {product(s)};
                }
                case "Clip" -> {
                    // Opset ≥ 11 gives the bounds as optional inputs, older opsets as attributes.
                    checkArity(n, 1, 3);
                    only(n, "min", "max");
                    TensorProto lo = constant(n, 1, "min"), hi = constant(n, 2, "max");
                    float min = lo != null ? scalar(n, lo, "min") : f(n, "min", Float.NEGATIVE_INFINITY);
                    float max = hi != null ? scalar(n, hi, "max") : f(n, "max", Float.POSITIVE_INFINITY);
                    if (min != 0f || max != 6f) {
                        throw err(n, "clips to [" + min + ", " + max + "]; Squeeze reads Clip only as ReLU6, Clip(x, 0, 6)"
                                + " (min 0 and max 6, as inputs or attributes)");
                    }
                    seq.layers.add(new Layer.Relu6());
                    out = s;
                }
                case "HardSwish" -> {
                    checkArity(n, 1, 1);
                    only(n);
                    seq.layers.add(new Layer.HardSwish());
                    out = s;
                }
                case "HardSigmoid", "Mul" -> throw err(n, "is read only as hard-swish, Mul(x, HardSigmoid(x)) with alpha 1/6 and beta 0.5"
                        + " where x feeds nothing else");
                case "Slice" -> {
                    // Opset ≥ 10: starts, ends, axes, steps are inputs; opset < 10: attributes (no steps).
                    checkArity(n, 1, 5);
                    only(n, "starts", "ends", "axes");
                    rank(n, s, 3);
                    // The bounds may be computed: x.chunk(2, 1) writes them as Shape → Gather → Add → Div → Mul.
                    long[] starts = n.getInputCount() > 1 ? longs(n, 1, "starts") : ints(n, "starts");
                    long[] ends = n.getInputCount() > 2 ? longs(n, 2, "ends") : ints(n, "ends");
                    long[] axesIn = longs(n, 3, "axes");
                    long[] axes = axesIn != null ? axesIn : ints(n, "axes");
                    long[] steps = longs(n, 4, "steps");
                    boolean channels = starts != null && ends != null && starts.length == 1 && ends.length == 1 && axes != null
                            && axes.length == 1 && (axes[0] == 1 || axes[0] == -3) && (steps == null || Arrays.equals(steps, new long[] {1}));
                    if (!channels) {
                        throw err(n, "slices starts " + Arrays.toString(starts) + ", ends " + Arrays.toString(ends) + ", axes "
                                + Arrays.toString(axes) + ", steps " + Arrays.toString(steps) + "; Squeeze reads Slice only as a range of"
                                + " channels: one start and end, axes [1], steps [1] or none");
                    }
                    // ONNX's rules: negative indices count from the end, then both are clamped to [0, C].
                    long c = s[0];
                    long from = Math.clamp(starts[0] < 0 ? starts[0] + c : starts[0], 0, c);
                    long to = Math.clamp(ends[0] < 0 ? ends[0] + c : ends[0], 0, c);
                    if (to <= from) throw err(n, "selects channels [" + from + ", " + to + ") of " + c + ", which are none");
                    seq.layers.add(new Layer.ChannelSlice((int) from, (int) to));
                    out = new int[] {(int) (to - from), s[1], s[2]};
                }
                case "ReduceMean" -> {
                    // x.mean([2, 3]) (torchvision's ShuffleNetV2): a global average pool, flattened unless keepdims.
                    checkArity(n, 1, 2);
                    only(n, "axes", "keepdims", "noop_with_empty_axes");
                    rank(n, s, 3);
                    long[] axes = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? longs(n, 1, "axes") : ints(n, "axes");
                    long[] hw = axes == null ? null : Arrays.stream(axes).map(a -> a < 0 ? a + 4 : a).sorted().toArray();
                    if (hw == null || !Arrays.equals(hw, new long[] {2, 3})) {
                        throw err(n, "averages axes " + Arrays.toString(axes) + "; Squeeze reads ReduceMean only as a global average pool"
                                + " over height and width (axes [2, 3])");
                    }
                    seq.layers.add(new Layer.GlobalAvgPool());
                    if (i(n, "keepdims", 1) != 0) {
                        out = new int[] {s[0], 1, 1};
                    } else {
                        seq.layers.add(new Layer.Flatten());
                        out = new int[] {s[0]};
                    }
                }
                case "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast", "Sub", "Div" -> throw err(n, "is read only in a shape computation"
                        + " (from Shape nodes and constants, as PyTorch writes x.size() and x.view(...)), but here it computes from the"
                        + " activation '" + x + "'");
                case "Transpose" -> throw err(n, "is read only inside the channel shuffle Reshape [N, g, C/g, H, W] → Transpose perm"
                        + " [0, 2, 1, 3, 4] → Reshape [N, C, H, W]");
                case "Reshape" -> {
                    checkArity(n, 2, 2);
                    only(n, "allowzero");
                    long[] given = longs(n, 1, "shape");
                    long[] shape = batchAsZero(n, given);
                    if (shape.length == 5) return channelShuffle(n, s, shape, seq);
                    long f = product(s);
                    boolean flat = shape.length == 2 && i(n, "allowzero", 0) == 0
                            && ((shape[0] == 0 && (shape[1] == -1 || shape[1] == f)) || (shape[0] == -1 && shape[1] == f));
                    if (!flat) {
                        throw err(n, "reshapes to " + show(given) + "; Squeeze imports a reshape to [N, features]"
                                + " ([0, -1], [-1, " + f + "] or [0, " + f + "]) and the 5-D one that starts a channel shuffle");
                    }
                    seq.layers.add(new Layer.Flatten());
                    out = new int[] {(int) f};
                }
                case "Gemm" -> {
                    checkArity(n, 2, 3);
                    only(n, "alpha", "beta", "transA", "transB");
                    rank(n, s, 1);
                    if (f(n, "alpha", 1f) != 1f || f(n, "beta", 1f) != 1f || i(n, "transA", 0) != 0) {
                        throw err(n, "has alpha " + f(n, "alpha", 1f) + ", beta " + f(n, "beta", 1f) + ", transA " + i(n, "transA", 0)
                                + "; Squeeze's Linear is alpha 1, beta 1, transA 0");
                    }
                    boolean transB = i(n, "transB", 0) != 0;
                    TensorProto w = constant(n, 1, "weight");
                    TensorProto b = constant(n, 2, "bias");
                    if (w.getDimsCount() != 2) throw err(n, "has weight '" + w.getName() + "' of shape " + w.getDimsList() + "; it must be a matrix");
                    int outF = (int) (transB ? w.getDims(0) : w.getDims(1));
                    if (transB) shape(n, w, "weight", outF, s[0]);
                    else shape(n, w, "weight", s[0], outF);
                    bind(seq, n, w, "WEIGHT", !transB, outF, s[0]);
                    if (b != null) {
                        long[] bd = b.getDimsList().stream().mapToLong(Long::longValue).toArray();
                        if (!(Arrays.equals(bd, new long[] {outF}) || Arrays.equals(bd, new long[] {1, outF}))) {
                            throw err(n, "has bias '" + b.getName() + "' of shape " + Arrays.toString(bd) + " but the layer needs [" + outF + "]");
                        }
                        bind(seq, n, b, "BIAS", false, outF);
                    }
                    seq.layers.add(new Layer.Linear(s[0], outF, b != null));
                    out = new int[] {outF};
                }
                case "MatMul" -> {
                    checkArity(n, 2, 2);
                    only(n);
                    rank(n, s, 1);
                    TensorProto w = constant(n, 1, "weight");
                    if (w.getDimsCount() != 2) throw err(n, "has weight '" + w.getName() + "' of shape " + w.getDimsList() + "; it must be a matrix");
                    int outF = (int) w.getDims(1);
                    shape(n, w, "weight", s[0], outF);
                    bind(seq, n, w, "WEIGHT", true, outF, s[0]);
                    // A following Add of a constant is the bias.
                    List<NodeProto> next = consumers.getOrDefault(n.getOutput(0), List.of());
                    TensorProto bias = null;
                    if (next.size() == 1 && next.get(0).getOpType().equals("Add") && !isJoin(next.get(0))) {
                        NodeProto add = next.get(0);
                        checkArity(add, 2, 2);
                        int ci = add.getInput(0).equals(n.getOutput(0)) ? 1 : 0;
                        bias = constants.get(add.getInput(ci));
                        long[] bd = bias.getDimsList().stream().mapToLong(Long::longValue).toArray();
                        if (!(Arrays.equals(bd, new long[] {outF}) || Arrays.equals(bd, new long[] {1, outF}))) {
                            throw err(add, "adds '" + bias.getName() + "' of shape " + Arrays.toString(bd) + " as the bias of MatMul '" + n.getName()
                                    + "', which needs [" + outF + "]");
                        }
                        bind(seq, add, bias, "BIAS", false, outF);
                        used.add(add);
                        seq.nodes++;
                        seq.layers.add(new Layer.Linear(s[0], outF, true));
                        return new End(add.getOutput(0), new int[] {outF}, null);
                    }
                    seq.layers.add(new Layer.Linear(s[0], outF, false));
                    out = new int[] {outF};
                }
                case "Add" -> throw err(n, "adds a constant that is not the bias of a MatMul; Squeeze reads Add as a residual join"
                        + " or as MatMul + bias");
                default -> throw err(n, "is not supported; supported ops: " + String.join(", ", SUPPORTED));
            }
            return new End(n.getOutput(0), out, null);
        }

        /**
         * The channel shuffle that starts at Reshape {@code n} (to {@code shape}, rank 5): Reshape
         * {@code [N, g, C/g, H, W]} → Transpose perm {@code [0, 2, 1, 3, 4]} → Reshape {@code [N, C, H, W]},
         * as torchvision's ShuffleNetV2 and Squeeze's exporter write it.
         */
        private End channelShuffle(NodeProto n, int[] s, long[] shape, Seq seq) {
            String pattern = "; Squeeze reads a 5-D Reshape only as the start of the channel shuffle Reshape [N, g, C/g, H, W] →"
                    + " Transpose perm [0, 2, 1, 3, 4] → Reshape [N, C, H, W]";
            rank(n, s, 3);
            int[] split = reshaped(n, s, shape);
            if (split == null || split[1] * split[0] != s[0] || split[2] != s[1] || split[3] != s[2]) {
                throw err(n, "reshapes " + Arrays.toString(s) + " to " + Arrays.toString(shape) + pattern);
            }
            List<NodeProto> next = consumers.getOrDefault(n.getOutput(0), List.of());
            NodeProto tr = next.size() == 1 ? next.get(0) : null;
            if (tr == null || !tr.getOpType().equals("Transpose")) throw err(n, "is not followed by one Transpose" + pattern);
            checkArity(tr, 1, 1);
            only(tr, "perm");
            if (!Arrays.equals(ints(tr, "perm"), new long[] {0, 2, 1, 3, 4})) {
                throw err(tr, "has perm " + Arrays.toString(ints(tr, "perm")) + pattern);
            }
            next = consumers.getOrDefault(tr.getOutput(0), List.of());
            NodeProto back = next.size() == 1 ? next.get(0) : null;
            if (back == null || !back.getOpType().equals("Reshape")) throw err(tr, "is not followed by one Reshape" + pattern);
            checkArity(back, 2, 2);
            only(back, "allowzero");
            int[] transposed = {split[1], split[0], split[2], split[3]};
            long[] backShape = batchAsZero(back, longs(back, 1, "shape"));
            int[] merged = reshaped(back, transposed, backShape);
            if (merged == null || !Arrays.equals(merged, s)) {
                throw err(back, "reshapes " + Arrays.toString(transposed) + " to " + Arrays.toString(backShape) + pattern);
            }
            used.add(tr);
            used.add(back);
            seq.nodes += 2;
            seq.layers.add(new Layer.ChannelShuffle(split[0]));
            return new End(back.getOutput(0), s, null);
        }

        /**
         * The per-example shape a Reshape to {@code shape} gives a tensor of per-example shape {@code in}, or
         * null when {@code shape} does not keep the batch ({@code 0} or {@code -1} first) or does not fit.
         * ONNX's rules ({@code allowzero} 0): 0 copies the input's dimension at that index, one -1 is inferred.
         */
        private int[] reshaped(NodeProto n, int[] in, long[] shape) {
            if (i(n, "allowzero", 0) != 0 || shape.length < 2 || (shape[0] != 0 && shape[0] != -1)) return null;
            long total = product(in), known = 1;
            int infer = -1;
            long[] out = new long[shape.length - 1];
            for (int k = 1; k < shape.length; k++) {
                long d = shape[k];
                if (d == 0) {
                    if (k - 1 >= in.length) return null;
                    d = in[k - 1];
                } else if (d == -1) {
                    if (infer >= 0 || shape[0] == -1) return null; // the batch is the one inferred dimension
                    infer = k - 1;
                    continue;
                } else if (d < 0) {
                    return null;
                }
                out[k - 1] = d;
                known *= d;
            }
            if (infer >= 0) {
                if (known == 0 || total % known != 0) return null;
                out[infer] = total / known;
            } else if (known != total) {
                return null;
            }
            return Arrays.stream(out).mapToInt(Math::toIntExact).toArray();
        }

        /** A Clip bound: a float scalar ({@code []} or {@code [1]}). */
        private float scalar(NodeProto n, TensorProto t, String role) {
            float[] v = floats(t, where);
            if (v.length != 1) throw err(n, "has " + role + " '" + t.getName() + "' of shape " + t.getDimsList() + "; it must be a scalar");
            return v[0];
        }

        private int spatial(NodeProto n, int size, int k, int stride, int pad) {
            int o = (size + 2 * pad - k) / stride + 1;
            if (size + 2 * pad < k || o <= 0) throw err(n, "needs inputs of at least " + (k - 2 * pad) + " pixels, gets " + size);
            return o;
        }

        private static int product(int[] s) {
            int p = 1;
            for (int d : s) p *= d;
            return p;
        }
    }

    // ---- weights into the network ------------------------------------------------------------------

    /**
     * Sets every parameter of {@code net} from the ONNX tensor its binding names, checking count, shape and
     * kind. Through {@code Network}'s own accessors, so this package needs no DJL type.
     */
    static void bind(Network net, Plan p) {
        List<NamedTensor> params = net.parameters();
        List<Binding> bs = p.bindings();
        if (params.size() != bs.size()) {
            throw new IllegalStateException(p.where() + ": the network has " + params.size() + " parameters but the graph feeds " + bs.size());
        }
        for (int i = 0; i < bs.size(); i++) {
            Binding b = bs.get(i);
            NamedTensor param = params.get(i);
            if (!param.type().equals(b.type()) || !Arrays.equals(param.shape(), b.dims())) {
                throw new IllegalStateException(p.where() + ": Squeeze parameter '" + param.name() + "' (" + param.type() + " "
                        + Arrays.toString(param.shape()) + ") does not match ONNX tensor '" + b.tensor() + "' of node '" + b.node() + "' ("
                        + b.type() + " " + Arrays.toString(b.dims()) + ")");
            }
            float[] v = floats(p.constants().get(b.tensor()), p.where());
            if (b.transpose()) v = transpose(v, (int) b.dims()[1], (int) b.dims()[0]);
            net.setParameter(param.name(), v);
        }
    }

    /** {@code [rows, cols]} → {@code [cols, rows]}. */
    static float[] transpose(float[] v, int rows, int cols) {
        float[] t = new float[v.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = v[r * cols + c];
        return t;
    }
}
