package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.onnx.proto.ModelProto;
import dev.squeeze.onnx.proto.NodeProto;
import dev.squeeze.onnx.proto.OperatorSetIdProto;
import dev.squeeze.onnx.proto.StringStringEntryProto;
import dev.squeeze.onnx.proto.TensorProto;
import dev.squeeze.onnx.proto.TensorShapeProto;
import dev.squeeze.onnx.proto.ValueInfoProto;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OnnxFile}: reads what the exporter writes and real ONNX files; refuses everything else with one clear error. */
class OnnxFileTest {
    @TempDir Path dir;

    /** A small valid model: one Gemm, its weight, symbolic batch. */
    static byte[] tinyModel() {
        Onnx.Graph g = new Onnx.Graph("tiny");
        g.input(Onnx.valueInfo("x", Onnx.FLOAT, List.of("N", 4L)));
        String w = g.initializer(Onnx.floats("w", new long[] {3, 4}, new float[12]));
        g.op("Gemm", "fc", List.of("x", w), "y", Onnx.Attr.i("transB", 1));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, List.of("N", 3L)));
        return Onnx.model(g, Map.of("", 13L), "t", "", Map.of("provenance.seed", "7")).toByteArray();
    }

    private Path write(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private void assertRefused(Path p, String... expected) {
        var e = assertThrows(IllegalArgumentException.class, () -> OnnxFile.read(p));
        String msg = e.getMessage();
        System.out.println("[onnx-file] " + msg);
        assertTrue(msg.contains(p.toString()), "names the file: " + msg);
        for (String s : expected) assertTrue(msg.contains(s), "says '" + s + "': " + msg);
    }

    @Test
    void readsAnExportedModel() throws Exception {
        ModelProto m = OnnxFile.read(write("tiny.onnx", tinyModel()));
        assertEquals(8, m.getIrVersion());
        assertEquals("tiny", m.getGraph().getName());
        assertEquals("Gemm", m.getGraph().getNode(0).getOpType());
        assertEquals(48, m.getGraph().getInitializer(0).getRawData().size());
        assertEquals("7", m.getMetadataProps(0).getValue());
    }

    @Test
    void truncatedFilesAreRefusedWithTheFileAndTheProblem() throws Exception {
        byte[] ok = tinyModel();
        // Cut inside the graph: the protobuf encoding ends in the middle of a field.
        assertRefused(write("half.onnx", Arrays.copyOf(ok, ok.length / 2)), "not a valid ONNX model", "truncated");
        // Cut just before the opset (field 8, after the graph): still valid protobuf, but not a complete model.
        int opset = ok.length - ModelProto.parseFrom(ok).getOpsetImport(0).getSerializedSize() - 2
                - ModelProto.parseFrom(ok).getMetadataProps(0).getSerializedSize() - 2;
        assertRefused(write("no-opset.onnx", Arrays.copyOf(ok, opset)), "no default-domain opset", "truncated");
        assertRefused(write("empty.onnx", new byte[0]), "empty");
    }

    @Test
    void otherBytesAreRefusedWithTheFileAndTheProblem() throws Exception {
        assertRefused(write("text.onnx", "hello, this is not a model\n".getBytes(StandardCharsets.UTF_8)), "not");
        assertRefused(write("page.onnx", "<!DOCTYPE html><html>404</html>".getBytes(StandardCharsets.UTF_8)), "text");
        assertRefused(write("model.sqz", "SQZFP32\0rest".getBytes(StandardCharsets.ISO_8859_1)), "Squeeze fp32 model", "ModelFile.load");
        assertRefused(write("model.sqz8", "SQZINT8\0rest".getBytes(StandardCharsets.ISO_8859_1)), "Squeeze int8 model");
        assertRefused(write("model.pt", new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0}), "zip");
        // Valid protobuf of another message: parses as a ModelProto with unknown fields only.
        byte[] entry = StringStringEntryProto.newBuilder().setKey("k").setValue("v").build().toByteArray();
        assertRefused(write("entry.onnx", entry), "no IR version");
        byte[] random = new byte[4096];
        new java.util.Random(1).nextBytes(random);
        assertRefused(write("random.onnx", random), "not");
        var e = assertThrows(UncheckedIOException.class, () -> OnnxFile.read(dir.resolve("missing.onnx")));
        assertTrue(e.getMessage().contains("missing.onnx") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    /** {@code <repo>/../shared/models/resnet18-cifar10.onnx}, where the project's shared files are laid out. */
    static Path sharedResNet18() {
        Path repo = Path.of("").toAbsolutePath();
        if (repo.getFileName().toString().equals("toolkit")) repo = repo.getParent();
        return repo.resolveSibling("shared").resolve("models").resolve("resnet18-cifar10.onnx");
    }

    static String shape(ValueInfoProto v) {
        return v.getType().getTensorType().getShape().getDimList().stream()
                .map(d -> d.getValueCase() == TensorShapeProto.Dimension.ValueCase.DIM_PARAM ? d.getDimParam() : Long.toString(d.getDimValue()))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /**
     * The pretrained ResNet18 the importer will map onto Squeeze's layers (skipped where {@code ../shared}
     * is not laid out): torchvision's names on nodes and initializers, Conv and BatchNormalization apart.
     */
    @Test
    void readsThePretrainedResNet18() {
        Path f = sharedResNet18();
        Assumptions.assumeTrue(Files.isRegularFile(f), "no " + f);
        ModelProto m = OnnxFile.read(f);
        var g = m.getGraph();
        Map<String, Long> ops = g.getNodeList().stream().collect(Collectors.groupingBy(NodeProto::getOpType, TreeMap::new, Collectors.counting()));
        System.out.println("[onnx-file] " + f + ": ir_version " + m.getIrVersion() + ", producer '" + m.getProducerName() + "' '" + m.getProducerVersion()
                + "', opsets " + m.getOpsetImportList().stream().map(o -> "'" + o.getDomain() + "' " + o.getVersion()).toList());
        System.out.println("[onnx-file]   graph " + g.getName() + ": " + g.getNodeCount() + " nodes " + ops);
        g.getInputList().forEach(v -> System.out.println("[onnx-file]   input " + v.getName() + " " + Onnx.typeName(v.getType().getTensorType().getElemType()) + " " + shape(v)));
        g.getOutputList().forEach(v -> System.out.println("[onnx-file]   output " + v.getName() + " " + Onnx.typeName(v.getType().getTensorType().getElemType()) + " " + shape(v)));
        System.out.println("[onnx-file]   " + g.getInitializerCount() + " initializers: " + g.getInitializerList().stream().limit(12).map(TensorProto::getName).toList() + " ...");
        for (StringStringEntryProto e : m.getMetadataPropsList()) System.out.println("[onnx-file]   metadata " + e.getKey() + " = " + e.getValue());

        assertEquals(13L, m.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty()).findFirst().orElseThrow().getVersion());
        assertEquals(Map.of("Add", 8L, "BatchNormalization", 20L, "Conv", 20L, "Flatten", 1L, "Gemm", 1L, "GlobalAveragePool", 1L, "Relu", 17L), ops);
        assertEquals(List.of("input"), g.getInputList().stream().map(ValueInfoProto::getName).toList());
        assertEquals("[batch, 3, 32, 32]", shape(g.getInput(0)));
        assertEquals(List.of("logits"), g.getOutputList().stream().map(ValueInfoProto::getName).toList());
        assertEquals("[batch, 10]", shape(g.getOutput(0)));
        // torchvision's state_dict names: conv1, bn1, layerL.B.{conv1,bn1,conv2,bn2,downsample.0,downsample.1}, fc
        String names = "(conv1|bn1|fc|layer[1-4]\\.[01]\\.(conv[12]|bn[12]|downsample\\.[01]))\\.(weight|bias|running_mean|running_var)";
        assertEquals(102, g.getInitializerCount());
        for (TensorProto t : g.getInitializerList()) {
            assertTrue(t.getName().matches(names), t.getName());
            assertEquals(Onnx.FLOAT, t.getDataType(), t.getName());
            assertTrue(t.hasRawData(), t.getName() + " keeps its values in raw_data");
        }
        long params = g.getInitializerList().stream().filter(t -> !t.getName().contains("running_"))
                .mapToLong(t -> t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b)).sum();
        assertEquals(11_173_962, params, "trainable parameters, as resnet18-cifar10.json says");
    }
}
