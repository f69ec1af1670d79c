package dev.squeeze.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantizer;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Whole graphs (conv, pools, residuals, stand-alone activation, linear) against the oracle composed op by op. */
class Int8ExecutorTest {

    /** A random graph, built twice: as ExecOps for one implementation and as an oracle evaluation. */
    static final class Graph {
        final SplittableRandom r;
        final int[] inShape;
        final QuantParams inGrid;
        // oracle evaluation, op by op
        interface Eval { int[] apply(int[] x, int batch); }
        final List<Eval> evals = new ArrayList<>();
        final List<java.util.function.Function<Int8Kernels, ExecOp>> ops = new ArrayList<>();
        QuantParams grid;
        int c, h, w;

        Graph(long seed) {
            r = new SplittableRandom(seed);
            c = 3;
            h = 7 + r.nextInt(8);
            w = 7 + r.nextInt(8);
            inShape = new int[] {c, h, w};
            inGrid = grid(r.nextBoolean());
            grid = inGrid;
        }

        QuantParams grid(boolean uint8) {
            int qmin = uint8 ? 0 : -128, qmax = uint8 ? 255 : 127;
            return new QuantParams((float) Math.exp(r.nextGaussian() - 3), RandomLayers.pick(r, qmin, qmax), qmin, qmax);
        }

        /** Appends a conv (and its oracle) reading the current tensor. */
        void conv(List<Eval> ev, List<java.util.function.Function<Int8Kernels, ExecOp>> list, int out, int k, int s, int p, int groups) {
            ConvSpec spec = new ConvSpec(c, out, k, s, p, groups, h, w);
            int[] wts = RandomLayers.weights(r, spec.weightCount());
            int[] bias = RandomLayers.bias(r, out);
            QuantParams in = grid, og = grid(r.nextBoolean());
            Oracle.Out o = outFor(og, out);
            CodeType t = CodeType.of(in.qmin(), in.qmax());
            ev.add((x, b) -> Oracle.conv(spec, x, in.zeroPoint(), wts, bias, o, b));
            list.add(k2 -> new ExecOp.Conv("conv " + spec, k2.conv2d(spec, t, in.zeroPoint(), wts, bias, o.stage()), og));
            c = out;
            h = spec.outHeight();
            w = spec.outWidth();
            grid = og;
        }

        /** Requantizers with multipliers that keep outputs in range most of the time, and a random activation. */
        Oracle.Out outFor(QuantParams og, int channels) {
            int act = r.nextInt(3);
            double alpha = r.nextDouble();
            Requantizer[] pos = new Requantizer[channels], neg = new Requantizer[channels];
            for (int i = 0; i < channels; i++) {
                double m = Math.pow(2, -14 + 6 * r.nextDouble());
                pos[i] = Requantizer.of(m, og.zeroPoint(), act == 1 ? og.zeroPoint() : og.qmin(), og.qmax());
                neg[i] = act == 2 ? Requantizer.of(m * alpha, og.zeroPoint(), og.qmin(), og.qmax()) : pos[i];
            }
            return new Oracle.Out(pos, neg);
        }

