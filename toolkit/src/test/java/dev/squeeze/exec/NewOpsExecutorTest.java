package dev.squeeze.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Layer.BatchNorm;
import dev.squeeze.model.Layer.Conv2d;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Zoo;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.quant.Int8Converter;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.quant.Int8Fixtures;
import dev.squeeze.quant.IntegerReference;
import dev.squeeze.quant.QConfig;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The MobileNetV2 / ShuffleNetV2 ops on both executors: ReLU6 and hard-swish in every float kernel,
 * concat (branches that all read the op's input, an empty one the identity), channel slice and channel
 * shuffle in the float executor against a plain re-computation of the fused graph and against DJL; in
 * the int8 executor concat with branches on different grids, slice, shuffle, table lookup and a ReLU6
 * clamp below the grid's qmax against the {@code Int8Op} formulas written out here, and converted
 * models (a hand-built one and the two zoo models) against {@link IntegerReference} bit for bit.
 */
class NewOpsExecutorTest {

    // ---- float kernels ------------------------------------------------------------------------------

    static final List<Activation> NEW_ACTS = List.of(Activation.RELU6, Activation.HARD_SWISH);

    /** Values in [−8, 8] plus the breakpoints, so that both sides of every clamp of ReLU6 and hard-swish occur. */
    static float[] wide(int n, SplittableRandom r) {
        float[] v = new float[n];
        float[] special = {-3f, 3f, 6f, 0f, -0f, -3.0000002f, 2.9999998f, 6.0000005f};
        for (int i = 0; i < n; i++) v[i] = i < special.length ? special[i] : (float) (r.nextDouble() * 16 - 8);
        return v;
    }

    @Test
    void loopsApplyTheNewActivationsExactlyAsActivationApply() {
        float[] x = wide(200, new SplittableRandom(1));
        for (Activation act : NEW_ACTS) {
            float[] got = x.clone();
            FloatKernels.loops().activate(act, got, 0, got.length);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToIntBits(act.apply(x[i])), Float.floatToIntBits(got[i]), act + " of " + x[i]);
            }
        }
        // a few values by hand: the definitions, not just self-consistency
        assertEquals(6f, Activation.RELU6.apply(7.5f));
        assertEquals(0f, Activation.RELU6.apply(-2f));
        assertEquals(0f, Activation.HARD_SWISH.apply(-3.5f), 0f); // −0 in float32 (−3.5 · 0), equal to 0
        assertEquals(4f, Activation.HARD_SWISH.apply(4f));
        assertEquals(1f * 4f / 6f, Activation.HARD_SWISH.apply(1f));
    }

    /** Conv with a fused ReLU6 / hard-swish on both kernel sets against the double-precision definition. */
    @Test
    void convAndLinearKernelsFuseReluSixAndHardSwish() {
        SplittableRandom r = new SplittableRandom(2);
        List<ConvSpec> specs = List.of(new ConvSpec(3, 16, 3, 1, 1, 1, 32, 32), new ConvSpec(64, 64, 3, 1, 1, 1, 8, 8),
                new ConvSpec(16, 13, 3, 2, 1, 1, 15, 17), new ConvSpec(24, 24, 3, 1, 1, 24, 10, 10), new ConvSpec(8, 16, 1, 1, 0, 1, 7, 5));
        int clamped = 0;
        for (FloatKernels k : FloatExecutorTest.impls()) {
            for (ConvSpec s : specs) {
                for (Activation act : NEW_ACTS) {
                    // weights scaled so that pre-activations spread over about [−8, 8]
                    float[] in = FloatExecutorTest.random(s.inputSize(), r), w = scaled(FloatExecutorTest.random(s.weightCount(), r),
                            8 / Math.sqrt(s.reduction())), b = scaled(FloatExecutorTest.random(s.outChannels(), r), 2);
                    float[] want = FloatExecutorTest.refConv(s, in, w, b, act);
                    FloatKernels.BatchConv c = k.batchConv(s, w, b, act);
                    float[] got = new float[s.outputSize()];
                    c.run(in, 0, 1, got, 0, null, 0, 0, s.outChannels(), new float[c.scratchFloats()]);
                    double e = FloatExecutorTest.relErr(got, want, 0, want.length);
                    assertTrue(e <= FloatExecutorTest.KERNEL_TOL, k.name() + " " + s + " " + act + ": rel err " + e);
                    for (float v : want) if (act == Activation.RELU6 ? v == 6f : v == 0f) clamped++;
                }
            }
            int in = 37, out = 21, batch = 5;
            for (Activation act : NEW_ACTS) {
                float[] x = FloatExecutorTest.random(batch * in, r), w = scaled(FloatExecutorTest.random(in * out, r), 8 / Math.sqrt(in));
                float[] b = FloatExecutorTest.random(out, r), want = new float[batch * out], got = new float[batch * out];
                for (int n = 0; n < batch; n++) for (int o = 0; o < out; o++) {
                    double acc = b[o];
                    for (int i = 0; i < in; i++) acc += x[n * in + i] * (double) w[o * in + i];
                    want[n * out + o] = act.apply((float) acc);
                }
                k.linear(in, out, w, b, act).run(x, 0, batch, got, 0, 0, out);
                assertTrue(FloatExecutorTest.relErr(got, want, 0, got.length) <= FloatExecutorTest.KERNEL_TOL, k.name() + " linear " + act);
            }
        }
        assertTrue(clamped > 1000, "the inputs should saturate ReLU6 at 6 and hard-swish at 0 often, got " + clamped);
    }

    static float[] scaled(float[] v, double f) {
        for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] * f);
        return v;
    }

    // ---- float executor -----------------------------------------------------------------------------

    static Conv2d conv(int in, int out, int k, int stride, int groups) {
        return new Conv2d(in, out, k, stride, k / 2, groups, false);
    }

    /**
     * Every new op in one small net on {@code [3, 12, 12]}: a ShuffleNet unit (split by two slices, a
     * branch with depthwise conv), a shuffle, a down-sampling concat whose branches differ (conv vs pool +
     * conv + hard-swish), a concat with an empty (identity) branch next to a long one, a MobileNetV2
     * inverted residual with ReLU6, a stand-alone hard-swish. Channel counts are multiples of 8 (oneDNN).
     */
    static Architecture newOpsNet() {
        List<Layer> l = new ArrayList<>();
        l.add(conv(3, 16, 3, 1, 1));
        l.add(new BatchNorm(16));
        l.add(new Layer.Relu6());
        l.add(new Layer.Concat(List.of(
                List.of(new Layer.ChannelSlice(0, 8)),
                List.of(new Layer.ChannelSlice(8, 16), conv(8, 8, 1, 1, 1), new BatchNorm(8), new Layer.Relu(), conv(8, 8, 3, 1, 8),
                        new BatchNorm(8), conv(8, 8, 1, 1, 1), new BatchNorm(8), new Layer.Relu()))));
        l.add(new Layer.ChannelShuffle(2));
        l.add(new Layer.Concat(List.of(
                List.of(conv(16, 8, 3, 2, 1), new BatchNorm(8), new Layer.Relu6()),
                List.of(new Layer.AvgPool(2, 2, 0), conv(16, 8, 1, 1, 1), new BatchNorm(8), new Layer.HardSwish()))));
        l.add(new Layer.Concat(List.of(
                List.of(),
                List.of(conv(16, 32, 1, 1, 1), new BatchNorm(32), new Layer.Relu6(), conv(32, 32, 3, 1, 32), new BatchNorm(32),
                        new Layer.Relu6(), conv(32, 8, 1, 1, 1), new BatchNorm(8)))));
        l.add(new Layer.Residual(List.of(conv(24, 48, 1, 1, 1), new BatchNorm(48), new Layer.Relu6(), conv(48, 48, 3, 1, 48),
                new BatchNorm(48), new Layer.Relu6(), conv(48, 24, 1, 1, 1), new BatchNorm(24)), List.of()));
        l.add(new Layer.HardSwish());
        l.add(new Layer.ChannelShuffle(3));
        l.add(new Layer.GlobalAvgPool());
        l.add(new Layer.Flatten());
        l.add(new Layer.Linear(24, 10, true));
        return new Architecture("new-ops-net", new int[] {3, 12, 12}, l);
    }

    /** One image through the fused graph, op by op, by the definitions (conv sums in double). */
    record T(float[] v, int c, int h, int w) {}

    static T eval(List<FusedOp> ops, T x) {
        for (FusedOp op : ops) x = eval(op, x);
        return x;
    }

    static T eval(FusedOp op, T x) {
        return switch (op) {
            case FusedOp.Conv c -> {
                Layer.Conv2d l = c.layer();
                ConvSpec s = new ConvSpec(l.in(), l.out(), l.kernel(), l.stride(), l.padding(), l.groups(), x.h, x.w);
                yield new T(FloatExecutorTest.refConv(s, x.v, c.weight(), c.bias(), c.activation()), l.out(), s.outHeight(), s.outWidth());
            }
            case FusedOp.Dense d -> {
                int in = d.layer().in(), out = d.layer().out();
                float[] y = new float[out];
                for (int o = 0; o < out; o++) {
                    double acc = d.bias()[o];
                    for (int i = 0; i < in; i++) acc += x.v[i] * (double) d.weight()[o * in + i];
                    y[o] = d.activation().apply((float) acc);
                }
                yield new T(y, out, 1, 1);
            }
            case FusedOp.AvgPool p -> {
                int k = p.layer().kernel(), s = p.layer().stride(), oh = (x.h - k) / s + 1, ow = (x.w - k) / s + 1;
                if (p.layer().padding() != 0) throw new AssertionError("test evaluator: no padded average pools");
                float[] y = new float[x.c * oh * ow];
                for (int c = 0; c < x.c; c++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
                    double sum = 0;
                    for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) sum += x.v[(c * x.h + i * s + a) * x.w + j * s + b];
                    y[(c * oh + i) * ow + j] = (float) (sum / (k * k));
                }
                yield new T(y, x.c, oh, ow);
            }
            case FusedOp.GlobalAvgPool g -> {
                float[] y = new float[x.c];
                for (int c = 0; c < x.c; c++) {
                    double sum = 0;
                    for (int i = 0; i < x.h * x.w; i++) sum += x.v[c * x.h * x.w + i];
                    y[c] = (float) (sum / (x.h * x.w));
                }
                yield new T(y, x.c, 1, 1);
            }
            case FusedOp.Flatten f -> new T(x.v, x.c * x.h * x.w, 1, 1);
            case FusedOp.Act a -> {
                float[] y = new float[x.v.length];
                for (int i = 0; i < y.length; i++) y[i] = a.activation().apply(x.v[i]);
                yield new T(y, x.c, x.h, x.w);
            }
            case FusedOp.Add a -> {
                T body = eval(a.body(), x), sc = eval(a.shortcut(), x);
                float[] y = new float[body.v.length];
                for (int i = 0; i < y.length; i++) y[i] = a.activation().apply(body.v[i] + sc.v[i]);
                yield new T(y, body.c, body.h, body.w);
            }
            case FusedOp.Concat cat -> {
                List<T> parts = new ArrayList<>();
                for (List<FusedOp> b : cat.branches()) parts.add(eval(b, x));
                int c = parts.stream().mapToInt(T::c).sum(), at = 0;
                float[] y = new float[parts.stream().mapToInt(p -> p.v.length).sum()];
                for (T p : parts) {
                    System.arraycopy(p.v, 0, y, at, p.v.length);
                    at += p.v.length;
                }
                yield new T(y, c, parts.get(0).h, parts.get(0).w);
            }
            case FusedOp.ChannelSlice s -> {
                int plane = x.h * x.w, from = s.layer().from(), to = s.layer().to();
                yield new T(java.util.Arrays.copyOfRange(x.v, from * plane, to * plane), to - from, x.h, x.w);
            }
            case FusedOp.ChannelShuffle s when s.layer().explicit() -> {
                // an explicit permutation: y[j] = x[order[j]]
                int[] order = s.layer().order();
                int plane = x.h * x.w;
                float[] y = new float[x.v.length];
                for (int oc = 0; oc < x.c; oc++) System.arraycopy(x.v, order[oc] * plane, y, oc * plane, plane);
                yield new T(y, x.c, x.h, x.w);
            }
            case FusedOp.ChannelShuffle s -> {
                // [g, k] channel axes transposed: y[j, i] = x[i, j]
                int g = s.layer().groups(), k = x.c / g, plane = x.h * x.w;
                float[] y = new float[x.v.length];
                for (int oc = 0; oc < x.c; oc++) {
                    int j = oc / g, i = oc % g;
                    System.arraycopy(x.v, (i * k + j) * plane, y, oc * plane, plane);
                }
                yield new T(y, x.c, x.h, x.w);
            }
            case FusedOp.MaxPool p -> throw new AssertionError("test evaluator: no max pools in these graphs");
        };
    }

    static List<NamedTensor> randomParams(Architecture arch, long seed) {
        List<NamedTensor> ps = Int8ModelAdapterTest.randomParams(arch.layers(), new ArrayList<>(), new SplittableRandom(seed));
        return ps;
    }

    /** The 10 logits per image that the test's own op definitions ({@link #eval}) give for {@code batch} 3×12×12 images. */
    private static float[] definitionLogits(FusedGraph g, float[] x, int batch) {
        int per = 3 * 12 * 12;
        float[] want = new float[batch * 10];
        for (int n = 0; n < batch; n++) {
            T y = eval(g.ops(), new T(java.util.Arrays.copyOfRange(x, n * per, (n + 1) * per), 3, 12, 12));
            System.arraycopy(y.v, 0, want, n * 10, 10);
        }
        return want;
    }

    @Test
    void floatExecutorMatchesTheDefinitionsOnConcatSliceShuffle() {
        Architecture arch = newOpsNet();
        FusedGraph g = FusedGraph.of(arch, randomParams(arch, 3));
        assertTrue(g.flatOps().stream().anyMatch(o -> o instanceof FusedOp.Concat c && c.branches().get(0).isEmpty()), "identity branch");
        int batch = 3, per = 3 * 12 * 12;
        float[] x = scaled(FloatExecutorTest.random(batch * per, new SplittableRandom(4)), 2);
        float[] want = definitionLogits(g, x, batch);
        long saved = Int8Executor.splitMacs, savedCodes = Int8Executor.splitCodes;
        int savedSub = FloatExecutor.subBatch;
        try {
            for (FloatKernels k : FloatExecutorTest.impls()) {
                for (int threads : new int[] {1, 2}) {
                    for (int sub : new int[] {0, 2}) { // image groups of the leading small steps, or the whole batch
                        Int8Executor.splitMacs = threads > 1 ? 0 : saved; // every step through the pool
                        Int8Executor.splitCodes = threads > 1 ? 0 : savedCodes;
                        FloatExecutor.subBatch = sub;
                        try (FloatExecutor ex = FloatExecutor.of(g, k, new Int8Executor.Options(threads, 1))) {
                            float[] got = ex.run(x, batch);
                            for (int n = 0; n < batch; n++) {
                                double e = FloatExecutorTest.relErr(got, want, n * 10, (n + 1) * 10);
                                assertTrue(e <= FloatExecutorTest.MODEL_TOL, k.name() + " threads " + threads + " subBatch " + sub + " image " + n
                                        + ": rel err " + e + "\n" + ex.describe());
                            }
                            assertTrue(ex.describe().contains("channel_shuffle") && ex.describe().contains("concat"), ex.describe());
                        }
                    }
                }
            }
        } finally {
            Int8Executor.splitMacs = saved;
            Int8Executor.splitCodes = savedCodes;
            FloatExecutor.subBatch = savedSub;
        }
    }

    @Test void newOpsNetMatchesDjl() { FloatExecutorTest.checkModel(newOpsNet(), true); }

    @Test void mobilenetv2MatchesDjl() { FloatExecutorTest.checkModel(Zoo.get("mobilenetv2", new int[] {3, 32, 32}, 10), true); }

    @Test void shufflenetv2MatchesDjl() { FloatExecutorTest.checkModel(Zoo.get("shufflenetv2", new int[] {3, 32, 32}, 10), true); }

    // ---- explicit channel permutation (a pruned ShuffleNet's ChannelShuffle.permutation) ---------------

    /** The float executor against DJL (which runs the permutation as index_select) on the permuted net. */
    @Test void permutedNetMatchesDjl() { FloatExecutorTest.checkModel(Int8Fixtures.permutedNet(Int8Fixtures.PERMUTATION), true); }

    /**
     * The float executor on the permuted net against the definition (y[j] = x[order[j]]) and against the
     * same weights with the identity permutation: the permutation must change the logits (a permutation
     * run as a shuffle of its 1 group would be the identity), and DJL must see the same change.
     */
    @Test
    void floatExecutorAppliesAnExplicitPermutation() {
        Architecture permuted = Int8Fixtures.permutedNet(Int8Fixtures.PERMUTATION), identity = Int8Fixtures.permutedNet(Int8Fixtures.IDENTITY);
        FusedGraph g = FusedGraph.of(permuted, randomParams(permuted, 31)), id = FusedGraph.of(identity, randomParams(identity, 31));
        assertTrue(g.flatOps().stream().anyMatch(o -> o instanceof FusedOp.ChannelShuffle s && s.layer().explicit() && s.layer().groups() == 1));
        int batch = 3, per = 3 * 12 * 12;
        float[] x = scaled(FloatExecutorTest.random(batch * per, new SplittableRandom(32)), 2);
        float[] want = definitionLogits(g, x, batch);
        for (FloatKernels k : FloatExecutorTest.impls()) {
            try (FloatExecutor ex = FloatExecutor.of(g, k, new Int8Executor.Options(1, 1));
                 FloatExecutor plain = FloatExecutor.of(id, k, new Int8Executor.Options(1, 1))) {
                float[] got = ex.run(x, batch), unpermuted = plain.run(x, batch);
                double e = FloatExecutorTest.relErr(got, want, 0, want.length);
                assertTrue(e <= FloatExecutorTest.MODEL_TOL, k.name() + ": rel err " + e + " against the definition\n" + ex.describe());
                double d = FloatExecutorTest.relErr(unpermuted, want, 0, want.length);
                assertTrue(d > 100 * FloatExecutorTest.MODEL_TOL, k.name() + ": the permutation changes the logits by only " + d);
            }
        }
        try (dev.squeeze.model.Network a = dev.squeeze.model.Network.create(permuted, 33);
             dev.squeeze.model.Network b = dev.squeeze.model.Network.create(identity, 33)) {
            for (int i = 0; i < a.parameters().size(); i++) {
                assertArrayEquals(a.parameters().get(i).values(), b.parameters().get(i).values(), "same seed, same weights");
            }
            float[] la = a.logits(x, batch), lb = b.logits(x, batch);
            assertTrue(FloatExecutorTest.relErr(la, lb, 0, la.length) > 100 * FloatExecutorTest.MODEL_TOL, "DJL ignores the permutation");
        }
    }

    @Test
    void floatConcatBranchesMustAgreeOnHeightAndWidth() {
        Architecture arch = new Architecture("bad", new int[] {8, 8, 8}, List.of(conv(8, 8, 1, 1, 1)));
        FusedGraph good = FusedGraph.of(arch, randomParams(arch, 5));
        FusedOp.Conv c = (FusedOp.Conv) good.ops().get(0);
        FusedOp.Conv strided = new FusedOp.Conv(1, new Conv2d(8, 8, 1, 2, 0, 1, false), c.weight(), c.bias(), Activation.NONE);
        FusedGraph bad = new FusedGraph(arch, List.of(new FusedOp.Concat(2, List.of(List.of(c), List.of(strided)))), 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FloatExecutor.of(bad));
        assertTrue(e.getMessage().contains("same height and width"), e.getMessage());
    }

    // ---- int8: the new ops against their formulas ---------------------------------------------------

    /** {@code IntegerReference}'s formulas for one image, written out again (see the Int8Op javadocs). */
    static int[] concatRef(List<int[]> parts, List<Integer> zps, List<Requantizer> rescales) {
        int n = parts.stream().mapToInt(p -> p.length).sum(), at = 0;
        int[] y = new int[n];
        for (int b = 0; b < parts.size(); b++) {
            for (int v : parts.get(b)) y[at++] = rescales.get(b).requantize(v - zps.get(b));
        }
        return y;
    }

    static int[] sliceRef(int[] x, int plane, int from, int to) { return java.util.Arrays.copyOfRange(x, from * plane, to * plane); }

    static int[] shuffleRef(int[] x, int channels, int groups, int plane) {
        int k = channels / groups;
        int[] y = new int[x.length];
        for (int i = 0; i < groups; i++) for (int j = 0; j < k; j++) {
            for (int p = 0; p < plane; p++) y[(j * groups + i) * plane + p] = x[(i * k + j) * plane + p];
        }
        return y;
    }

    /** y[j] = x[sources[j]], channel by channel: the definition of an explicit permutation. */
    static int[] permuteRef(int[] x, int[] sources, int plane) {
        int[] y = new int[x.length];
        for (int j = 0; j < sources.length; j++) System.arraycopy(x, sources[j] * plane, y, j * plane, plane);
        return y;
    }

    /** A uniformly random permutation of 0..n−1 that is not the identity. */
    static int[] randomPermutation(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        if (java.util.stream.IntStream.range(0, n).allMatch(i -> p[i] == i)) return randomPermutation(n, r);
        return p;
    }

    static QuantParams randomGrid(SplittableRandom r) {
        CodeType t = RandomLayers.type(r);
        int[] g = RandomLayers.grid(r, t);
        return new QuantParams((float) Math.exp(r.nextGaussian() - 3), RandomLayers.pick(r, g[0], g[1]), g[0], g[1]);
    }

    /**
     * Input {@code [6, H, W]} → concat of four branches: the identity (rescaled onto the output grid, or
     * copied when the output grid is the input's), a 1×1 conv with a ReLU6-style clamp below its grid's
     * qmax, slice + table lookup, and a slice alone; then a shuffle and a slice. Many seeds, both kernel sets, batch 1–3,
     * one and two threads; bit for bit against the formulas.
     */
    @Test
    void int8ConcatSliceShuffleAndLookupMatchTheirFormulas() {
        List<Int8Kernels> impls = Int8KernelsTest.impls();
        long saved = Int8Executor.splitMacs, savedCodes = Int8Executor.splitCodes;
        int copies = 0, requantized = 0, runs = 0;
        try {
            for (int seed = 0; seed < 48; seed++) {
                SplittableRandom r = new SplittableRandom(1000 + seed);
                int C = 6, H = 2 + r.nextInt(6), W = 2 + r.nextInt(9), plane = H * W;
                QuantParams in = randomGrid(r);
                boolean copy = seed % 3 == 0;
                QuantParams out = copy ? in : randomGrid(r);
                // branch 1: 1×1 conv 6 → 8 onto g1, clamped at [zp, zp + 5..40] as ReLU6 does below a wide grid's qmax
                QuantParams g1 = randomGrid(r);
                int hi = Math.min(g1.qmax(), g1.zeroPoint() + 5 + r.nextInt(36));
                ConvSpec spec = new ConvSpec(C, 8, 1, 1, 0, 1, H, W);
                int[] w = RandomLayers.weights(r, spec.weightCount()), bias = RandomLayers.bias(r, 8);
                Requantizer[] rq = new Requantizer[8];
                for (int o = 0; o < 8; o++) rq[o] = Requantizer.of(Math.pow(2, -10 + 6 * r.nextDouble()), g1.zeroPoint(), g1.zeroPoint(), hi);
                Oracle.Out o1 = new Oracle.Out(rq, rq);
                // branch 2: channels [1, 5) then a random table onto g2
                QuantParams g2 = randomGrid(r);
                int[] table = new int[in.qmax() - in.qmin() + 1];
                for (int i = 0; i < table.length; i++) table[i] = g2.qmin() + r.nextInt(g2.qmax() - g2.qmin() + 1);
                // branch 3: only a slice, channels [s3, s3 + 2) (read straight from the input by the concat)
                int s3 = r.nextInt(C - 1);
                List<QuantParams> grids = List.of(in, g1, g2, in);
                List<Requantizer> rescales = new ArrayList<>();
                for (QuantParams g : grids) {
                    double m = copy && g == in && r.nextInt(4) > 0 ? 1.0 : g.scale() / out.scale() * Math.exp(r.nextGaussian());
                    rescales.add(Requantizer.of(m, out));
                }
                int total = C + 8 + 4 + 2, groups = new int[] {2, 4, 5, 10}[r.nextInt(4)], from = r.nextInt(8), to = from + 1 + r.nextInt(total - from);
                // every other seed an explicit permutation (a pruned ShuffleNet's), drawn apart so r's draws stay as they were
                int[] sources = seed % 2 == 0 ? new Layer.ChannelShuffle(groups).sources(total) : randomPermutation(total, new SplittableRandom(seed));
                // the formulas, image by image
                int batch = 1 + r.nextInt(3);
                byte[] codes = RandomLayers.codes(r, batch * C * plane, in.qmin(), in.qmax());
                CodeType tin = CodeType.of(in.qmin(), in.qmax());
                int[] x = Oracle.decode(codes, tin);
                int[] want = new int[batch * (to - from) * plane];
                int[] c1 = Oracle.conv(spec, x, in.zeroPoint(), w, bias, o1, batch);
                for (int n = 0; n < batch; n++) {
                    int[] xn = java.util.Arrays.copyOfRange(x, n * C * plane, (n + 1) * C * plane);
                    int[] b2 = sliceRef(xn, plane, 1, 5);
                    for (int i = 0; i < b2.length; i++) b2[i] = table[b2[i] - in.qmin()];
                    int[] cat = concatRef(List.of(xn, java.util.Arrays.copyOfRange(c1, n * 8 * plane, (n + 1) * 8 * plane), b2,
                            sliceRef(xn, plane, s3, s3 + 2)), List.of(in.zeroPoint(), g1.zeroPoint(), g2.zeroPoint(), in.zeroPoint()), rescales);
                    int[] y = sliceRef(seed % 2 == 0 ? shuffleRef(cat, total, groups, plane) : permuteRef(cat, sources, plane), plane, from, to);
                    System.arraycopy(y, 0, want, n * y.length, y.length);
                }
                for (Int8Kernels k : impls) {
                    List<ExecOp> ops = List.of(
                            new ExecOp.Concat("concat", List.of(
                                    List.of(),
                                    List.of(new ExecOp.Conv("conv", k.conv2d(spec, tin, in.zeroPoint(), w, bias, o1.stage()), g1)),
                                    List.of(new ExecOp.ChannelSlice("slice 1..5", 1, 5), new ExecOp.Lookup("table", in, table, g2)),
                                    List.of(new ExecOp.ChannelSlice("split", s3, s3 + 2))),
                                    grids, rescales, out),
                            new ExecOp.ChannelShuffle("shuffle", sources),
                            new ExecOp.ChannelSlice("slice", from, to));
                    for (int threads : new int[] {1, 2}) {
                        Int8Executor.splitMacs = threads > 1 ? 0 : saved;
                        Int8Executor.splitCodes = threads > 1 ? 0 : savedCodes;
                        try (Int8Executor ex = Int8Executor.of(k, new int[] {C, H, W}, in, ops, new Int8Executor.Options(threads, 1))) {
                            int[] got = ex.runQuantized(x, batch);
                            int s = seed;
                            assertArrayEquals(want, got, () -> "seed " + s + " " + k.name() + " threads " + threads + "\n" + ex.describe());
                            runs++;
                        }
                    }
                }
                if (copy) copies++;
                else requantized++;
            }
        } finally {
            Int8Executor.splitMacs = saved;
            Int8Executor.splitCodes = savedCodes;
        }
        assertEquals(impls.size() * 2 * 48, runs);
        assertTrue(copies > 10 && requantized > 20, copies + " / " + requantized);
    }

    /** The identity rescale between equal grids is the copy the executor takes for it: same codes either way, at every code. */
    @Test
    void unitRescaleOntoTheSameGridIsTheIdentity() {
        for (QuantParams g : List.of(new QuantParams(0.1f, 0, 0, 255), new QuantParams(0.1f, -3, -128, 127), new QuantParams(0.1f, 7, 0, 15))) {
            Requantizer r = Requantizer.of(1.0, g);
            assertEquals(1 << 30, r.multiplier());
            assertEquals(1, r.shift());
            for (int q = g.qmin(); q <= g.qmax(); q++) assertEquals(q, r.requantize(q - g.zeroPoint()));
        }
    }

    @Test
    void int8ConcatChecksItsBranches() {
        QuantParams g = new QuantParams(0.1f, 0, 0, 255), other = new QuantParams(0.1f, 3, 0, 255);
        Requantizer r = Requantizer.of(1.0, g);
        List<ExecOp> ops = List.of(new ExecOp.Concat("cat", List.of(List.of(), List.of(new ExecOp.ChannelSlice("s", 0, 2))),
                List.of(g, other), List.of(r, r), g));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Executor.of(new int[] {4, 3, 3}, g, ops));
        assertTrue(e.getMessage().contains("expects branch 1"), e.getMessage());
        List<ExecOp> slice = List.of(new ExecOp.ChannelSlice("s", 2, 5));
        e = assertThrows(IllegalArgumentException.class, () -> Int8Executor.of(new int[] {4, 3, 3}, g, slice));
        assertTrue(e.getMessage().contains("≥ 5 channels"), e.getMessage());
        List<ExecOp> shuffle = List.of(new ExecOp.ChannelShuffle("sh", new int[] {2, 0, 1}));
        e = assertThrows(IllegalArgumentException.class, () -> Int8Executor.of(new int[] {4, 3, 3}, g, shuffle));
        assertTrue(e.getMessage().contains("3 channels (the permutation's length)") && e.getMessage().contains("'sh'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ExecOp.ChannelShuffle("twice", new int[] {0, 2, 2}));
        assertTrue(e.getMessage().contains("permutation of 0..2") && e.getMessage().contains("[0, 2, 2]"), e.getMessage());
    }

    /**
     * ReLU6 is a requantizer whose upper clamp lies below the output grid's qmax: every conv path (direct,
     * packed, lanes; depthwise), linear and the stand-alone activation must clamp there, not at the grid's end.
     */
    @Test
    void everyKernelPathClampsAtTheStageQmaxBelowTheGrid() {
        SplittableRandom r = new SplittableRandom(6);
        List<ConvSpec> specs = List.of(new ConvSpec(16, 32, 3, 1, 1, 1, 8, 8), new ConvSpec(24, 24, 3, 1, 1, 24, 9, 9),
                new ConvSpec(24, 24, 3, 2, 1, 24, 10, 10), new ConvSpec(32, 16, 1, 1, 0, 1, 4, 4), new ConvSpec(8, 40, 3, 2, 1, 1, 16, 33));
        int atClamp = 0;
        for (Int8Kernels k : Int8KernelsTest.impls()) {
            for (ConvSpec spec : specs) {
                for (String mode : new String[] {"auto", "direct", "packed", "lanes"}) {
                    for (CodeType outType : CodeType.values()) {
                        int qmin = outType.min(), qmax = outType.max(), zp = qmin + 10, hi = zp + 60;
                        Requantizer[] rq = new Requantizer[spec.outChannels()];
                        for (int c = 0; c < rq.length; c++) rq[c] = Requantizer.of(Math.pow(2, -9 + 2 * r.nextDouble()), zp, zp, hi);
                        Oracle.Out o = new Oracle.Out(rq, rq);
                        int batch = 2;
                        byte[] x = uniformCodes(r, batch * spec.inputSize());
                        int[] w = new int[spec.weightCount()];
                        for (int i = 0; i < w.length; i++) w[i] = r.nextInt(255) - 127;
                        int[] bias = RandomLayers.bias(r, spec.outChannels());
                        int[] want = Oracle.conv(spec, Oracle.decode(x, CodeType.UINT8), 128, w, bias, o, batch);
                        System.setProperty(Int8KernelsTest.MODE, mode);
                        Int8Conv2d conv;
                        try {
                            conv = k.conv2d(spec, CodeType.UINT8, 128, w, bias, o.stage());
                        } finally {
                            System.clearProperty(Int8KernelsTest.MODE);
                        }
                        byte[] y = new byte[want.length];
                        conv.run(x, 0, batch, y, 0, new Scratch(1).reserve(conv.kernel(), batch));
                        assertArrayEquals(want, Int8KernelsTest.codesOf(y, want.length, outType), k.name() + " " + conv.path() + " " + spec);
                        for (int v : want) if (v == hi) atClamp++;
                        assertTrue(hi < qmax);
                    }
                }
            }
            // linear and the stand-alone activation
            int in = 64, out = 24, batch = 3;
            Requantizer[] rq = new Requantizer[out];
            for (int c = 0; c < out; c++) rq[c] = Requantizer.of(Math.pow(2, -9 + 2 * r.nextDouble()), 0, 0, 50);
            Oracle.Out o = new Oracle.Out(rq, rq);
            byte[] x = uniformCodes(r, batch * in);
            int[] w = new int[in * out];
            for (int i = 0; i < w.length; i++) w[i] = r.nextInt(255) - 127;
            int[] bias = RandomLayers.bias(r, out);
            Int8Linear lin = k.linear(in, out, CodeType.UINT8, 100, w, bias, o.stage());
            byte[] y = new byte[batch * out];
            lin.run(x, 0, batch, y, 0, new Scratch(1).reserve(lin.kernel(), batch));
            int[] want = Oracle.linear(in, out, Oracle.decode(x, CodeType.UINT8), 100, w, bias, o, batch);
            assertArrayEquals(want, Int8KernelsTest.codesOf(y, want.length, CodeType.INT8), k.name() + " linear");
            for (int v : want) if (v == 50) atClamp++;
            Requantizer a = Requantizer.of(1.7, -20, -20, 30);
            Oracle.Out ao = new Oracle.Out(new Requantizer[] {a}, new Requantizer[] {a});
            byte[] ax = uniformCodes(r, 999), ay = new byte[999];
            k.activation(CodeType.UINT8, 90, ao.stage(), ax, 0, ay, 0, 999);
            int[] aw = Oracle.activation(Oracle.decode(ax, CodeType.UINT8), 90, ao);
            assertArrayEquals(aw, Int8KernelsTest.codesOf(ay, 999, CodeType.INT8), k.name() + " activation");
            for (int v : aw) if (v == 30) atClamp++;
        }
        assertTrue(atClamp > 500, "outputs at the ReLU6 clamp: " + atClamp);
    }

    static byte[] uniformCodes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt(256);
        return b;
    }

    // ---- int8: converted models against IntegerReference --------------------------------------------

    /** Random grids, some ranging past 6 so that ReLU6's clamp lies below qmax; uint8 affine or int8 symmetric. */
    static Map<Integer, QuantParams> grids(FusedGraph g, SplittableRandom r) {
        Map<Integer, QuantParams> m = new LinkedHashMap<>();
        m.put(-1, QuantParams.fromRange(-2f, 2f, QScheme.PER_TENSOR_AFFINE));
        for (FusedOp op : g.flatOps()) {
            if (!op.producesNewRange()) continue;
            float hi = (float) (1 + 11 * r.nextDouble()), lo = r.nextInt(3) == 0 ? 0f : -hi * (float) r.nextDouble();
            m.put(op.id(), QuantParams.fromRange(lo, hi, r.nextBoolean() ? QScheme.PER_TENSOR_AFFINE : QScheme.PER_TENSOR_SYMMETRIC));
        }
        return m;
    }

    static int checkConverted(Architecture arch, long seed, int batch, int[] threadCounts) {
        SplittableRandom r = new SplittableRandom(seed);
        FusedGraph g = FusedGraph.of(arch, randomParams(arch, seed));
        Int8Model m = Int8Converter.convert(g, grids(g, r), QConfig.x86(), Map.of());
        float[] x = new float[batch * m.inputShape().size()];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 0.8);
        int[] want = IntegerReference.run(m, x, batch);
        int checked = 0;
        for (Int8Kernels k : Int8KernelsTest.impls()) {
            for (int threads : threadCounts) {
                try (Int8Executor ex = Int8ModelAdapter.executor(m, k, new Int8Executor.Options(threads, batch))) {
                    assertArrayEquals(want, ex.runCodes(x, batch), () -> arch.name() + " " + k.name() + " threads " + threads + "\n" + ex.describe());
                    assertArrayEquals(IntegerReference.logits(m, x, batch), ex.run(x, batch));
                    checked++;
                }
            }
        }
        return checked;
    }

    static boolean has(List<Int8Op> ops, Class<?> kind) {
        for (Int8Op op : ops) {
            if (kind.isInstance(op)) return true;
            if (op instanceof Int8Op.Concat c) for (List<Int8Op> b : c.branches()) if (has(b, kind)) return true;
            if (op instanceof Int8Op.Add a && (has(a.body(), kind) || has(a.shortcut(), kind))) return true;
        }
        return false;
    }

    @Test
    void convertedNewOpsNetMatchesIntegerReference() {
        Architecture arch = newOpsNet();
        FusedGraph g = FusedGraph.of(arch, randomParams(arch, 7));
        Int8Model m = Int8Converter.convert(g, grids(g, new SplittableRandom(7)), QConfig.x86(), Map.of());
        for (Class<?> kind : List.of(Int8Op.Concat.class, Int8Op.ChannelSlice.class, Int8Op.ChannelShuffle.class, Int8Op.Lookup.class)) {
            assertTrue(has(m.ops(), kind), "the converted net has no " + kind.getSimpleName());
        }
        assertEquals(5 * 2 * Int8KernelsTest.impls().size(), checkConvertedSplitting(arch, 7, 12));
    }

    /** {@link #checkConverted} for seeds {@code [from, to)} on 3 images at 1 and 2 threads, with every step split at 2 threads. */
    private static int checkConvertedSplitting(Architecture arch, long from, long to) {
        long saved = Int8Executor.splitMacs, savedCodes = Int8Executor.splitCodes;
        try {
            Int8Executor.splitMacs = 0; // at 2 threads every step splits
            Int8Executor.splitCodes = 0;
            int checked = 0;
            for (long seed = from; seed < to; seed++) checked += checkConverted(arch, seed, 3, new int[] {1, 2});
            return checked;
        } finally {
            Int8Executor.splitMacs = saved;
            Int8Executor.splitCodes = savedCodes;
        }
    }

    /**
     * The permuted net converted to int8: both kernel sets at 1 and 2 threads bit for bit against
     * {@link IntegerReference}; the reference's permutation op moves exactly the codes the definition names
     * (output channel j is input channel order[j], read from its taps); and the identity permutation with
     * the same weights and grids gives other output codes, so a permutation run as the identity would fail here.
     */
    @Test
    void convertedPermutedNetMatchesIntegerReference() {
        Architecture arch = Int8Fixtures.permutedNet(Int8Fixtures.PERMUTATION);
        assertEquals(3 * 2 * Int8KernelsTest.impls().size(), checkConvertedSplitting(arch, 41, 44));
        SplittableRandom r = new SplittableRandom(41);
        FusedGraph g = FusedGraph.of(arch, randomParams(arch, 41));
        Map<Integer, QuantParams> grids = grids(g, r);
        Int8Model m = Int8Converter.convert(g, grids, QConfig.x86(), Map.of());
        Int8Op.ChannelShuffle perm = (Int8Op.ChannelShuffle) m.ops().stream().filter(o -> o instanceof Int8Op.ChannelShuffle).findFirst().orElseThrow();
        assertArrayEquals(Int8Fixtures.PERMUTATION, perm.sources());
        int batch = 2;
        float[] x = new float[batch * m.inputShape().size()];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 0.8);
        List<IntegerReference.Tap> taps = IntegerReference.runWithTaps(m, x, batch);
        int at = 0;
        while (taps.get(at).opId() != perm.id()) at++;
        int[] before = taps.get(at - 1).codes(), after = taps.get(at).codes();
        int plane = perm.inputShape().plane(), c = perm.inputShape().channels();
        for (int n = 0; n < batch; n++) {
            int[] image = java.util.Arrays.copyOfRange(before, n * c * plane, (n + 1) * c * plane);
            assertArrayEquals(permuteRef(image, Int8Fixtures.PERMUTATION, plane), java.util.Arrays.copyOfRange(after, n * c * plane, (n + 1) * c * plane));
        }
        Architecture identity = Int8Fixtures.permutedNet(Int8Fixtures.IDENTITY);
        Int8Model same = Int8Converter.convert(FusedGraph.of(identity, randomParams(identity, 41)), grids, QConfig.x86(), Map.of());
        assertTrue(!java.util.Arrays.equals(IntegerReference.run(m, x, batch), IntegerReference.run(same, x, batch)),
                "the permutation changes no output code");
        try (Int8Executor ex = Int8ModelAdapter.executor(same, Int8Kernels.scalar(), new Int8Executor.Options(1, batch))) {
            assertTrue(!java.util.Arrays.equals(IntegerReference.run(m, x, batch), ex.runCodes(x, batch)), "executor: permutation ignored");
        }
    }

    @Test
    void convertedMobilenetv2MatchesIntegerReference() {
        assertEquals(Int8KernelsTest.impls().size() * 2, checkConverted(Zoo.get("mobilenetv2", new int[] {3, 32, 32}, 10), 21, 2, new int[] {1, 2}));
    }

    @Test
    void convertedShufflenetv2MatchesIntegerReference() {
        assertEquals(Int8KernelsTest.impls().size() * 2, checkConverted(Zoo.get("shufflenetv2", new int[] {3, 32, 32}, 10), 22, 2, new int[] {1, 2}));
    }
}
