package dev.squeeze.export;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.quant.IntegerReference;
import dev.squeeze.quant.QConfig;
import dev.squeeze.ir.QScheme;
import dev.squeeze.quant.Quantization;
import dev.squeeze.quant.QuantizedNetwork;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QDQ export of int8 models run by ONNX Runtime against {@link IntegerReference}, on networks
 * trained for a few seconds on a synthetic task (an untrained network's near-tied logits would make
 * top-1 agreement meaningless): top-1 agreement ≥ 98 % on 300 images (observed 99.3–100 %), dequantized
 * logits within 3 output steps (observed ≤ 1) and on average within 0.5 step (observed ≤ 0.2). The optimized graph ORT
 * writes shows which groups it fused into integer kernels.
 */
class OnnxExportInt8Test {
    static final Preprocessing PREP = Preprocessing.unitScale();
    static Network seed, tiny;
    static ImageSet seedCalib, seedTest, tinyCalib, tinyTest;
    @TempDir Path dir;

    static Network trained(Architecture a, long seed) {
        Network net = ExportFixtures.network(a, seed);
        TrainConfig cfg = TrainConfig.builder().setEpochs(6).setOptimizer(OptimizerConfig.adam(3e-3f)).optBatchSize(32)
                .optSeed(seed).optPreprocessing(PREP).optProgress(Progress.silent()).build();
        int[] in = a.inputShape();
        Training.fit(net, ExportFixtures.images(600, in[0], in[1], in[2], 100 + seed), ExportFixtures.images(100, in[0], in[1], in[2], 200 + seed), cfg);
        return net;
    }

    @BeforeAll
    static void train() {
        seed = trained(Zoo.seedCnn(new int[] {3, 20, 20}, 10), 3);
        seedCalib = ExportFixtures.images(128, 3, 20, 20, 1);
        seedTest = ExportFixtures.images(300, 3, 20, 20, 2);
        tiny = trained(ExportFixtures.trainableTinyResNet(), 5);
        tinyCalib = ExportFixtures.images(128, 3, 16, 16, 3);
        tinyTest = ExportFixtures.images(300, 3, 16, 16, 4);
    }

    @AfterAll
    static void close() {
        // After a failed @BeforeAll these may be null; a NullPointerException here would hide its error.
        if (seed != null) seed.close();
        if (tiny != null) tiny.close();
    }

    record Comparison(double agreement, double worstSteps, double meanSteps) {}