        void build() {
            conv(evals, ops, 4 + r.nextInt(6), 3, 1, 1, 1);
            if (r.nextBoolean()) {
                PoolSpec p = new PoolSpec(h, w, 2, 2, 0);
                int cc = c;
                evals.add((x, b) -> Oracle.maxPool(p, x, b * cc));
                ops.add(k -> new ExecOp.MaxPool("max-pool", 2, 2, 0));
                h = p.outHeight();
                w = p.outWidth();
            }
            // residual with a 1×1 projection shortcut
            residual(true);
            // residual with identity shortcut and a depthwise body
            residual(false);
            // stand-alone activation
            {
                QuantParams in = grid, og = grid(r.nextBoolean());
                Oracle.Out o = outFor(og, 1);
                evals.add((x, b) -> Oracle.activation(x, in.zeroPoint(), o));
                ops.add(k -> new ExecOp.Activation("act", o.stage(), og));
                grid = og;
            }
            {
                PoolSpec p = new PoolSpec(h, w, 3, 1, 1);
                int cc = c, zp = grid.zeroPoint();
                evals.add((x, b) -> Oracle.avgPool(p, x, zp, b * cc));
                ops.add(k -> new ExecOp.AvgPool("avg-pool", 3, 1, 1));
            }
            {
                int cc = c, plane = h * w, zp = grid.zeroPoint();
                evals.add((x, b) -> Oracle.globalAvgPool(plane, x, zp, b * cc));
                ops.add(k -> new ExecOp.GlobalAvgPool("gap"));
                h = 1;
                w = 1;
                ops.add(k -> new ExecOp.Flatten("flatten"));
            }
            {
                int in = c, out = 2 + r.nextInt(9);
                int[] wts = RandomLayers.weights(r, in * out), bias = RandomLayers.bias(r, out);
                QuantParams ig = grid, og = grid(false);
                Oracle.Out o = outFor(og, out);
                CodeType t = CodeType.of(ig.qmin(), ig.qmax());
                evals.add((x, b) -> Oracle.linear(in, out, x, ig.zeroPoint(), wts, bias, o, b));
                ops.add(k -> new ExecOp.Linear("linear", k.linear(in, out, t, ig.zeroPoint(), wts, bias, o.stage()), og));
                c = out;
                grid = og;
            }
        }

        void residual(boolean projection) {
            QuantParams in = grid;
            int c0 = c, h0 = h, w0 = w;
            List<Eval> bodyEv = new ArrayList<>(), scEv = new ArrayList<>();
            List<java.util.function.Function<Int8Kernels, ExecOp>> body = new ArrayList<>(), sc = new ArrayList<>();
            if (projection) {
                conv(bodyEv, body, c0, 3, 1, 1, 1);
                conv(bodyEv, body, c0, 3, 1, 1, 1);
            } else {
                conv(bodyEv, body, c0, 3, 1, 1, c0);
            }
            QuantParams a = grid;
            if (projection) {
                c = c0; h = h0; w = w0; grid = in;
                conv(scEv, sc, c0, 1, 1, 0, 1);
            }
            QuantParams bq = projection ? grid : in;
            int shift = 20;
            double twice = 2 * Math.max(a.scale(), bq.scale());
            Requantizer ra = Requantizer.of(a.scale() / twice, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
            Requantizer rb = Requantizer.of(bq.scale() / twice, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
            QuantParams og = grid(r.nextBoolean());
            Oracle.Out o = outFor(og, 1);
            evals.add((x, b) -> {
                int[] y = x;
                for (Eval e : bodyEv) y = e.apply(y, b);
                int[] z = x;
                for (Eval e : scEv) z = e.apply(z, b);
                return Oracle.add(y, a.zeroPoint(), z, bq.zeroPoint(), shift, ra, rb, o);
            });
            ops.add(k -> new ExecOp.Residual("residual", body.stream().map(f -> f.apply(k)).toList(),
                    sc.stream().map(f -> f.apply(k)).toList(), shift, ra, rb, o.stage(), og));
            c = c0; h = h0; w = w0; grid = og;
        }

        int[] expect(int[] codes, int batch) {
            int[] x = codes;
            for (Eval e : evals) x = e.apply(x, batch);
            return x;
        }

        Int8Executor executor(Int8Kernels k, int threads) {
            List<ExecOp> list = ops.stream().map(f -> f.apply(k)).toList();
            return Int8Executor.of(k, inShape, inGrid, list, new Int8Executor.Options(threads, 2));
        }
    }

    @Test
    void graphsMatchOracle() {
        long macs = Int8Executor.splitMacs, codes = Int8Executor.splitCodes;
        Int8Executor.splitMacs = Int8Executor.splitCodes = 0; // split every op over the workers, however small
        try {
            graphs();
        } finally {
            Int8Executor.splitMacs = macs;
            Int8Executor.splitCodes = codes;
        }
    }

    private void graphs() {
        List<Int8Kernels> impls = Int8KernelsTest.impls();
        SplittableRandom seeds = new SplittableRandom(11);
        int graphs = 60;
        for (int g = 0; g < graphs; g++) {
            long seed = seeds.nextLong();
            Graph graph = new Graph(seed);
            graph.build();
            int batch = 1 + g % 3;
            int n = batch * graph.inShape[0] * graph.inShape[1] * graph.inShape[2];
            float[] x = new float[n];
            SplittableRandom r = new SplittableRandom(seed ^ 1);
            for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * graph.inGrid.scale() * 60);
            int[] codes = graph.inGrid.quantize(x);
            int[] want = graph.expect(codes, batch);
            for (Int8Kernels k : impls) {
                for (int threads : new int[] {1, 2}) {
                    try (Int8Executor ex = graph.executor(k, threads)) {
                        int[] got = ex.runCodes(x, batch);
                        assertArrayEquals(want, got, () -> k.name() + " threads " + threads + " seed " + seed + "\n" + ex.describe());
                        float[] logits = ex.run(x, batch);
                        for (int i = 0; i < want.length; i++) assertEquals(ex.outputGrid().dequantize(want[i]), logits[i]);
                        assertArrayEquals(want, ex.runQuantized(codes, batch));
                    }
                }
            }
        }
        System.out.println("executor: " + graphs + " graphs × " + impls.size() + " implementations × 1–2 threads");
    }

