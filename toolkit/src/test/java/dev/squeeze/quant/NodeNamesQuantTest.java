package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.exec.FloatExecutor;
import dev.squeeze.exec.Int8Executor;
import dev.squeeze.exec.Int8Kernels;
import dev.squeeze.exec.Int8ModelAdapter;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8ModelFiles;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.Int8Weights;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.WeightMethod;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.NodeNames;
import dev.squeeze.model.Zoo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Node names ({@code layer1.0.conv1}) through FusedGraph, Int8Model, .sqz8 files and the executors' profiles. */
class NodeNamesQuantTest {
    private static final int[] IN = {3, 32, 32};

    /** Random weights carrying their path names, as Network.parameters() returns them. */
    static List<NamedTensor> namedParams(Architecture a, long seed) {
        List<NamedTensor> raw = Int8Fixtures.randomParams(a, seed);
        List<String> names = NodeNames.parameterNames(a);
        assertEquals(names.size(), raw.size());
        List<NamedTensor> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            NamedTensor t = raw.get(i);
            out.add(new NamedTensor(names.get(i), t.shape(), t.values(), t.type(), t.trainable()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "shufflenetv2"})
    void namesEqualNodeNamesThroughFusedGraphInt8ModelAndFile(String zoo) {
        Architecture a = Zoo.get(zoo, IN, 10);
        FusedGraph g = FusedGraph.of(a, namedParams(a, 1));
        // Conv and linear ops carry exactly NodeNames' conv/linear names, in order (BatchNorm folded in keeps the conv's).
        List<String> weighted = g.flatOps().stream().filter(o -> o instanceof FusedOp.Conv || o instanceof FusedOp.Dense)
                .map(o -> g.nodeName(o.id())).toList();
        assertEquals(List.copyOf(NodeNames.convAndLinear(a).keySet()), weighted);
        // Residual adds and concats carry their block's name.
        List<String> blocks = g.flatOps().stream().filter(o -> o instanceof FusedOp.Add || o instanceof FusedOp.Concat)
                .map(o -> g.nodeName(o.id())).sorted().toList();
        assertEquals(NodeNames.blocks(a).stream().map(NodeNames.Node::name).sorted().toList(), blocks);
        assertTrue(blocks.contains(zoo.equals("resnet18") ? "layer1.0" : "stage2.0"), blocks.toString());
        assertEquals(g.opCount(), g.nodeNames().size(), "every op named");
        assertEquals(g.opCount(), new HashSet<>(g.nodeNames().values()).size(), "names unique");
        // The fused architecture (what QAT trains) names its ops the same.
        List<NamedTensor> fusedParams = new ArrayList<>();
        List<String> fusedNames = NodeNames.parameterNames(g.toArchitecture());
        for (FusedOp o : g.flatOps()) {
            float[] w = o instanceof FusedOp.Conv c ? c.weight() : o instanceof FusedOp.Dense d ? d.weight() : null;
            float[] b = o instanceof FusedOp.Conv c ? c.bias() : o instanceof FusedOp.Dense d ? d.bias() : null;
            if (w == null) continue;
            fusedParams.add(new NamedTensor(fusedNames.get(fusedParams.size()), new long[] {w.length}, w, "WEIGHT", true));
            fusedParams.add(new NamedTensor(fusedNames.get(fusedParams.size()), new long[] {b.length}, b, "BIAS", true));
        }
        // flatOps order is post-order for adds/concats but conv/dense keep parameter order, so this binds by name.
        assertEquals(g.nodeNames(), FusedGraph.of(g.toArchitecture(), fusedParams).nodeNames());

        Int8Model m = Int8Converter.convert(g, Int8Fixtures.uniformGrids(g, -2f, 8f), QConfig.x86(), Map.of());
        assertEquals(g.nodeNames(), m.nodeNames());
        for (Int8Op op : m.flatOps()) if (op.id() >= 0) assertEquals(g.nodeName(op.id()), m.nodeName(op.id()));
        assertTrue(m.describeOps().stream().anyMatch(r -> r.node().equals(weighted.get(1)) && r.kind().equals("conv")));
        Int8Model back = Int8ModelFiles.decode(m.toBytes(), "memory");
        assertEquals(m, back);
        assertEquals(g.nodeNames(), back.nodeNames());
        assertEquals(weighted.get(1), back.nodeName(back.opId(weighted.get(1))));
    }

    @Test
    void aFileWithoutNamesStillLoadsAndKeepsItsVersion() {
        Int8Model named = Int8Fixtures.randomZooInt8("resnet18", IN, 2);
        Int8Model unnamed = new Int8Model(named.name(), named.ops(), named.provenance());
        byte[] bytes = unnamed.toBytes();
        assertTrue(!new String(bytes, java.nio.charset.StandardCharsets.UTF_8).contains("\"node\""));
        Int8Model back = Int8ModelFiles.decode(bytes, "memory");
        assertEquals(Map.of(), back.nodeNames());
        int conv = back.flatOps().stream().filter(o -> o instanceof Int8Op.Conv).findFirst().orElseThrow().id();
        assertEquals("op" + conv, back.nodeName(conv));
        // Names are informational: the same version as without them.
        assertEquals(Int8ModelFiles.version(unnamed), Int8ModelFiles.version(named));
        assertEquals(java.nio.ByteBuffer.wrap(bytes, 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(),
                java.nio.ByteBuffer.wrap(named.toBytes(), 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt());
    }

    @Test
    void weightsInTheWrongOrderAreRefusedNamingBothNames() {
        Architecture a = Zoo.resnet18(IN, 10);
        List<NamedTensor> params = new ArrayList<>(namedParams(a, 3));
        List<String> names = params.stream().map(NamedTensor::name).toList();
        int i = names.indexOf("layer1.0.conv1.weight"), j = names.indexOf("layer1.0.conv2.weight");
        // Same size, so a size check alone would fuse them into each other's layer.
        assertEquals(params.get(i).values().length, params.get(j).values().length);
        NamedTensor t = params.get(i);
        params.set(i, params.get(j));
        params.set(j, t);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FusedGraph.of(a, params));
        assertTrue(e.getMessage().contains("'layer1.0.conv2.weight'") && e.getMessage().contains("'layer1.0.conv1.weight'"), e.getMessage());
        // Parameters without path names still bind by position.
        assertEquals(FusedGraph.of(a, namedParams(a, 3)).nodeNames(), FusedGraph.of(a, Int8Fixtures.randomParams(a, 3)).nodeNames());
    }

    @Test
    void profileRowsCarryNodeNames() {
        Architecture a = Zoo.resnet18(IN, 10);
        FusedGraph g = FusedGraph.of(a, namedParams(a, 4));
        Int8Model m = Int8Converter.convert(g, Int8Fixtures.uniformGrids(g, -2f, 8f), QConfig.x86(), Map.of());
        float[] x = new float[3 * 32 * 32];
        try (Int8Executor ex = Int8ModelAdapter.executor(m, Int8Kernels.get(), Int8Executor.Options.singleThread(1))) {
            List<String> rows = ex.profile(x, 1, 1).ops().stream().map(Int8Executor.OpProfile::name).toList();
            assertTrue(rows.stream().anyMatch(r -> r.startsWith("layer1.0.conv1 conv")), rows.toString());
            assertTrue(rows.stream().anyMatch(r -> r.startsWith("layer2.0.downsample.0 conv")), rows.toString());
            assertTrue(rows.stream().anyMatch(r -> r.startsWith("layer4.1 add")), rows.toString());
        }
        try (FloatExecutor ex = FloatExecutor.of(g, Int8Executor.Options.singleThread(1))) {
            List<String> rows = ex.profile(x, 1, 1).ops().stream().map(Int8Executor.OpProfile::name).toList();
            assertTrue(rows.stream().anyMatch(r -> r.startsWith("layer1.0.conv1 conv")), rows.toString());
            assertTrue(rows.stream().anyMatch(r -> r.startsWith("fc ")), rows.toString());
        }
    }

    /** Weight format per node name, conv and dense ops only. */
    private static Map<String, String> formats(Int8Model m) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Int8Model.OpInfo r : m.describeOps()) if (!r.weightFormat().isEmpty()) out.put(r.node(), r.weightFormat());
        return out;
    }

