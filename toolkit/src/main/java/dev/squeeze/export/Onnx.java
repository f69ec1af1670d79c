package dev.squeeze.export;

import com.google.protobuf.ByteString;
import dev.squeeze.onnx.proto.AttributeProto;
import dev.squeeze.onnx.proto.GraphProto;
import dev.squeeze.onnx.proto.ModelProto;
import dev.squeeze.onnx.proto.NodeProto;
import dev.squeeze.onnx.proto.OperatorSetIdProto;
import dev.squeeze.onnx.proto.StringStringEntryProto;
import dev.squeeze.onnx.proto.TensorProto;
import dev.squeeze.onnx.proto.TensorShapeProto;
import dev.squeeze.onnx.proto.TypeProto;
import dev.squeeze.onnx.proto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds the ONNX messages Squeeze writes, as the protobuf classes that protoc generates from
 * {@code src/main/proto/onnx.proto} ({@link ModelProto}, {@link GraphProto}, ...; package
 * {@code dev.squeeze.onnx.proto}). This class adds what the generated builders do not check: tensor
 * sizes against their shapes, 8-bit values against their type, and unique tensor and node names in a
 * graph, so that a bug in an exporter fails here with the name rather than in a runtime with a
 * cryptic message. Tensors always carry their values in {@code raw_data} (little-endian, row-major),
 * which every runtime reads and which is the compact form.
 */
final class Onnx {
    private Onnx() {}

    /** IR version 8 (ONNX 1.10+): initializers need not be graph inputs; read by every current runtime. */
    static final long IR_VERSION = 8;
    /** Default-domain opset: 13 is the first with per-axis QuantizeLinear / DequantizeLinear. */
    static final long OPSET = 13;
    /** Opset 14 adds {@code HardSwish}; declared only by files that use it (see {@code OnnxExport}). */
    static final long OPSET_HARD_SWISH = 14;

    // TensorProto.DataType, as the int that TensorProto.data_type and TypeProto.Tensor.elem_type hold
    static final int FLOAT = TensorProto.DataType.FLOAT_VALUE, UINT8 = TensorProto.DataType.UINT8_VALUE,
            INT8 = TensorProto.DataType.INT8_VALUE, INT32 = TensorProto.DataType.INT32_VALUE, INT64 = TensorProto.DataType.INT64_VALUE;

    /**
     * Protobuf cannot encode a message of 2 GiB or more; ONNX models beyond that need external data.
     * The limit is checked on the tensor bytes with a margin for everything else in the file.
     */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - (64L << 20);