    @Test
    void runAllocatesNothingOncePlanned() {
        Graph graph = new Graph(5);
        graph.build();
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Int8Executor ex = graph.executor(Int8Kernels.get(), 1)) {
            float[] x = new float[2 * ex.inputSize()];
            float[] logits = new float[2 * ex.outputSize()];
            long id = Thread.currentThread().threadId();
            long bytes = Long.MAX_VALUE;
            // Until C2 has compiled the kernels, the interpreter boxes vectors; give it up to ~30 000 runs.
            for (int round = 0; round < 60 && bytes >= 1024; round++) {
                for (int i = 0; i < 500; i++) ex.run(x, 2, logits);
                long before = bean.getThreadAllocatedBytes(id);
                for (int i = 0; i < 50; i++) ex.run(x, 2, logits);
                bytes = bean.getThreadAllocatedBytes(id) - before;
            }
            assertTrue(bytes < 1024, "50 runs allocated " + bytes + " bytes");
        }
    }

    @Test
    void profileReportsEveryOp() {
        Graph graph = new Graph(8);
        graph.build();
        try (Int8Executor ex = graph.executor(Int8Kernels.get(), 1)) {
            Int8Executor.Profile p = ex.profile(new float[ex.inputSize()], 1, 5);
            assertEquals(1, p.batch());
            assertTrue(p.peakGops() > 0);
            assertTrue(p.ops().stream().anyMatch(o -> o.kind().equals("conv") && o.gops() > 0), p.toString());
            assertEquals(ex.macsPerImage(), p.macs());
            System.out.println(p);
        }
    }

    @Test
    void opsThatDoNotChainAreRejected() {
        QuantParams g = new QuantParams(0.1f, 3, 0, 255);
        ConvSpec spec = new ConvSpec(3, 4, 3, 1, 1, 1, 8, 8);
        Requantizer q = Requantizer.of(0.001, 3, 0, 255);
        Requantizer[] qs = {q, q, q, q};
        Int8Conv2d conv = Int8Kernels.get().conv2d(spec, CodeType.UINT8, 3, new int[spec.weightCount()], new int[4], OutputStage.of(qs, qs));
        var e = assertThrows(IllegalArgumentException.class,
                () -> Int8Executor.of(new int[] {3, 9, 8}, g, List.of(new ExecOp.Conv("c", conv, g))));
        assertTrue(e.getMessage().contains("expects input 3×8×8"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> Int8Executor.of(new int[] {3, 8, 8}, new QuantParams(0.1f, 4, 0, 255), List.of(new ExecOp.Conv("c", conv, g))));
        assertTrue(e2.getMessage().contains("zp 3"), e2.getMessage());
        try (Int8Executor ex = Int8Executor.of(new int[] {3, 8, 8}, g, List.of(new ExecOp.Conv("c", conv, g)))) {
            var e3 = assertThrows(IllegalArgumentException.class, () -> ex.run(new float[10], 1));
            assertTrue(e3.getMessage().contains("needs 192"), e3.getMessage());
            assertEquals(3 * 256, ex.run(new float[3 * 192], 3).length); // a larger batch re-plans
        }
    }
}
