package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ONNX schema Squeeze compiles (src/main/proto/onnx.proto) against the official field numbers, and
 * the messages {@link Onnx} builds read back through the generated classes.
 */
class OnnxMessagesTest {

    /** message → field name → number, and whether the official schema declares it [packed = true]. */
    private static void assertField(Descriptor m, String name, int number, boolean packed) {
        FieldDescriptor f = m.findFieldByName(name);
        assertNotNull(f, m.getFullName() + "." + name + " is missing");
        assertEquals(number, f.getNumber(), m.getFullName() + "." + name + ": onnx.proto numbers it " + number);
        assertEquals(packed, f.isPacked(), m.getFullName() + "." + name + " packed");
    }

    @Test
    void schemaKeepsTheOfficialOnnxNamesAndFieldNumbers() {
        // Copied from onnx/onnx.proto; a field renumbered here would make every file unreadable elsewhere.
        Object[][] fields = {
                {ModelProto.getDescriptor(), "ir_version", 1, "opset_import", 8, "producer_name", 2, "producer_version", 3, "domain", 4,
                        "model_version", 5, "doc_string", 6, "graph", 7, "metadata_props", 14},
                {OperatorSetIdProto.getDescriptor(), "domain", 1, "version", 2},
                {StringStringEntryProto.getDescriptor(), "key", 1, "value", 2},
                {GraphProto.getDescriptor(), "node", 1, "name", 2, "initializer", 5, "doc_string", 10, "input", 11, "output", 12, "value_info", 13},
                {NodeProto.getDescriptor(), "input", 1, "output", 2, "name", 3, "op_type", 4, "domain", 7, "attribute", 5, "doc_string", 6},
                {AttributeProto.getDescriptor(), "name", 1, "ref_attr_name", 21, "doc_string", 13, "type", 20, "f", 2, "i", 3, "s", 4, "t", 5,
                        "floats", 7, "ints", 8, "strings", 9, "tensors", 10},
                {TensorProto.getDescriptor(), "dims", 1, "data_type", 2, "string_data", 6, "name", 8, "doc_string", 12, "raw_data", 9,
                        "external_data", 13, "data_location", 14},
                {ValueInfoProto.getDescriptor(), "name", 1, "type", 2, "doc_string", 3},
                {TypeProto.getDescriptor(), "tensor_type", 1, "denotation", 6},
                {TypeProto.Tensor.getDescriptor(), "elem_type", 1, "shape", 2},
                {TensorShapeProto.getDescriptor(), "dim", 1},
                {TensorShapeProto.Dimension.getDescriptor(), "dim_value", 1, "dim_param", 2, "denotation", 3},
        };
        for (Object[] m : fields) {
            for (int i = 1; i < m.length; i += 2) assertField((Descriptor) m[0], (String) m[i], (Integer) m[i + 1], false);
        }
        for (Object[] f : new Object[][] {{"float_data", 4}, {"int32_data", 5}, {"int64_data", 7}, {"double_data", 10}, {"uint64_data", 11}}) {
            assertField(TensorProto.getDescriptor(), (String) f[0], (Integer) f[1], true);
        }
        assertEquals("onnx.ModelProto", ModelProto.getDescriptor().getFullName());
        assertEquals(List.of(1, 2, 3, 6, 7), List.of(Onnx.FLOAT, Onnx.UINT8, Onnx.INT8, Onnx.INT32, Onnx.INT64));
        assertEquals(List.of(1, 2, 3, 4, 6, 7), List.of(AttributeProto.AttributeType.FLOAT.getNumber(), AttributeProto.AttributeType.INT.getNumber(),
                AttributeProto.AttributeType.STRING.getNumber(), AttributeProto.AttributeType.TENSOR.getNumber(),
                AttributeProto.AttributeType.FLOATS.getNumber(), AttributeProto.AttributeType.INTS.getNumber()));
        assertEquals(16, TensorProto.DataType.BFLOAT16.getNumber());
        assertEquals(1, TensorProto.DataLocation.EXTERNAL.getNumber());
    }

    @Test
    void encodesAsProtobufWithOnnxFieldNumbers() {
        // ir_version (field 1, varint) = 8 → 08 08; producer_name (field 2) "squeeze" → 12 07 ...
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("squeeze").build();
        assertEquals("0808120773717565657a65", HexFormat.of().formatHex(m.toByteArray()));
        // AttributeProto: name (1), i (3) = -1 as a ten-byte varint, type (20, a two-byte key a0 01) = INT (2)
        assertEquals("0a016b18ffffffffffffffffff01a00102", HexFormat.of().formatHex(Onnx.Attr.i("k", -1).toByteArray()));
        // float 1.0f = 0x3f800000, fixed32 little-endian, field 2 → 15 00 00 80 3f
        assertEquals("0a0161150000803fa00101", HexFormat.of().formatHex(Onnx.Attr.f("a", 1f).toByteArray()));
        // repeated int64 without [packed = true] (proto2, as onnx.proto declares ints): one tag per element
        assertEquals("0a016b40014002a00107", HexFormat.of().formatHex(Onnx.Attr.ints("k", 1, 2).toByteArray()));
    }

