package dev.squeeze.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.quant.Fusion;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The float32 executor: scalar vs Panama kernels, and whole models vs DJL/libtorch.
 *
 * <p>Tolerance: both sides compute in float32 but sum in different orders (libtorch's im2col/GEMM
 * blocking vs our per-tap FMA tiles), so each output differs by rounding, roughly
 * {@code √K · 2⁻²⁴ · Σ|terms|} per layer — about 1e-6 relative for K ≤ 4608 — and that compounds over
 * ResNet18's ~20 layers with BatchNorm scales up to ~2. We accept {@code |a − b| ≤ 1e-4 · max|b|} per
 * image (1e-4 relative to the logit range): 10–100× the expected drift, yet a wrong tap, padding or
 * fold gives errors of order 1e-1.
 */
class FloatExecutorTest {

    static final double MODEL_TOL = 1e-4, KERNEL_TOL = 1e-5;

    static List<FloatKernels> impls() {
        List<FloatKernels> l = new ArrayList<>(List.of(FloatKernels.scalar()));
        if (FloatKernels.panamaAvailable()) l.add(FloatKernels.panama());
        return l;
    }

    static float[] random(int n, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    /** Max |a − b| over max |b|, the measure every assertion here uses. */
    static double relErr(float[] a, float[] b, int from, int to) {
        double d = 0, m = 1e-30;
        for (int i = from; i < to; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
            m = Math.max(m, Math.abs(b[i]));
        }
        return d / m;
    }

    /** Double-precision definition of a convolution with activation. */
    static float[] refConv(ConvSpec s, float[] in, float[] w, float[] bias, Activation act) {
        int OH = s.outHeight(), OW = s.outWidth(), k = s.kernel(), cg = s.groupInChannels(), mg = s.groupOutChannels();
        float[] out = new float[s.outputSize()];
        for (int o = 0; o < s.outChannels(); o++) {
            for (int y = 0; y < OH; y++) for (int x = 0; x < OW; x++) {
                double acc = bias[o];
                for (int i = 0; i < cg; i++) for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) {
                    int iy = y * s.stride() - s.padding() + ky, ix = x * s.stride() - s.padding() + kx;
                    if (iy < 0 || iy >= s.inHeight() || ix < 0 || ix >= s.inWidth()) continue;
                    acc += in[((o / mg * cg + i) * s.inHeight() + iy) * s.inWidth() + ix] * (double) w[((o * cg + i) * k + ky) * k + kx];
                }
                out[(o * OH + y) * OW + x] = act.apply((float) acc);
            }
        }
        return out;
    }

    @Test
    void convKernelsMatchDefinitionOnEveryShape() {
        SplittableRandom r = new SplittableRandom(7);
        List<ConvSpec> specs = List.of(
                new ConvSpec(3, 16, 3, 1, 1, 1, 32, 32),   // wide plane: direct
                new ConvSpec(64, 64, 3, 1, 1, 1, 8, 8),    // small plane: packed
                new ConvSpec(16, 13, 3, 2, 1, 1, 15, 17),  // stride 2, odd sizes, channels not a multiple of 6
                new ConvSpec(8, 16, 1, 2, 0, 1, 9, 9),     // 1×1 stride 2 (k < s: one phase)
                new ConvSpec(12, 12, 3, 1, 1, 12, 10, 10), // depthwise
                new ConvSpec(8, 16, 3, 1, 1, 2, 7, 5),     // grouped
                new ConvSpec(4, 7, 5, 1, 2, 1, 3, 3),      // kernel larger than the plane
                new ConvSpec(2, 5, 3, 1, 1, 1, 1, 1));     // 1×1 input, padding only
        Activation[] acts = {Activation.NONE, Activation.RELU, Activation.leaky(0.1f)};
        for (FloatKernels k : impls()) {
            for (ConvSpec s : specs) {
                for (Activation act : acts) {
                    float[] in = random(s.inputSize(), r), w = random(s.weightCount(), r), b = random(s.outChannels(), r);
                    float[] want = refConv(s, in, w, b, act);
                    FloatKernelSupport.ConvKernel c = k.conv(s, w, b, act);
                    float[] sc = new float[c.scratchFloats()];
                    float[] got = new float[s.outputSize() + 3];
                    c.run(in, 0, got, 0, 0, s.outChannels(), sc);
                    assertTrue(relErr(got, want, 0, want.length) <= KERNEL_TOL, k.name() + " " + s + " " + act + ": rel err "
                            + relErr(got, want, 0, want.length));
                    // channel ranges (the thread split) give the same values
                    float[] split = new float[s.outputSize()];
                    int blk = c.channelBlock(), mid = Math.min(s.outChannels(), blk * Math.max(1, s.outChannels() / blk / 2));
                    c.run(in, 0, split, 0, 0, mid, sc);
                    c.run(in, 0, split, 0, mid, s.outChannels(), sc);
                    for (int i = 0; i < split.length; i++) assertEquals(got[i], split[i], 0f, k.name() + " " + s + " split at " + mid);
                    assertEquals(0f, got[s.outputSize()], "wrote past the output");
                }
            }
        }
    }

