package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.export.Onnx.Attr;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Layer.*;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.onnx.proto.AttributeProto;
import dev.squeeze.onnx.proto.ModelProto;
import dev.squeeze.onnx.proto.StringStringEntryProto;
import dev.squeeze.onnx.proto.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OnnxImport}: Squeeze's own fp32 exports import back to the same architecture, weights and
 * logits (bit for bit); hand-built graphs in the forms other exporters write (Gemm transB 0,
 * MatMul + Add, Reshape, Constant nodes, grouped conv with bias) agree with ONNX Runtime; unsupported
 * ops, wrong weight shapes, external data and other BatchNorm ε are refused with one clear error.
 */
class OnnxImportTest {
    @TempDir Path dir;

    private static float[] input(Architecture a, int batch, long seed) {
        int[] in = a.inputShape();
        return ExportFixtures.randomInput(batch * in[0] * in[1] * in[2], seed);
    }

    /** Export → import: same architecture (name included), same parameters, identical logits. */
    private void roundTrip(Network net, int batch) {
        Path f = OnnxExport.fp32(net, dir.resolve(net.architecture().name() + ".onnx"));
        assertEquals(net.architecture(), OnnxImport.readArchitecture(f));
        try (Network back = OnnxImport.load(f)) {
            assertEquals(net.architecture(), back.architecture());
            List<NamedTensor> a = net.parameters(), b = back.parameters();
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.get(i).name(), b.get(i).name());
                assertEquals(a.get(i).type(), b.get(i).type());
                assertArrayEquals(a.get(i).values(), b.get(i).values(), 0f, a.get(i).name());
            }
            float[] x = input(net.architecture(), batch, 5);
            float[] want = net.logits(x, batch), got = back.logits(x, batch);
            assertArrayEquals(want, got, 0f, net.architecture().name() + ": logits after the round trip");
            // Provenance: the exporter's provenance.<key> come back as <key>, plus where they came from.
            net.provenance().forEach((k, v) -> assertEquals(v, back.provenance().get(k), k));
            assertEquals(f.getFileName().toString(), back.provenance().get("source"));
            assertEquals(OnnxImport.sha256(OnnxImport.readBytes(f)), back.provenance().get("source_sha256"));
            assertFalse(back.provenance().containsKey("squeeze.format"));
        }
    }

    @Test
    void everyZooModelRoundTripsToIdenticalLogits() {
        for (String name : Zoo.NAMES) {
            int[] in = name.startsWith("keras") ? new int[] {1, 28, 28} : new int[] {3, 32, 32};
            try (Network net = ExportFixtures.network(Zoo.get(name, in, 10), 3)) {
                net.provenance().put("note", "round trip of " + name);
                roundTrip(net, name.equals("resnet18") || name.equals("keras-teacher") ? 2 : 4);
            }
        }
    }

    @Test
    void everyLayerKindRoundTrips() {
        // conv (grouped, depthwise), BN, ReLU, LeakyReLU, max pool with padding, avg pool with padding,
        // identity and projection residuals, global pool, flatten, linear
        try (Network net = ExportFixtures.network(ExportFixtures.tinyResNet(), 7)) {
            roundTrip(net, 3);
        }
        try (Network net = ExportFixtures.network(dev.squeeze.quant.Int8Fixtures.tinyResNet(8, new AvgPool(2, 2, 0)), 8)) {
            roundTrip(net, 2);
        }
        // a residual inside a residual body, and a linear without bias
        Architecture nested = new Architecture("nested", new int[] {2, 6, 6}, List.of(
                new Conv2d(2, 4, 3, 1, 1, 1, true),
                new Residual(List.of(new Relu(), new Residual(List.of(new Conv2d(4, 4, 1, 1, 0, 1, false), new BatchNorm(4)), List.of()),
                        new Conv2d(4, 4, 3, 1, 1, 2, true)), List.of()),
                new GlobalAvgPool(), new Flatten(), new Linear(4, 3, false)));
        try (Network net = ExportFixtures.network(nested, 9)) {
            roundTrip(net, 2);
        }
        // hard-swish, ReLU6, a concat of an identity, a sliced and a conv branch, a 4-group shuffle
        try (Network net = ExportFixtures.network(OnnxExportFp32Test.mixedBranches(), 10)) {
            roundTrip(net, 2);
        }
    }

    /** Weights follow the graph's edges, not the file's order: reversed initializers import to the same logits. */
    @Test
    void weightsAreBoundByTheGraphNotByFileOrder() throws Exception {
        try (Network net = ExportFixtures.network(ExportFixtures.tinyResNet(), 11)) {
            ModelProto m = OnnxFile.read(OnnxExport.fp32(net, dir.resolve("ordered.onnx")));
            List<TensorProto> inits = new ArrayList<>(m.getGraph().getInitializerList());
            java.util.Collections.reverse(inits);
            ModelProto shuffled = m.toBuilder().setGraph(m.getGraph().toBuilder().clearInitializer().addAllInitializer(inits)).build();
            Path f = write("reversed.onnx", shuffled);
            try (Network back = OnnxImport.load(f)) {
                float[] x = input(net.architecture(), 2, 12);
                assertArrayEquals(net.logits(x, 2), back.logits(x, 2), 0f);
            }
        }
    }

    // ---- hand-built graphs in other exporters' forms ----------------------------------------------

    /** The imported network's logits equal ONNX Runtime's on the same file within 1e-5. */
    private static void assertImportMatchesOrt(Path f, float[] x, int batch, int[] chw, String what) throws Exception {
        try (Network net = OnnxImport.load(f); Ort ort = new Ort(f)) {
            float[] want = ort.run(x, batch, chw[0], chw[1], chw[2]);
            float[] got = net.logits(x, batch);
            double worst = 0;
            for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
            System.out.println("[onnx-import] " + what + ": max |squeeze - ort| = " + worst);
            assertTrue(worst < 1e-5, "max difference " + worst);
        }
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() - 0.5);
        return v;
    }

    private static float[] positive(int n, long seed) {
        float[] v = random(n, seed);
        for (int i = 0; i < n; i++) v[i] = 0.5f + Math.abs(v[i]);
        return v;
    }

    private static ModelProto model(Onnx.Graph g, Map<String, String> meta) {
        return Onnx.model(g, Map.of("", 13L), "test", "", meta);
    }

    private Path write(String name, ModelProto m) throws Exception {
        return Files.write(dir.resolve(name), m.toByteArray());
    }

    private static Onnx.Graph graph(String name, long c, long h, long w) {
        Onnx.Graph g = new Onnx.Graph(name);
        g.input(Onnx.valueInfo("input", Onnx.FLOAT, List.of("batch", c, h, w)));
        return g;
    }

    /**
     * The forms PyTorch and other exporters write: grouped conv with bias, BN, LeakyReLU with its default
     * alpha, AveragePool, Reshape [0, -1] fed by a Constant node, Gemm transB 0, MatMul + Add, a
     * projection shortcut listed first in the Add; imported logits equal ONNX Runtime's.
     */
    @Test
    void otherExportersFormsMatchOnnxRuntime() throws Exception {
        Onnx.Graph g = graph("others", 4, 8, 8);
        g.initializer(Onnx.floats("c1.w", new long[] {8, 2, 3, 3}, random(8 * 2 * 9, 1)));
        g.initializer(Onnx.floats("c1.b", new long[] {8}, random(8, 2)));
        g.op("Conv", "c1", List.of("input", "c1.w", "c1.b"), "c1", Attr.ints("kernel_shape", 3, 3), Attr.ints("pads", 1, 1, 1, 1), Attr.i("group", 2));
        g.initializer(Onnx.floats("bn.s", new long[] {8}, positive(8, 3)));
        g.initializer(Onnx.floats("bn.b", new long[] {8}, random(8, 4)));
        g.initializer(Onnx.floats("bn.m", new long[] {8}, random(8, 5)));
        g.initializer(Onnx.floats("bn.v", new long[] {8}, positive(8, 6)));
        g.op("BatchNormalization", "bn", List.of("c1", "bn.s", "bn.b", "bn.m", "bn.v"), "bn", Attr.f("epsilon", 1e-5f), Attr.f("momentum", 0.9f));
        g.op("LeakyRelu", "lrelu", List.of("bn"), "lrelu");
        // residual: shortcut (1x1 conv, stride 2) is the Add's first input, body (two convs) second
        g.initializer(Onnx.floats("sc.w", new long[] {8, 8, 1, 1}, random(64, 7)));
        g.op("Conv", "sc", List.of("lrelu", "sc.w"), "sc", Attr.ints("strides", 2, 2));
        g.initializer(Onnx.floats("b1.w", new long[] {8, 8, 3, 3}, random(8 * 8 * 9, 8)));
        g.op("Conv", "b1", List.of("lrelu", "b1.w"), "b1", Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1));
        g.op("Relu", "b1.relu", List.of("b1"), "b1.relu");
        g.initializer(Onnx.floats("b2.w", new long[] {8, 8, 3, 3}, random(8 * 8 * 9, 9)));
        g.op("Conv", "b2", List.of("b1.relu", "b2.w"), "b2", Attr.ints("pads", 1, 1, 1, 1));
        g.op("Add", "add", List.of("sc", "b2"), "add");
        g.op("AveragePool", "pool", List.of("add"), "pool", Attr.ints("kernel_shape", 2, 2), Attr.ints("strides", 2, 2));
        g.node("Constant", "shape", List.of(), List.of("flat.shape"), List.of(AttributeProto.newBuilder().setName("value")
                .setType(AttributeProto.AttributeType.TENSOR).setT(Onnx.int64s("", new long[] {2}, new long[] {0, -1})).build()), "");
        g.op("Reshape", "flat", List.of("pool", "flat.shape"), "flat");
        g.initializer(Onnx.floats("fc1.w", new long[] {32, 6}, random(32 * 6, 10))); // [in, out]: transB 0
        g.initializer(Onnx.floats("fc1.b", new long[] {6}, random(6, 11)));
        g.op("Gemm", "fc1", List.of("flat", "fc1.w", "fc1.b"), "fc1");
        g.op("Relu", "fc1.relu", List.of("fc1"), "fc1.relu");
        g.initializer(Onnx.floats("fc2.w", new long[] {6, 3}, random(18, 12)));
        g.initializer(Onnx.floats("fc2.b", new long[] {3}, random(3, 13)));
        g.op("MatMul", "fc2", List.of("fc1.relu", "fc2.w"), "fc2.mm");
        g.op("Add", "fc2.add", List.of("fc2.mm", "fc2.b"), "logits");
        g.output(Onnx.valueInfo("logits", Onnx.FLOAT, List.of("batch", 3L)));
        Path f = write("others.onnx", model(g, Map.of()));

        Architecture a = OnnxImport.readArchitecture(f);
        assertEquals(List.of(new Conv2d(4, 8, 3, 1, 1, 2, true), new BatchNorm(8), new LeakyRelu(0.01f),
                new Residual(List.of(new Conv2d(8, 8, 3, 2, 1, 1, false), new Relu(), new Conv2d(8, 8, 3, 1, 1, 1, false)),
                        List.of(new Conv2d(8, 8, 1, 2, 0, 1, false))),
                new AvgPool(2, 2, 0), new Flatten(), new Linear(32, 6, true), new Relu(), new Linear(6, 3, true)), a.layers());
        assertEquals("others", a.name(), "the graph name when the file has no squeeze.architecture");
        int batch = 3;
        float[] x = input(a, batch, 21);
        assertImportMatchesOrt(f, x, batch, new int[] {4, 8, 8}, "other exporters' forms");
    }

    @Test
    void metadataBecomesProvenance() throws Exception {
        Onnx.Graph g = graph("meta", 1, 2, 2);
        g.op("Flatten", "flat", List.of("input"), "flat", Attr.i("axis", 1));
        g.initializer(Onnx.floats("w", new long[] {2, 4}, random(8, 1)));
        g.op("Gemm", "fc", List.of("flat", "w"), "y", Attr.i("transB", 1));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, List.of("batch", 2L)));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("squeeze.format", "fp32");
        meta.put("squeeze.architecture", "tiny-fc");
        meta.put("provenance.train_seed", "42");
        meta.put("trained_by", "someone else");
        Path f = write("meta.onnx", model(g, meta));
        try (Network net = OnnxImport.load(f)) {
            assertEquals("tiny-fc", net.architecture().name());
            assertEquals(List.of("train_seed", "trained_by", "source", "source_sha256", "source_producer"), List.copyOf(net.provenance().keySet()));
            assertEquals("42", net.provenance().get("train_seed"));
            assertEquals("someone else", net.provenance().get("trained_by"));
            assertEquals("meta.onnx", net.provenance().get("source"));
            assertEquals(64, net.provenance().get("source_sha256").length());
        }
        try (Network net = OnnxImport.load(f, "renamed")) {
            assertEquals("renamed", net.architecture().name());
        }
    }

    // ---- refusals ---------------------------------------------------------------------------------

    private IllegalArgumentException refused(String name, ModelProto m, String... expected) throws Exception {
        Path f = write(name, m);
        var e = assertThrows(IllegalArgumentException.class, () -> OnnxImport.readArchitecture(f));
        System.out.println("[onnx-import] " + e.getMessage());
        assertTrue(e.getMessage().contains(name), "names the file: " + e.getMessage());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "says '" + s + "': " + e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OnnxImport.load(f));
        return e;
    }

    /** x → Conv(4→4) → op → Flatten → Gemm; {@code op} is inserted by the caller. */
    private static Onnx.Graph convThen(String opType, String nodeName, List<AttributeProto> attrs, List<String> extraInputs) {
        Onnx.Graph g = graph("unsupported", 4, 4, 4);
        g.initializer(Onnx.floats("c.w", new long[] {4, 4, 1, 1}, random(16, 1)));
        g.op("Conv", "c", List.of("input", "c.w"), "c");
        List<String> in = new ArrayList<>(List.of("c"));
        in.addAll(extraInputs);
        g.node(opType, nodeName, in, List.of("op"), attrs, "");
        g.op("Flatten", "flat", List.of("op"), "flat");
        g.initializer(Onnx.floats("w", new long[] {2, 64}, random(128, 2)));
        g.op("Gemm", "fc", List.of("flat", "w"), "y", Attr.i("transB", 1));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, List.of("batch", 2L)));
        return g;
    }

    @Test
    void unsupportedOpsAreOneErrorNamingNodeOpAndTheSupportedSet() throws Exception {
        refused("softmax.onnx", model(convThen("Softmax", "head/softmax", List.of(Attr.i("axis", 1)), List.of()), Map.of()),
                "node 'head/softmax'", "op type Softmax", "Supported ops: Conv, BatchNormalization, Relu", "Gemm, MatMul, Add");
        refused("topk.onnx", model(convThen("TopK", "top", List.of(), List.of()), Map.of()), "node 'top'", "op type TopK",
                "Supported ops:", "Clip, HardSwish", "Concat, Split, Slice");
        refused("dropout.onnx", model(convThen("Dropout", "/drop/Dropout", List.of(), List.of()), Map.of()), "node '/drop/Dropout'",
                "op type Dropout", "training-mode export", "model.eval()");
        Onnx.Graph g = graph("custom", 4, 4, 4);
        g.node("MyOp", "mine", List.of("input"), List.of("y"), List.of(), "com.example");
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        refused("domain.onnx", model(g, Map.of()), "node 'mine'", "com.example::MyOp");
    }

    @Test
    void unsupportedAttributesAreRefused() throws Exception {
        refused("bn-eps.onnx", model(bnGraph(1e-3f, 4), Map.of()), "node 'bn'", "epsilon 0.001", "1e-5");
        refused("max-ceil.onnx", model(convThen("MaxPool", "pool", List.of(Attr.ints("kernel_shape", 2, 2), Attr.i("ceil_mode", 1)),
                List.of()), Map.of()), "node 'pool'", "ceil_mode");
        refused("pads.onnx", model(convThen("AveragePool", "pool", List.of(Attr.ints("kernel_shape", 3, 3), Attr.ints("pads", 0, 0, 1, 1)),
                List.of()), Map.of()), "node 'pool'", "pads [0, 0, 1, 1]");
    }

    private static Onnx.Graph bnGraph(float eps, int scaleSize) {
        Onnx.Graph g = graph("bn", 4, 4, 4);
        g.initializer(Onnx.floats("c.w", new long[] {4, 4, 1, 1}, random(16, 1)));
        g.op("Conv", "c", List.of("input", "c.w"), "c");
        g.initializer(Onnx.floats("bn.s", new long[] {scaleSize}, positive(scaleSize, 3)));
        for (String p : List.of("bn.b", "bn.m", "bn.v")) g.initializer(Onnx.floats(p, new long[] {4}, positive(4, 4)));
        g.op("BatchNormalization", "bn", List.of("c", "bn.s", "bn.b", "bn.m", "bn.v"), "bn", Attr.f("epsilon", eps));
        g.op("GlobalAveragePool", "gap", List.of("bn"), "gap");
        g.op("Flatten", "flat", List.of("gap"), "flat");
        g.initializer(Onnx.floats("w", new long[] {2, 4}, random(8, 2)));
        g.op("Gemm", "fc", List.of("flat", "w"), "y", Attr.i("transB", 1));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, List.of("batch", 2L)));
        return g;
    }

    @Test
    void weightShapeMismatchesNameTheTensorAndBothShapes() throws Exception {
        refused("bn-scale.onnx", model(bnGraph(1e-5f, 5), Map.of()), "node 'bn'", "scale 'bn.s' of shape [5]", "needs [4]");
        Onnx.Graph g = graph("fc", 1, 2, 2);
        g.op("Flatten", "flat", List.of("input"), "flat");
        g.initializer(Onnx.floats("w", new long[] {3, 5}, random(15, 2)));
        g.op("Gemm", "fc", List.of("flat", "w"), "y", Attr.i("transB", 1));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, List.of("batch", 3L)));
        refused("fc-weight.onnx", model(g, Map.of()), "node 'fc'", "weight 'w' of shape [3, 5]", "needs [3, 4]");
        // a conv whose weight expects other input channels than the tensor it gets
        Onnx.Graph c = graph("conv", 3, 4, 4);
        c.initializer(Onnx.floats("c.w", new long[] {4, 2, 3, 3}, random(72, 1)));
        c.op("Conv", "c", List.of("input", "c.w"), "y");
        c.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        refused("conv-weight.onnx", model(c, Map.of()), "node 'c'", "'c.w' of shape [4, 2, 3, 3]", "[4, 3, 3, 3]");
        // the declared output shape must be the computed one
        Onnx.Graph o = graph("out", 1, 2, 2);
        o.op("Flatten", "flat", List.of("input"), "flat");
        o.initializer(Onnx.floats("w", new long[] {3, 4}, random(12, 2)));
        o.op("Gemm", "fc", List.of("flat", "w"), "y", Attr.i("transB", 1));
        o.output(Onnx.valueInfo("y", Onnx.FLOAT, List.of("batch", 10L)));
        refused("out-shape.onnx", model(o, Map.of()), "declared [N, 10]", "compute [N, 3]");
    }

    @Test
    void externalDataIsRefused() throws Exception {
        ModelProto m = model(bnGraph(1e-5f, 4), Map.of());
        var gb = m.getGraph().toBuilder();
        TensorProto w = gb.getInitializer(0);
        gb.setInitializer(0, w.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin")));
        refused("external.onnx", m.toBuilder().setGraph(gb).build(), "tensor 'c.w'", "external file ('weights.bin')", "self-contained");
    }

    @Test
    void graphsTheTreeCannotExpressAreRefused() throws Exception {
        // a tensor feeding three nodes
        Onnx.Graph g = graph("three", 2, 2, 2);
        g.op("Relu", "a", List.of("input"), "a");
        g.op("Relu", "b", List.of("input"), "b");
        g.op("Relu", "c", List.of("input"), "c");
        g.op("Add", "ab", List.of("a", "b"), "ab");
        g.op("Add", "abc", List.of("ab", "c"), "y");
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        refused("three.onnx", model(g, Map.of()), "3 branches forking at tensor 'input' do not meet in one Add or Concat",
                "Add 'ab'", "Add 'abc'");
        // an Int8 QDQ export is not an fp32 model
        Onnx.Graph q = graph("q", 1, 2, 2);
        q.op("Relu", "r", List.of("input"), "y");
        q.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        refused("qdq.onnx", model(q, Map.of("squeeze.format", "int8-qdq")), "int8-qdq", "only fp32");
    }

    // ---- MobileNetV2 / ShuffleNetV2 ops in other exporters' forms -----------------------------------

    private static void constant(Onnx.Graph g, String name, TensorProto t) {
        g.node("Constant", name, List.of(), List.of(name), List.of(AttributeProto.newBuilder().setName("value")
                .setType(AttributeProto.AttributeType.TENSOR).setT(t).build()), "");
    }

    /** Conv + BN (no bias) named {@code p}, from {@code x}: {@code in → out}, kernel k, stride, groups. */
    private static String convBn(Onnx.Graph g, String p, String x, int in, int out, int k, int stride, int groups, long seed) {
        g.initializer(Onnx.floats(p + ".w", new long[] {out, in / groups, k, k}, random(out * (in / groups) * k * k, seed)));
        g.op("Conv", p, List.of(x, p + ".w"), p, Attr.ints("kernel_shape", k, k), Attr.ints("strides", stride, stride),
                Attr.ints("pads", k / 2, k / 2, k / 2, k / 2), Attr.i("group", groups));
        g.initializer(Onnx.floats(p + ".bn.s", new long[] {out}, positive(out, seed + 1)));
        g.initializer(Onnx.floats(p + ".bn.b", new long[] {out}, random(out, seed + 2)));
        g.initializer(Onnx.floats(p + ".bn.m", new long[] {out}, random(out, seed + 3)));
        g.initializer(Onnx.floats(p + ".bn.v", new long[] {out}, positive(out, seed + 4)));
        return g.op("BatchNormalization", p + ".bn", List.of(p, p + ".bn.s", p + ".bn.b", p + ".bn.m", p + ".bn.v"), p + ".bn");
    }

    /** Reshape [-1, g, C/g, H, W] → Transpose [0, 2, 1, 3, 4] → Reshape [-1, C, H, W] (torchvision's shuffle at a fixed size). */
    private static String shuffle(Onnx.Graph g, String p, String x, long groups, long c, long h, long w) {
        g.initializer(Onnx.int64s(p + ".s1", new long[] {5}, new long[] {-1, groups, c / groups, h, w}));
        g.initializer(Onnx.int64s(p + ".s2", new long[] {4}, new long[] {-1, c, h, w}));
        g.op("Reshape", p + ".r1", List.of(x, p + ".s1"), p + ".r1");
        g.op("Transpose", p + ".t", List.of(p + ".r1"), p + ".t", Attr.ints("perm", 0, 2, 1, 3, 4));
        return g.op("Reshape", p + ".r2", List.of(p + ".t", p + ".s2"), p + ".r2");
    }

    /**
     * ShuffleNetV2 units as PyTorch writes them: a {@code Split} on channels, a {@code Concat} whose
     * inputs are listed in another order than the graph creates the branches, the batch as -1 in the
     * shuffle's reshapes, a downsampling unit without a split, a split by two {@code Slice}s (the end as
     * INT64_MAX), ReLU6 as {@code Clip} with {@code Constant} bounds, hard-swish as
     * {@code Mul(x, HardSigmoid(x))} and as {@code HardSwish}; imported logits equal ONNX Runtime's.
     */
    @Test
    void shuffleNetAndMobileNetFormsMatchOnnxRuntime() throws Exception {
        Onnx.Graph g = graph("units", 8, 8, 8);
        String x = convBn(g, "stem", "input", 8, 8, 3, 1, 1, 100);
        x = g.op("Relu", "stem.relu", List.of(x), "stem.relu");
        // unit 1: x1, x2 = split(x); cat(x1, branch2(x2)); shuffle
        g.initializer(Onnx.int64s("u1.split", new long[] {2}, new long[] {4, 4}));
        g.node("Split", "u1.split", List.of(x, "u1.split"), List.of("u1.x1", "u1.x2"), List.of(Attr.i("axis", 1)), "");
        String b = convBn(g, "u1.b2.c1", "u1.x2", 4, 4, 1, 1, 1, 110);
        b = g.op("Relu", "u1.b2.relu", List.of(b), "u1.b2.relu");
        b = convBn(g, "u1.b2.c2", b, 4, 4, 3, 1, 4, 120);
        x = g.op("Concat", "u1.cat", List.of("u1.x1", b), "u1.cat", Attr.i("axis", 1));
        x = shuffle(g, "u1.shuffle", x, 2, 8, 8, 8);
        // unit 2 (stride 2, no split): the Concat lists branch 2 first although branch 1's nodes come first
        String b1 = convBn(g, "u2.b1.dw", x, 8, 8, 3, 2, 8, 130);
        String b2 = convBn(g, "u2.b2.c1", x, 8, 8, 1, 2, 1, 140);
        b2 = g.op("Relu", "u2.b2.relu", List.of(b2), "u2.b2.relu");
        x = g.op("Concat", "u2.cat", List.of(b2, b1), "u2.cat", Attr.i("axis", -3));
        x = shuffle(g, "u2.shuffle", x, 4, 16, 4, 4);
        // hard-swish as x · HardSigmoid(x)
        String hs = g.op("HardSigmoid", "hsig", List.of(x), "hsig", Attr.f("alpha", 1f / 6), Attr.f("beta", 0.5f));
        x = g.op("Mul", "hswish", List.of(x, hs), "hswish");
        // unit 3: split by Slice, the second slice to INT64_MAX
        for (String[] sl : new String[][] {{"u3.s1", "0", "8"}, {"u3.s2", "8", Long.toString(Long.MAX_VALUE)}}) {
            g.initializer(Onnx.int64s(sl[0] + ".starts", new long[] {1}, new long[] {Long.parseLong(sl[1])}));
            g.initializer(Onnx.int64s(sl[0] + ".ends", new long[] {1}, new long[] {Long.parseLong(sl[2])}));
            g.initializer(Onnx.int64s(sl[0] + ".axes", new long[] {1}, new long[] {1}));
            g.op("Slice", sl[0], List.of(x, sl[0] + ".starts", sl[0] + ".ends", sl[0] + ".axes"), sl[0]);
        }
        b = convBn(g, "u3.b2.c1", "u3.s2", 8, 8, 1, 1, 1, 150);
        constant(g, "clip.min", Onnx.floats("", new long[0], new float[] {0f}));
        constant(g, "clip.max", Onnx.floats("", new long[0], new float[] {6f}));
        b = g.op("Clip", "u3.b2.relu6", List.of(b, "clip.min", "clip.max"), "u3.b2.relu6");
        x = g.op("Concat", "u3.cat", List.of("u3.s1", b), "u3.cat", Attr.i("axis", 1));
        x = g.op("HardSwish", "head.hswish", List.of(x), "head.hswish");
        x = g.op("GlobalAveragePool", "gap", List.of(x), "gap");
        x = g.op("Flatten", "flat", List.of(x), "flat");
        g.initializer(Onnx.floats("fc.w", new long[] {3, 16}, random(48, 160)));
        g.initializer(Onnx.floats("fc.b", new long[] {3}, random(3, 161)));
        g.op("Gemm", "fc", List.of(x, "fc.w", "fc.b"), "logits", Attr.i("transB", 1));
        g.output(Onnx.valueInfo("logits", Onnx.FLOAT, List.of("batch", 3L)));
        Path f = write("units.onnx", Onnx.model(g, Map.of("", 14L), "test", "", Map.of()));

        Architecture a = OnnxImport.readArchitecture(f);
        assertEquals(List.of(new Conv2d(8, 8, 3, 1, 1, 1, false), new BatchNorm(8), new Relu(),
                new Concat(List.of(List.of(new ChannelSlice(0, 4)), List.of(new ChannelSlice(4, 8), new Conv2d(4, 4, 1, 1, 0, 1, false),
                        new BatchNorm(4), new Relu(), new Conv2d(4, 4, 3, 1, 1, 4, false), new BatchNorm(4)))),
                new ChannelShuffle(2),
                new Concat(List.of(List.of(new Conv2d(8, 8, 1, 2, 0, 1, false), new BatchNorm(8), new Relu()),
                        List.of(new Conv2d(8, 8, 3, 2, 1, 8, false), new BatchNorm(8)))),
                new ChannelShuffle(4), new HardSwish(),
                new Concat(List.of(List.of(new ChannelSlice(0, 8)), List.of(new ChannelSlice(8, 16), new Conv2d(8, 8, 1, 1, 0, 1, false),
                        new BatchNorm(8), new Relu6()))),
                new HardSwish(), new GlobalAvgPool(), new Flatten(), new Linear(16, 3, true)), a.layers());
        int batch = 3;
        float[] in = input(a, batch, 22);
        assertImportMatchesOrt(f, in, batch, new int[] {8, 8, 8}, "ShuffleNet/MobileNet forms");
    }

    /** x → Conv(4→4) → fork into a 1×1 conv and the identity → {@code Concat(attrs)} → shuffle/flatten per caller. */
    private static Onnx.Graph concatGraph(List<AttributeProto> concatAttrs) {
        Onnx.Graph g = graph("cat", 4, 4, 4);
        g.initializer(Onnx.floats("c.w", new long[] {4, 4, 1, 1}, random(16, 1)));
        g.op("Conv", "c", List.of("input", "c.w"), "c");
        g.initializer(Onnx.floats("d.w", new long[] {4, 4, 1, 1}, random(16, 2)));
        g.op("Conv", "d", List.of("c", "d.w"), "d");
        g.node("Concat", "cat", List.of("c", "d"), List.of("cat"), concatAttrs, "");
        return g;
    }

    @Test
    void unsupportedFormsOfTheNewOpsAreOneErrorNamingTheNode() throws Exception {
        Onnx.Graph c = convThen("Clip", "relu4", List.of(), List.of("lo", "hi"));
        c.initializer(Onnx.floats("lo", new long[0], new float[] {0f}));
        c.initializer(Onnx.floats("hi", new long[0], new float[] {4f}));
        refused("clip-bounds.onnx", model(c, Map.of()), "node 'relu4' (Clip)", "clips to [0.0, 4.0]", "only as ReLU6, Clip(x, 0, 6)");
        c = convThen("Clip", "relu", List.of(), List.of("lo"));
        c.initializer(Onnx.floats("lo", new long[0], new float[] {0f}));
        refused("clip-open.onnx", model(c, Map.of()), "node 'relu' (Clip)", "clips to [0.0, Infinity]");
        // a Concat on another axis
        Onnx.Graph g = concatGraph(List.of(Attr.i("axis", 2)));
        g.output(Onnx.valueInfo("cat", Onnx.FLOAT, null));
        refused("cat-axis.onnx", model(g, Map.of()), "node 'cat' (Concat)", "axis 2", "on channels (axis 1)");
        // a shuffle whose Transpose swaps other axes
        g = concatGraph(List.of(Attr.i("axis", 1)));
        g.initializer(Onnx.int64s("s1", new long[] {5}, new long[] {0, 2, 4, 4, 4}));
        g.initializer(Onnx.int64s("s2", new long[] {4}, new long[] {0, 8, 4, 4}));
        g.op("Reshape", "r1", List.of("cat", "s1"), "r1");
        g.op("Transpose", "t", List.of("r1"), "t", Attr.ints("perm", 0, 1, 2, 4, 3));
        g.op("Reshape", "r2", List.of("t", "s2"), "y");
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        refused("shuffle-perm.onnx", model(g, Map.of()), "node 't' (Transpose)", "perm [0, 1, 2, 4, 3]",
                "Reshape [N, g, C/g, H, W] → Transpose perm [0, 2, 1, 3, 4] → Reshape [N, C, H, W]");
        // a 5-D reshape that is no shuffle, and a lone Transpose
        c = convThen("Reshape", "r", List.of(), List.of("s"));
        c.initializer(Onnx.int64s("s", new long[] {5}, new long[] {0, 4, 1, 4, 4}));
        refused("reshape5.onnx", model(c, Map.of()), "node 'r' (Reshape)", "is not followed by one Transpose");
        refused("transpose.onnx", model(convThen("Transpose", "t", List.of(Attr.ints("perm", 0, 1, 3, 2)), List.of()), Map.of()),
                "node 't' (Transpose)", "only inside the channel shuffle");
        // branches that end in different Concats
        g = graph("two-joins", 4, 4, 4);
        g.op("Relu", "a", List.of("input"), "a");
        g.op("Relu", "b", List.of("input"), "b");
        g.op("Concat", "cat1", List.of("a", "a"), "cat1", Attr.i("axis", 1));
        g.op("Concat", "cat2", List.of("cat1", "b"), "y", Attr.i("axis", 1));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        refused("two-joins.onnx", model(g, Map.of()), "2 branches forking at tensor 'input' do not meet", "Concat 'cat1'", "Concat 'cat2'");
        // a hard-sigmoid that is not PyTorch's
        g = graph("hsig", 4, 4, 4);
        g.op("HardSigmoid", "hsig", List.of("input"), "hsig", Attr.f("alpha", 0.2f));
        g.op("Mul", "mul", List.of("input", "hsig"), "y");
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        refused("hsig.onnx", model(g, Map.of()), "node 'hsig' (HardSigmoid)", "alpha 0.2", "alpha 1/6 and beta 0.5");
    }
}