    @Test
    void onnxMessagesReadBack() {
        Onnx.Graph g = new Onnx.Graph("g");
        g.input(Onnx.valueInfo("x", Onnx.FLOAT, List.of("N", 4L)));
        String w = g.initializer(Onnx.floats("w", new long[] {3, 4}, new float[12]));
        g.op("Gemm", "fc", List.of("x", w), "y", Onnx.Attr.i("transB", 1), Onnx.Attr.f("alpha", 0.5f), Onnx.Attr.ints("k", 1, -2));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, List.of("N", 3L)));
        ModelProto model = Onnx.model(g, Map.of("", 13L), "t", "", Map.of("k", "v"));
        OnnxReader.Model m = OnnxReader.parse(model.toByteArray());
        assertEquals(8, m.irVersion());
        assertEquals(Map.of("", 13L), m.opsets());
        assertEquals(Map.of("k", "v"), m.metadata());
        assertEquals(List.of("x"), m.inputs());
        assertEquals(List.of("y"), m.outputs());
        OnnxReader.Node n = m.nodes().get(0);
        assertEquals("Gemm", n.opType());
        assertEquals(List.of("x", "w"), n.inputs());
        assertEquals(1, n.attributes().get("transB").value());
        assertEquals(0.5f, n.attributes().get("alpha").proto().getF());
        assertEquals(AttributeProto.AttributeType.FLOAT, n.attributes().get("alpha").proto().getType());
        assertEquals(List.of(1L, -2L), n.attributes().get("k").proto().getIntsList());
        assertArrayEquals(new long[] {3, 4}, m.initializer("w").dims());
        assertEquals(48, m.initializer("w").raw().length);
        var dims = model.getGraph().getInput(0).getType().getTensorType().getShape().getDimList();
        assertEquals("N", dims.get(0).getDimParam());
        assertEquals(4, dims.get(1).getDimValue());
        assertEquals("squeeze", model.getProducerName());
    }

    @Test
    void fieldsTheSubsetOmitsSurviveAsUnknownFields() throws Exception {
        // GraphProto.sparse_initializer (15) and ModelProto.training_info (20) are not in Squeeze's schema.
        byte[] graphWithSparse = GraphProto.newBuilder().setName("g").build().toByteArray();
        byte[] extra = HexFormat.of().parseHex("7a00"); // field 15, length-delimited, empty
        byte[] graph = new byte[graphWithSparse.length + extra.length];
        System.arraycopy(graphWithSparse, 0, graph, 0, graphWithSparse.length);
        System.arraycopy(extra, 0, graph, graphWithSparse.length, extra.length);
        GraphProto parsed = GraphProto.parseFrom(graph);
        assertEquals("g", parsed.getName());
        assertTrue(parsed.getUnknownFields().hasField(15));
        assertArrayEquals(graph, parsed.toByteArray(), "re-encoded unchanged");
    }

    @Test
    void duplicateNamesAndWrongSizesFailWithTheName() {
        Onnx.Graph g = new Onnx.Graph("g");
        g.op("Relu", "a", List.of("x"), "y");
        var e = assertThrows(IllegalStateException.class, () -> g.op("Relu", "b", List.of("x"), "y"));
        assertTrue(e.getMessage().contains("'y'"), e.getMessage());
        var e1 = assertThrows(IllegalStateException.class, () -> g.op("Relu", "a", List.of("y"), "z"));
        assertTrue(e1.getMessage().contains("'a'"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> Onnx.floats("t", new long[] {2, 3}, new float[5]));
        assertTrue(e2.getMessage().contains("t") && e2.getMessage().contains("24 bytes"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> Onnx.bytes("z", Onnx.INT8, new long[] {1}, new int[] {200}));
        assertTrue(e3.getMessage().contains("200") && e3.getMessage().contains("int8"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> Onnx.valueInfo("v", Onnx.FLOAT, java.util.Arrays.asList("N", 3)));
        assertTrue(e4.getMessage().contains("v") && e4.getMessage().contains("Long or a String"), e4.getMessage());
    }
}
