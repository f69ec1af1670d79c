package dev.squeeze.export;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX messages Squeeze writes, as plain records that encode themselves with {@link ProtoWriter}.
 * Field numbers are those of {@code onnx/onnx.proto} (proto2); only the fields Squeeze sets are
 * modelled. Tensors always carry their values in {@code raw_data} (little-endian, row-major), which
 * every runtime reads and which is the compact form.
 *
 * <pre>
 *   ModelProto          ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7,
 *                       opset_import 8, metadata_props 14
 *   OperatorSetIdProto  domain 1, version 2
 *   StringStringEntry   key 1, value 2
 *   GraphProto          node 1, name 2, initializer 5, doc_string 10, input 11, output 12
 *   NodeProto           input 1, output 2, name 3, op_type 4, attribute 5, domain 7
 *   AttributeProto      name 1, f 2, i 3, s 4, floats 7, ints 8, type 20
 *   TensorProto         dims 1, data_type 2, name 8, raw_data 9
 *   ValueInfoProto      name 1, type 2
 *   TypeProto           tensor_type 1 → elem_type 1, shape 2 → dim 1 → dim_value 1 | dim_param 2
 * </pre>
 */
final class Onnx {
    private Onnx() {}

    /** IR version 8 (ONNX 1.10+): initializers need not be graph inputs; read by every current runtime. */
    static final long IR_VERSION = 8;
    /** Default-domain opset: 13 is the first with per-axis QuantizeLinear / DequantizeLinear. */
    static final long OPSET = 13;

    // TensorProto.DataType
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7;

    // AttributeProto.AttributeType
    private static final int ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_FLOATS = 6, ATTR_INTS = 7;

    static String typeName(int dataType) {
        return switch (dataType) {
            case FLOAT -> "float";
            case UINT8 -> "uint8";
            case INT8 -> "int8";
            case INT32 -> "int32";
            case INT64 -> "int64";
            default -> "type " + dataType;
        };
    }

    // ---- tensors --------------------------------------------------------------------------------

    /**
     * A constant tensor (an initializer).
     *
     * @param dims shape; empty for a scalar
     * @param raw the values, little-endian, row-major; {@code product(dims) · element size} bytes
     */
    record Tensor(String name, int dataType, long[] dims, byte[] raw) {
        Tensor {
            long n = 1;
            for (long d : dims) n *= d;
            int elem = switch (dataType) {
                case FLOAT, INT32 -> 4;
                case INT64 -> 8;
                case UINT8, INT8 -> 1;
                default -> throw new IllegalArgumentException("ONNX tensor " + name + ": data type " + dataType + " is not one Squeeze writes");
            };
            if (raw.length != n * elem) {
                throw new IllegalArgumentException("ONNX tensor " + name + ": shape " + Arrays.toString(dims) + " of " + typeName(dataType)
                        + " needs " + n * elem + " bytes, got " + raw.length);
            }
        }

        static Tensor floats(String name, long[] dims, float[] v) {
            ByteBuffer b = le(4 * v.length);
            for (float f : v) b.putFloat(f);
            return new Tensor(name, FLOAT, dims, b.array());
        }

        static Tensor int32s(String name, long[] dims, int[] v) {
            ByteBuffer b = le(4 * v.length);
            for (int x : v) b.putInt(x);
            return new Tensor(name, INT32, dims, b.array());
        }

        static Tensor int64s(String name, long[] dims, long[] v) {
            ByteBuffer b = le(8 * v.length);
            for (long x : v) b.putLong(x);
            return new Tensor(name, INT64, dims, b.array());
        }

        /**
         * 8-bit codes as {@code uint8} or {@code int8}.
         *
         * @throws IllegalArgumentException when a value does not fit the type
         */
        static Tensor bytes(String name, int dataType, long[] dims, int[] v) {
            int lo = dataType == UINT8 ? 0 : -128, hi = dataType == UINT8 ? 255 : 127;
            if (dataType != UINT8 && dataType != INT8) throw new IllegalArgumentException("ONNX tensor " + name + ": not an 8-bit type: " + dataType);
            byte[] raw = new byte[v.length];
            for (int i = 0; i < v.length; i++) {
                if (v[i] < lo || v[i] > hi) {
                    throw new IllegalArgumentException("ONNX tensor " + name + ": value " + v[i] + " at " + i + " does not fit "
                            + typeName(dataType) + " [" + lo + ", " + hi + "]");
                }
                raw[i] = (byte) v[i];
            }
            return new Tensor(name, dataType, dims, raw);
        }

        private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }

        ProtoWriter encode() {
            ProtoWriter w = new ProtoWriter(raw.length + name.length() + 32);
            w.repeatedInt64(1, dims);
            w.int32(2, dataType);
            w.string(8, name);
            w.bytes(9, raw);
            return w;
        }
    }

    // ---- nodes ----------------------------------------------------------------------------------

    /** A node attribute: exactly one of the value kinds. */
    sealed interface Attr {
        String name();

        record Int(String name, long value) implements Attr {}
        record Float(String name, float value) implements Attr {}
        record Ints(String name, long[] values) implements Attr {}
        record Floats(String name, float[] values) implements Attr {}
        record Str(String name, String value) implements Attr {}

        static Attr i(String name, long v) { return new Int(name, v); }
        static Attr f(String name, float v) { return new Float(name, v); }
        static Attr ints(String name, long... v) { return new Ints(name, v.clone()); }
        static Attr floats(String name, float... v) { return new Floats(name, v.clone()); }
        static Attr s(String name, String v) { return new Str(name, v); }

        default ProtoWriter encode() {
            ProtoWriter w = new ProtoWriter();
            w.string(1, name());
            switch (this) {
                case Int a -> { w.int64(3, a.value()); w.int32(20, ATTR_INT); }
                case Float a -> { w.float32(2, a.value()); w.int32(20, ATTR_FLOAT); }
                case Ints a -> { w.repeatedInt64(8, a.values()); w.int32(20, ATTR_INTS); }
                case Floats a -> { w.repeatedFloat(7, a.values()); w.int32(20, ATTR_FLOATS); }
                case Str a -> { w.string(4, a.value()); w.int32(20, ATTR_STRING); }
            }
            return w;
        }
    }

    /**
     * One operator application.
     *
     * @param inputs input tensor names; {@code ""} marks an omitted optional input
     * @param domain {@code ""} for the default ONNX domain
     */
    record Node(String opType, String name, List<String> inputs, List<String> outputs, List<Attr> attributes, String domain) {
        Node {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            attributes = List.copyOf(attributes);
        }

        ProtoWriter encode() {
            ProtoWriter w = new ProtoWriter();
            for (String in : inputs) w.string(1, in);
            for (String out : outputs) w.string(2, out);
            w.string(3, name);
            w.string(4, opType);
            for (Attr a : attributes) w.message(5, a.encode());
            if (!domain.isEmpty()) w.string(7, domain);
            return w;
        }
    }

    /**
     * A graph input or output.
     *
     * @param dims each a {@link Long} (fixed size) or a {@link String} (symbolic, e.g. {@code "N"} for the
     *     batch); null for a shape left to the runtime to infer
     */
    record ValueInfo(String name, int elemType, List<Object> dims) {
        ValueInfo {
            if (dims != null) {
                dims = List.copyOf(dims);
                for (Object d : dims) {
                    if (!(d instanceof Long) && !(d instanceof String)) {
                        throw new IllegalArgumentException("ONNX value " + name + ": a dimension must be a Long or a String, got " + d);
                    }
                }
            }
        }

        ProtoWriter encode() {
            ProtoWriter tensor = new ProtoWriter().int32(1, elemType);
            if (dims != null) {
                ProtoWriter shape = new ProtoWriter();
                for (Object d : dims) {
                    ProtoWriter dim = new ProtoWriter();
                    if (d instanceof Long v) dim.int64(1, v);
                    else dim.string(2, (String) d);
                    shape.message(1, dim);
                }
                tensor.message(2, shape);
            }
            ProtoWriter type = new ProtoWriter().message(1, tensor);
            return new ProtoWriter().string(1, name).message(2, type);
        }
    }

    // ---- graph and model ------------------------------------------------------------------------

    /**
     * A graph under construction: nodes in topological order (the order they are added), constant
     * initializers, inputs and outputs. Names are checked for uniqueness as they are added, so that a
     * bug in an exporter fails here with the name rather than in a runtime with a cryptic message.
     */
    static final class Graph {
        final String name;
        final List<Node> nodes = new ArrayList<>();
        final List<Tensor> initializers = new ArrayList<>();
        final List<ValueInfo> inputs = new ArrayList<>();
        final List<ValueInfo> outputs = new ArrayList<>();
        private final Set<String> tensorNames = new HashSet<>();
        private final Set<String> nodeNames = new HashSet<>();
        private final Map<String, Integer> counters = new LinkedHashMap<>();
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
        String initializer(Tensor t) {
            claim(t.name(), "initializer");
            initializers.add(t);
            return t.name();
        }

        void input(ValueInfo v) {
            claim(v.name(), "graph input");
            inputs.add(v);
        }

        void output(ValueInfo v) { outputs.add(v); }

        /** Adds a node; its outputs become defined tensors. */
        Node node(String opType, String name, List<String> in, List<String> out, List<Attr> attrs, String domain) {
            if (!nodeNames.add(name)) throw new IllegalStateException("ONNX graph " + this.name + ": node name '" + name + "' used twice");
            for (String o : out) claim(o, "output of node " + name);
            Node n = new Node(opType, name, in, out, attrs, domain);
            nodes.add(n);
            return n;
        }

        /** Adds a default-domain node with one output named {@code out}. */
        String op(String opType, String name, List<String> in, String out, Attr... attrs) {
            node(opType, name, in, List.of(out), List.of(attrs), "");
            return out;
        }

        ProtoWriter encode() {
            ProtoWriter w = new ProtoWriter(1 << 16);
            for (Node n : nodes) w.message(1, n.encode());
            w.string(2, name);
            for (Tensor t : initializers) w.message(5, t.encode());
            if (!docString.isEmpty()) w.string(10, docString);
            for (ValueInfo v : inputs) w.message(11, v.encode());
            for (ValueInfo v : outputs) w.message(12, v.encode());
            return w;
        }
    }

    /**
     * Encodes a whole model.
     *
     * @param opsets domain → version; {@code ""} is the default domain
     * @param metadata free-form key/value pairs ({@code metadata_props})
     */
    static ProtoWriter model(Graph g, Map<String, Long> opsets, String producerVersion, String doc, Map<String, String> metadata) {
        ProtoWriter graph = g.encode();
        ProtoWriter w = new ProtoWriter(graph.size() + 1024);
        w.int64(1, IR_VERSION);
        w.string(2, "squeeze");
        w.string(3, producerVersion);
        if (!doc.isEmpty()) w.string(6, doc);
        w.message(7, graph);
        for (Map.Entry<String, Long> e : opsets.entrySet()) {
            ProtoWriter o = new ProtoWriter();
            if (!e.getKey().isEmpty()) o.string(1, e.getKey());
            o.int64(2, e.getValue());
            w.message(8, o);
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            w.message(14, new ProtoWriter().string(1, e.getKey()).string(2, e.getValue()));
        }
        return w;
    }
}
