package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8ModelFiles;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantization;
import dev.squeeze.ir.Requantizer;
import dev.squeeze.ir.TensorShape;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Layer.*;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quantization path of the MobileNetV2/ShuffleNetV2 ops — ReLU6 (fused clamp), hard-swish (table),
 * concat (per-branch requantization onto its own grid), channel slice and shuffle (same grid): the fused
 * graph against the float network, the integer model against the fake-quant network it was converted
 * from, the integer arithmetic against a scalar recomputation of the {@link Int8Op} javadoc, and the
 * {@code .sqz8} file (version 3 for these ops, 4 for an explicit channel permutation).
 */
class NewOpsQuantizationTest {
    @TempDir Path dir;

    static final Preprocessing PREP = Preprocessing.unitScale();

    /**
     * Small model with every new op, narrow enough to run in a second: conv + BN + hard-swish, a
     * ShuffleNet-style split unit (slice | slice → conv + BN + ReLU6), a channel shuffle, a downsampling
     * concat of two conv branches with different grids, depthwise conv + ReLU6, pool, fc.
     */
    static Architecture tinyNewOps() {
        return new Architecture("tiny-new-ops", new int[] {3, 16, 16}, List.of(
                new Conv2d(3, 16, 3, 1, 1, 1, false), new BatchNorm(16), new HardSwish(),
                new Concat(List.of(List.of(new ChannelSlice(0, 8)),
                        List.of(new ChannelSlice(8, 16), new Conv2d(8, 8, 1, 1, 0, 1, false), new BatchNorm(8), new Relu6()))),
                new ChannelShuffle(2),
                new Concat(List.of(
                        List.of(new Conv2d(16, 16, 3, 2, 1, 16, false), new BatchNorm(16), new Conv2d(16, 8, 1, 1, 0, 1, false), new Relu()),
                        List.of(new Conv2d(16, 8, 1, 1, 0, 1, false), new BatchNorm(8), new Relu6(),
                                new Conv2d(8, 8, 3, 2, 1, 8, false), new BatchNorm(8)))),
                new ChannelShuffle(2),
                new Conv2d(16, 16, 3, 1, 1, 16, false), new BatchNorm(16), new Relu6(),
                new GlobalAvgPool(), new Flatten(), new Linear(16, 10, true)));
    }

    // ---- fusing ---------------------------------------------------------------------------------

    @Test
    void fusingFoldsBatchNormInBranchesFusesRelu6AndKeepsHardSwishStandalone() {
        try (Network net = Int8Fixtures.network(tinyNewOps(), 1)) {
            FusedGraph g = Fusion.of(net);
            List<FusedOp> top = g.ops();
            assertInstanceOf(FusedOp.Conv.class, top.get(0));
            assertEquals(Activation.NONE, ((FusedOp.Conv) top.get(0)).activation(), "hard-swish must not fuse into the conv");
            assertEquals(new FusedOp.Act(1, Activation.HARD_SWISH), top.get(1));
            FusedOp.Concat split = (FusedOp.Concat) top.get(2);
            assertEquals(List.of(new FusedOp.ChannelSlice(2, new ChannelSlice(0, 8))), split.branches().get(0));
            FusedOp.Conv inBranch = (FusedOp.Conv) split.branches().get(1).get(1);
            assertEquals(Activation.RELU6, inBranch.activation(), "BatchNorm folds and ReLU6 fuses inside a branch");
            assertInstanceOf(FusedOp.ChannelShuffle.class, top.get(3));
            // Ids in execution order: branches first, then the concat.
            List<Integer> ids = g.flatOps().stream().map(FusedOp::id).toList();
            List<Integer> want = new ArrayList<>();
            for (int i = 0; i < g.opCount(); i++) want.add(i);
            assertEquals(want, ids);
            // Re-fusing the fused architecture gives the same graph (what QuantizedNetwork.fusedGraph() does).
            assertEquals(g.toArchitecture().layers(), FusedGraph.of(g.toArchitecture(), fusedParams(g)).toArchitecture().layers());
            assertEquals(g.opCount(), FusedGraph.of(g.toArchitecture(), fusedParams(g)).opCount());
        }
    }

    private static List<dev.squeeze.model.NamedTensor> fusedParams(FusedGraph g) {
        List<dev.squeeze.model.NamedTensor> out = new ArrayList<>();
        for (FusedOp op : g.flatOps()) {
            float[] w = op instanceof FusedOp.Conv c ? c.weight() : op instanceof FusedOp.Dense d ? d.weight() : null;
            float[] b = op instanceof FusedOp.Conv c ? c.bias() : op instanceof FusedOp.Dense d ? d.bias() : null;
            if (w == null) continue;
            out.add(new dev.squeeze.model.NamedTensor("w" + out.size(), new long[] {w.length}, w, "WEIGHT", true));
            out.add(new dev.squeeze.model.NamedTensor("b" + out.size(), new long[] {b.length}, b, "BIAS", true));
        }
        return out;
    }

