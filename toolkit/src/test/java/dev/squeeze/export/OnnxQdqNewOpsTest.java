package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.quant.IntegerReference;
import dev.squeeze.quant.QConfig;
import dev.squeeze.quant.Quantization;
import dev.squeeze.quant.QuantizedNetwork;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantizer;
import dev.squeeze.ir.TensorShape;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QDQ form of the MobileNetV2 / ShuffleNetV2 ops ({@link Int8Op.Lookup}, {@link Int8Op.Concat},
 * {@link Int8Op.ChannelSlice}, {@link Int8Op.ChannelShuffle}) run by ONNX Runtime on a hand-built op
 * sequence, against their integer spec computed here from the records' javadoc (independently of the
 * exporter and of {@code IntegerReference}). Slices and shuffles move codes, so they must agree exactly;
 * a table activation (DQ → HardSwish / Clip → Q in float) and a concat's per-branch rescale
 * (float {@code round((q − zp)·s_b / s_out)} in ORT, a 31-bit fixed-point multiplier in Squeeze) may
 * differ by one code where a value lies within float rounding of a half step.
 */
class OnnxQdqNewOpsTest {
    @TempDir Path dir;

    static final TensorShape IN = new TensorShape(8, 4, 4);
    static final QuantParams INPUT = new QuantParams(0.05f, 128, 0, 255);
    /** Hard-swish of [−6.4, 6.35] lies in [−0.375, 6.35]. */
    static final QuantParams SWISH = new QuantParams(0.027f, 14, 0, 255);
    static final QuantParams RELU6 = new QuantParams(6f / 255, 0, 0, 255);
    /**
     * Scale ratios s_b / s_out are not simple fractions, as calibrated grids' are not: a ratio such as
     * 0.05 / 0.04 = 1.25 puts (q − zp)·1.25 exactly on a half step for every fourth code, where ORT rounds
     * half to even and Squeeze's fixed-point rescale rounds half up (14 of 1,024 codes one apart with it).
     */
    static final QuantParams OUT = new QuantParams(0.0437f, 100, 0, 255);

    /**
     * quantize → concat(slice [0, 4), slice [4, 8) + ReLU6 table, hard-swish table on all 8) → shuffle
     * of 4 groups → dequantize.
     */
    static List<Int8Op> ops() {
        TensorShape half = new TensorShape(4, 4, 4);
        Int8Op.Lookup relu6 = Int8Op.Lookup.of(4, Activation.RELU6, half, INPUT, RELU6);
        Int8Op.Lookup swish = Int8Op.Lookup.of(5, Activation.HARD_SWISH, IN, INPUT, SWISH);
        List<QuantParams> grids = List.of(INPUT, RELU6, SWISH);
        List<Requantizer> rescales = grids.stream().map(q -> Requantizer.of((double) q.scale() / OUT.scale(), OUT)).toList();
        Int8Op.Concat concat = new Int8Op.Concat(1, List.of(
                List.of(new Int8Op.ChannelSlice(2, new Layer.ChannelSlice(0, 4), IN, INPUT)),
                List.of(new Int8Op.ChannelSlice(3, new Layer.ChannelSlice(4, 8), IN, INPUT), relu6),
                List.of(swish)), IN, grids, OUT, rescales);
        TensorShape cat = concat.outputShape();
        return List.of(new Int8Op.QuantizeInput(IN, INPUT), concat,
                new Int8Op.ChannelShuffle(6, new Layer.ChannelShuffle(4), cat, OUT), new Int8Op.Dequantize(cat, OUT));
    }

    /** {@link #ops()} with the 4-group shuffle replaced by an explicit permutation of the 16 channels (a pruned ShuffleNet's). */
    static List<Int8Op> permutedOps(int[] order) {
        List<Int8Op> ops = new ArrayList<>(ops());
        Int8Op.ChannelShuffle shuffle = (Int8Op.ChannelShuffle) ops.get(2);
        ops.set(2, new Int8Op.ChannelShuffle(shuffle.id(), Layer.ChannelShuffle.permutation(order), shuffle.inputShape(), shuffle.output()));
        return ops;
    }

    static final int[] ORDER16 = {5, 12, 0, 9, 14, 3, 7, 1, 10, 15, 2, 8, 13, 4, 11, 6};

