package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8ModelFiles;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.Int8Weights;
import dev.squeeze.ir.PerChannelQuantParams;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.WeightMethod;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Zoo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The int8 model file, weight packing and the converter's checks, on synthetic fused graphs (no engine). */
class Int8ModelTest {
    @TempDir Path dir;

    static FusedGraph graph(Architecture a, long seed) {
        return FusedGraph.of(a, Int8Fixtures.randomParams(a, seed));
    }

    static Int8Model convert(FusedGraph g, QConfig config) {
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("seed", "7");
        prov.put("data", "synthetic");
        return Int8Converter.convert(g, Int8Fixtures.uniformGrids(g, -2f, 6f), config, prov);
    }

    static float[] input(int n, int per, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * per];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }

    @Test
    void fileRoundTripIsBitExact() throws Exception {
        FusedGraph g = graph(Int8Fixtures.tinyResNet(), 1);
        for (QConfig cfg : List.of(QConfig.x86(), QConfig.qnnpack(), QConfig.int4Weights(), QConfig.ternaryWeights(),
                QConfig.binaryWeights(), QConfig.builder().optWeightScheme(QScheme.PER_CHANNEL_AFFINE).build())) {
            Int8Model m = convert(g, cfg);
            Path f = dir.resolve("m.sqz8");
            m.write(f);
            assertEquals(Files.size(f), m.sizeBytes(), "sizeBytes is the written file's size");
            Int8Model back = Int8Model.read(f);
            assertEquals(m, back, cfg.toString());
            assertEquals(m.hashCode(), back.hashCode());
            assertArrayEquals(Files.readAllBytes(f), back.toBytes(), "re-encoding gives the same bytes");
            assertEquals("7", back.provenance().get("seed"));
            assertEquals(cfg.weightMethod().name().toLowerCase(), back.provenance().get("weight_method"));
            assertEquals(System.getProperty("java.version"), back.provenance().get("jdk"));
            float[] x = input(3, 3 * 16 * 16, 2);
            assertArrayEquals(IntegerReference.run(m, x, 3), IntegerReference.run(back, x, 3));
            List<IntegerReference.Tap> t1 = IntegerReference.runWithTaps(m, x, 3), t2 = IntegerReference.runWithTaps(back, x, 3);
            assertEquals(t1.size(), t2.size());
            for (int i = 0; i < t1.size(); i++) assertArrayEquals(t1.get(i).codes(), t2.get(i).codes(), "tap " + t1.get(i).opId());
        }
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp files left behind");
        }
    }

    @Test
    void tapsCoverEveryOpInExecutionOrder() {
        FusedGraph g = graph(Int8Fixtures.tinyResNet(), 1);
        Int8Model m = convert(g, QConfig.x86());
        List<IntegerReference.Tap> taps = IntegerReference.runWithTaps(m, input(2, 3 * 16 * 16, 3), 2);
        List<Integer> ids = taps.stream().map(IntegerReference.Tap::opId).toList();
        List<Integer> want = new java.util.ArrayList<>(List.of(-1));
        for (FusedOp op : g.flatOps()) want.add(op.id());
        assertEquals(want, ids);
        for (IntegerReference.Tap t : taps) {
            assertEquals(2 * t.shape().size(), t.codes().length, "tap " + t.opId());
            for (int v : t.codes()) assertTrue(v >= t.params().qmin() && v <= t.params().qmax(), "tap " + t.opId() + " code " + v);
        }
        assertArrayEquals(taps.get(taps.size() - 1).codes(), IntegerReference.run(m, input(2, 3 * 16 * 16, 3), 2));
        assertEquals(m.flatOps().size(), m.describeOps().size());
        assertTrue(m.describeOps().stream().anyMatch(r -> r.description().equals("add + relu")), m.describeOps().toString());
    }

    @Test
    void truncatedOrTamperedFilesAreOneClearError() throws Exception {
        Int8Model m = convert(graph(Int8Fixtures.tinyResNet(), 1), QConfig.x86());
        Path f = dir.resolve("t.sqz8");
        m.write(f);
        byte[] all = Files.readAllBytes(f);

        Path cut = dir.resolve("cut.sqz8");
        Files.write(cut, Arrays.copyOf(all, all.length - 100));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Model.read(cut));
        assertTrue(e.getMessage().contains("cut.sqz8") && e.getMessage().contains("SHA-256") && e.getMessage().contains("re-export"),
                e.getMessage());

        Path stub = dir.resolve("stub.sqz8");
        Files.write(stub, Arrays.copyOf(all, 20));
        e = assertThrows(IllegalArgumentException.class, () -> Int8Model.read(stub));
        assertTrue(e.getMessage().contains("stub.sqz8") && e.getMessage().contains("truncated"), e.getMessage());

        for (int at : new int[] {30, all.length / 2, all.length - 40, all.length - 1}) { // header, payload, last payload byte, checksum
            byte[] flipped = all.clone();
            flipped[at] ^= 0x10;
            Path p = dir.resolve("flip" + at + ".sqz8");
            Files.write(p, flipped);
            e = assertThrows(IllegalArgumentException.class, () -> Int8Model.read(p));
            assertTrue(e.getMessage().contains(p.getFileName().toString()) && e.getMessage().contains("modified"), e.getMessage());
        }

        Path fp32 = dir.resolve("fp32.sqz");
        byte[] other = all.clone();
        System.arraycopy("SQZFP32\0".getBytes(StandardCharsets.US_ASCII), 0, other, 0, 8);
        Files.write(fp32, other);
        e = assertThrows(IllegalArgumentException.class, () -> Int8Model.read(fp32));
        assertTrue(e.getMessage().contains("magic") && e.getMessage().contains("ModelFile.load"), e.getMessage());
    }

    @Test
    void aChecksummedButInconsistentFileIsStillOneClearError() {
        Int8Model m = convert(graph(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 1), QConfig.x86());
        byte[] all = m.toBytes();
        int hl = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        String header = new String(all, 16, hl, StandardCharsets.UTF_8);
        byte[] payload = Arrays.copyOfRange(all, 16 + hl, all.length - 32);

        // Damage the header, then re-frame with a valid checksum: parsing must still fail cleanly.
        Map<String, String> broken = Map.of(
                "\"codes\":[0,", "\"codes\":[99999999,",                 // array outside the payload
                "\"op\":\"conv\",\"id\":0", "\"op\":\"conv\",\"idx\":0",  // field missing
                "\"op\":\"max_pool\"", "\"op\":\"min_pool\"",             // unknown op
                "\"in_shape\":[16,28,28]", "\"in_shape\":[16,27,28]",     // shapes do not chain
                "\"bits\":8", "\"bits\":4");                              // payload length disagrees
        for (Map.Entry<String, String> b : broken.entrySet()) {
            assertTrue(header.contains(b.getKey()), "fixture: header lacks " + b.getKey() + ": " + header);
            byte[] bytes = frame(header.replaceFirst(java.util.regex.Pattern.quote(b.getKey()), b.getValue()), payload);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8ModelFiles.decode(bytes, "x.sqz8"));
            assertTrue(e.getMessage().startsWith("Int8 model file x.sqz8") && e.getMessage().contains("re-export"), e.getMessage());
        }
        assertEquals(m, Int8ModelFiles.decode(frame(header, payload), "same.sqz8"), "the framing helper is faithful");

        // A version-1 file (double-rounding requantization) is refused with the reason and the fix.
        byte[] v1 = frame(header, payload);
        ByteBuffer.wrap(v1).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1);
        System.arraycopy(dev.squeeze.util.Sha256.of(v1, v1.length - 32), 0, v1, v1.length - 32, 32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8ModelFiles.decode(v1, "old.sqz8"));
        assertTrue(e.getMessage().contains("old.sqz8") && e.getMessage().contains("version 1") && e.getMessage().contains("rounded twice")
                && e.getMessage().contains("re-export"), e.getMessage());
    }

    private static byte[] frame(String header, byte[] payload) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(16 + h.length + payload.length + 32).order(ByteOrder.LITTLE_ENDIAN);
        b.put("SQZINT8\0".getBytes(StandardCharsets.US_ASCII)).putInt(Int8Model.FORMAT_VERSION).putInt(h.length).put(h).put(payload);
        byte[] all = b.array();
        System.arraycopy(dev.squeeze.util.Sha256.of(all, all.length - 32), 0, all, all.length - 32, 32);
        return all;
    }

    @Test
    void codesPackAndUnpackExactlyAtEveryWidth() {
        SplittableRandom r = new SplittableRandom(4);
        for (int bits = 1; bits <= 8; bits++) {
            for (int n : new int[] {1, 7, 8, 9, 61}) {
                QScheme s = QScheme.symmetric(bits, true);
                int[] codes = new int[3 * n];
                WeightMethod method = bits == 1 ? WeightMethod.BINARY : WeightMethod.UNIFORM;
                for (int i = 0; i < codes.length; i++) {
                    codes[i] = method == WeightMethod.BINARY ? (r.nextBoolean() ? 1 : -1) : s.qmin() + r.nextInt(s.levels());
                }
                int lo = method == WeightMethod.BINARY ? -1 : s.qmin(), hi = method == WeightMethod.BINARY ? 1 : s.qmax();
                Int8Weights w = Int8Weights.pack(method, bits, 3, codes, new float[] {1, 2, 3}, new int[3], lo, hi, true);
                assertArrayEquals(codes, w.unpackInts(), bits + " bits");
                assertEquals((codes.length * bits + 7) / 8, w.packedBytes());
                byte[] asBytes = w.unpack();
                for (int i = 0; i < codes.length; i++) {
                    assertEquals(codes[i], asBytes[i]);
                    assertEquals(codes[i], w.code(i));
                }
            }
        }
        int[] ternary = {-1, 0, 1, 1, 0, -1, 0, 0, 1};
        Int8Weights t = Int8Weights.pack(WeightMethod.TERNARY, 2, 1, ternary, new float[] {0.5f}, new int[1], -1, 1, true);
        assertArrayEquals(ternary, t.unpackInts());
        assertEquals(3, t.packedBytes(), "four ternary weights per byte");
        // Low nibble first for 4-bit codes: codes 1 and −2 → u = 9 and 6 → byte 0x69.
        Int8Weights four = Int8Weights.pack(WeightMethod.UNIFORM, 4, 1, new int[] {1, -2}, new float[] {1}, new int[1], -8, 7, true);
        assertArrayEquals(new byte[] {0x69}, four.packed());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Int8Weights.pack(WeightMethod.UNIFORM, 4, 1, new int[] {8}, new float[] {1}, new int[1], -8, 7, true));
        assertTrue(e.getMessage().contains("code 8"), e.getMessage());
    }

    @Test
    void lowBitWeightsMatchTheFakeQuantWeightsAndShrinkTheFile() {
        FusedGraph g = graph(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 3);
        FusedOp.Conv conv0 = (FusedOp.Conv) g.flatOps().get(0);
        float[] w = conv0.weight();
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (QConfig cfg : List.of(QConfig.x86(), QConfig.int4Weights(), QConfig.ternaryWeights(), QConfig.binaryWeights())) {
            Int8Model m = convert(g, cfg);
            Int8Weights q = ((Int8Op.Conv) m.op(0)).weights();
            float[] want = switch (cfg.weightMethod()) {
                case UNIFORM -> perChannelFakeQuant(w, 16, cfg.weightScheme());
                case TERNARY -> LowBitQuantizer.ternarize(w, 16).dequantize();
                case BINARY -> LowBitQuantizer.binarize(w, 16).dequantize();
            };
            assertArrayEquals(want, q.dequantize(), cfg.toString());
            assertEquals(cfg.weightBits(), q.bits());
            sizes.put(cfg.weightMethod() + "/" + cfg.weightBits(), m.sizeBytes());
            assertEquals(m, Int8ModelFiles.decode(m.toBytes(), "mem"));
        }
        List<Long> s = List.copyOf(sizes.values());
        assertTrue(s.get(0) > s.get(1) && s.get(1) > s.get(2) && s.get(2) > s.get(3), "8-bit > 4-bit > ternary > binary: " + sizes);
        // Weights dominate: each halving of the width saves about half of the weight bytes (120,920 weights).
        assertTrue(s.get(0) - s.get(1) > 120_920 / 2 - 100, sizes.toString());
        assertTrue(s.get(2) - s.get(3) > 120_920 / 8 - 100, sizes.toString());
        assertTrue(s.get(0) < 486_318 / 3.8, "int8 seed CNN ≥ 3.8× smaller than fp32: " + s.get(0));
    }

    private static float[] perChannelFakeQuant(float[] w, int out, QScheme scheme) {
        int per = w.length / out;
        float[] mins = new float[out], maxs = new float[out];
        for (int c = 0; c < out; c++) {
            mins[c] = Float.POSITIVE_INFINITY;
            maxs[c] = Float.NEGATIVE_INFINITY;
            for (int i = c * per; i < (c + 1) * per; i++) {
                mins[c] = Math.min(mins[c], w[i]);
                maxs[c] = Math.max(maxs[c], w[i]);
            }
        }
        return PerChannelQuantParams.fromRanges(mins, maxs, scheme, 0).fakeQuantize(w);
    }

    @Test
    void allZeroChannelsDequantizeToExactZeroInEveryFormat() {
        Architecture a = new Architecture("dead", new int[] {1, 4, 4}, List.of(
                dev.squeeze.model.Layer.Conv2d.of(1, 3, 3), new dev.squeeze.model.Layer.Flatten(),
                new dev.squeeze.model.Layer.Linear(12, 2, true)));
        var params = new java.util.ArrayList<>(Int8Fixtures.randomParams(a, 1));
        float[] w = params.get(0).values();
        Arrays.fill(w, 9, 18, 0f); // channel 1 pruned
        FusedGraph g = FusedGraph.of(a, params);
        for (QConfig cfg : List.of(QConfig.x86(), QConfig.qnnpack(), QConfig.ternaryWeights(), QConfig.binaryWeights())) {
            Int8Weights q = ((Int8Op.Conv) convert(g, cfg).op(0)).weights();
            float[] d = q.dequantize();
            for (int i = 9; i < 18; i++) assertEquals(0f, d[i], cfg + " weight " + i);
        }
    }

    @Test
    void conversionNamesTheUncalibratedLayerAndRefusesAFloatInput() {
        FusedGraph g = graph(Int8Fixtures.tinyResNet(), 1);
        Map<Integer, QuantParams> grids = Int8Fixtures.uniformGrids(g, -1, 1);
        FusedOp missing = g.flatOps().get(4);
        grids.remove(missing.id());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Int8Converter.convert(g, grids, QConfig.x86(), Map.of()));
        assertTrue(e.getMessage().contains("op " + missing.id() + " (" + missing.describe() + ")")
                && e.getMessage().contains("Quantization.calibrate(...)") && e.getMessage().contains("prepareQat"), e.getMessage());

        Map<Integer, QuantParams> noInput = Int8Fixtures.uniformGrids(g, -1, 1);
        noInput.remove(-1);
        e = assertThrows(IllegalStateException.class, () -> Int8Converter.convert(g, noInput, QConfig.x86(), Map.of()));
        assertTrue(e.getMessage().contains("input is not quantized") && e.getMessage().contains("float input")
                && e.getMessage().contains("prepareQat(net, config, true)") && e.getMessage().contains("op 0"), e.getMessage());
    }

    @Test
    void anAccumulatorThatCouldOverflowIsRefusedByName() {
        Architecture a = new Architecture("wide", new int[] {1, 1, 1}, List.of(new dev.squeeze.model.Layer.Flatten(),
                new dev.squeeze.model.Layer.Linear(1, 1, true)));
        // A bias of 1e6 on an accumulator scale of 1e-6 · 1e-3 is 1e15 steps: it cannot be an int32.
        FusedGraph g = FusedGraph.of(a, List.of(new dev.squeeze.model.NamedTensor("w", new long[] {1, 1}, new float[] {1e-3f}, "WEIGHT", true),
                new dev.squeeze.model.NamedTensor("b", new long[] {1}, new float[] {1e6f}, "BIAS", true)));
        Map<Integer, QuantParams> grids = new LinkedHashMap<>();
        grids.put(-1, QuantParams.fromRange(-1e-4f, 1e-4f, QScheme.PER_TENSOR_AFFINE));
        grids.put(1, QuantParams.fromRange(0, 1e6f, QScheme.PER_TENSOR_AFFINE));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Int8Converter.convert(g, grids, QConfig.x86(), Map.of()));
        assertTrue(e.getMessage().contains("op 1 (fc 1→1)") && e.getMessage().contains("int32"), e.getMessage());
    }
}