    /**
     * The fused graph, run in float by the QAT blocks with every quantizer off, computes the float
     * network's logits: BatchNorm folded correctly and the parameters taken branch by branch in the order
     * DJL's ParallelBlock lists them (a swap between branches would change the logits completely).
     */
    @Test
    void fusedGraphInFloatReproducesTheNetworkForBothZooModels() {
        for (String name : List.of("shufflenetv2", "mobilenetv2")) fusedGraphInFloatReproducesTheNetwork(Zoo.get(name, new int[] {3, 32, 32}, 10));
    }

    /**
     * The same for the permuted net: the QAT blocks run the explicit permutation (index_select), not a
     * shuffle of its 1 group — which would be the identity and change the logits.
     */
    @Test
    void fusedGraphInFloatReproducesTheNetworkWithAnExplicitPermutation() {
        fusedGraphInFloatReproducesTheNetwork(Int8Fixtures.permutedNet(Int8Fixtures.PERMUTATION));
    }

    private static void fusedGraphInFloatReproducesTheNetwork(Architecture arch) {
        String name = arch.name();
        int[] in = arch.inputShape();
        try (Network net = Int8Fixtures.network(arch, 2)) {
            FusedGraph g = Fusion.of(net);
            WeightQuantizer wq = new WeightQuantizer(QConfig.x86());
            wq.enabled = false;
            try (Network fused = Network.wrap(g.toArchitecture(), QatBlocks.build(g, wq,
                    id -> new ActivationQuantizer(id, "off", QScheme.PER_TENSOR_AFFINE, new MinMaxObserver()), false))) {
                Quantization.copyFusedWeights(g, fused);
                int n = 4;
                float[] x = new BatchMaker(Int8Fixtures.images(n, in[0], in[1], in[2], 5), PREP).batch(0, n);
                float[] want = net.logits(x, n), got = fused.logits(x, n);
                double scale = 0;
                for (float v : want) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-3 * scale + 1e-4, name + ": fused float logit " + i);
                }
            }
        }
    }

    // ---- the zoo models end to end --------------------------------------------------------------

    /** @param classesPredicted distinct top-1 classes of the fake-quant network over the batch */
    record Agreement(double worstSteps, double meanSteps, int argmaxAgree, int n, int classesPredicted) {}

    /** Static PTQ (min/max), conversion, integer logits against the fake-quant network's. */
    private static Agreement agreement(QuantizedNetwork q, Int8Model m, ImageSet test, int n) {
        float[] x = new BatchMaker(test, PREP).batch(0, n);
        float[] fq = q.network().logits(x, n), iq = IntegerReference.logits(m, x, n);
        double[] steps = Int8Fixtures.stepDistance(fq, iq, m.outputParams().scale());
        int[] a = argmax(fq, n), b = IntegerReference.argmax(m.outputParams().quantize(iq), n);
        int agree = 0;
        for (int i = 0; i < n; i++) if (a[i] == b[i]) agree++;
        return new Agreement(steps[0], steps[1], agree, n, (int) Arrays.stream(a).distinct().count());
    }

    private static int[] argmax(float[] logits, int n) {
        int classes = logits.length / n;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            for (int c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + out[i]]) out[i] = c;
        }
        return out;
    }

    /**
     * A freshly initialised zoo model (random BatchNorm statistics, so folding matters), static PTQ with
     * min/max on 32 images, conversion. Every dequantized logit of the integer model must lie within
     * {@code maxSteps} output steps of the fake-quant network's. Top-1 is asserted too but says little
     * here: an untrained net gives most images the same class (the tiny trained model below is the
     * meaningful top-1 check).
     */
    private void checkZooModel(String name, int n, double maxSteps, double maxMean) throws Exception {
        Architecture arch = Zoo.get(name, new int[] {3, 32, 32}, 10);
        ImageSet calib = Int8Fixtures.images(32, 3, 32, 32, 11), test = Int8Fixtures.images(n, 3, 32, 32, 12);
        try (Network net = Int8Fixtures.network(arch, 3);
             QuantizedNetwork q = Quantization.calibrate(net, calib, PREP, CalibrationMethod.MIN_MAX)) {
            Int8Model m = q.convert();
            assertEquals(name + "-fused", m.name(), "the QAT network's fused architecture names the model");
            Agreement a = agreement(q, m, test, n);
            System.out.printf("%s: int8 vs fake-quant logits worst %.2f, mean %.3f output steps; argmax %d/%d (%d classes)%n",
                    name, a.worstSteps(), a.meanSteps(), a.argmaxAgree(), a.n(), a.classesPredicted());
            assertTrue(a.worstSteps() <= maxSteps + 1e-3, name + ": logits differ by up to " + a.worstSteps() + " output steps");
            assertTrue(a.meanSteps() <= maxMean, name + ": mean logit difference " + a.meanSteps() + " output steps");
            assertTrue(a.argmaxAgree() >= n - 1, name + ": top-1 agrees on only " + a.argmaxAgree() + " of " + n);

            Path f = dir.resolve(name + ".sqz8");
            m.write(f);
            Int8Model back = Int8Model.read(f);
            assertEquals(m, back, name + ": .sqz8 round trip");
            assertArrayEquals(Files.readAllBytes(f), back.toBytes(), name + ": re-encoding gives the same bytes");
            assertEquals(3, ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN).getInt(8),
                    name + " uses version-3 ops, so its file is version 3");
            float[] x = new BatchMaker(test, PREP).batch(0, 2);
            assertArrayEquals(IntegerReference.run(m, x, 2), IntegerReference.run(back, x, 2));
        }
    }

    @Test
    void shuffleNetV2ConvertsAgreesWithFakeQuantAndRoundTrips() throws Exception {
        checkZooModel("shufflenetv2", 8, 2, 0.5); // observed: worst 1 step, mean 0.23
    }

    @Test
    void mobileNetV2ConvertsAgreesWithFakeQuantAndRoundTrips() throws Exception {
        checkZooModel("mobilenetv2", 6, 2, 0.5); // observed: worst 1 step, mean 0.13
    }

    @Test
    void tinyTrainedModelWithHardSwishAgreesWithFakeQuantAfterStaticAndQatPreparation() {
        Architecture arch = tinyNewOps();
        ImageSet calib = Int8Fixtures.images(64, 3, 16, 16, 21), test = Int8Fixtures.images(32, 3, 16, 16, 22);
        // Trained for a few seconds so that top-1 varies between images and agreeing on it means something.
        try (Network net = Int8ConversionTest.trained(arch, 4)) {
            try (QuantizedNetwork q = Quantization.calibrate(net, calib, PREP, CalibrationMethod.MIN_MAX)) {
                Int8Model m = q.convert();
                assertTrue(m.flatOps().stream().anyMatch(o -> o instanceof Int8Op.Lookup l && l.activation().equals(Activation.HARD_SWISH)));
                assertTrue(m.flatOps().stream().anyMatch(o -> o instanceof Int8Op.Concat c
                        && !c.branchGrids().get(0).equals(c.branchGrids().get(1))), "a concat whose branches have different grids");
                assertTrue(m.flatOps().stream().anyMatch(o -> o instanceof Int8Op.ChannelSlice));
                assertTrue(m.flatOps().stream().anyMatch(o -> o instanceof Int8Op.ChannelShuffle));
                Agreement a = agreement(q, m, test, 32);
                System.out.printf("tiny static: worst %.2f, mean %.3f steps; argmax %d/%d (%d classes)%n",
                        a.worstSteps(), a.meanSteps(), a.argmaxAgree(), a.n(), a.classesPredicted());
                assertTrue(a.worstSteps() <= 2 + 1e-3, "logits differ by up to " + a.worstSteps() + " output steps");
                assertTrue(a.classesPredicted() >= 5, "the trained model predicts only " + a.classesPredicted() + " classes");
                assertTrue(a.argmaxAgree() >= 30, "top-1 agrees on only " + a.argmaxAgree() + " of 32");
                // Taps: every op, branches before their concat, in flat order.
                List<Integer> ids = IntegerReference.runWithTaps(m, new BatchMaker(test, PREP).batch(0, 1), 1).stream()
                        .map(IntegerReference.Tap::opId).toList();
                List<Integer> want = new ArrayList<>(List.of(-1));
                for (Int8Op op : m.flatOps().subList(1, m.flatOps().size() - 1)) want.add(op.id());
                assertEquals(want, ids);
            }
            // QAT: one short epoch through the concat/slice/shuffle/hard-swish blocks (gradients included), convert.
            try (QuantizedNetwork q = Quantization.prepareQat(net, QConfig.x86())) {
                Training.fit(q.network(), calib, null, TrainConfig.builder().setEpochs(1).setOptimizer(OptimizerConfig.adam(1e-3f))
                        .optBatchSize(32).optSeed(3).optPreprocessing(PREP).optProgress(Progress.silent()).build());
                Int8Model m = q.convert();
                Agreement a = agreement(q, m, test, 32);
                System.out.printf("tiny QAT: worst %.2f, mean %.3f steps; argmax %d/%d (%d classes)%n",
                        a.worstSteps(), a.meanSteps(), a.argmaxAgree(), a.n(), a.classesPredicted());
                assertTrue(a.worstSteps() <= 3 + 1e-3, "QAT: logits differ by up to " + a.worstSteps() + " output steps");
            }
        }
    }

    /**
     * A pruned ShuffleNet's explicit permutation through static PTQ (fake-quant blocks), conversion, a short
     * QAT run (gradients through the permutation) and the file: integer logits within 2 output steps of the
     * fake-quant network's (3 after QAT), the permutation kept in the int8 op, and a version-4 file that
     * reads back to the same model and codes.
     */
    @Test
    void permutedNetQuantizesAgreesWithFakeQuantAndRoundTrips() throws Exception {
        Architecture arch = Int8Fixtures.permutedNet(Int8Fixtures.PERMUTATION);
        ImageSet calib = Int8Fixtures.images(64, 3, 12, 12, 31), test = Int8Fixtures.images(16, 3, 12, 12, 32);
        try (Network net = Int8Fixtures.network(arch, 33)) {
            try (QuantizedNetwork q = Quantization.calibrate(net, calib, PREP, CalibrationMethod.MIN_MAX)) {
                Int8Model m = q.convert();
                Int8Op.ChannelShuffle perm = (Int8Op.ChannelShuffle) m.flatOps().stream().filter(o -> o instanceof Int8Op.ChannelShuffle)
                        .findFirst().orElseThrow();
                assertEquals(ChannelShuffle.permutation(Int8Fixtures.PERMUTATION), perm.layer());
                Agreement a = agreement(q, m, test, 16);
                System.out.printf("permuted static: worst %.2f, mean %.3f steps; argmax %d/%d%n", a.worstSteps(), a.meanSteps(), a.argmaxAgree(), a.n());
                assertTrue(a.worstSteps() <= 2 + 1e-3, "logits differ by up to " + a.worstSteps() + " output steps");
                Path f = dir.resolve("permuted.sqz8");
                m.write(f);
                Int8Model back = Int8Model.read(f);
                assertEquals(m, back);
                assertEquals(4, ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN).getInt(8), "an explicit order needs version 4");
                float[] x = new BatchMaker(test, PREP).batch(0, 4);
                assertArrayEquals(IntegerReference.run(m, x, 4), IntegerReference.run(back, x, 4));
            }
            try (QuantizedNetwork q = Quantization.prepareQat(net, QConfig.x86())) {
                Training.fit(q.network(), calib, null, TrainConfig.builder().setEpochs(1).setOptimizer(OptimizerConfig.adam(1e-3f))
                        .optBatchSize(32).optSeed(3).optPreprocessing(PREP).optProgress(Progress.silent()).build());
                Int8Model m = q.convert();
                Agreement a = agreement(q, m, test, 16);
                System.out.printf("permuted QAT: worst %.2f, mean %.3f steps%n", a.worstSteps(), a.meanSteps());
                assertTrue(a.worstSteps() <= 3 + 1e-3, "QAT: logits differ by up to " + a.worstSteps() + " output steps");
            }
        }
    }

    /** The engine-free fixture other helpers' executor tests use: converts, chains, runs, and exercises the ReLU6 clamp. */
    @Test
    void randomZooInt8FixtureConvertsBothModels() {
        for (String name : List.of("shufflenetv2", "mobilenetv2")) {
            Int8Model m = Int8Fixtures.randomZooInt8(name, new int[] {3, 32, 32}, 1);
            assertEquals(new TensorShape(3, 32, 32), m.inputShape());
            assertEquals(10, m.classes());
            if (name.equals("mobilenetv2")) {
                assertTrue(m.flatOps().stream().anyMatch(o -> o instanceof Int8Op.Conv c && c.activation().equals(Activation.RELU6)
                        && c.requantization().qmax() < c.output().qmax()), "a ReLU6 clamp below qmax");
            } else {
                assertEquals(16, m.flatOps().stream().filter(o -> o instanceof Int8Op.Concat).count(), "one concat per unit");
                assertEquals(16, m.flatOps().stream().filter(o -> o instanceof Int8Op.ChannelShuffle).count());
                assertEquals(26, m.flatOps().stream().filter(o -> o instanceof Int8Op.ChannelSlice).count(), "two per split unit");
                int[] codes = IntegerReference.run(m, new BatchMaker(Int8Fixtures.images(1, 3, 32, 32, 3), PREP).batch(0, 1), 1);
                assertEquals(10, codes.length);
            }
        }
    }

    // ---- integer arithmetic against the javadoc -------------------------------------------------

    /**
     * {@code Requantizer.requantize(v)} recomputed from its documented exact value: {@code floor(v·M_q + 1/2)
     * + zp} clamped, with {@code M_q = multiplier · 2^(shift−31)} (exact in double for |v| ≤ 2^9).
     */
    private static int javadocRequantize(Requantizer r, int v) {
        double exact = v * Math.scalb((double) r.multiplier(), r.shift() - 31);
        long y = (long) Math.floor(exact + 0.5) + r.zeroPoint();
        return (int) Math.max(r.qmin(), Math.min(r.qmax(), y));
    }

    /**
     * A hand-made graph: concat of (identity on the input grid | ReLU act onto grid g1 | channel slice
     * [1, 3)) onto a third grid, then a channel shuffle of 2 groups. Every output code is recomputed from
     * the javadoc formulas with independent indexing.
     */
    @Test
    void concatOfBranchesOnDifferentGridsMatchesTheJavadocFormula() {
        TensorShape in = new TensorShape(4, 3, 5);
        QuantParams gin = QuantParams.fromRange(-1f, 1f, QScheme.PER_TENSOR_AFFINE);
        QuantParams g1 = QuantParams.fromRange(0f, 0.77f, QScheme.PER_TENSOR_AFFINE);
        QuantParams gout = QuantParams.fromRange(-0.61f, 1.3f, QScheme.PER_TENSOR_AFFINE);
        Int8Op.Act relu = new Int8Op.Act(0, Activation.RELU, in, gin, g1,
                Requantization.of(new double[] {(double) gin.scale() / g1.scale()}, Activation.RELU, g1));
        Int8Op.ChannelSlice slice = new Int8Op.ChannelSlice(1, new ChannelSlice(1, 3), in, gin);
        List<QuantParams> grids = List.of(gin, g1, gin);
        List<Requantizer> rescales = grids.stream().map(g -> Requantizer.of((double) g.scale() / gout.scale(), gout)).toList();
        Int8Op.Concat cat = new Int8Op.Concat(2, List.of(List.of(), List.of(relu), List.of(slice)), in, grids, gout, rescales);
        assertEquals(new TensorShape(10, 3, 5), cat.outputShape());
        Int8Op.ChannelShuffle shuffle = new Int8Op.ChannelShuffle(3, new ChannelShuffle(2), cat.outputShape(), gout);
        Int8Model m = new Int8Model("hand-concat", List.of(new Int8Op.QuantizeInput(in, gin), cat, shuffle,
                new Int8Op.Dequantize(shuffle.outputShape(), gout)), Map.of());

        int batch = 3, plane = in.plane();
        SplittableRandom r = new SplittableRandom(9);
        int[] x = new int[batch * in.size()];
        for (int i = 0; i < x.length; i++) x[i] = r.nextInt(256);
        int[] y = IntegerReference.runQuantized(m, x, batch);

        int[] catWant = new int[batch * 10 * plane];
        for (int n = 0; n < batch; n++) {
            for (int p = 0; p < plane; p++) {
                for (int c = 0; c < 4; c++) {
                    int q = x[(n * 4 + c) * plane + p];
                    // branch 0: the input codes themselves
                    catWant[(n * 10 + c) * plane + p] = javadocRequantize(rescales.get(0), q - gin.zeroPoint());
                    // branch 1: ReLU onto g1 (Act: requantization.apply(0, q − zp_in)), then onto the output grid
                    int q1 = relu.requantization().apply(0, q - gin.zeroPoint());
                    catWant[(n * 10 + 4 + c) * plane + p] = javadocRequantize(rescales.get(1), q1 - g1.zeroPoint());
                }
                for (int c = 0; c < 2; c++) { // branch 2: input channels 1 and 2
                    int q = x[(n * 4 + 1 + c) * plane + p];
                    catWant[(n * 10 + 8 + c) * plane + p] = javadocRequantize(rescales.get(2), q - gin.zeroPoint());
                }
            }
        }
        int[] want = new int[catWant.length];
        int g = 2, k = 10 / g;
        for (int n = 0; n < batch; n++) {
            for (int i = 0; i < g; i++) {
                for (int j = 0; j < k; j++) {
                    for (int p = 0; p < plane; p++) want[(n * 10 + j * g + i) * plane + p] = catWant[(n * 10 + i * k + j) * plane + p];
                }
            }
        }
        assertArrayEquals(want, y);

        // The fixed-point rescale is within one step of the real-valued requantization, and branches whose
        // grid differs from the output grid really are rescaled (not copied).
        int moved = 0;
        for (int n = 0; n < batch; n++) {
            for (int p = 0; p < plane; p++) {
                int q = x[(n * 4) * plane + p];
                double real = gin.dequantize(q) / gout.scale() + gout.zeroPoint();
                int got = catWant[(n * 10) * plane + p];
                if (real >= gout.qmin() && real <= gout.qmax()) assertEquals(real, got, 0.5 + 1e-6, "branch 0 code " + q);
                if (got != q) moved++;
            }
        }
        assertTrue(moved > 0, "the rescale onto a different grid changed no code");
        // Same grid in and out: the multiplier is exactly 1, a copy.
        Requantizer same = Requantizer.of(1.0, gin);
        for (int q = 0; q < 256; q++) assertEquals(q, same.requantize(q - gin.zeroPoint()));
    }

    @Test
    void relu6ClampsAtTheCodeOfSixWhereTheGridExtendsPastIt() {
        QuantParams wide = QuantParams.fromRange(-2f, 10f, QScheme.PER_TENSOR_AFFINE);
        Requantization r = Requantization.of(new double[] {0.37, 1.2}, Activation.RELU6, wide);
        int six = wide.zeroPoint() + (int) Math.rint(6f * (1f / wide.scale()));
        assertTrue(six < wide.qmax(), "the test grid must extend past 6");
        assertEquals(six, r.qmax());
        assertEquals(wide.zeroPoint(), r.clampMin());
        assertTrue(r.singleBranch());
        for (int c = 0; c < 2; c++) {
            assertEquals(six, r.apply(c, 1_000_000), "large accumulators clamp at real 6");
            assertEquals(wide.zeroPoint(), r.apply(c, -1_000_000), "negative accumulators clamp at real 0");
            assertEquals(wide.zeroPoint() + 10, r.apply(c, (int) Math.round(10 / (c == 0 ? 0.37 : 1.2))), "in between: plain requantization");
        }
        // A grid that ends at 6 (a calibrated ReLU6 output): the clamp is the grid's qmax.
        QuantParams tight = QuantParams.fromRange(0f, 6f, QScheme.PER_TENSOR_AFFINE);
        assertEquals(tight.qmax(), Requantization.of(new double[] {0.5}, Activation.RELU6, tight).qmax());

        // Standalone ReLU6 act over every input code: exactly relu6 on the grid, within one step of the real value.
        QuantParams gin = QuantParams.fromRange(-8f, 8f, QScheme.PER_TENSOR_AFFINE);
        TensorShape shape = new TensorShape(1, 1, 256);
        Int8Op.Act act = new Int8Op.Act(0, Activation.RELU6, shape, gin, wide,
                Requantization.of(new double[] {(double) gin.scale() / wide.scale()}, Activation.RELU6, wide));
        Int8Model m = new Int8Model("relu6", List.of(new Int8Op.QuantizeInput(shape, gin), act, new Int8Op.Dequantize(shape, wide)), Map.of());
        int[] codes = new int[256];
        for (int q = 0; q < 256; q++) codes[q] = q;
        int[] y = IntegerReference.runQuantized(m, codes, 1);
        for (int q = 0; q < 256; q++) {
            float real = Activation.RELU6.apply(gin.dequantize(q));
            assertTrue(y[q] >= wide.zeroPoint() && y[q] <= six, "code " + y[q] + " outside [zp, code of 6]");
            assertEquals(wide.quantize(real), y[q], 1, "input code " + q);
            if (gin.dequantize(q) >= 6f) assertEquals(six, y[q], "input code " + q + " ≥ 6");
        }
        // An upper clamp above the grid is refused; hard-swish is no clamp.
        QuantParams narrow = new QuantParams(wide.scale(), wide.zeroPoint(), 0, 200);
        assertThrows(IllegalArgumentException.class, () -> new Int8Op.Act(0, Activation.RELU, shape, gin, narrow,
                Requantization.of(new double[] {1}, Activation.RELU, wide)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Requantization.of(new double[] {1}, Activation.HARD_SWISH, wide));
        assertTrue(e.getMessage().contains("Lookup"), e.getMessage());
    }

    @Test
    void hardSwishTableIsTheActivationOnTheGrids() {
        QuantParams gin = QuantParams.fromRange(-5f, 5f, QScheme.PER_TENSOR_AFFINE);
        QuantParams gout = QuantParams.fromRange(-0.4f, 5f, QScheme.PER_TENSOR_AFFINE);
        TensorShape shape = new TensorShape(2, 1, 128);
        Int8Op.Lookup l = Int8Op.Lookup.of(0, Activation.HARD_SWISH, shape, gin, gout);
        Int8Model m = new Int8Model("hswish", List.of(new Int8Op.QuantizeInput(shape, gin), l, new Int8Op.Dequantize(shape, gout)), Map.of());
        int[] codes = new int[256];
        for (int q = 0; q < 256; q++) codes[q] = q;
        int[] y = IntegerReference.runQuantized(m, codes, 1);
        for (int q = 0; q < 256; q++) {
            float v = gin.dequantize(q);
            float hs = v * Math.min(Math.max(v + 3f, 0f), 6f) / 6f;
            assertEquals(gout.quantize(hs), y[q], "input code " + q);
        }
        assertEquals(gout.quantize(0f), y[gin.zeroPoint()], "hard-swish(0) = 0");
    }

    // ---- file -----------------------------------------------------------------------------------

    private static Int8Model handModelWithEveryNewOp() {
        TensorShape in = new TensorShape(4, 2, 3);
        QuantParams gin = QuantParams.fromRange(-1f, 1f, QScheme.PER_TENSOR_AFFINE);
        QuantParams g1 = QuantParams.fromRange(-2f, 9f, QScheme.PER_TENSOR_AFFINE);
        QuantParams gout = QuantParams.fromRange(-0.7f, 1.9f, QScheme.PER_TENSOR_AFFINE);
        Int8Op.Act relu6 = new Int8Op.Act(0, Activation.RELU6, in, gin, g1,
                Requantization.of(new double[] {(double) gin.scale() / g1.scale()}, Activation.RELU6, g1));
        Int8Op.ChannelSlice slice = new Int8Op.ChannelSlice(1, new ChannelSlice(2, 4), in, gin);
        List<QuantParams> grids = List.of(g1, gin);
        Int8Op.Concat cat = new Int8Op.Concat(2, List.of(List.of(relu6), List.of(slice)), in, grids, gout,
                grids.stream().map(g -> Requantizer.of((double) g.scale() / gout.scale(), gout)).toList());
        Int8Op.ChannelShuffle shuffle = new Int8Op.ChannelShuffle(3, new ChannelShuffle(3), cat.outputShape(), gout);
        Int8Op.Lookup hs = Int8Op.Lookup.of(4, Activation.HARD_SWISH, shuffle.outputShape(), gout,
                QuantParams.fromRange(-0.4f, 2f, QScheme.PER_TENSOR_AFFINE));
        return new Int8Model("hand-new-ops", List.of(new Int8Op.QuantizeInput(in, gin), cat, shuffle, hs,
                new Int8Op.Dequantize(hs.outputShape(), hs.output())), Map.of("seed", "1"));
    }

    @Test
    void fileRoundTripsEveryNewOpAndPicksTheOldestVersionThatHoldsTheModel() throws Exception {
        Int8Model m = handModelWithEveryNewOp();
        assertTrue(((Int8Op.Act) ((Int8Op.Concat) m.ops().get(1)).branches().get(0).get(0)).requantization().qmax() < 255,
                "the ReLU6 clamp lies below the grid's qmax, so clamp_max is stored");
        Int8Model back = writeAndRead(m, "new.sqz8", 3);
        int[] codes = new int[2 * 24];
        for (int i = 0; i < codes.length; i++) codes[i] = (i * 37) % 256;
        assertArrayEquals(IntegerReference.runQuantized(m, codes, 2), IntegerReference.runQuantized(back, codes, 2));

        // A model with only version-2 ops still writes version 2 (an older Squeeze opens it).
        Int8Model old = Int8ModelTest.convert(Int8ModelTest.graph(Int8Fixtures.tinyResNet(), 1), QConfig.x86());
        assertEquals(2, ByteBuffer.wrap(old.toBytes()).order(ByteOrder.LITTLE_ENDIAN).getInt(8));
        assertEquals(old, Int8ModelFiles.decode(old.toBytes(), "old.sqz8"));
    }

    /** Writes {@code m} to {@code name}, reads it back: equal op for op, byte for byte, with the format version {@code version}. */
    private Int8Model writeAndRead(Int8Model m, String name, int version) throws Exception {
        Path f = dir.resolve(name);
        m.write(f);
        Int8Model back = Int8Model.read(f);
        assertEquals(m, back);
        assertArrayEquals(Files.readAllBytes(f), back.toBytes());
        assertEquals(version, ByteBuffer.wrap(back.toBytes()).order(ByteOrder.LITTLE_ENDIAN).getInt(8));
        return back;
    }

    /** quantize → explicit permutation of 8 channels → 2-group shuffle → dequantize, on {@code [8, 2, 3]}. */
    private static Int8Model handModelWithPermutation(int[] order) {
        TensorShape in = new TensorShape(8, 2, 3);
        QuantParams g = QuantParams.fromRange(-1f, 1f, QScheme.PER_TENSOR_AFFINE);
        Int8Op.ChannelShuffle perm = new Int8Op.ChannelShuffle(0, ChannelShuffle.permutation(order), in, g);
        Int8Op.ChannelShuffle shuffle = new Int8Op.ChannelShuffle(1, new ChannelShuffle(2), in, g);
        return new Int8Model("hand-permutation", List.of(new Int8Op.QuantizeInput(in, g), perm, shuffle, new Int8Op.Dequantize(in, g)), Map.of());
    }

    /**
     * An explicit permutation is stored as {@code "order"} in a version-4 file (a version-3 reader would run
     * it as a shuffle of 1 group, the identity, so it must refuse the file) and reads back to the same op
     * and codes; a model with only g-group shuffles stays version 3 with no "order"; an "order" that is
     * not a permutation is refused.
     */
    @Test
    void fileRoundTripsAnExplicitPermutationAsVersion4() throws Exception {
        Int8Model m = handModelWithPermutation(Int8Fixtures.PERMUTATION);
        Int8Model back = writeAndRead(m, "perm.sqz8", 4);
        assertEquals(4, Int8ModelFiles.version(m));
        Int8Op.ChannelShuffle perm = (Int8Op.ChannelShuffle) back.ops().get(1);
        assertTrue(perm.layer().explicit());
        assertArrayEquals(Int8Fixtures.PERMUTATION, perm.layer().order());
        assertEquals(new ChannelShuffle(2), ((Int8Op.ChannelShuffle) back.ops().get(2)).layer());

        // The codes: y[j] = x[order[j]], then the 2-group shuffle (output channel 2j + i is channel 4i + j).
        int batch = 2, plane = 6;
        int[] codes = new int[batch * 8 * plane];
        for (int i = 0; i < codes.length; i++) codes[i] = (i * 37 + 11) % 256;
        int[] want = new int[codes.length];
        for (int n = 0; n < batch; n++) {
            for (int j = 0; j < 8; j++) {
                int permuted = j / 2 + 4 * (j % 2); // the shuffle's source channel, in the permuted tensor
                System.arraycopy(codes, (n * 8 + Int8Fixtures.PERMUTATION[permuted]) * plane, want, (n * 8 + j) * plane, plane);
            }
        }
        assertArrayEquals(want, IntegerReference.runQuantized(back, codes, batch));
        assertTrue(!Arrays.equals(want, IntegerReference.runQuantized(handModelWithPermutation(Int8Fixtures.IDENTITY), codes, batch)),
                "the permutation changes the codes");

        String header = header(m.toBytes());
        assertTrue(header.contains("\"layer\":[1],\"order\":[3,0,7,1,5,2,6,4]"), header);
        // Without an explicit permutation nothing changes: version 3 and no "order" (older readers open it).
        byte[] old = handModelWithEveryNewOp().toBytes();
        assertEquals(3, ByteBuffer.wrap(old).order(ByteOrder.LITTLE_ENDIAN).getInt(8));
        assertTrue(!header(old).contains("order"), header(old));

        byte[] all = m.toBytes();
        int hl = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        byte[] payload = Arrays.copyOfRange(all, 16 + hl, all.length - 32);
        String twice = header.replace("\"order\":[3,0,7,1,5,2,6,4]", "\"order\":[3,0,7,1,5,2,6,3]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8ModelFiles.decode(frame(4, twice, payload), "bad.sqz8"));
        assertTrue(e.getMessage().contains("bad.sqz8") && e.getMessage().contains("must be a permutation"), e.getMessage());
        String wide = header.replace("\"order\":[3,0,7,1,5,2,6,4]", "\"order\":[3,0,7,1,5,2,6,4,8]");
        e = assertThrows(IllegalArgumentException.class, () -> Int8ModelFiles.decode(frame(4, wide, payload), "wide.sqz8"));
        assertTrue(e.getMessage().contains("wide.sqz8") && e.getMessage().contains("permutes 9 channels, not 8"), e.getMessage());
    }

    private static String header(byte[] all) {
        int hl = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        return new String(all, 16, hl, StandardCharsets.UTF_8);
    }

    @Test
    void unknownOpKindAndNewerVersionAreRefusedWithReasonAndFix() {
        byte[] all = handModelWithEveryNewOp().toBytes();
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int hl = b.getInt(12);
        String header = new String(all, 16, hl, StandardCharsets.UTF_8);
        byte[] payload = Arrays.copyOfRange(all, 16 + hl, all.length - 32);
        assertTrue(header.contains("\"op\":\"channel_shuffle\""), header);

        String renamed = header.replace("\"op\":\"channel_shuffle\"", "\"op\":\"channel_twist\"");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8ModelFiles.decode(frame(3, renamed, payload), "future.sqz8"));
        assertTrue(e.getMessage().contains("future.sqz8") && e.getMessage().contains("'channel_twist'")
                && e.getMessage().contains("newer") && e.getMessage().contains("upgrade Squeeze"), e.getMessage());

        int newer = Int8Model.FORMAT_VERSION + 1;
        e = assertThrows(IllegalArgumentException.class, () -> Int8ModelFiles.decode(frame(newer, header, payload), "future-version.sqz8"));
        assertTrue(e.getMessage().contains("version " + newer) && e.getMessage().contains("upgrade Squeeze"), e.getMessage());
        assertEquals(handModelWithEveryNewOp(), Int8ModelFiles.decode(frame(3, header, payload), "same.sqz8"), "the framing is faithful");
    }

    private static byte[] frame(int version, String header, byte[] payload) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(16 + h.length + payload.length + 32).order(ByteOrder.LITTLE_ENDIAN);
        b.put("SQZINT8\0".getBytes(StandardCharsets.US_ASCII)).putInt(version).putInt(h.length).put(h).put(payload);
        byte[] all = b.array();
        System.arraycopy(dev.squeeze.util.Sha256.of(all, all.length - 32), 0, all, all.length - 32, 32);
        return all;
    }
}