    /** ORT on the exported file against the integer reference on every image of {@code test}. */
    static Comparison compare(Int8Model m, Path file, ImageSet test, OptLevel level, Path optimized) throws Exception {
        int n = test.size();
        float[] x = new BatchMaker(test, PREP).batch(0, n);
        float[] ref = IntegerReference.logits(m, x, n);
        int[] refTop = IntegerReference.predict(m, x, n);
        float[] got;
        var s = m.inputShape();
        try (Ort ort = new Ort(file, level, optimized)) {
            got = ort.run(x, n, s.channels(), s.height(), s.width());
        }
        assertEquals(ref.length, got.length);
        int[] top = Network.argmax(got, n);
        int same = 0;
        for (int i = 0; i < n; i++) if (top[i] == refTop[i]) same++;
        float step = m.outputParams().scale();
        double worst = 0, sum = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(got[i] - ref[i]) / step;
            worst = Math.max(worst, d);
            sum += d;
        }
        return new Comparison((double) same / n, worst, sum / ref.length);
    }

    static void assertClose(String what, Comparison c) {
        System.out.println("[onnx-int8] " + what + ": top-1 agreement " + c.agreement + ", logits within " + c.worstSteps
                + " output steps (mean " + String.format("%.3f", c.meanSteps) + ")");
        assertTrue(c.agreement >= 0.98, what + ": ORT vs IntegerReference top-1 agreement " + c.agreement);
        assertTrue(c.worstSteps <= 3.0001, what + ": logits differ by up to " + c.worstSteps + " output steps");
        assertTrue(c.meanSteps <= 0.5, what + ": mean logit difference " + c.meanSteps + " output steps");
    }

    static Map<String, Long> opHistogram(OnnxReader.Model m) {
        return m.nodes().stream().collect(Collectors.groupingBy(n -> (n.domain().isEmpty() ? "" : n.domain() + ".") + n.opType(),
                TreeMap::new, Collectors.counting()));
    }

    static long count(Map<String, Long> h, String op) {
        return h.entrySet().stream().filter(e -> e.getKey().endsWith(op) && e.getKey().substring(0, e.getKey().length() - op.length())
                .matches("(.*\\.)?")).mapToLong(Map.Entry::getValue).sum();
    }

    @Test
    void seedCnnAgreesWithIntegerReferenceAndFusesToIntegerKernels() throws Exception {
        try (QuantizedNetwork q = Quantization.calibrate(seed, seedCalib, PREP, QConfig.x86())) {
            Int8Model m = q.convert();
            Path f = OnnxExport.int8Qdq(m, dir.resolve("seed-int8.onnx"));
            Path opt = dir.resolve("seed-int8.optimized.onnx");
            assertClose("seed-cnn x86 (ORT level ALL)", compare(m, f, seedTest, OptLevel.ALL_OPT, null));
            assertClose("seed-cnn x86 (ORT level EXTENDED)", compare(m, f, seedTest, OptLevel.EXTENDED_OPT, opt));

            Map<String, Long> exported = opHistogram(OnnxReader.read(f)), fused = opHistogram(OnnxReader.read(opt));
            System.out.println("[onnx-int8] seed-cnn exported ops: " + exported);
            System.out.println("[onnx-int8] seed-cnn ops ORT runs: " + fused);
            assertEquals(2, count(fused, "QLinearConv"), "both convs run as QLinearConv: " + fused);
            assertEquals(3, count(fused, "QGemm") + count(fused, "QLinearMatMul"), "all three fcs run on integer kernels: " + fused);
            for (String floatOp : List.of("Conv", "Gemm", "MatMul", "Relu")) assertEquals(0, count(fused, floatOp), floatOp + " left in float: " + fused);
            assertEquals(1, count(fused, "QuantizeLinear"), "only the input is quantized at run time: " + fused);
            assertEquals(1, count(fused, "DequantizeLinear"), "only the output is dequantized at run time: " + fused);

            // Op by op: the input codes are identical, every later op within one code (requantization rounds
            // in float in ORT, in fixed point in Squeeze), on a small fraction of the values.
            int n = 100;
            List<Ort.TapDiff> taps = Ort.compareTaps(m, new BatchMaker(seedTest, PREP).batch(0, n), n, dir);
            taps.forEach(t -> System.out.println("[onnx-int8]   " + t));
            assertEquals(m.flatOps().size() - 1, taps.size(), "a tap per op but the dequantization");
            assertEquals(0, taps.get(0).differ(), "input codes: " + taps.get(0));
            for (Ort.TapDiff t : taps) {
                assertTrue(t.maxDiff() <= 1, t.toString());
                assertTrue(t.differ() <= 0.1 * t.values(), t.toString());
            }
        }
    }

    @Test
    void exportedTensorsCarryTheModelsGridsWeightsAndBiases() throws Exception {
        try (QuantizedNetwork q = Quantization.calibrate(seed, seedCalib, PREP, QConfig.x86())) {
            Int8Model m = q.convert();
            OnnxReader.Model onnx = OnnxReader.parse(OnnxExport.int8QdqBytes(m));
            assertEquals(List.of("input"), onnx.inputs());
            assertEquals(List.of("logits"), onnx.outputs());
            OnnxReader.Node qin = onnx.nodes().get(0);
            assertEquals("QuantizeLinear", qin.opType());
            assertEquals("input", qin.inputs().get(0));
            assertEquals(m.inputParams().scale(), floats(onnx.initializer(qin.inputs().get(1)))[0]);
            assertEquals(m.inputParams().zeroPoint(), onnx.initializer(qin.inputs().get(2)).raw()[0] & 0xFF);
            assertEquals(Onnx.UINT8, onnx.initializer(qin.inputs().get(2)).dataType());

            Int8Op.Conv c = (Int8Op.Conv) m.flatOps().stream().filter(o -> o instanceof Int8Op.Conv).findFirst().orElseThrow();
            String p = "op" + c.id();
            OnnxReader.Initializer w = onnx.initializer(p + ".weight_quantized");
            assertEquals(Onnx.INT8, w.dataType());
            assertArrayEquals(new long[] {16, 3, 5, 5}, w.dims());
            assertArrayEquals(c.weights().unpack(), w.raw());
            assertArrayEquals(c.weights().scales(), floats(onnx.initializer(p + ".weight_scale")));
            OnnxReader.Node wdq = onnx.nodes().stream().filter(n -> n.name().equals(p + ".weight_dq")).findFirst().orElseThrow();
            assertEquals(0, wdq.attributes().get("axis").value(), "per-channel weights dequantize along axis 0");
            OnnxReader.Initializer b = onnx.initializer(p + ".bias_quantized");
            assertEquals(Onnx.INT32, b.dataType());
            int[] bias = new int[c.bias().length];
            ByteBuffer.wrap(b.raw()).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(bias);
            assertArrayEquals(c.bias(), bias);
            float[] bs = floats(onnx.initializer(p + ".bias_scale"));
            for (int o = 0; o < bs.length; o++) assertEquals(c.input().scale() * c.weights().scale(o), bs[o]);
        }
    }

    private static float[] floats(OnnxReader.Initializer t) {
        float[] v = new float[t.raw().length / 4];
        ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    @Test
    void residualModelWithEveryOpAgrees() throws Exception {
        try (QuantizedNetwork q = Quantization.calibrate(tiny, tinyCalib, PREP, QConfig.x86())) {
            Int8Model m = q.convert();
            Path f = OnnxExport.int8Qdq(m, dir.resolve("tiny-int8.onnx"));
            Path opt = dir.resolve("tiny-int8.optimized.onnx");
            assertClose("tiny-resnet x86", compare(m, f, tinyTest, OptLevel.EXTENDED_OPT, opt));
            Map<String, Long> fused = opHistogram(OnnxReader.read(opt));
            System.out.println("[onnx-int8] tiny-resnet ops ORT runs: " + fused);
            // 6 convs: the one with a fused LeakyReLU has no integer kernel and stays float.
            assertEquals(5, count(fused, "QLinearConv"), fused.toString());
            assertEquals(2, count(fused, "QLinearAdd"), fused.toString());
            assertEquals(1, count(fused, "QLinearAveragePool"), fused.toString());
            assertEquals(1, count(fused, "QLinearGlobalAveragePool"), fused.toString());
            assertEquals(1, count(fused, "QLinearLeakyRelu"), fused.toString());
        }
    }

    @Test
    void lowBitAndNarrowRangeModelsAgree() throws Exception {
        for (QConfig cfg : List.of(QConfig.int4Weights(), QConfig.ternaryWeights(), QConfig.binaryWeights(), QConfig.qnnpack(),
                QConfig.tensorrtEntropy(),
                // affine weights: zero points that cannot be folded into int8 codes, stored as int8 / uint8 with zero points
                QConfig.builder().optWeightScheme(QScheme.PER_CHANNEL_AFFINE).build(),
                QConfig.builder().optWeightScheme(new QScheme(8, false, false, true, false)).build())) {
            try (QuantizedNetwork q = Quantization.calibrate(seed, seedCalib, PREP, cfg)) {
                Int8Model m = q.convert();
                Path f = OnnxExport.int8Qdq(m, dir.resolve("seed-lowbit.onnx"));
                Path opt = dir.resolve("seed-lowbit.optimized.onnx");
                String what = "seed-cnn " + cfg.weightScheme() + " / " + cfg.weightMethod() + " / act " + cfg.activationScheme();
                assertClose(what, compare(m, f, seedTest, OptLevel.EXTENDED_OPT, opt));
                System.out.println("[onnx-int8]   ops ORT runs: " + opHistogram(OnnxReader.read(opt)));
                OnnxReader.Model onnx = OnnxReader.read(f);
                // Narrow grids ([-127, 127] here) are clamped exactly with a Clip before their QuantizeLinear.
                boolean narrow = cfg.activationScheme().narrowRange();
                assertEquals(narrow, onnx.count("Clip") > 0, cfg + ": " + onnx.count("Clip") + " Clip nodes");
                // Unsigned affine weight codes cannot have their zero points folded into int8: they stay uint8.
                boolean unsigned = !cfg.weightScheme().signed();
                assertEquals(unsigned, onnx.initializers().stream().anyMatch(t -> t.name().endsWith(".weight_quantized") && t.dataType() == Onnx.UINT8),
                        cfg.toString());
            }
        }
    }

    @Test
    void exportBothWritesTwoFilesNamedAfterTheModels() throws Exception {
        try (QuantizedNetwork q = Quantization.calibrate(seed, seedCalib, PREP, QConfig.x86())) {
            OnnxExport.Exported files = OnnxExport.exportBoth(seed, q.convert(), dir.resolve("out"));
            assertEquals(dir.resolve("out/seed-cnn-fp32.onnx"), files.fp32());
            assertEquals(dir.resolve("out/seed-cnn-int8-qdq.onnx"), files.int8Qdq());
            assertEquals("int8-qdq", OnnxReader.read(files.int8Qdq()).metadata().get("squeeze.format"));
            assertEquals("fp32", OnnxReader.read(files.fp32()).metadata().get("squeeze.format"));
            var e = assertThrows(IllegalArgumentException.class, () -> OnnxExport.exportBoth(tiny, q.convert(), dir));
            assertTrue(e.getMessage().contains("3×16×16") && e.getMessage().contains("3×20×20"), e.getMessage());
        }
    }
}
