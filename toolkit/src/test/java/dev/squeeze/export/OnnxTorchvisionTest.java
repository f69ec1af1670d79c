package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.squeeze.export.Onnx.Attr;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Layer.*;
import dev.squeeze.model.Network;
import dev.squeeze.onnx.proto.AttributeProto;
import dev.squeeze.onnx.proto.ModelProto;
import dev.squeeze.onnx.proto.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OnnxImport} on ONNX files as PyTorch 1.13's {@code torch.onnx.export} writes them for
 * torchvision's MobileNetV2 and ShuffleNetV2 (committed fixtures from
 * {@code toolkit/scripts/peer/torchvision_onnx.py}: BN folded into conv biases, ReLU6 as Clip with
 * Constant bounds, {@code x.chunk} as Slices whose bounds are computed from Shape, the channel shuffle's
 * view sizes computed from Shape with a dynamic batch or folded to constants with a fixed one,
 * {@code x.mean([2, 3])} as ReduceMean): imported logits equal torch's within 1e-4. Then each new
 * pattern on hand-built graphs against ONNX Runtime, and the refusals of the forms Squeeze cannot read.
 */
class OnnxTorchvisionTest {
    @TempDir Path dir;

    /** The torch side of one export: the input batch and torch's logits on it. */
    record TorchRun(int[] inputShape, float[] input, float[] logits) {}

    static TorchRun torchRun(Path json) throws Exception {
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonArray shape = o.getAsJsonArray("input_shape");
        int[] s = new int[shape.size()];
        for (int i = 0; i < s.length; i++) s[i] = shape.get(i).getAsInt();
        return new TorchRun(s, floats(o.getAsJsonArray("input")), floats(o.getAsJsonArray("logits")));
    }

    private static float[] floats(JsonArray a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsFloat();
        return v;
    }

