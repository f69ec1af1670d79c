package dev.squeeze.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.ir.Requantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every kernel of both implementations against {@link Oracle} on seeded random configurations, compared
 * exactly. A failure message names the seed and the configuration.
 */
class Int8KernelsTest {
    static final String MODE = "squeeze.exec.convMode";
    static int configs; // counted across the class, printed by each test

    /**
     * Whether this JVM was started with the Vector API module: the pom says so per Surefire execution
     * ({@code squeeze.test.vectorModule}); outside Maven (an IDE), whatever the JVM has.
     */
    static boolean vectorModuleExpected() {
        String v = System.getProperty("squeeze.test.vectorModule");
        return v == null ? ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() : v.equals("expected");
    }

    /** Scalar and, where this run has the module, Panama kernels; a run that should have them and does not fails. */
    static List<Int8Kernels> impls() {
        List<Int8Kernels> l = new ArrayList<>();
        l.add(Int8Kernels.scalar());
        if (Int8Kernels.panamaAvailable()) l.add(Int8Kernels.panama());
        else if (vectorModuleExpected()) throw new AssertionError("the Vector API kernels are unavailable although this test run"
                + " starts the JVM with --add-modules jdk.incubator.vector; only the scalar kernels would be tested");
        else System.err.println("Int8KernelsTest: no Vector API module in this run, testing the scalar kernels only");
        return l;
    }

