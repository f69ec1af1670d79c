package dev.squeeze.export;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.squeeze.onnx.proto.AttributeProto;
import dev.squeeze.onnx.proto.ModelProto;
import dev.squeeze.onnx.proto.NodeProto;
import dev.squeeze.onnx.proto.OperatorSetIdProto;
import dev.squeeze.onnx.proto.StringStringEntryProto;
import dev.squeeze.onnx.proto.TensorProto;
import dev.squeeze.onnx.proto.ValueInfoProto;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tests' view of an ONNX file (Squeeze's exports and the optimized models ONNX Runtime writes):
 * a thin layer over the protobuf classes ({@link ModelProto#parseFrom}) with the accessors the
 * assertions use.
 */
final class OnnxReader {
    private OnnxReader() {}

    /** A node attribute; {@link #value()} is its integer value. */
    record Attribute(AttributeProto proto) {
        long value() {
            if (proto.getType() != AttributeProto.AttributeType.INT) throw new AssertionError("attribute " + proto.getName() + " is " + proto.getType() + ", not INT");
            return proto.getI();
        }
    }

    record Node(String opType, String domain, String name, List<String> inputs, List<String> outputs, Map<String, Attribute> attributes) {
        static Node of(NodeProto n) {
            Map<String, Attribute> attrs = new LinkedHashMap<>();
            for (AttributeProto a : n.getAttributeList()) attrs.put(a.getName(), new Attribute(a));
            return new Node(n.getOpType(), n.getDomain(), n.getName(), n.getInputList(), n.getOutputList(), attrs);
        }
    }

    record Initializer(String name, int dataType, long[] dims, byte[] raw) {
        static Initializer of(TensorProto t) {
            return new Initializer(t.getName(), t.getDataType(), t.getDimsList().stream().mapToLong(Long::longValue).toArray(), t.getRawData().toByteArray());
        }
    }

    record Model(long irVersion, Map<String, Long> opsets, List<Node> nodes, List<Initializer> initializers, List<String> inputs,
                 List<String> outputs, Map<String, String> metadata) {
        long count(String opType) { return nodes.stream().filter(n -> n.opType.equals(opType)).count(); }
        Node node(String name) {
            return nodes.stream().filter(n -> n.name.equals(name)).findFirst().orElseThrow(() -> new AssertionError("no node " + name));
        }
        Initializer initializer(String name) {
            return initializers.stream().filter(i -> i.name.equals(name)).findFirst().orElseThrow(() -> new AssertionError("no initializer " + name));
        }

        static Model of(ModelProto m) {
            Map<String, Long> opsets = new LinkedHashMap<>();
            for (OperatorSetIdProto o : m.getOpsetImportList()) opsets.put(o.getDomain(), o.getVersion());
            Map<String, String> meta = new LinkedHashMap<>();
            for (StringStringEntryProto e : m.getMetadataPropsList()) meta.put(e.getKey(), e.getValue());
            var g = m.getGraph();
            return new Model(m.getIrVersion(), opsets, g.getNodeList().stream().map(Node::of).toList(),
                    g.getInitializerList().stream().map(Initializer::of).toList(), g.getInputList().stream().map(ValueInfoProto::getName).toList(),
                    g.getOutputList().stream().map(ValueInfoProto::getName).toList(), meta);
        }
    }

    /** Reads a file through {@link OnnxFile#read}, the toolkit's own entry point. */
    static Model read(Path p) { return Model.of(OnnxFile.read(p)); }

    static Model parse(byte[] bytes) {
        try {
            return Model.of(ModelProto.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a protobuf ModelProto: " + e.getMessage(), e);
        }
    }
}