    @Test
    void linearKernelsMatchDefinition() {
        SplittableRandom r = new SplittableRandom(8);
        int[][] shapes = {{512, 10}, {100, 64}, {7, 33}, {1, 1}};
        for (FloatKernels k : impls()) {
            for (int[] sh : shapes) {
                int in = sh[0], out = sh[1], batch = 6; // a group of four images and two single ones
                float[] x = random(batch * in, r), w = random(in * out, r), b = random(out, r);
                float[] want = new float[batch * out];
                for (int n = 0; n < batch; n++) for (int o = 0; o < out; o++) {
                    double acc = b[o];
                    for (int i = 0; i < in; i++) acc += x[n * in + i] * (double) w[o * in + i];
                    want[n * out + o] = Activation.leaky(0.2f).apply((float) acc);
                }
                FloatKernelSupport.LinearKernel lin = k.linear(in, out, w, b, Activation.leaky(0.2f));
                float[] got = new float[batch * out];
                lin.run(x, 0, batch, got, 0, 0, out);
                assertTrue(relErr(got, want, 0, got.length) <= KERNEL_TOL, k.name() + " linear " + in + "→" + out);
            }
        }
    }

    @Test
    void scalarPropertyAndMissingModuleSelectScalarWithAWarning() {
        List<String> warnings = new ArrayList<>();
        assertSame(FloatKernels.scalar(), FloatKernels.select(true, true, warnings::add));
        assertSame(FloatKernels.scalar(), FloatKernels.select(false, false, warnings::add));
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(0).contains("-D" + Int8Kernels.SCALAR_PROPERTY + "=true"), warnings.get(0));
        assertTrue(warnings.get(1).contains("--add-modules jdk.incubator.vector"), warnings.get(1));
        if (FloatKernels.panamaAvailable()) assertEquals("panama", FloatKernels.select(false, true, warnings::add).name());
    }

    // ---- whole models vs DJL ------------------------------------------------------------------------

    /** Random weights and BatchNorm statistics (γ, β, mean, var far from the identity, so folding matters). */
    static void randomize(Network net, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<NamedTensor> ps = net.parameters();
        List<float[]> values = new ArrayList<>();
        params(net.architecture().layers(), values, r);
        assertEquals(ps.size(), values.size(), "parameter count of " + net.architecture().name());
        for (int i = 0; i < ps.size(); i++) net.setParameter(ps.get(i).name(), values.get(i));
    }

    private static void params(List<Layer> layers, List<float[]> out, SplittableRandom r) {
        for (Layer l : layers) {
            switch (l) {
                case Layer.Conv2d c -> {
                    int fan = c.in() / c.groups() * c.kernel() * c.kernel();
                    out.add(uniform(c.out() * fan, 1.5 / Math.sqrt(fan), 0, r));
                    if (c.bias()) out.add(uniform(c.out(), 0.1, 0, r));
                }
                case Layer.Linear f -> {
                    out.add(uniform(f.out() * f.in(), 1.5 / Math.sqrt(f.in()), 0, r));
                    if (f.bias()) out.add(uniform(f.out(), 0.1, 0, r));
                }
                case Layer.BatchNorm b -> {
                    out.add(uniform(b.channels(), 0.3, 1, r));   // gamma
                    out.add(uniform(b.channels(), 0.2, 0, r));   // beta
                    out.add(uniform(b.channels(), 0.2, 0, r));   // running mean
                    out.add(uniform(b.channels(), 0.3, 1, r));   // running var
                }
                case Layer.Concat cat -> { for (List<Layer> branch : cat.branches()) params(branch, out, r); }
                case Layer.Residual res -> {
                    params(res.body(), out, r);
                    params(res.shortcut(), out, r);
                }
                default -> { }
            }
        }
    }

    private static float[] uniform(int n, double bound, double center, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (center + (r.nextDouble() * 2 - 1) * bound);
        return v;
    }

    static void checkModel(Architecture arch, boolean randomizeBn) {
        try (Network net = Network.create(arch, 11)) {
            if (randomizeBn) randomize(net, 12);
            int[] s = arch.inputShape();
            int batch = 3, per = s[0] * s[1] * s[2];
            float[] x = random(batch * per, new SplittableRandom(13));
            float[] want = net.logits(x, batch);
            FusedGraph g = Fusion.of(net);
            for (FloatKernels k : impls()) {
                for (int threads : new int[] {1, 2}) {
                    long saved = Int8Executor.splitMacs, savedCodes = Int8Executor.splitCodes;
                    Int8Executor.splitMacs = threads > 1 ? 0 : saved; // make small layers use the pool too
                    Int8Executor.splitCodes = threads > 1 ? 0 : savedCodes;
                    try (FloatExecutor ex = FloatExecutor.of(g, k, new Int8Executor.Options(threads, 1))) {
                        float[] got = ex.run(x, batch); // re-plans from batch 1 to 3
                        assertEquals(want.length, got.length);
                        int c = ex.outputSize();
                        for (int n = 0; n < batch; n++) {
                            double e = relErr(got, want, n * c, (n + 1) * c);
                            assertTrue(e <= MODEL_TOL, arch.name() + " " + k.name() + " threads " + threads + " image " + n + ": rel err " + e);
                        }
                        // batch 1 after batch 3 (channel split path at 2 threads) gives image 0 again
                        float[] one = ex.run(x, 1);
                        assertTrue(relErr(one, want, 0, c) <= MODEL_TOL, arch.name() + " batch 1");
                    } finally {
                        Int8Executor.splitMacs = saved;
                        Int8Executor.splitCodes = savedCodes;
                    }
                }
            }
        }
    }

    @Test void seedCnnMatchesDjl() { checkModel(Zoo.seedCnn(new int[] {3, 32, 32}, 10), false); }

    @Test void resnet18WithFoldedBatchNormMatchesDjl() { checkModel(Zoo.resnet18(new int[] {3, 32, 32}, 10), true); }

    @Test void kerasStudentWithLeakyReluMatchesDjl() { checkModel(Zoo.kerasStudent(new int[] {1, 28, 28}, 10), true); }

    @Test
    void imageGroupsOfTheFirstStageGiveTheSameLogitsAsSingleImages() {
        int saved = FloatExecutor.subBatch;
        try (Network net = Network.create(Zoo.resnet18(new int[] {3, 32, 32}, 10), 5)) {
            randomize(net, 6);
            FusedGraph g = Fusion.of(net);
            int batch = 5, per = 3 * 32 * 32;
            float[] x = random(batch * per, new SplittableRandom(14));
            for (FloatKernels k : impls()) {
                for (int threads : new int[] {1, 2}) {
                    FloatExecutor.subBatch = 2; // groups of 2, 2 and 1
                    try (FloatExecutor grouped = FloatExecutor.of(g, k, new Int8Executor.Options(threads, batch))) {
                        FloatExecutor.subBatch = 0;
                        try (FloatExecutor plain = FloatExecutor.of(g, k, new Int8Executor.Options(threads, 1))) {
                            float[] got = grouped.run(x, batch);
                            int c = grouped.outputSize();
                            for (int n = 0; n < batch; n++) {
                                float[] one = plain.run(java.util.Arrays.copyOfRange(x, n * per, (n + 1) * per), 1);
                                double e = relErr(java.util.Arrays.copyOfRange(got, n * c, (n + 1) * c), one, 0, c);
                                assertTrue(e <= 1e-6, k.name() + " threads " + threads + " image " + n + ": rel err " + e);
                            }
                        }
                    }
                }
            }
        } finally {
            FloatExecutor.subBatch = saved;
        }
    }

    @Test
    void runIntoPreallocatedLogitsChecksSizes() {
        try (Network net = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 1);
             FloatExecutor ex = FloatExecutor.of(Fusion.of(net))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ex.run(new float[10], 1));
            assertTrue(e.getMessage().contains("needs 3072"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ex.run(new float[3072], 1, new float[5]));
            assertTrue(ex.profile(new float[3072], 1, 3).ops().size() > 3);
        }
    }
}