    static int[] codesOf(byte[] out, int n, CodeType t) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = t.decode(out[i]);
        return v;
    }

    @Test
    void convolutionMatchesOracle() {
        List<Int8Kernels> impls = impls();
        SplittableRandom seeds = new SplittableRandom(20240601);
        int n = 3600, fused = 0;
        for (int it = 0; it < n; it++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int k = new int[] {1, 3, 5}[r.nextInt(3)];
            int s = 1 + r.nextInt(2), pad = r.nextInt(3);
            int groups, cg, mg;
            switch (r.nextInt(6)) {
                case 0 -> { groups = 1 + r.nextInt(7); cg = 1; mg = 1 + r.nextInt(2); } // depthwise (multiplier 1–2)
                case 1 -> { groups = 2 + r.nextInt(2); cg = 1 + r.nextInt(4); mg = 1 + r.nextInt(6); }
                case 2 -> { groups = 1 + r.nextInt(2); cg = 1 + r.nextInt(5); mg = 20 + r.nextInt(60); } // several channel blocks
                default -> { groups = 1; cg = 1 + r.nextInt(9); mg = 1 + r.nextInt(13); }
            }
            int H = Math.max(1, k - 2 * pad) + r.nextInt(12), W = Math.max(1, k - 2 * pad) + r.nextInt(r.nextInt(4) == 0 ? 40 : 12);
            int batch = 1 + r.nextInt(3);
            ConvSpec spec = new ConvSpec(groups * cg, groups * mg, k, s, pad, groups, H, W);
            CodeType t = RandomLayers.type(r);
            int[] inGrid = RandomLayers.grid(r, t);
            int zpIn = RandomLayers.pick(r, inGrid[0], inGrid[1]);
            byte[] x = RandomLayers.codes(r, batch * spec.inputSize(), inGrid[0], inGrid[1]);
            int[] w = RandomLayers.weights(r, spec.weightCount());
            int[] bias = RandomLayers.bias(r, spec.outChannels());
            CodeType outType = RandomLayers.type(r);
            Oracle.Out o = RandomLayers.out(r, spec.outChannels(), RandomLayers.grid(r, outType));
            int[] want = Oracle.conv(spec, Oracle.decode(x, t), zpIn, w, bias, o, batch);
            String mode = new String[] {"auto", "direct", "packed", "lanes"}[it % 4];
            for (Int8Kernels kern : impls) {
                System.setProperty(MODE, mode);
                Int8Conv2d conv;
                try {
                    conv = kern.conv2d(spec, t, zpIn, w, bias, o.stage());
                } finally {
                    System.clearProperty(MODE);
                }
                int workers = 1 + (it % 5 == 0 ? 1 : 0);
                Scratch scratch = new Scratch(workers).reserve(conv.kernel(), batch);
                byte[] y = new byte[batch * spec.outputSize() + 3];
                if (workers == 1) {
                    conv.run(x, 0, batch, y, 0, scratch);
                } else {
                    conv.check(x, 0, batch, y, 0, scratch);
                    for (int ph = 0; ph < conv.kernel().phases(); ph++) {
                        for (int wk = workers - 1; wk >= 0; wk--) conv.runPart(ph, x, 0, batch, y, 0, scratch, wk, workers);
                    }
                }
                int[] got = codesOf(y, want.length, outType);
                assertArrayEquals(want, got, () -> kern.name() + " " + conv.path() + " seed " + seed + ": " + spec + " batch " + batch
                        + " in " + t + " zp " + zpIn + " out " + o.stage());
                assertEquals(0, y[want.length], "wrote past the output");
                // the same layer with a fused 2×2 stride-2 max pool, against the oracle's conv then max pool
                Int8Conv2d pooled = conv.withMaxPool2x2();
                if (pooled != null) {
                    PoolSpec ps = new PoolSpec(spec.outHeight(), spec.outWidth(), 2, 2, 0);
                    int[] wantPooled = Oracle.maxPool(ps, want, batch * spec.outChannels());
                    Scratch ps2 = new Scratch(workers).reserve(pooled.kernel(), batch);
                    byte[] yp = new byte[wantPooled.length + 1];
                    pooled.check(x, 0, batch, yp, 0, ps2);
                    for (int ph = 0; ph < pooled.kernel().phases(); ph++) {
                        for (int wk = workers - 1; wk >= 0; wk--) pooled.runPart(ph, x, 0, batch, yp, 0, ps2, wk, workers);
                    }
                    assertArrayEquals(wantPooled, codesOf(yp, wantPooled.length, outType), () -> kern.name() + " " + pooled.path() + " seed "
                            + seed + ": " + spec + " + max-pool 2, batch " + batch);
                    assertEquals(0, yp[wantPooled.length], "fused pool wrote past the output");
                    fused++;
                } else if (conv.path().startsWith("panama") && !(spec.groupInChannels() == 1 && spec.groups() > 1) && spec.outHeight() >= 2 && spec.outWidth() >= 2 && o.stage().singleBranch()) {
                    throw new AssertionError(kern.name() + ": " + spec + " with a single-multiplier stage should fuse a 2×2 max pool");
                }
            }
        }
        configs += n;
        if (impls.stream().anyMatch(Int8Kernels::vectorized)) assertTrue(fused > 300, "only " + fused + " fused conv + max-pool layers checked");
        System.out.println("conv: " + n + " configurations × " + impls.size() + " implementations; " + fused + " also with a fused max pool");
    }

    @Test
    void linearMatchesOracle() {
        List<Int8Kernels> impls = impls();
        SplittableRandom seeds = new SplittableRandom(77);
        int n = 2000;
        for (int it = 0; it < n; it++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int in = 1 + r.nextInt(r.nextInt(4) == 0 ? 300 : 40), out = 1 + r.nextInt(r.nextInt(4) == 0 ? 100 : 40);
            int batch = 1 + r.nextInt(r.nextInt(5) == 0 ? 9 : 3);
            CodeType t = RandomLayers.type(r);
            int[] g = RandomLayers.grid(r, t);
            int zp = RandomLayers.pick(r, g[0], g[1]);
            byte[] x = RandomLayers.codes(r, batch * in, g[0], g[1]);
            int[] w = RandomLayers.weights(r, in * out);
            int[] bias = RandomLayers.bias(r, out);
            CodeType outType = RandomLayers.type(r);
            Oracle.Out o = RandomLayers.out(r, out, RandomLayers.grid(r, outType));
            int[] want = Oracle.linear(in, out, Oracle.decode(x, t), zp, w, bias, o, batch);
            for (Int8Kernels kern : impls) {
                Int8Linear lin = kern.linear(in, out, t, zp, w, bias, o.stage());
                int workers = 1 + (it % 4 == 0 ? 2 : 0);
                Scratch scratch = new Scratch(workers).reserve(lin.kernel(), batch);
                byte[] y = new byte[batch * out];
                if (workers == 1) {
                    lin.run(x, 0, batch, y, 0, scratch);
                } else {
                    lin.check(x, 0, batch, y, 0, scratch);
                    for (int wk = 0; wk < workers; wk++) lin.runPart(0, x, 0, batch, y, 0, scratch, wk, workers);
                }
                assertArrayEquals(want, codesOf(y, want.length, outType),
                        () -> kern.name() + " seed " + seed + ": linear " + in + "→" + out + " batch " + batch + " " + t + " zp " + zp);
            }
        }
        configs += n;
        System.out.println("linear: " + n + " configurations");
    }

    @Test
    void poolsMatchOracle() {
        List<Int8Kernels> impls = impls();
        SplittableRandom seeds = new SplittableRandom(5);
        int n = 3000;
        for (int it = 0; it < n; it++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int k = 1 + r.nextInt(4), s = 1 + r.nextInt(3), pad = r.nextInt(k / 2 + 1);
            int H = Math.max(1, k - 2 * pad) + r.nextInt(10), W = Math.max(1, k - 2 * pad) + r.nextInt(10);
            int planes = 1 + r.nextInt(6);
            PoolSpec p = new PoolSpec(H, W, k, s, pad);
            CodeType t = RandomLayers.type(r);
            int[] g = RandomLayers.grid(r, t);
            int zp = RandomLayers.pick(r, g[0], g[1]);
            byte[] x = RandomLayers.codes(r, planes * H * W + 2, g[0], g[1]);
            int[] xi = Oracle.decode(java.util.Arrays.copyOfRange(x, 2, x.length), t);
            int kind = it % 3;
            int[] want = kind == 0 ? Oracle.maxPool(p, xi, planes) : kind == 1 ? Oracle.avgPool(p, xi, zp, planes)
                    : Oracle.globalAvgPool(H * W, xi, zp, planes);
            for (Int8Kernels kern : impls) {
                byte[] y = new byte[want.length + 1];
                switch (kind) {
                    case 0 -> kern.maxPool(p, t, x, 2, y, 1, planes);
                    case 1 -> kern.avgPool(p, t, zp, x, 2, y, 1, planes);
                    default -> kern.globalAvgPool(H * W, t, zp, x, 2, y, 1, planes);
                }
                int[] got = codesOf(java.util.Arrays.copyOfRange(y, 1, y.length), want.length, t);
                assertArrayEquals(want, got, () -> kern.name() + " seed " + seed + ": pool kind " + kind + " " + p + " planes " + planes);
            }
        }
        configs += n;
        System.out.println("pools: " + n + " configurations");
    }

    /** Input quantization: every kernel equals QuantParams.quantize, ties and infinities included; NaN is named. */
    @Test
    void quantizeMatchesQuantParams() {
        List<Int8Kernels> impls = impls();
        SplittableRandom seeds = new SplittableRandom(17);
        int n = 400;
        for (int it = 0; it < n; it++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            CodeType t = RandomLayers.type(r);
            int[] g = RandomLayers.grid(r, t);
            int zp = RandomLayers.pick(r, g[0], g[1]);
            float scale = (float) Math.exp(r.nextDouble(-9, 2));
            dev.squeeze.ir.QuantParams qp = new dev.squeeze.ir.QuantParams(scale, zp, g[0], g[1]);
            int count = 1 + r.nextInt(300), lead = r.nextInt(4);
            float[] x = new float[lead + count];
            for (int i = 0; i < x.length; i++) {
                x[i] = switch (r.nextInt(6)) {
                    case 0 -> (r.nextInt(600) - 300 + 0.5f) * scale; // ties (up to float rounding of the product)
                    case 1 -> r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                    case 2 -> (float) r.nextDouble(-1e6, 1e6);
                    default -> (float) r.nextDouble(-300, 300) * scale;
                };
            }
            byte[] want = new byte[count];
            for (int i = 0; i < count; i++) want[i] = (byte) qp.quantize(x[lead + i]);
            for (Int8Kernels kern : impls) {
                byte[] y = new byte[count + 1];
                kern.quantize(x, lead, 1.0f / scale, zp, g[0], g[1], y, 1, count);
                assertArrayEquals(want, java.util.Arrays.copyOfRange(y, 1, y.length), () -> kern.name() + " seed " + seed + ": quantize");
            }
        }
        for (Int8Kernels kern : impls) {
            for (int at : new int[] {3, 77, 98}) { // in a vector and in the tail
                float[] x = new float[100];
                x[at] = Float.NaN;
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> kern.quantize(x, 0, 1f, 0, 0, 255, new byte[100], 0, 100));
                assertTrue(e.getMessage().contains("value " + at + " is NaN"), kern.name() + ": " + e.getMessage());
            }
        }
        configs += n;
    }

    /** The vectorized 2×2 stride-2 max pool: even and odd widths up to several vectors, guard bytes untouched. */
    @Test
    void maxPool2x2MatchesOracle() {
        List<Int8Kernels> impls = impls();
        SplittableRandom seeds = new SplittableRandom(13);
        int n = 600;
        for (int it = 0; it < n; it++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int H = 2 + r.nextInt(40), W = 2 + r.nextInt(r.nextBoolean() ? 20 : 150), planes = 1 + r.nextInt(r.nextBoolean() ? 4 : 40);
            PoolSpec p = new PoolSpec(H, W, 2, 2, 0);
            CodeType t = RandomLayers.type(r);
            int[] g = RandomLayers.grid(r, t);
            int lead = r.nextInt(5), tail = r.nextInt(3);
            byte[] x = RandomLayers.codes(r, lead + planes * H * W + tail, g[0], g[1]);
            int[] xi = Oracle.decode(java.util.Arrays.copyOfRange(x, lead, lead + planes * H * W), t);
            int[] want = Oracle.maxPool(p, xi, planes);
            for (Int8Kernels kern : impls) {
                byte[] y = new byte[want.length + 2];
                y[0] = 77;
                y[y.length - 1] = 55;
                kern.maxPool(p, t, x, lead, y, 1, planes);
                int[] got = codesOf(java.util.Arrays.copyOfRange(y, 1, y.length - 1), want.length, t);
                assertArrayEquals(want, got, () -> kern.name() + " seed " + seed + ": max pool " + p + " planes " + planes + " " + t);
                assertEquals(77, y[0], () -> kern.name() + " seed " + seed + ": wrote before the output");
                assertEquals(55, y[y.length - 1], () -> kern.name() + " seed " + seed + ": wrote past the output");
            }
        }
        configs += n;
        System.out.println("2×2 max pools: " + n + " configurations");
    }

    @Test
    void elementwiseOpsMatchOracle() {
        List<Int8Kernels> impls = impls();
        SplittableRandom seeds = new SplittableRandom(9);
        int n = 2400;
        for (int it = 0; it < n; it++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int count = 1 + r.nextInt(r.nextBoolean() ? 200 : 40);
            CodeType ta = RandomLayers.type(r), tb = RandomLayers.type(r), to = RandomLayers.type(r);
            int[] ga = RandomLayers.grid(r, ta), gb = RandomLayers.grid(r, tb);
            int zpA = RandomLayers.pick(r, ga[0], ga[1]), zpB = RandomLayers.pick(r, gb[0], gb[1]);
            byte[] a = RandomLayers.codes(r, count, ga[0], ga[1]), b = RandomLayers.codes(r, count, gb[0], gb[1]);
            Oracle.Out o = RandomLayers.out(r, 1, RandomLayers.grid(r, to));
            int kind = it % 3;
            int[] want;
            AddSpec add = null;
            int[] acc = null;
            int channel = 0;
            OutputStage stage = o.stage();
            if (kind == 0) {
                int shift = r.nextInt(4) == 0 ? r.nextInt(23) : 20;
                double sa = Math.exp(r.nextGaussian()), sb = Math.exp(r.nextGaussian()), twice = 2 * Math.max(sa, sb);
                Requantizer ra = Requantizer.of(sa / twice, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
                Requantizer rb = Requantizer.of(sb / twice, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
                want = Oracle.add(Oracle.decode(a, ta), zpA, Oracle.decode(b, tb), zpB, shift, ra, rb, o);
                add = AddSpec.of(ta, zpA, tb, zpB, shift, ra, rb, stage);
            } else if (kind == 1) {
                want = Oracle.activation(Oracle.decode(a, ta), zpA, o);
            } else {
                Oracle.Out multi = RandomLayers.out(r, 3, RandomLayers.grid(r, to));
                channel = r.nextInt(3);
                stage = multi.stage();
                acc = new int[count + 1];
                for (int i = 0; i < acc.length; i++) {
                    acc[i] = switch (r.nextInt(5)) {
                        case 0 -> r.nextBoolean() ? Integer.MIN_VALUE : Integer.MAX_VALUE;
                        case 1 -> r.nextInt();
                        default -> r.nextInt(1 << 20) - (1 << 19);
                    };
                }
                want = new int[count];
                for (int i = 0; i < count; i++) want[i] = multi.apply(channel, acc[i + 1]);
            }
            for (Int8Kernels kern : impls) {
                byte[] y = new byte[count];
                switch (kind) {
                    case 0 -> kern.add(add, a, 0, b, 0, y, 0, count);
                    case 1 -> kern.activation(ta, zpA, stage, a, 0, y, 0, count);
                    default -> kern.requantize(stage, channel, acc, 1, y, 0, count);
                }
                assertArrayEquals(want, codesOf(y, count, to), () -> kern.name() + " seed " + seed + ": element-wise kind " + kind);
            }
        }
        configs += n;
        System.out.println("element-wise: " + n + " configurations");
    }

    @Test
    void packedLayersRejectBadArguments() {
        Int8Kernels k = Int8Kernels.get();
        ConvSpec spec = new ConvSpec(4, 6, 3, 1, 1, 2, 5, 5);
        OutputStage st = OutputStage.of(Requantizer.of(0.01, 0, -128, 127));
        var e = assertThrows(IllegalArgumentException.class, () -> k.conv2d(spec, CodeType.UINT8, 0, new int[5], new int[6], st));
        assertTrue(e.getMessage().contains("needs 108 weights"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> k.conv2d(spec, CodeType.INT8, 200, new int[108], new int[6], st));
        OutputStage six = OutputStage.of(new Requantizer[] {Requantizer.of(0.01, 0, -128, 127)}, new Requantizer[] {Requantizer.of(0.01, 0, -128, 127)});
        assertThrows(IllegalArgumentException.class, () -> k.conv2d(spec, CodeType.INT8, 0, new int[108], new int[6], six));
        assertThrows(IllegalArgumentException.class, () -> new ConvSpec(4, 6, 3, 1, 1, 3, 5, 5));
        // Weights outside int8 still run exactly, on the scalar path, and say so.
        int[] wide = new int[108];
        wide[0] = 300;
        OutputStage st6 = OutputStage.of(repeat(Requantizer.of(0.01, 0, -128, 127), 6), repeat(Requantizer.of(0.01, 0, -128, 127), 6));
        Int8Conv2d c = k.conv2d(spec, CodeType.INT8, 0, wide, new int[6], st6);
        if (k.vectorized()) assertTrue(c.path().contains("scalar") && c.path().contains("outside"), c.path());
        Scratch tooSmall = new Scratch(1);
        var e2 = assertThrows(IllegalArgumentException.class, () -> c.run(new byte[100], 0, 1, new byte[150], 0, tooSmall));
        assertTrue(e2.getMessage().contains("reserve"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.run(new byte[99], 0, 1, new byte[150], 0, new Scratch(1).reserve(c.kernel(), 1)));
    }

    @Test
    void weightsOutsideInt8MatchOracle() {
        SplittableRandom r = new SplittableRandom(3);
        for (int it = 0; it < 50; it++) {
            ConvSpec spec = new ConvSpec(3, 4, 3, 1, 1, 1, 6, 6);
            int[] w = new int[spec.weightCount()];
            for (int i = 0; i < w.length; i++) w[i] = r.nextInt(511) - 255; // e.g. uint8 codes minus a zero point
            int[] bias = RandomLayers.bias(r, 4);
            Oracle.Out o = RandomLayers.out(r, 4, new int[] {0, 255});
            byte[] x = RandomLayers.codes(r, spec.inputSize(), 0, 255);
            int[] want = Oracle.conv(spec, Oracle.decode(x, CodeType.UINT8), 7, w, bias, o, 1);
            Int8Conv2d c = Int8Kernels.get().conv2d(spec, CodeType.UINT8, 7, w, bias, o.stage());
            byte[] y = new byte[spec.outputSize()];
            c.run(x, 0, 1, y, 0, new Scratch(1).reserve(c.kernel(), 1));
            assertArrayEquals(want, codesOf(y, want.length, CodeType.UINT8));
        }
    }

    private static Requantizer[] repeat(Requantizer q, int n) {
        Requantizer[] a = new Requantizer[n];
        java.util.Arrays.fill(a, q);
        return a;
    }
}
