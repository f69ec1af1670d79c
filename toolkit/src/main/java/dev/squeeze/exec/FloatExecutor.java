package dev.squeeze.exec;

import dev.squeeze.exec.Arena.Tensor;
import dev.squeeze.model.Layer;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs a {@link FusedGraph} (BatchNorm folded, activations fused) in float32 on the CPU: float input
 * {@code [batch, C, H, W]} → logits {@code [batch, classes]}. The float twin of {@link Int8Executor}, planned
 * the same way: weights packed once by {@link FloatKernels}, activations in one float arena with offsets
 * from a liveness scan (an op's output never overlaps its inputs), per-thread kernel scratch, and the
 * worker threads started once. {@link #run(float[], int, float[])} allocates nothing once planned for
 * the batch; a larger batch than any before re-plans once.
 *
 * <p>Each convolution runs on all its images in one kernel call ({@link FloatKernels.BatchConv}), so the
 * kernel can pack small planes of several images side by side. A residual add whose body ends in a
 * convolution without activation is fused into that convolution's epilogue (the shortcut is computed
 * first). The leading steps with small weights (ResNet's first stage) run a few images at a time
 * ({@link #subBatch}) so that activations stay in cache from one step to the next.
 *
 * <p>A concat chains each branch from the same input, which stays live until its last reader, and copies
 * the branch outputs into place; channel slice and shuffle copy whole channel planes ({@link ChannelRuns}).
 *
 * <p>Threads ({@link Int8Executor.Options#threads()}): a convolution big enough ({@code Int8Executor.splitMacs})
 * is split by images when the batch has at least one per worker, else by blocks of output channels;
 * fully connected by blocks of output features; the other ops by planes, elements or (image, channel run) pairs. Methods are
 * synchronized: one run at a time.
 */
public final class FloatExecutor implements AutoCloseable {

    private final FloatKernels kernels;
    private final FloatKernels.Elementwise elt;
    private final Int8Executor.Options options;
    private final int[] inputShape;
    private final Tensor input;
    private final Tensor output;
    private final int outputSize;
    private final String outputShape;
    private final List<Step> steps = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final WorkerPool pool;
    private final float[][] scratch;
    private float[] arena = new float[0];
    private int planned;
    /** The steps work on images {@code [first, first + batch)} of the current run. */
    private int first, batch;
    /** The leading steps run {@code group} images at a time (see {@link #subBatch}); 0: none. */
    private final int prefix, group;

    private final FusedGraph graph; // for node names in the profile

    private FloatExecutor(FusedGraph graph, FloatKernels kernels, Int8Executor.Options options) {
        this.kernels = kernels;
        this.elt = kernels.elementwise();
        this.options = options;
        int[] s = graph.inputShape();
        if (s.length != 3 || s[0] < 1 || s[1] < 1 || s[2] < 1) {
            throw new IllegalArgumentException("FloatExecutor: input shape must be [C, H, W] with positive sizes, got " + Arrays.toString(s));
        }
        inputShape = s.clone();
        this.graph = graph;
        input = newTensor((long) s[0] * s[1] * s[2], -1);
        Value v = chain(graph.ops(), new Value(input, s[0], s[1], s[2]));
        output = v.t;
        output.death = steps.size();
        outputSize = v.size();
        outputShape = v.shape();
        int p = 0;
        while (p < steps.size() && (steps.get(p) instanceof ConvStep c ? c.spec.weightCount() <= SUB_BATCH_WEIGHTS
                : steps.get(p) instanceof PoolStep || steps.get(p) instanceof EltStep)) p++;
        group = subBatch;
        prefix = group > 0 && p > 1 ? p : 0;
        int sc = 0;
        for (Step st : steps) if (st instanceof ConvStep c) sc = Math.max(sc, c.conv.scratchFloats());
        scratch = new float[options.threads()][sc];
        pool = new WorkerPool(options.threads(), "squeeze-fp32");
        plan(options.maxBatch());
    }

    /**
     * Images per group for the leading steps whose convolutions have at most {@link #SUB_BATCH_WEIGHTS}
     * weights (ResNet's first stage): with big activations and small weights, running those steps a few
     * images at a time keeps each step's input in cache for the next instead of streaming whole-batch
     * tensors through memory; later layers, with big weights, run on the whole batch so that each weight
     * is read once. 0 turns it off ({@code -Dsqueeze.fp32.subBatch}); read when an executor is made (tests
     * and benchmarks change it).
     */
    static int subBatch = Integer.getInteger("squeeze.fp32.subBatch", 4);
    static final int SUB_BATCH_WEIGHTS = 1 << 17;

    /** An executor for {@code graph} on the default kernels, one thread, planned for batch 1. */
    public static FloatExecutor of(FusedGraph graph) { return of(graph, FloatKernels.get(), Int8Executor.Options.defaults()); }

    /** An executor for {@code graph} on the default kernels. */
    public static FloatExecutor of(FusedGraph graph, Int8Executor.Options options) { return of(graph, FloatKernels.get(), options); }

    /** An executor on the given kernels (e.g. {@link FloatKernels#scalar()} to compare). */
    public static FloatExecutor of(FusedGraph graph, FloatKernels kernels, Int8Executor.Options options) {
        return new FloatExecutor(graph, kernels, options);
    }

    // ---- graph walk -------------------------------------------------------------------------------

    private record Value(Tensor t, int c, int h, int w) {
        int size() { return c * h * w; }
        String shape() { return h == 1 && w == 1 ? "[" + c + "]" : c + "×" + h + "×" + w; }
    }

    private Tensor newTensor(long size, int birth) {
        Tensor t = new Tensor(size, birth);
        tensors.add(t);
        return t;
    }

    private Value chain(List<FusedOp> ops, Value x) {
        for (FusedOp op : ops) x = apply(op, x);
        return x;
    }

    private Value produce(Step s, Value in, int c, int h, int w) {
        in.t.death = Math.max(in.t.death, steps.size());
        Tensor t = newTensor((long) c * h * w, steps.size());
        s.in = in.t;
        s.out = t;
        Value v = new Value(t, c, h, w);
        s.outShape = v.shape();
        steps.add(s);
        return v;
    }

    /** Adds a step that reads {@code parts} (all live until it runs) and writes a new {@code [runs.outChannels(), h, w]} tensor. */
    private Value gather(MoveStep s, Tensor[] parts, int h, int w) {
        for (Tensor p : parts) p.death = Math.max(p.death, steps.size());
        int c = s.runs.outChannels();
        Tensor t = newTensor((long) c * h * w, steps.size());
        s.in = parts[0];
        s.out = t;
        Value v = new Value(t, c, h, w);
        s.outShape = v.shape();
        steps.add(s);
        return v;
    }

    private static IllegalArgumentException mismatch(FusedOp op, String expects, Value got) {
        return new IllegalArgumentException("FloatExecutor: op " + op.id() + " (" + op.describe() + ") expects input " + expects
                + " but the op before it produces " + got.shape() + "; the graph does not chain");
    }

    private Value apply(FusedOp op, Value x) {
        String name = graph.nodeName(op.id()) + " " + op.describe(); // layer1.0.conv1 conv 64→64 3×3 + relu
        switch (op) {
            case FusedOp.Conv c -> {
                Layer.Conv2d l = c.layer();
                if (l.in() != x.c || x.h == 1 && x.w == 1 && x.c != l.in()) throw mismatch(op, l.in() + "×H×W", x);
                ConvSpec spec = new ConvSpec(l.in(), l.out(), l.kernel(), l.stride(), l.padding(), l.groups(), x.h, x.w);
                return produce(new ConvStep(name, spec, c, kernels.batchConv(spec, c.weight(), c.bias(), c.activation())), x, l.out(),
                        spec.outHeight(), spec.outWidth());
            }
            case FusedOp.Dense d -> {
                Layer.Linear l = d.layer();
                if (l.in() != x.size()) throw mismatch(op, "[" + l.in() + "]", x);
                return produce(new DenseStep(name, l.in(), l.out(), kernels.linear(l.in(), l.out(), d.weight(), d.bias(), d.activation())),
                        x, l.out(), 1, 1);
            }
            case FusedOp.MaxPool p -> {
                PoolSpec s = new PoolSpec(x.h, x.w, p.layer().kernel(), p.layer().stride(), p.layer().padding());
                return produce(new PoolStep(name, "max_pool", s, x.c, 0), x, x.c, s.outHeight(), s.outWidth());
            }
            case FusedOp.AvgPool p -> {
                PoolSpec s = new PoolSpec(x.h, x.w, p.layer().kernel(), p.layer().stride(), p.layer().padding());
                return produce(new PoolStep(name, "avg_pool", s, x.c, 1), x, x.c, s.outHeight(), s.outWidth());
            }
            case FusedOp.GlobalAvgPool g -> {
                return produce(new PoolStep(name, "global_avg_pool", new PoolSpec(x.h, x.w, 1, 1, 0), x.c, 2), x, x.c, 1, 1);
            }
            case FusedOp.Flatten f -> {
                return new Value(x.t, x.size(), 1, 1); // same memory, read as a vector
            }
            case FusedOp.Act a -> {
                return produce(new EltStep(name, "act", a.activation(), x.size()), x, x.c, x.h, x.w);
            }
            case FusedOp.Concat cat -> {
                // every branch reads x; x stays live until the last reader (a later branch or, for an
                // empty branch, the concat itself), each branch's output until the concat
                if (cat.branches().size() < 2) {
                    throw new IllegalArgumentException("FloatExecutor: " + name + " has " + cat.branches().size() + " branches; a concat needs ≥ 2");
                }
                int n = cat.branches().size();
                Tensor[] parts = new Tensor[n];
                int[] channels = new int[n], from = new int[n], len = new int[n];
                Value first = null;
                for (int b = 0; b < n; b++) {
                    List<FusedOp> branch = cat.branches().get(b);
                    Value v;
                    if (branch.size() == 1 && branch.getFirst() instanceof FusedOp.ChannelSlice sl) {
                        // only a slice (ShuffleNet's split): the concat copies those channels of x itself
                        if (sl.layer().to() > x.c) throw mismatch(sl, "≥ " + sl.layer().to() + " channels", x);
                        v = x;
                        from[b] = sl.layer().from();
                        len[b] = sl.layer().channels();
                    } else {
                        v = chain(branch, x);
                        len[b] = v.c;
                    }
                    if (first == null) first = v;
                    if (v.h != first.h || v.w != first.w) {
                        throw new IllegalArgumentException("FloatExecutor: " + name + " branch " + b + " produces " + v.shape() + " but branch 0 "
                                + first.shape() + "; concatenated branches need the same height and width");
                    }
                    parts[b] = v.t;
                    channels[b] = v.c;
                }
                return gather(new MoveStep(name, "concat", parts, ChannelRuns.concat(channels, from, len, first.h * first.w)), parts, first.h,
                        first.w);
            }
            case FusedOp.ChannelSlice sl -> {
                Layer.ChannelSlice l = sl.layer();
                if (l.to() > x.c) throw mismatch(op, "≥ " + l.to() + " channels", x);
                Tensor[] parts = {x.t};
                return gather(new MoveStep(name, "channel_slice", parts, ChannelRuns.slice(x.c, l.from(), l.to(), x.h * x.w)), parts, x.h, x.w);
            }
            case FusedOp.ChannelShuffle sh -> {
                // sources(), not groups(): an explicit permutation (a pruned ShuffleNet's) has groups 1 and would run as the identity
                Layer.ChannelShuffle l = sh.layer();
                if (l.explicit() ? l.order().length != x.c : x.c % l.groups() != 0) {
                    throw mismatch(op, l.explicit() ? l.order().length + " channels (the permutation's length)"
                            : "a multiple of " + l.groups() + " channels", x);
                }
                Tensor[] parts = {x.t};
                return gather(new MoveStep(name, "channel_shuffle", parts, ChannelRuns.permute(l.sources(x.c), x.h * x.w)), parts, x.h, x.w);
            }
            case FusedOp.Add a -> {
                // the shortcut first, so that a body ending in a convolution can add it in that convolution's epilogue
                Value shortcut = chain(a.shortcut(), x);
                Value body = chain(a.body(), x);
                if (body.c != shortcut.c || body.h != shortcut.h || body.w != shortcut.w) {
                    throw new IllegalArgumentException("FloatExecutor: residual " + name + " adds body " + body.shape() + " to shortcut "
                            + shortcut.shape() + "; their shapes must match");
                }
                if (!steps.isEmpty() && steps.getLast() instanceof ConvStep last && last.out == body.t && last.res == null
                        && last.op.activation().kind() == Activation.Kind.NONE && shortcut.t != body.t) {
                    // fused: out = act(conv + bias + shortcut), no separate pass over the tensors
                    last.conv = kernels.batchConv(last.spec, last.op.weight(), last.op.bias(), a.activation());
                    last.res = shortcut.t;
                    last.fused = " + " + name;
                    shortcut.t.death = Math.max(shortcut.t.death, steps.size() - 1);
                    return body;
                }
                EltStep s = new EltStep(name, "add", a.activation(), body.size());
                s.b = shortcut.t;
                shortcut.t.death = steps.size();
                return produce(s, body, body.c, body.h, body.w);
            }
        }
    }

    // ---- planning -----------------------------------------------------------------------------------

    /**
     * Arena offsets for batch {@code b}: first fit over tensors in birth order, skipping live ones. When the
     * leading steps will run in image groups, every tensor they touch is live through all of them.
     */
    private void plan(int b) {
        // Running a prefix of steps in image groups keeps the prefix's tensors alive across it.
        Arena.Lifetime life = !grouped(b) ? Arena.Lifetime.AS_RECORDED : new Arena.Lifetime() {
            @Override public int birth(Tensor t) { return t.birth < prefix ? -1 : t.birth; }
            @Override public int death(Tensor t) { return t.birth < prefix ? Math.max(t.death, prefix - 1) : t.death; }
        };
        int end = Arena.place(tensors, b, life, "FloatExecutor: activations");
        arena = new float[end];
        planned = b;
    }

    private boolean grouped(int b) { return prefix > 0 && b > group; }

    // ---- running ------------------------------------------------------------------------------------

    /** Logits {@code [batch, classes]} for input {@code [batch, C, H, W]}. */
    public float[] run(float[] in, int b) {
        float[] out = new float[b * outputSize];
        run(in, b, out);
        return out;
    }

    /** {@link #run(float[], int)} into {@code logits} ({@code ≥ batch · classes}); allocates nothing once planned for {@code b}. */
    public synchronized void run(float[] in, int b, float[] logits) {
        if (logits.length < (long) b * outputSize) {
            throw new IllegalArgumentException("FloatExecutor: logits array of " + logits.length + " is smaller than batch " + b + " × "
                    + outputSize);
        }
        load(in, b);
        int i = 0;
        if (grouped(b)) {
            for (int g = 0; g < b; g += group) {
                range(g, Math.min(group, b - g));
                for (int j = 0; j < prefix; j++) runStep(steps.get(j));
            }
            i = prefix;
        }
        range(0, b);
        for (; i < steps.size(); i++) runStep(steps.get(i));
        System.arraycopy(arena, output.offset, logits, 0, b * outputSize);
    }

    private void range(int first, int count) {
        this.first = first;
        this.batch = count;
    }

    private void load(float[] in, int b) {
        if (b < 1) throw new IllegalArgumentException("FloatExecutor: batch must be ≥ 1, got " + b);
        if (in.length < (long) b * inputSize()) {
            throw new IllegalArgumentException("FloatExecutor: input holds " + in.length + " floats but batch " + b + " of "
                    + Arrays.toString(inputShape) + " needs " + (long) b * inputSize());
        }
        if (b > planned || grouped(b) && !grouped(planned)) plan(b);
        range(0, b);
        System.arraycopy(in, 0, arena, input.offset, b * inputSize());
    }

    private void runStep(Step s) {
        boolean split = options.threads() > 1 && s.work() >= (s.macsPerImage() > 0 ? Int8Executor.splitMacs : Int8Executor.splitCodes);
        if (split) pool.run(s, 0);
        else s.execute(0, 0, 1);
    }

    // ---- profile ------------------------------------------------------------------------------------

    /**
     * Per-op medians over {@code repetitions} timed runs after {@code max(2, repetitions/5)} warm-ups. The
     * float kernels have no measured peak, so {@link Int8Executor.Profile#peakGops()} and each op's percent of
     * peak are 0; GOP/s are real.
     */
    public synchronized Int8Executor.Profile profile(float[] in, int b, int repetitions) {
        if (repetitions < 1) throw new IllegalArgumentException("FloatExecutor.profile: repetitions must be ≥ 1, got " + repetitions);
        float[] logits = new float[b * outputSize];
        for (int i = 0; i < Math.max(2, repetitions / 5); i++) run(in, b, logits);
        int n = steps.size();
        long[][] t = new long[n][repetitions];
        long[] total = new long[repetitions];
        for (int r = 0; r < repetitions; r++) {
            long start = System.nanoTime();
            load(in, b);
            long t0 = System.nanoTime();
            int i0 = 0;
            if (grouped(b)) {
                for (int g = 0; g < b; g += group) {
                    range(g, Math.min(group, b - g));
                    for (int j = 0; j < prefix; j++) {
                        runStep(steps.get(j));
                        long t1 = System.nanoTime();
                        t[j][r] += t1 - t0;
                        t0 = t1;
                    }
                }
                i0 = prefix;
            }
            range(0, b);
            for (int i = i0; i < n; i++) {
                runStep(steps.get(i));
                long t1 = System.nanoTime();
                t[i][r] = t1 - t0;
                t0 = t1;
            }
            System.arraycopy(arena, output.offset, logits, 0, b * outputSize);
            total[r] = System.nanoTime() - start;
        }
        List<Int8Executor.OpProfile> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Step s = steps.get(i);
            double ms = median(t[i]) / 1e6;
            long macs = s.macsPerImage() * b;
            ops.add(new Int8Executor.OpProfile(s.label(), s.kind, s.path(), s.outShape, macs, ms, macs == 0 ? 0 : 2.0 * macs / (ms * 1e6), 0));
        }
        return new Int8Executor.Profile(kernels.description(), options.threads(), b, repetitions, 0, List.copyOf(ops), median(total) / 1e6);
    }

    private static double median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2.0;
    }

    // ---- facts --------------------------------------------------------------------------------------

    public int[] inputShape() { return inputShape.clone(); }
    public int inputSize() { return inputShape[0] * inputShape[1] * inputShape[2]; }
    public int outputSize() { return outputSize; }
    public Int8Executor.Options options() { return options; }
    public FloatKernels kernels() { return kernels; }

    /** Multiply-accumulates per image over all conv and dense ops. */
    public long macsPerImage() { return steps.stream().mapToLong(Step::macsPerImage).sum(); }

    /** Bytes of the activation arena and kernel scratch as planned now. */
    public long bufferBytes() { return 4L * arena.length + 4L * scratch.length * scratch[0].length; }

    /** One line per step: name, kind, output shape. */
    public String describe() {
        StringBuilder sb = new StringBuilder(kernels.description()).append('\n');
        for (Step s : steps) sb.append(String.format(Locale.ROOT, "  %-40s %-16s %s%n", s.label(), s.kind, s.outShape));
        return sb.toString();
    }

    @Override public void close() { pool.close(); }

    @Override public String toString() {
        return "FloatExecutor[" + steps.size() + " steps, " + Arrays.toString(inputShape) + " → " + outputShape + ", " + options.threads()
                + " thread(s), " + kernels.name() + "]";
    }

    // ---- steps --------------------------------------------------------------------------------------

    private abstract class Step implements WorkerPool.Task {
        final String name, kind;
        Tensor in, out;
        String outShape;

        Step(String name, String kind) {
            this.name = name;
            this.kind = kind;
        }

        String path() { return kernels.name(); }
        String label() { return name; }
        long macsPerImage() { return 0; }
        long work() { return macsPerImage() > 0 ? macsPerImage() * batch : out.size * batch; }

        /** [from, to) of {@code n} units for worker w of W. */
        int from(int n, int w, int workers) { return (int) ((long) n * w / workers); }
    }

    /** A convolution over the whole batch at once; with {@code res}, a residual add (and its activation) fused in. */
    private final class ConvStep extends Step {
        final ConvSpec spec;
        final FusedOp.Conv op;
        FloatKernels.BatchConv conv;
        Tensor res;
        String fused = "";

        ConvStep(String name, ConvSpec spec, FusedOp.Conv op, FloatKernels.BatchConv conv) {
            super(name, "conv");
            this.spec = spec;
            this.op = op;
            this.conv = conv;
        }

        @Override String label() { return name + fused; }
        @Override long macsPerImage() { return spec.macs(); }

        @Override public void execute(int phase, int w, int workers) {
            int inSize = spec.inputSize(), outSize = spec.outputSize(), m = spec.outChannels();
            float[] sc = scratch[w], r = res == null ? null : arena;
            int ro = res == null ? 0 : res.offset;
            if (workers == 1 || batch >= workers) {
                int b = first + from(batch, w, workers), e = first + from(batch, w + 1, workers);
                if (b < e) conv.run(arena, in.offset + b * inSize, e - b, arena, out.offset + b * outSize, r, ro + b * outSize, 0, m, sc);
            } else {
                // fewer images than workers: split output channels in whole kernel blocks
                int blk = conv.channelBlock(), blocks = (m + blk - 1) / blk;
                int o0 = from(blocks, w, workers) * blk, o1 = Math.min(m, from(blocks, w + 1, workers) * blk);
                if (o0 >= o1) return;
                conv.run(arena, in.offset + first * inSize, batch, arena, out.offset + first * outSize, r, ro + first * outSize, o0, o1, sc);
            }
        }
    }

    private final class DenseStep extends Step {
        final int inF, outF;
        final FloatKernelSupport.LinearKernel lin;

        DenseStep(String name, int inF, int outF, FloatKernelSupport.LinearKernel lin) {
            super(name, "dense");
            this.inF = inF;
            this.outF = outF;
            this.lin = lin;
        }

        @Override long macsPerImage() { return (long) inF * outF; }

        @Override public void execute(int phase, int w, int workers) {
            int blk = lin.block(), blocks = (outF + blk - 1) / blk;
            int o0 = from(blocks, w, workers) * blk, o1 = Math.min(outF, from(blocks, w + 1, workers) * blk);
            if (o0 < o1) lin.run(arena, in.offset + first * inF, batch, arena, out.offset + first * outF, o0, o1);
        }
    }

    private final class PoolStep extends Step {
        final PoolSpec spec;
        final int channels, which;

        PoolStep(String name, String kind, PoolSpec spec, int channels, int which) {
            super(name, kind);
            this.spec = spec;
            this.channels = channels;
            this.which = which;
        }

        @Override String path() { return kernels.vectorized() ? kernels.name() : "java"; }

        @Override public void execute(int phase, int w, int workers) {
            int planes = batch * channels, a = first * channels + from(planes, w, workers), z = first * channels + from(planes, w + 1, workers);
            if (a == z) return;
            int src = in.offset + a * spec.inPlane();
            switch (which) {
                case 0 -> elt.maxPool(spec, arena, src, arena, out.offset + a * spec.outPlane(), z - a);
                case 1 -> elt.avgPool(spec, arena, src, arena, out.offset + a * spec.outPlane(), z - a);
                default -> elt.globalAvgPool(spec.inPlane(), arena, src, arena, out.offset + a, z - a);
            }
        }
    }

    /**
     * Channel slice, shuffle or concat: copies runs of whole channel planes ({@link ChannelRuns}); the work
     * units are (image, run) pairs, split over the workers.
     */
    private final class MoveStep extends Step {
        final Tensor[] parts;
        final ChannelRuns runs;

        MoveStep(String name, String kind, Tensor[] parts, ChannelRuns runs) {
            super(name, kind);
            this.parts = parts;
            this.runs = runs;
        }

        @Override String path() { return "java"; }

        @Override public void execute(int phase, int w, int workers) {
            int R = runs.runs(), units = batch * R;
            for (int u = from(units, w, workers), e = from(units, w + 1, workers); u < e; u++) {
                int n = first + u / R, r = u % R;
                System.arraycopy(arena, parts[runs.part()[r]].offset + runs.srcOffset(r, n), arena, out.offset + runs.dstOffset(r, n), runs.count(r));
            }
        }
    }

    /** Stand-alone activation ({@code b == null}) or residual add with its fused activation. */
    private final class EltStep extends Step {
        final Activation act;
        final int size;
        Tensor b;

        EltStep(String name, String kind, Activation act, int size) {
            super(name, kind);
            this.act = act;
            this.size = size;
        }

        @Override String path() { return kernels.vectorized() ? kernels.name() : "java"; }

        @Override public void execute(int phase, int w, int workers) {
            int n = batch * size, a = first * size + from(n, w, workers), z = first * size + from(n, w + 1, workers);
            if (a >= z) return;
            if (b == null) {
                System.arraycopy(arena, in.offset + a, arena, out.offset + a, z - a);
                elt.activate(act, arena, out.offset + a, z - a);
            } else {
                elt.add(act, arena, in.offset + a, arena, b.offset + a, arena, out.offset + a, z - a);
            }
        }
    }
}