    /**
     * The explicit permutation in QDQ form ({@code DequantizeLinear} → {@code Gather(axis = 1)} →
     * {@code QuantizeLinear} on one grid) moves ORT's own concat codes exactly: output channel j is channel
     * ORDER16[j] of the concat's output tap. Against {@link IntegerReference}: as close as the concat allows.
     */
    @Test
    void explicitPermutationInQdqFormMovesCodesExactlyInOnnxRuntime() throws Exception {
        List<Int8Op> ops = permutedOps(ORDER16);
        int batch = 3, n = IN.size(), plane = IN.plane(), channels = 16;
        int[] codes = new int[batch * n];
        for (int i = 0; i < codes.length; i++) codes[i] = (i * 37) % 256;
        float[] x = new float[codes.length];
        for (int i = 0; i < x.length; i++) x[i] = INPUT.dequantize(codes[i]);
        Path f = Files.write(dir.resolve("permuted.onnx"), OnnxExport.qdqBytes("permuted", ops, true));
        OnnxReader.Model m = OnnxReader.read(f);
        assertEquals(1, m.count("Gather"));
        assertEquals(0, m.count("Transpose"));
        Int8Model model = new Int8Model("permuted", ops, Map.of());
        int[] ref = IntegerReference.runQuantized(model, codes, batch);
        int[] diff = new int[2];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(f.toString(), o);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, IN.channels(), IN.height(), IN.width()});
                 OrtSession.Result r = s.run(Map.of(OnnxExport.INPUT, t))) {
                int[] cat = codes(r, "op1.q"), out = codes(r, "op6.q");
                boolean moved = false;
                for (int b = 0; b < batch; b++) {
                    for (int j = 0; j < channels; j++) {
                        for (int p = 0; p < plane; p++) {
                            int got = out[(b * channels + j) * plane + p], src = cat[(b * channels + ORDER16[j]) * plane + p];
                            assertEquals(src, got, "image " + b + " channel " + j + " (from " + ORDER16[j] + ") position " + p);
                            moved |= got != cat[(b * channels + j) * plane + p];
                        }
                    }
                }
                assertTrue(moved, "the permutation moved no code");
                for (int i = 0; i < ref.length; i++) count(diff, out[i], ref[i]);
            }
        }
        System.out.printf("[onnx-qdq] concat + explicit permutation vs IntegerReference: %d of %d codes differ, by at most %d%n",
                diff[0], ref.length, diff[1]);
        assertTrue(diff[1] <= 1 && diff[0] <= ref.length / 100, "at most one code apart on at most 1 % of codes");
    }

    /**
     * The permuted net (conv, explicit permutation, split unit, grouped conv) calibrated and converted, in
     * QDQ form in ONNX Runtime: every op's codes against {@link IntegerReference#runWithTaps} and the logits
     * within 3 output steps, as for the zoo models.
     */
    @Test
    void convertedPermutedNetInQdqFormRunsInOnnxRuntimeCloseToTheIntegerReference() throws Exception {
        Preprocessing prep = Preprocessing.unitScale();
        try (Network net = ExportFixtures.network(dev.squeeze.quant.Int8Fixtures.permutedNet(dev.squeeze.quant.Int8Fixtures.PERMUTATION), 23);
             QuantizedNetwork q = Quantization.calibrate(net, ExportFixtures.images(32, 3, 12, 12, 24), prep, QConfig.x86())) {
            Int8Model m = q.convert();
            Path f = OnnxExport.int8Qdq(m, dir.resolve("permuted-int8.onnx"));
            assertEquals(1, OnnxReader.read(f).count("Gather"));
            int n = 4;
            float[] x = new BatchMaker(ExportFixtures.images(n, 3, 12, 12, 25), prep).batch(0, n);
            float[] ref = IntegerReference.logits(m, x, n), got;
            try (Ort ort = new Ort(f)) {
                got = ort.run(x, n, 3, 12, 12);
            }
            double worst = 0;
            for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / m.outputParams().scale());
            List<Ort.TapDiff> taps = Ort.compareTaps(m, x, n, dir);
            long values = taps.stream().mapToLong(Ort.TapDiff::values).sum(), differ = taps.stream().mapToLong(Ort.TapDiff::differ).sum();
            System.out.printf("[onnx-qdq] permuted net int8 in ORT: logits within %.1f output steps of IntegerReference; %d of %d op codes differ%n",
                    worst, differ, values);
            taps.stream().filter(t -> t.differ() > 0).forEach(t -> System.out.println("[onnx-qdq]   " + t));
            assertEquals(0, taps.get(0).differ(), "input codes: " + taps.get(0));
            assertTrue(differ <= values / 100, differ + " of " + values + " codes differ");
            assertTrue(worst <= 3, "logits differ by up to " + worst + " output steps");
        }
    }

    /** The ops' integer spec on one image's input codes {@code [C, H, W]}: the shuffled output codes. */
    static int[] reference(List<Int8Op> ops, int[] q) {
        Int8Op.Concat concat = (Int8Op.Concat) ops.get(1);
        int plane = IN.plane();
        Int8Op.Lookup relu6 = (Int8Op.Lookup) concat.branches().get(1).get(1), swish = (Int8Op.Lookup) concat.branches().get(2).get(0);
        int[][] branches = new int[3][];
        branches[0] = java.util.Arrays.copyOfRange(q, 0, 4 * plane);
        branches[1] = java.util.Arrays.copyOfRange(q, 4 * plane, 8 * plane);
        for (int i = 0; i < branches[1].length; i++) branches[1][i] = relu6.table()[branches[1][i] - INPUT.qmin()];
        branches[2] = q.clone();
        for (int i = 0; i < branches[2].length; i++) branches[2][i] = swish.table()[branches[2][i] - INPUT.qmin()];
        int channels = 16;
        int[] cat = new int[channels * plane];
        int at = 0;
        for (int b = 0; b < 3; b++) {
            int zp = concat.branchGrids().get(b).zeroPoint();
            for (int v : branches[b]) cat[at++] = concat.rescales().get(b).requantize(v - zp);
        }
        // shuffle: output channel j·g + i is input channel i·k + j
        int g = 4, k = channels / g;
        int[] out = new int[cat.length];
        for (int i = 0; i < g; i++) {
            for (int j = 0; j < k; j++) System.arraycopy(cat, (i * k + j) * plane, out, (j * g + i) * plane, plane);
        }
        return out;
    }

    @Test
    void newOpsInQdqFormMatchTheirIntegerSpecInOnnxRuntime() throws Exception {
        List<Int8Op> ops = ops();
        int batch = 4, n = IN.size();
        // Inputs on the input grid's points, every code at least twice: ORT's QuantizeLinear then gives Squeeze's codes.
        int[] codes = new int[batch * n];
        for (int i = 0; i < codes.length; i++) codes[i] = (i * 37) % 256;
        float[] x = new float[codes.length];
        for (int i = 0; i < x.length; i++) x[i] = INPUT.dequantize(codes[i]);
        Path f = Files.write(dir.resolve("new-ops.onnx"), OnnxExport.qdqBytes("new-ops", ops, true));
        OnnxReader.Model m = OnnxReader.read(f);
        assertEquals(14L, m.opsets().get(""), "HardSwish needs opset 14");
        for (String op : List.of("Concat", "Slice", "Transpose", "HardSwish", "Clip")) assertTrue(m.count(op) >= 1, op);

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int[] swishDiff = new int[2], outDiff = new int[2];
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(f.toString(), o);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {batch, IN.channels(), IN.height(), IN.width()});
                 OrtSession.Result r = s.run(Map.of(OnnxExport.INPUT, t))) {
                int[] inCodes = codes(r, "input.q"), swish = codes(r, "op5.q"), out = codes(r, "op6.q");
                assertArrayEquals(codes, inCodes, "the input quantizes to the codes it was built from");
                int[] table = ((Int8Op.Lookup) ((Int8Op.Concat) ops.get(1)).branches().get(2).get(0)).table();
                for (int i = 0; i < codes.length; i++) count(swishDiff, swish[i], table[codes[i]]);
                for (int b = 0; b < batch; b++) {
                    int[] want = reference(ops, java.util.Arrays.copyOfRange(codes, b * n, (b + 1) * n));
                    for (int i = 0; i < want.length; i++) count(outDiff, out[b * want.length + i], want[i]);
                }
                float[] logits = new float[batch * 16 * IN.plane()];
                ((OnnxTensor) r.get(OnnxExport.OUTPUT).orElseThrow()).getFloatBuffer().get(logits);
                for (int i = 0; i < logits.length; i++) assertEquals(OUT.dequantize(out[i]), logits[i], 0f, "output dequantizes the codes");
            }
        }
        System.out.printf("[onnx-qdq] hard-swish table vs ORT DQ→HardSwish→Q: %d of %d codes differ, by at most %d%n",
                swishDiff[0], codes.length, swishDiff[1]);
        System.out.printf("[onnx-qdq] concat(slice, relu6 table, hard-swish table) + shuffle: %d of %d codes differ, by at most %d%n",
                outDiff[0], batch * 16 * IN.plane(), outDiff[1]);
        assertTrue(swishDiff[1] <= 1 && outDiff[1] <= 1, "at most one code apart");
        assertTrue(swishDiff[0] <= codes.length / 100 && outDiff[0] <= batch * 16 * IN.plane() / 100, "at most 1 % of codes differ");
    }

    private static void count(int[] diff, int got, int want) {
        if (got != want) {
            diff[0]++;
            diff[1] = Math.max(diff[1], Math.abs(got - want));
        }
    }

    /** A uint8 tap output as ints. */
    private static int[] codes(OrtSession.Result r, String name) throws Exception {
        ByteBuffer b = ((OnnxTensor) r.get(name).orElseThrow(() -> new AssertionError("no output " + name))).getByteBuffer();
        List<Integer> v = new ArrayList<>();
        while (b.hasRemaining()) v.add(b.get() & 0xFF);
        return v.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * MobileNetV2 and ShuffleNetV2 (random weights, calibrated on synthetic images, x86 preset) exported in
     * QDQ form run in ONNX Runtime; every op's codes against {@link IntegerReference#runWithTaps} (ORT's
     * upstream codes feed each op, so one-code differences can grow along the net) and the dequantized
     * logits against {@link IntegerReference#logits}. ORT fuses every conv (ReLU6's Clip folded into the
     * QuantizeLinear), add, concat and the fc into integer kernels and moves slices and shuffles as uint8
     * (observed: 52 / 56 QLinearConv, 10 QLinearAdd, 16 QLinearConcat; logits within 1 output step, 0.003 %
     * and 0.14 % of op codes one or two apart).
     */
    @Test
    void zooModelsInQdqFormRunInOnnxRuntimeCloseToTheIntegerReference() throws Exception {
        Preprocessing prep = Preprocessing.unitScale();
        for (String name : List.of("mobilenetv2", "shufflenetv2")) {
            try (Network net = ExportFixtures.network(Zoo.get(name, new int[] {3, 32, 32}, 10), 19);
                 QuantizedNetwork q = Quantization.calibrate(net, ExportFixtures.images(32, 3, 32, 32, 20), prep, QConfig.x86())) {
                Int8Model m = q.convert();
                Path f = OnnxExport.int8Qdq(m, dir.resolve(name + "-int8.onnx"));
                int n = 4;
                float[] x = new BatchMaker(ExportFixtures.images(n, 3, 32, 32, 21), prep).batch(0, n);
                float[] ref = IntegerReference.logits(m, x, n);
                float[] got;
                Path optimized = dir.resolve(name + "-int8.optimized.onnx");
                try (Ort ort = new Ort(f, ai.onnxruntime.OrtSession.SessionOptions.OptLevel.EXTENDED_OPT, optimized)) {
                    got = ort.run(x, n, 3, 32, 32);
                }
                // Which groups ORT fused into integer kernels (QLinearConv, QLinearConcat, ...) and which it runs in float.
                Map<String, Long> fused = OnnxExportInt8Test.opHistogram(OnnxReader.read(optimized));
                System.out.println("[onnx-qdq] " + name + " ops ORT runs: " + fused);
                for (String floatOp : List.of("Conv", "Gemm", "Concat", "Add", "Clip", "Relu")) {
                    assertEquals(0, OnnxExportInt8Test.count(fused, floatOp), floatOp + " left in float: " + fused);
                }
                assertEquals(1, OnnxExportInt8Test.count(fused, "QuantizeLinear"), "only the input is quantized at run time: " + fused);
                assertEquals(1, OnnxExportInt8Test.count(fused, "DequantizeLinear"), "only the output is dequantized at run time: " + fused);
                double worst = 0;
                for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) / m.outputParams().scale());
                List<Ort.TapDiff> taps = Ort.compareTaps(m, x, n, dir);
                long values = taps.stream().mapToLong(Ort.TapDiff::values).sum(), differ = taps.stream().mapToLong(Ort.TapDiff::differ).sum();
                int maxDiff = taps.stream().mapToInt(Ort.TapDiff::maxDiff).max().orElseThrow();
                System.out.printf("[onnx-qdq] %s int8 in ORT: logits within %.1f output steps of IntegerReference; %d of %d op codes differ"
                        + " (%.4f %%), by at most %d%n", name, worst, differ, values, 100.0 * differ / values, maxDiff);
                taps.stream().filter(t -> t.differ() > 0).forEach(t -> System.out.println("[onnx-qdq]   " + t));
                assertEquals(0, taps.get(0).differ(), "input codes: " + taps.get(0));
                assertTrue(differ <= values / 100, name + ": " + differ + " of " + values + " codes differ");
                assertTrue(worst <= 3, name + ": logits differ by up to " + worst + " output steps");
            }
        }
    }
}