    @Test
    void overridingOneConvsWeightSchemeChangesExactlyThatOp() {
        Architecture a = Zoo.resnet18(IN, 10);
        FusedGraph g = FusedGraph.of(a, namedParams(a, 5));
        Map<Integer, QuantParams> grids = Int8Fixtures.uniformGrids(g, -2f, 8f);
        Map<String, String> base = formats(Int8Converter.convert(g, grids, QConfig.x86(), Map.of()));
        QConfig cfg = QConfig.x86().withOverride("layer1.0.conv1", QConfig.qnnpack()).withOverride("fc", QConfig.int4Weights());
        Int8Model m = Int8Converter.convert(g, grids, cfg, Map.of());
        Map<String, String> got = formats(m);
        assertEquals(base.keySet(), got.keySet());
        for (String node : base.keySet()) {
            if (node.equals("layer1.0.conv1") || node.equals("fc")) {
                assertTrue(!base.get(node).equals(got.get(node)), node + ": " + got.get(node));
            } else {
                assertEquals(base.get(node), got.get(node), node);
            }
        }
        Int8Weights w = ((Int8Op.Conv) m.op(m.opId("layer1.0.conv1"))).weights();
        assertTrue(!w.perChannelScales() && w.bits() == 8, w.format());
        assertEquals(4, ((Int8Op.Dense) m.op(m.opId("fc"))).weights().bits());
        assertTrue(m.provenance().get("weight_overrides").contains("layer1.0.conv1"), m.provenance().toString());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8Converter.convert(g, grids, QConfig.x86().withOverride("layer1.0.conv9", QConfig.qnnpack()), Map.of()));
        assertTrue(e.getMessage().contains("'layer1.0.conv9'") && e.getMessage().contains("layer1.0.conv1, layer1.0.conv2"), e.getMessage());
    }

    @Test
    void calibrationAppliesTheOverrideInFakeQuantAndConversion() {
        Architecture a = Zoo.seedCnn(new int[] {1, 28, 28}, 10);
        QConfig cfg = QConfig.x86().withOverride("conv2", QConfig.ternaryWeights());
        try (dev.squeeze.model.Network net = Int8Fixtures.network(a, 6);
             QuantizedNetwork q = Quantization.calibrate(net, Int8Fixtures.images(16, 1, 28, 28, 6),
                     dev.squeeze.data.Preprocessing.unitScale(), cfg)) {
            Int8Model m = q.convert();
            assertEquals(WeightMethod.TERNARY, ((Int8Op.Conv) m.op(m.opId("conv2"))).weights().method());
            assertEquals(WeightMethod.UNIFORM, ((Int8Op.Conv) m.op(m.opId("conv1"))).weights().method());
            // The fake-quant network runs conv2 ternary too: were it uniform there, the integer logits would drift far
            // from the fake-quant ones instead of staying within a few output steps.
            int n = 16;
            float[] x = new dev.squeeze.data.BatchMaker(Int8Fixtures.images(n, 1, 28, 28, 7), dev.squeeze.data.Preprocessing.unitScale()).batch(0, n);
            float[] fq = q.network().logits(x, n), iq = IntegerReference.logits(m, x, n);
            double worst = 0;
            for (int i = 0; i < fq.length; i++) worst = Math.max(worst, Math.abs(fq[i] - iq[i]) / m.outputParams().scale());
            assertTrue(worst <= 3, "integer vs fake-quant logits differ by " + worst + " output steps");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (dev.squeeze.model.Network net = Int8Fixtures.network(a, 6)) {
                Quantization.prepareQat(net, QConfig.x86().withOverride("conv3", QConfig.qnnpack())).close();
            }
        });
        assertTrue(e.getMessage().contains("'conv3'") && e.getMessage().contains("[conv1, conv2, fc1, fc2, fc3]"), e.getMessage());
    }

    /**
     * A per-node activation override changes that node's output grid and nothing else: calibrated side by side with
     * the whole-model settings, every other output's range and every op's weights come out the same; the int8 model
     * carries the new grid through the ops that keep it (pool, flatten), and the integer logits still follow the
     * fake-quant ones.
     */
    @Test
    void overridingOneConvsActivationChangesExactlyThatOutput() {
        Architecture a = Zoo.seedCnn(new int[] {1, 28, 28}, 10);
        QConfig node = QConfig.builder().optActivationBits(6).optCalibration(CalibrationMethod.MIN_MAX).build();
        QConfig cfg = QConfig.x86().withActivationOverride("conv2", node);
        try (dev.squeeze.model.Network net = Int8Fixtures.network(a, 6);
             QuantizedNetwork base = Quantization.calibrate(net, Int8Fixtures.images(16, 1, 28, 28, 6),
                     dev.squeeze.data.Preprocessing.unitScale(), QConfig.x86());
             QuantizedNetwork q = Quantization.calibrate(net, Int8Fixtures.images(16, 1, 28, 28, 6),
                     dev.squeeze.data.Preprocessing.unitScale(), cfg)) {
            FusedGraph g = Fusion.of(net);
            int conv2 = -2;
            for (FusedOp op : g.flatOps()) if (g.nodeName(op.id()).equals("conv2")) conv2 = op.id();
            Map<Integer, QuantParams> before = base.activationParams(), after = q.activationParams();
            assertEquals(before.keySet(), after.keySet());
            for (int id : before.keySet()) {
                if (id == conv2) {
                    assertEquals(0, after.get(id).qmin());
                    assertEquals(63, after.get(id).qmax(), "conv2's output on 6 bits: " + after.get(id));
                    assertNotEquals(before.get(id), after.get(id));
                } else {
                    assertEquals(before.get(id), after.get(id), "op " + id + " (" + g.nodeName(id) + ") must keep its grid");
                }
            }
            assertEquals(6, q.quantizer(conv2).scheme().bits());
            assertTrue(q.quantizer(conv2).observer() instanceof MinMaxObserver, q.quantizer(conv2).observer().toString());
            assertTrue(base.quantizer(conv2).observer() instanceof HistogramObserver, "x86 calibrates by MSE histogram");

            Int8Model m0 = base.convert(), m = q.convert();
            assertEquals(formats(m0), formats(m), "weights are untouched by an activation override");
            for (Int8Op op : m.flatOps()) {
                if (op instanceof Int8Op.Conv c) assertArrayEquals(((Int8Op.Conv) m0.op(c.id())).weights().packed(), c.weights().packed());
                if (op instanceof Int8Op.Dense d) assertArrayEquals(((Int8Op.Dense) m0.op(d.id())).weights().packed(), d.weights().packed());
            }
            assertEquals(after.get(conv2), m.op(conv2).output());
            for (Int8Op op : m.flatOps()) {
                if (op.output().equals(m0.op(op.id()).output())) continue;
                // Only conv2 and the ops that pass its grid on unchanged (maxpool2, flatten1) differ.
                assertTrue(op.id() == conv2 || (!(op instanceof Int8Op.Conv) && !(op instanceof Int8Op.Dense)
                        && op.output().equals(after.get(conv2))), m.nodeName(op.id()) + " changed to " + op.output());
            }
            assertTrue(m.provenance().get("activation_overrides").contains("conv2"), m.provenance().toString());
            int n = 16;
            float[] x = new dev.squeeze.data.BatchMaker(Int8Fixtures.images(n, 1, 28, 28, 7), dev.squeeze.data.Preprocessing.unitScale()).batch(0, n);
            float[] fq = q.network().logits(x, n), iq = IntegerReference.logits(m, x, n);
            double worst = 0;
            for (int i = 0; i < fq.length; i++) worst = Math.max(worst, Math.abs(fq[i] - iq[i]) / m.outputParams().scale());
            assertTrue(worst <= 3, "integer vs fake-quant logits differ by " + worst + " output steps");
        }
    }

    @Test
    void qatObservesTheOverriddenOutputOnItsGridAndRefusesANodeWithoutOne() {
        Architecture a = Zoo.seedCnn(new int[] {1, 28, 28}, 10);
        QConfig node = QConfig.builder().optActivationBits(4).build();
        try (dev.squeeze.model.Network net = Int8Fixtures.network(a, 6);
             QuantizedNetwork q = Quantization.prepareQat(net, QConfig.x86().withActivationOverride("fc1", node))) {
            FusedGraph g = Fusion.of(net);
            for (FusedOp op : g.flatOps()) {
                if (!op.producesNewRange()) continue;
                int bits = q.quantizer(op.id()).scheme().bits();
                assertEquals(g.nodeName(op.id()).equals("fc1") ? 4 : 8, bits, g.nodeName(op.id()));
                assertTrue(q.quantizer(op.id()).observer() instanceof MovingAverageMinMaxObserver, "QAT observes by moving average");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Quantization.prepareQat(net, QConfig.x86().withActivationOverride("maxpool1", node)).close());
            assertTrue(e.getMessage().contains("activation override for node 'maxpool1'") && e.getMessage().contains("[conv1, conv2, fc1, fc2, fc3]"),
                    e.getMessage());
        }
        assertEquals(QConfig.x86(), QConfig.x86().withActivationOverride("fc1", node).forNode("fc1"), "weights keep the whole-model settings");
        assertEquals(4, QConfig.x86().withActivationOverride("fc1", node).forNodeOutput("fc1").activationBits());
    }
}