    /** {@code float}, {@code uint8}, ... for a {@code TensorProto.DataType} number. */
    static String typeName(int dataType) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(dataType);
        return t == null ? "type " + dataType : t.name().toLowerCase(Locale.ROOT);
    }

    // ---- tensors --------------------------------------------------------------------------------

    /**
     * A constant tensor (an initializer) with its values in {@code raw_data}.
     *
     * @param dims shape; empty for a scalar
     * @param raw the values, little-endian, row-major; {@code product(dims) · element size} bytes
     */
    static TensorProto tensor(String name, int dataType, long[] dims, byte[] raw) {
        long n = 1;
        for (long d : dims) n *= d;
        int elem = switch (dataType) {
            case FLOAT, INT32 -> 4;
            case INT64 -> 8;
            case UINT8, INT8 -> 1;
            default -> throw new IllegalArgumentException("ONNX tensor " + name + ": data type " + typeName(dataType) + " is not one Squeeze writes");
        };
        if (raw.length != n * elem) {
            throw new IllegalArgumentException("ONNX tensor " + name + ": shape " + Arrays.toString(dims) + " of " + typeName(dataType)
                    + " needs " + n * elem + " bytes, got " + raw.length);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(dataType).setRawData(ByteString.copyFrom(raw));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    static TensorProto floats(String name, long[] dims, float[] v) {
        ByteBuffer b = le(4 * v.length);
        for (float f : v) b.putFloat(f);
        return tensor(name, FLOAT, dims, b.array());
    }

    static TensorProto int32s(String name, long[] dims, int[] v) {
        ByteBuffer b = le(4 * v.length);
        for (int x : v) b.putInt(x);
        return tensor(name, INT32, dims, b.array());
    }

    static TensorProto int64s(String name, long[] dims, long[] v) {
        ByteBuffer b = le(8 * v.length);
        for (long x : v) b.putLong(x);
        return tensor(name, INT64, dims, b.array());
    }

    /**
     * 8-bit codes as {@code uint8} or {@code int8}.
     *
     * @throws IllegalArgumentException when a value does not fit the type
     */
    static TensorProto bytes(String name, int dataType, long[] dims, int[] v) {
        if (dataType != UINT8 && dataType != INT8) throw new IllegalArgumentException("ONNX tensor " + name + ": not an 8-bit type: " + typeName(dataType));
        int lo = dataType == UINT8 ? 0 : -128, hi = dataType == UINT8 ? 255 : 127;
        byte[] raw = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < lo || v[i] > hi) {
                throw new IllegalArgumentException("ONNX tensor " + name + ": value " + v[i] + " at " + i + " does not fit "
                        + typeName(dataType) + " [" + lo + ", " + hi + "]");
            }
            raw[i] = (byte) v[i];
        }
        return tensor(name, dataType, dims, raw);
    }

    private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }

    // ---- attributes -----------------------------------------------------------------------------

    /** Node attributes: each sets exactly one value field and the {@code type} that names it. */
    static final class Attr {
        private Attr() {}

        static AttributeProto i(String name, long v) {
            return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
        }

        static AttributeProto f(String name, float v) {
            return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
        }

        static AttributeProto ints(String name, long... v) {
            AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
            for (long x : v) a.addInts(x);
            return a.build();
        }

        static AttributeProto floats(String name, float... v) {
            AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
            for (float x : v) a.addFloats(x);
            return a.build();
        }

        static AttributeProto s(String name, String v) {
            return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
        }
    }

    // ---- values ---------------------------------------------------------------------------------

    /**
     * A graph input or output: a tensor of {@code elemType}.
     *
     * @param dims each a {@link Long} (fixed size) or a {@link String} (symbolic, e.g. {@code "N"} for the
     *     batch); null for a shape left to the runtime to infer
     */
    static ValueInfoProto valueInfo(String name, int elemType, List<Object> dims) {
        TypeProto.Tensor.Builder tensor = TypeProto.Tensor.newBuilder().setElemType(elemType);
        if (dims != null) {
            TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
            for (Object d : dims) {
                switch (d) {
                    case Long v -> shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(v));
                    case String p -> shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(p));
                    case null, default -> throw new IllegalArgumentException("ONNX value " + name + ": a dimension must be a Long or a String, got " + d);
                }
            }
            tensor.setShape(shape);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(tensor)).build();
    }

    // ---- graph and model ------------------------------------------------------------------------

    /**
     * A graph under construction: nodes in topological order (the order they are added), constant
     * initializers, inputs and outputs. Names are checked for uniqueness as they are added.
     */
    static final class Graph {
        final String name;
        final List<NodeProto> nodes = new ArrayList<>();
        final List<TensorProto> initializers = new ArrayList<>();
        final List<ValueInfoProto> inputs = new ArrayList<>();
        final List<ValueInfoProto> outputs = new ArrayList<>();
        private final Set<String> tensorNames = new HashSet<>();
        private final Set<String> nodeNames = new HashSet<>();
        private final Map<String, Integer> counters = new LinkedHashMap<>();
        private long tensorBytes;
        String docString = "";

        Graph(String name) { this.name = name; }

        /** A fresh tensor name {@code base}, or {@code base_2}, {@code base_3}, ... when taken. */
        String fresh(String base) {
            String n = base;
            int k = counters.getOrDefault(base, 1);
            while (tensorNames.contains(n)) n = base + "_" + (++k);
            counters.put(base, k);
            return n;
        }

        private void claim(String tensor, String what) {
            if (!tensorNames.add(tensor)) {
                throw new IllegalStateException("ONNX graph " + name + ": tensor name '" + tensor + "' is defined twice (" + what + ")");
            }
        }

        /** Adds a constant and returns its name. */
        String initializer(TensorProto t) {
            claim(t.getName(), "initializer");
            tensorBytes += t.getRawData().size();
            if (tensorBytes > MAX_TENSOR_BYTES) {
                throw new IllegalStateException("ONNX graph " + name + ": its tensors exceed " + MAX_TENSOR_BYTES + " bytes at '" + t.getName()
                        + "'; protobuf cannot encode a file of 2 GiB or more: export a smaller model");
            }
            initializers.add(t);
            return t.getName();
        }

        void input(ValueInfoProto v) {
            claim(v.getName(), "graph input");
            inputs.add(v);
        }

        void output(ValueInfoProto v) { outputs.add(v); }

        /**
         * Adds a node; its outputs become defined tensors.
         *
         * @param in input tensor names; {@code ""} marks an omitted optional input
         * @param domain {@code ""} for the default ONNX domain
         */
        NodeProto node(String opType, String name, List<String> in, List<String> out, List<AttributeProto> attrs, String domain) {
            if (!nodeNames.add(name)) throw new IllegalStateException("ONNX graph " + this.name + ": node name '" + name + "' used twice");
            for (String o : out) claim(o, "output of node " + name);
            NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(name).addAllInput(in).addAllOutput(out).addAllAttribute(attrs);
            if (!domain.isEmpty()) n.setDomain(domain);
            NodeProto built = n.build();
            nodes.add(built);
            return built;
        }

        /** Adds a default-domain node with one output named {@code out}. */
        String op(String opType, String name, List<String> in, String out, AttributeProto... attrs) {
            node(opType, name, in, List.of(out), List.of(attrs), "");
            return out;
        }

        GraphProto toProto() {
            GraphProto.Builder g = GraphProto.newBuilder().addAllNode(nodes).setName(name).addAllInitializer(initializers)
                    .addAllInput(inputs).addAllOutput(outputs);
            if (!docString.isEmpty()) g.setDocString(docString);
            return g.build();
        }
    }

    /**
     * A whole model: producer {@code squeeze}, IR version {@value #IR_VERSION}.
     *
     * @param opsets domain → version; {@code ""} is the default domain
     * @param metadata free-form key/value pairs ({@code metadata_props}), in iteration order
     */
    static ModelProto model(Graph g, Map<String, Long> opsets, String producerVersion, String doc, Map<String, String> metadata) {
        ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("squeeze").setProducerVersion(producerVersion)
                .setGraph(g.toProto());
        if (!doc.isEmpty()) m.setDocString(doc);
        for (Map.Entry<String, Long> e : opsets.entrySet()) {
            OperatorSetIdProto.Builder o = OperatorSetIdProto.newBuilder().setVersion(e.getValue());
            if (!e.getKey().isEmpty()) o.setDomain(e.getKey());
            m.addOpsetImport(o);
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        return m.build();
    }
}