    /** Imports {@code onnx} and returns max |Squeeze − torch| over the logits of the batch in its .json. */
    static double maxDifferenceFromTorch(Path onnx) throws Exception {
        TorchRun run = torchRun(onnx.resolveSibling(onnx.getFileName().toString().replaceFirst("\\.onnx$", ".json")));
        try (Network net = OnnxImport.load(onnx)) {
            int batch = run.inputShape()[0];
            assertArrayEquals(new int[] {run.inputShape()[1], run.inputShape()[2], run.inputShape()[3]}, net.architecture().inputShape());
            float[] got = net.logits(run.input(), batch);
            assertEquals(run.logits().length, got.length, "logits per batch");
            double worst = 0;
            for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - run.logits()[i]));
            return worst;
        }
    }

    private static Path fixture(String name) throws Exception {
        var url = OnnxTorchvisionTest.class.getResource("/onnx/" + name);
        assertNotNull(url, "test resource onnx/" + name + " (written by toolkit/scripts/peer/torchvision_onnx.py --fixtures)");
        return Path.of(url.toURI());
    }

    private static void assertMatchesTorch(String file) throws Exception {
        double worst = maxDifferenceFromTorch(fixture(file));
        System.out.println("[onnx-torchvision] " + file + ": max |squeeze - torch| = " + worst);
        assertTrue(worst < 1e-4, file + ": max difference from torch's logits " + worst);
    }

    @Test
    void torchvisionMobileNetV2ExportMatchesTorch() throws Exception {
        String f = "mobilenet_v2_small-32-opset13-dynbatch.onnx";
        Architecture a = OnnxImport.readArchitecture(fixture(f));
        // features.0 (conv+BN folded, ReLU6), then inverted residuals; the stride-1 same-width ones are residual blocks
        assertEquals(new Conv2d(3, 16, 3, 2, 1, 1, true), a.layers().get(0));
        assertEquals(new Relu6(), a.layers().get(1));
        assertEquals(4, a.layers().stream().filter(l -> l instanceof Residual).count(), "features.3, .5, .6 and .8 add their input");
        assertEquals(List.of(new GlobalAvgPool(), new Flatten(), new Linear(1280, 10, true)), a.layers().subList(a.layers().size() - 3, a.layers().size()));
        assertMatchesTorch(f);
    }

    /** training=TrainingMode.PRESERVE on an eval-mode model keeps BatchNormalization: it imports as BatchNorm, to fine-tune. */
    @Test
    void torchvisionExportWithBatchNormKeptImportsBatchNorm() throws Exception {
        String f = "mobilenet_v2_small-32-opset13-dynbatch-keepbn.onnx";
        Architecture a = OnnxImport.readArchitecture(fixture(f));
        assertEquals(List.of(new Conv2d(3, 16, 3, 2, 1, 1, false), new BatchNorm(16), new Relu6()), a.layers().subList(0, 3));
        assertEquals(28, count(a.layers(), BatchNorm.class), "one BatchNorm per conv, as torchvision's model has");
        assertEquals(28, count(a.layers(), Conv2d.class));
        assertMatchesTorch(f);
    }

    /** Layers of {@code kind} in {@code layers}, inside residual bodies and shortcuts and concat branches too. */
    private static int count(List<Layer> layers, Class<? extends Layer> kind) {
        int n = 0;
        for (Layer l : layers) {
            if (kind.isInstance(l)) n++;
            if (l instanceof Residual r) n += count(r.body(), kind) + count(r.shortcut(), kind);
            if (l instanceof Concat c) for (List<Layer> b : c.branches()) n += count(b, kind);
        }
        return n;
    }

    @Test
    void torchvisionShuffleNetV2ExportsMatchTorch() throws Exception {
        // a dynamic batch: the shuffle's view sizes and the chunk's bounds are computed from Shape
        assertMatchesTorch("shufflenet_v2_small-32-opset13-dynbatch.onnx");
        // a fixed batch of 2: the shuffle's sizes are constants starting with that 2, the chunk's still computed
        String fixed = "shufflenet_v2_small-32-opset11.onnx";
        Architecture a = OnnxImport.readArchitecture(fixture(fixed));
        assertEquals(7 * 2, a.layers().stream().filter(l -> l instanceof Concat || l instanceof ChannelShuffle).count(),
                "7 units, each a concat of two branches and a shuffle");
        assertEquals(List.of(new GlobalAvgPool(), new Flatten(), new Linear(256, 10, true)), a.layers().subList(a.layers().size() - 3, a.layers().size()));
        assertMatchesTorch(fixed);
    }

    // ---- the patterns on hand-built graphs, against ONNX Runtime ---------------------------------------

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() - 0.5);
        return v;
    }

    private Path write(String name, Onnx.Graph g, long opset) throws Exception {
        return Files.write(dir.resolve(name), Onnx.model(g, Map.of("", opset), "test", "", Map.of()).toByteArray());
    }

    private static Onnx.Graph graph(String name, Object batch, long c, long h, long w) {
        Onnx.Graph g = new Onnx.Graph(name);
        g.input(Onnx.valueInfo("input", Onnx.FLOAT, List.of(batch, c, h, w)));
        return g;
    }

    private static String constant(Onnx.Graph g, String name, TensorProto t) {
        g.node("Constant", name, List.of(), List.of(name), List.of(AttributeProto.newBuilder().setName("value")
                .setType(AttributeProto.AttributeType.TENSOR).setT(t).build()), "");
        return name;
    }

    private static String scalar(Onnx.Graph g, String name, long v) { return constant(g, name, Onnx.int64s("", new long[0], new long[] {v})); }

    private static String vector(Onnx.Graph g, String name, long... v) { return constant(g, name, Onnx.int64s("", new long[] {v.length}, v)); }

    /** PyTorch's x.size(k) at opset 13: Shape → Gather(scalar k); returns the scalar. */
    private static String size(Onnx.Graph g, String p, String x, int k) {
        g.op("Shape", p + ".shape", List.of(x), p + ".shape");
        return g.op("Gather", p + ".gather", List.of(p + ".shape", scalar(g, p + ".k", k)), p + ".gather", Attr.i("axis", 0));
    }

    /** Unsqueeze(scalar, axes [0]) in the opset-13 form (axes as an input) or the opset-11 form (attribute). */
    private static String unsqueeze(Onnx.Graph g, String p, String x, boolean axesInput) {
        if (axesInput) return g.op("Unsqueeze", p, List.of(x, vector(g, p + ".axes", 0)), p);
        return g.op("Unsqueeze", p, List.of(x), p, Attr.ints("axes", 0));
    }

    /**
     * torchvision's channel_shuffle as PyTorch writes it with a dynamic batch: b, c, h, w = x.size();
     * x.view(b, g, c // g, h, w) (the sizes through Shape/Gather/Div/Cast/Unsqueeze/Concat),
     * transpose(1, 2), x.view(b, -1, h, w).
     */
    private static String shuffle(Onnx.Graph g, String p, String x, long groups, boolean axesInput) {
        String b = size(g, p + ".b", x, 0), c = size(g, p + ".c", x, 1), h = size(g, p + ".h", x, 2), w = size(g, p + ".w", x, 3);
        String cpg = g.op("Div", p + ".div", List.of(c, scalar(g, p + ".g", groups)), p + ".div");
        cpg = g.op("Cast", p + ".cast", List.of(cpg), p + ".cast", Attr.i("to", TensorProto.DataType.INT64_VALUE));
        String s1 = g.op("Concat", p + ".s1", List.of(unsqueeze(g, p + ".u0", b, axesInput), vector(g, p + ".gv", groups),
                unsqueeze(g, p + ".u1", cpg, axesInput), unsqueeze(g, p + ".u2", h, axesInput), unsqueeze(g, p + ".u3", w, axesInput)), p + ".s1",
                Attr.i("axis", 0));
        g.op("Reshape", p + ".r1", List.of(x, s1), p + ".r1");
        g.op("Transpose", p + ".t", List.of(p + ".r1"), p + ".t", Attr.ints("perm", 0, 2, 1, 3, 4));
        String s2 = g.op("Concat", p + ".s2", List.of(unsqueeze(g, p + ".u4", b, axesInput), vector(g, p + ".m1", -1),
                unsqueeze(g, p + ".u5", h, axesInput), unsqueeze(g, p + ".u6", w, axesInput)), p + ".s2", Attr.i("axis", 0));
        return g.op("Reshape", p + ".r2", List.of(p + ".t", s2), p + ".r2");
    }

    /** x.chunk(2, 1) as PyTorch 1.13 writes it: Slices whose bounds are ((C + 1) / 2) · {0, 1, 2} from Shape. */
    private static String[] chunk(Onnx.Graph g, String p, String x) {
        g.op("Shape", p + ".shape", List.of(x), p + ".shape");
        String one = vector(g, p + ".one", 1);
        String c = g.op("Gather", p + ".gather", List.of(p + ".shape", one), p + ".gather", Attr.i("axis", 0));
        String half = g.op("Div", p + ".div", List.of(g.op("Add", p + ".add", List.of(c, vector(g, p + ".one2", 1)), p + ".add"),
                vector(g, p + ".two", 2)), p + ".div");
        String mid = g.op("Mul", p + ".mul", List.of(half, vector(g, p + ".one3", 1)), p + ".mul");
        String end = g.op("Mul", p + ".mul2", List.of(half, vector(g, p + ".two2", 2)), p + ".mul2");
        String a = g.op("Slice", p + ".s0", List.of(x, vector(g, p + ".zero", 0), mid, one), p + ".s0");
        String b = g.op("Slice", p + ".s1", List.of(x, mid, end, one), p + ".s1");
        return new String[] {a, b};
    }

    private static String conv(Onnx.Graph g, String p, String x, int in, int out, int k, int groups, long seed) {
        g.initializer(Onnx.floats(p + ".w", new long[] {out, in / groups, k, k}, random(out * (in / groups) * k * k, seed)));
        g.initializer(Onnx.floats(p + ".b", new long[] {out}, random(out, seed + 1)));
        return g.op("Conv", p, List.of(x, p + ".w", p + ".b"), p, Attr.ints("kernel_shape", k, k), Attr.ints("pads", k / 2, k / 2, k / 2, k / 2),
                Attr.i("group", groups));
    }

    /**
     * One ShuffleNetV2 unit with every computed shape (the chunk's Slice bounds, the shuffle's view
     * sizes), in the opset-13 form and the opset-11 form, then {@code x.mean([2, 3])} as ReduceMean
     * (keepdims 0) and a Linear, or ReduceMean keepdims 1 and a Reshape to {@code [N, -1]} whose shape is
     * computed from Shape; imported logits equal ONNX Runtime's.
     */
    @Test
    void computedShapesMatchOnnxRuntime() throws Exception {
        for (long opset : new long[] {13, 11}) {
            for (boolean keepdims : new boolean[] {false, true}) {
                boolean v13 = opset >= 13;
                Onnx.Graph g = graph("computed", "batch", 8, 6, 6);
                String x = conv(g, "stem", "input", 8, 8, 3, 1, 1);
                x = g.op("Relu", "stem.relu", List.of(x), "stem.relu");
                String[] halves = chunk(g, "chunk", x);
                String b = conv(g, "b2.c1", halves[1], 4, 4, 1, 1, 10);
                b = g.op("Relu", "b2.relu", List.of(b), "b2.relu");
                b = conv(g, "b2.dw", b, 4, 4, 3, 4, 20);
                x = g.op("Concat", "cat", List.of(halves[0], b), "cat", Attr.i("axis", 1));
                x = shuffle(g, "shuffle", x, 2, v13);
                if (!keepdims) {
                    x = g.op("ReduceMean", "mean", List.of(x), "mean", Attr.ints("axes", 2, 3), Attr.i("keepdims", 0));
                } else {
                    x = g.op("ReduceMean", "mean", List.of(x), "mean", Attr.ints("axes", -1, -2));
                    // x.view(x.size(0), -1)
                    String n = size(g, "flat.n", x, 0);
                    String s = g.op("Concat", "flat.shape", List.of(unsqueeze(g, "flat.u", n, v13), vector(g, "flat.m1", -1)), "flat.shape",
                            Attr.i("axis", 0));
                    x = g.op("Reshape", "flat", List.of(x, s), "flat");
                }
                g.initializer(Onnx.floats("fc.w", new long[] {3, 8}, random(24, 30)));
                g.initializer(Onnx.floats("fc.b", new long[] {3}, random(3, 31)));
                g.op("Gemm", "fc", List.of(x, "fc.w", "fc.b"), "logits", Attr.i("transB", 1));
                g.output(Onnx.valueInfo("logits", Onnx.FLOAT, List.of("batch", 3L)));
                String what = "opset " + opset + (keepdims ? ", keepdims + computed flatten" : ", keepdims 0");
                Path f = write("computed-" + opset + "-" + keepdims + ".onnx", g, opset);

                Architecture a = OnnxImport.readArchitecture(f);
                List<Layer> want = new ArrayList<>(List.of(new Conv2d(8, 8, 3, 1, 1, 1, true), new Relu(),
                        new Concat(List.of(List.of(new ChannelSlice(0, 4)), List.of(new ChannelSlice(4, 8), new Conv2d(4, 4, 1, 1, 0, 1, true),
                                new Relu(), new Conv2d(4, 4, 3, 1, 1, 4, true)))),
                        new ChannelShuffle(2), new GlobalAvgPool(), new Flatten(), new Linear(8, 3, true)));
                assertEquals(want, a.layers(), what);
                int batch = 3;
                float[] in = random(batch * 8 * 6 * 6, 40);
                assertImportMatchesOrt(f, in, batch, new int[] {8, 6, 6}, what);
            }
        }
    }

    /** An export without dynamic axes writes the fixed batch into its Reshape shapes: [2, 2, C/2, H, W], [2, -1, H, W], [2, -1]. */
    @Test
    void aFixedBatchInReshapeShapesKeepsTheBatch() throws Exception {
        Onnx.Graph g = graph("fixed", 2L, 8, 4, 4);
        String x = conv(g, "c", "input", 8, 8, 1, 1, 1);
        g.op("Reshape", "r1", List.of(x, vector(g, "s1", 2, 2, 4, 4, 4)), "r1");
        g.op("Transpose", "t", List.of("r1"), "t", Attr.ints("perm", 0, 2, 1, 3, 4));
        x = g.op("Reshape", "r2", List.of("t", vector(g, "s2", 2, -1, 4, 4)), "r2");
        x = g.op("Reshape", "flat", List.of(x, vector(g, "s3", 2, -1)), "flat");
        g.initializer(Onnx.floats("fc.w", new long[] {3, 128}, random(384, 2)));
        g.op("Gemm", "fc", List.of(x, "fc.w"), "logits", Attr.i("transB", 1));
        g.output(Onnx.valueInfo("logits", Onnx.FLOAT, List.of(2L, 3L)));
        Path f = write("fixed.onnx", g, 13);
        assertEquals(List.of(new Conv2d(8, 8, 1, 1, 0, 1, true), new ChannelShuffle(2), new Flatten(), new Linear(128, 3, false)),
                OnnxImport.readArchitecture(f).layers());
        assertImportMatchesOrt(f, random(2 * 8 * 16, 3), 2, new int[] {8, 4, 4}, "fixed batch 2");
        // the Squeeze network takes any batch; its logits per example do not depend on the batch
        try (Network net = OnnxImport.load(f)) {
            float[] two = random(2 * 8 * 16, 3), first = java.util.Arrays.copyOf(two, 8 * 16);
            assertArrayEquals(java.util.Arrays.copyOf(net.logits(two, 2), 3), net.logits(first, 1), 1e-6f);
        }
    }

    /** The imported network's logits equal ONNX Runtime's on the same file within 1e-5. */
    private static void assertImportMatchesOrt(Path f, float[] x, int batch, int[] chw, String what) throws Exception {
        try (Network net = OnnxImport.load(f); Ort ort = new Ort(f)) {
            float[] want = ort.run(x, batch, chw[0], chw[1], chw[2]);
            float[] got = net.logits(x, batch);
            assertEquals(want.length, got.length);
            double worst = 0;
            for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
            System.out.println("[onnx-torchvision] " + what + ": max |squeeze - ort| = " + worst);
            assertTrue(worst < 1e-5, what + ": max difference " + worst);
        }
    }

    // ---- refusals ---------------------------------------------------------------------------------------

    private void refused(String name, Onnx.Graph g, String... expected) throws Exception {
        Path f = write(name, g, 13);
        var e = assertThrows(IllegalArgumentException.class, () -> OnnxImport.readArchitecture(f));
        System.out.println("[onnx-torchvision] " + e.getMessage());
        assertTrue(e.getMessage().contains(name), "names the file: " + e.getMessage());
        for (String s : expected) assertTrue(e.getMessage().contains(s), "says '" + s + "': " + e.getMessage());
    }

    /** x → Conv(4→4) → Reshape(shape) → Gemm, with the shape built by the caller. */
    private static Onnx.Graph reshapeTo(java.util.function.BiFunction<Onnx.Graph, String, String> shape, long features) {
        Onnx.Graph g = graph("refused", "batch", 4, 2, 2);
        String x = conv(g, "c", "input", 4, 4, 1, 1, 1);
        String s = shape.apply(g, x);
        x = g.op("Reshape", "flat", List.of(x, s), "flat");
        g.initializer(Onnx.floats("fc.w", new long[] {2, features}, random(2 * (int) features, 2)));
        g.op("Gemm", "fc", List.of(x, "fc.w"), "y", Attr.i("transB", 1));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        return g;
    }

    @Test
    void shapeComputationsSqueezeCannotReadAreOneErrorNamingTheNode() throws Exception {
        // x.view(x.size(0) * 2, -1): computes with the batch, which Squeeze leaves open
        refused("batch-math.onnx", reshapeTo((g, x) -> {
            String n = g.op("Mul", "twice", List.of(size(g, "n", x, 0), scalar(g, "k2", 2)), "twice");
            return g.op("Concat", "shape", List.of(unsqueeze(g, "u", n, true), vector(g, "m1", -1)), "shape", Attr.i("axis", 0));
        }, 8), "node 'twice' (Mul)", "computes with the batch size");
        // x.view(-1, x.size(0)): the batch moved away from dimension 0
        refused("batch-moved.onnx", reshapeTo((g, x) ->
                g.op("Concat", "shape", List.of(vector(g, "m1", -1), unsqueeze(g, "u", size(g, "n", x, 0), true)), "shape", Attr.i("axis", 0)),
                16), "node 'flat' (Reshape)", "reshapes to [-1, N]", "keep the batch first");
        // a reshape whose shape comes from the activations themselves
        refused("data-shape.onnx", reshapeTo((g, x) -> g.op("Cast", "cast", List.of(x), "cast", Attr.i("to", TensorProto.DataType.INT64_VALUE)), 16),
                "node 'cast' (Cast)", "is read only in a shape computation");
        // a Gather of a shape on another axis than 0 is refused with the node named
        refused("gather-axis.onnx", reshapeTo((g, x) -> {
            g.op("Shape", "shape.of", List.of(x), "shape.of");
            String n = g.op("Gather", "gather1", List.of("shape.of", vector(g, "k0", 0)), "gather1", Attr.i("axis", 1));
            return g.op("Concat", "shape", List.of(n, vector(g, "m1", -1)), "shape", Attr.i("axis", 0));
        }, 16), "node 'gather1' (Gather)", "gathers axis 1");
        // ReduceMean over channels is no global pool
        Onnx.Graph g = graph("mean-c", "batch", 4, 2, 2);
        g.op("ReduceMean", "meanc", List.of("input"), "y", Attr.ints("axes", 1));
        g.output(Onnx.valueInfo("y", Onnx.FLOAT, null));
        refused("mean-c.onnx", g, "node 'meanc' (ReduceMean)", "averages axes [1]", "axes [2, 3]");
    }
}
