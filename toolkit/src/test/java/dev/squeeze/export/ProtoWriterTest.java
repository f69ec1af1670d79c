package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire encoding against protobuf's documented examples, and ONNX messages read back field by field. */
class ProtoWriterTest {

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    @Test
    void encodesVarintsFloatsStringsAndNestedMessagesAsProtobufDoes() {
        // protobuf's encoding guide: field 1 = 150 → 08 96 01; field 2 = "testing" → 12 07 74 65 73 74 69 6e 67
        assertArrayEquals(bytes(0x08, 0x96, 0x01), new ProtoWriter().int64(1, 150).toByteArray());
        assertArrayEquals(bytes(0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'), new ProtoWriter().string(2, "testing").toByteArray());
        // field 3 holding a message whose field 1 = 150 → 1a 03 08 96 01
        assertArrayEquals(bytes(0x1a, 0x03, 0x08, 0x96, 0x01), new ProtoWriter().message(3, new ProtoWriter().int64(1, 150)).toByteArray());
        // a negative int32 is sign-extended: ten bytes
        assertArrayEquals(bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), new ProtoWriter().int32(1, -1).toByteArray());
        // float 1.0f = 0x3f800000, fixed32 little-endian, wire type 5
        assertArrayEquals(bytes(0x15, 0x00, 0x00, 0x80, 0x3f), new ProtoWriter().float32(2, 1f).toByteArray());
        // field numbers ≥ 16 take a two-byte key: ONNX's AttributeProto.type is field 20 → a0 01
        assertArrayEquals(bytes(0xa0, 0x01, 0x07), new ProtoWriter().int32(20, 7).toByteArray());
        // repeated fields are unpacked (proto2 without [packed = true])
        assertArrayEquals(bytes(0x08, 0x01, 0x08, 0x02), new ProtoWriter().repeatedInt64(1, new long[] {1, 2}).toByteArray());
    }

    @Test
    void onnxMessagesReadBack() {
        Onnx.Graph g = new Onnx.Graph("g");
        g.input(new Onnx.ValueInfo("x", Onnx.FLOAT, List.of("N", 4L)));
        String w = g.initializer(Onnx.Tensor.floats("w", new long[] {3, 4}, new float[12]));
        g.op("Gemm", "fc", List.of("x", w), "y", Onnx.Attr.i("transB", 1), Onnx.Attr.f("alpha", 0.5f), Onnx.Attr.ints("k", 1, -2));
        g.output(new Onnx.ValueInfo("y", Onnx.FLOAT, List.of("N", 3L)));
        OnnxReader.Model m = OnnxReader.parse(Onnx.model(g, Map.of("", 13L), "t", "", Map.of("k", "v")).toByteArray());
        assertEquals(8, m.irVersion());
        assertEquals(Map.of("", 13L), m.opsets());
        assertEquals(Map.of("k", "v"), m.metadata());
        assertEquals(List.of("x"), m.inputs());
        assertEquals(List.of("y"), m.outputs());
        OnnxReader.Node n = m.nodes().get(0);
        assertEquals("Gemm", n.opType());
        assertEquals(List.of("x", "w"), n.inputs());
        assertEquals(1, n.attributes().get("transB").value());
        assertEquals(0.5f, Float.intBitsToFloat((int) n.attributes().get("alpha").value()));
        assertArrayEquals(new long[] {3, 4}, m.initializer("w").dims());
        assertEquals(48, m.initializer("w").raw().length);
    }

    @Test
    void duplicateNamesAndWrongSizesFailWithTheName() {
        Onnx.Graph g = new Onnx.Graph("g");
        g.op("Relu", "a", List.of("x"), "y");
        var e = assertThrows(IllegalStateException.class, () -> g.op("Relu", "b", List.of("x"), "y"));
        assertTrue(e.getMessage().contains("'y'"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> Onnx.Tensor.floats("t", new long[] {2, 3}, new float[5]));
        assertTrue(e2.getMessage().contains("t") && e2.getMessage().contains("24 bytes"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> Onnx.Tensor.bytes("z", Onnx.INT8, new long[] {1}, new int[] {200}));
        assertTrue(e3.getMessage().contains("200") && e3.getMessage().contains("int8"), e3.getMessage());
    }
}
