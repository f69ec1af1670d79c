package dev.squeeze.exec;

import dev.squeeze.exec.Arena.Tensor;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs a graph of integer ops ({@link ExecOp}) on a batch: float input → quantize → int8 ops →
 * dequantize → float logits. Everything is planned when the executor is made: activation tensors share
 * one byte arena with offsets from a liveness scan (a tensor's bytes are reused once its last reader
 * ran; an op's output never overlaps its inputs), kernel scratch is reserved for the largest batch, and
 * the intra-op worker threads are started. {@link #run} then allocates nothing but the returned logits
 * ({@link #run(float[], int, float[])} not even those) as long as the batch is not larger than any
 * before; a larger batch re-plans once.
 *
 * <p>Threads: {@link Options#threads()} workers (default 1) split every op that is big enough (at least
 * 4 M multiply-accumulates, or 256 K output codes for the others) by images, tiles, channels or elements;
 * smaller ops run on the calling thread, since waking the workers costs more than they would save. One
 * {@code run} at a time: the methods are synchronized.
 *
 * <p>Branching ops: a residual add chains its body and shortcut, a concat each of its branches, from the
 * same input tensor, which stays live until its last reader; each branch's output stays live until the
 * add or concat reads it. Channel slice and shuffle copy whole channel planes ({@link ChannelRuns}); a
 * concat copies a branch whose grid is the output's and requantizes the others.
 *
 * <p>{@link #profile} times each op and relates it to {@link Int8Kernels#peakGops()}.
 */
public final class Int8Executor implements AutoCloseable {

    /**
     * @param threads intra-op worker threads (≥ 1; {@link #defaults()}: the available cores — benchmarks pass 1
     *                so that runtimes compare on one core)
     * @param maxBatch batch size to plan buffers for (larger batches re-plan once)
     */
    public record Options(int threads, int maxBatch) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("Int8Executor.Options.threads must be ≥ 1, got " + threads);
            if (maxBatch < 1) throw new IllegalArgumentException("Int8Executor.Options.maxBatch must be ≥ 1, got " + maxBatch);
        }
        /** All available cores, buffers planned for batch 1. */
        public static Options defaults() { return new Options(Runtime.getRuntime().availableProcessors(), 1); }

        /** One thread (the benchmark setting), buffers planned for {@code maxBatch}. */
        public static Options singleThread(int maxBatch) { return new Options(1, maxBatch); }
        public Options withThreads(int t) { return new Options(t, maxBatch); }
        public Options withMaxBatch(int b) { return new Options(threads, b); }
    }

    /**
     * One op's share of a profiled run.
     *
     * @param macs multiply-accumulates for the whole batch (0 for ops without weights)
     * @param millis median time per run
     * @param gops {@code 2·macs / time} in GOP/s (0 when macs is 0)
     * @param percentOfPeak {@code gops / (peak · threads) · 100}
     */
    public record OpProfile(String name, String kind, String path, String outputShape, long macs, double millis, double gops,
                            double percentOfPeak) {}

    /**
     * A profiled run: per-op medians over the repetitions.
     *
     * @param peakGops one-thread peak of the kernels ({@link Int8Kernels#peakGops()})
     * @param totalMillis median of the whole run (quantize to dequantize)
     */
    public record Profile(String kernels, int threads, int batch, int repetitions, double peakGops, List<OpProfile> ops,
                          double totalMillis) {
        public long macs() { return ops.stream().mapToLong(OpProfile::macs).sum(); }

        /** Whole-network GOP/s. */
        public double gops() { return 2.0 * macs() / (totalMillis * 1e6); }

        @Override public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%s, %d thread(s), batch %d, median of %d; peak %.1f GOP/s per thread%n", kernels, threads,
                    batch, repetitions, peakGops));
            sb.append(String.format(Locale.ROOT, "%-34s %-14s %-24s %10s %9s %8s %6s%n", "op", "output", "path", "MMAC", "ms", "GOP/s", "%peak"));
            for (OpProfile o : ops) {
                sb.append(String.format(Locale.ROOT, "%-34s %-14s %-24s %10.2f %9.3f %8s %6s%n", clip(o.name(), 34), o.outputShape(),
                        clip(o.path(), 24), o.macs() / 1e6, o.millis(), o.macs() == 0 ? "" : String.format(Locale.ROOT, "%.1f", o.gops()),
                        o.macs() == 0 ? "" : String.format(Locale.ROOT, "%.0f", o.percentOfPeak())));
            }
            sb.append(String.format(Locale.ROOT, "%-34s %-14s %-24s %10.2f %9.3f %8.1f%n", "total", "", "", macs() / 1e6, totalMillis, gops()));
            return sb.toString();
        }

        private static String clip(String s, int n) { return s.length() <= n ? s : s.substring(0, n - 1) + "…"; }
    }

    // ---- planned state ----------------------------------------------------------------------------

    /** Smallest work split over the workers (tests lower these to exercise the pool on small graphs). */
    static volatile long splitMacs = 4_000_000L, splitCodes = 256_000L;

    private final Int8Kernels kernels;
    private final Options options;
    private final int[] inputShape;
    private final QuantParams inputGrid;
    private final Tensor input;
    private final Tensor output;
    private final Value outputValue;
    private final List<Step> steps = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final WorkerPool pool;
    private final Scratch scratch;
    private byte[] arena = new byte[0];
    private int planned;
    int batch;

    private Int8Executor(Int8Kernels kernels, int[] inputShape, QuantParams inputGrid, List<ExecOp> ops, Options options) {
        this.kernels = kernels;
        this.options = options;
        if (inputShape.length != 3 || inputShape[0] < 1 || inputShape[1] < 1 || inputShape[2] < 1) {
            throw new IllegalArgumentException("Int8Executor: input shape must be [C, H, W] with positive sizes, got " + Arrays.toString(inputShape));
        }
        this.inputShape = inputShape.clone();
        this.inputGrid = inputGrid;
        input = newTensor((long) inputShape[0] * inputShape[1] * inputShape[2], -1);
        Value v = chain(ops, new Value(input, inputShape[0], inputShape[1], inputShape[2], inputGrid), "");
        outputValue = v;
        output = v.t;
        output.death = steps.size();
        pool = new WorkerPool(options.threads(), "squeeze-exec");
        scratch = new Scratch(options.threads());
        plan(options.maxBatch());
    }

    /** An executor for a converted int8 model, on the default kernels, with {@link Options#defaults()} (all cores). */
    public static Int8Executor of(dev.squeeze.ir.Int8Model m) { return Int8ModelAdapter.executor(m, Int8Kernels.get(), Options.defaults()); }

    /** An executor for a converted int8 model. */
    public static Int8Executor of(dev.squeeze.ir.Int8Model m, Options o) { return Int8ModelAdapter.executor(m, Int8Kernels.get(), o); }

    /** An executor for a converted int8 model on the given kernels (e.g. {@link Int8Kernels#scalar()} to compare). */
    public static Int8Executor of(dev.squeeze.ir.Int8Model m, Int8Kernels kernels, Options o) { return Int8ModelAdapter.executor(m, kernels, o); }

    /** An executor over {@code ops}, which must have been packed by {@code kernels} (or its scalar fallback). */
    public static Int8Executor of(Int8Kernels kernels, int[] inputShape, QuantParams input, List<ExecOp> ops, Options options) {
        return new Int8Executor(kernels, inputShape, input, ops, options);
    }

    /** {@link #of(Int8Kernels, int[], QuantParams, List, Options)} with the default kernels and options. */
    public static Int8Executor of(int[] inputShape, QuantParams input, List<ExecOp> ops) {
        return of(Int8Kernels.get(), inputShape, input, ops, Options.defaults());
    }

    // ---- graph walk -------------------------------------------------------------------------------

    /** A tensor flowing through the graph: memory plus the shape and grid it is read with. */
    private record Value(Tensor t, int c, int h, int w, QuantParams grid) {
        int size() { return c * h * w; }
        CodeType type() { return CodeType.of(grid.qmin(), grid.qmax()); }
        int zp() { return grid.zeroPoint(); }
        String shape() { return h == 1 && w == 1 ? "[" + c + "]" : c + "×" + h + "×" + w; }
        String describe() { return shape() + " " + type() + " zp " + zp(); }
    }

    private Tensor newTensor(long size, int birth) {
        Tensor t = new Tensor(size, birth);
        tensors.add(t);
        return t;
    }

    private Value chain(List<ExecOp> ops, Value x, String where) {
        for (int i = 0; i < ops.size(); i++) {
            ExecOp op = ops.get(i);
            // conv (+ReLU) then a 2×2 stride-2 max pool: one fused step when the kernels can (same codes, less work)
            if (op instanceof ExecOp.Conv c && i + 1 < ops.size() && ops.get(i + 1) instanceof ExecOp.MaxPool p && p.kernel() == 2
                    && p.stride() == 2 && p.padding() == 0) {
                Int8Conv2d fused = c.conv().withMaxPool2x2();
                if (fused != null) {
                    x = apply(new ExecOp.Conv(c.name() + " + " + p.name(), fused, c.output()), x, where);
                    i++;
                    continue;
                }
            }
            x = apply(op, x, where);
        }
        return x;
    }

    private Value produce(Step s, Value in, int c, int h, int w, QuantParams grid) {
        in.t.death = Math.max(in.t.death, steps.size());
        Tensor t = newTensor((long) c * h * w, steps.size());
        s.in = in.t;
        s.out = t;
        s.outShape = new Value(t, c, h, w, grid).shape();
        steps.add(s);
        return new Value(t, c, h, w, grid);
    }

    /** Adds a step that reads {@code parts} (all live until it runs) and writes a new {@code [runs.outChannels(), h, w]} tensor on {@code grid}. */
    private Value gather(MoveStep s, int h, int w, QuantParams grid) {
        for (Tensor p : s.parts) p.death = Math.max(p.death, steps.size());
        int c = s.runs.outChannels();
        Tensor t = newTensor((long) c * h * w, steps.size());
        s.in = s.parts[0];
        s.out = t;
        Value v = new Value(t, c, h, w, grid);
        s.outShape = v.shape();
        steps.add(s);
        return v;
    }

    private IllegalArgumentException mismatch(ExecOp op, String expects, Value got) {
        return new IllegalArgumentException("Int8Executor: op '" + op.name() + "' expects input " + expects + " but the op before it produces "
                + got.describe() + "; the ops do not chain");
    }

    private Value apply(ExecOp op, Value x, String where) {
        switch (op) {
            case ExecOp.Conv c -> {
                ConvSpec s = c.conv().spec();
                if (s.inChannels() != x.c || s.inHeight() != x.h || s.inWidth() != x.w || c.conv().inType() != x.type()
                        || c.conv().inZeroPoint() != x.zp()) {
                    throw mismatch(op, s.inChannels() + "×" + s.inHeight() + "×" + s.inWidth() + " " + c.conv().inType() + " zp "
                            + c.conv().inZeroPoint(), x);
                }
                checkOutput(op, c.output(), c.conv().stage());
                return produce(new ConvStep(c), x, s.outChannels(), c.conv().outHeight(), c.conv().outWidth(), c.output());
            }
            case ExecOp.Linear l -> {
                Int8Linear k = l.linear();
                if (k.inFeatures() != x.size() || k.inType() != x.type() || k.inZeroPoint() != x.zp()) {
                    throw mismatch(op, "[" + k.inFeatures() + "] " + k.inType() + " zp " + k.inZeroPoint(), x);
                }
                checkOutput(op, l.output(), k.stage());
                return produce(new LinearStep(l), x, k.outFeatures(), 1, 1, l.output());
            }
            case ExecOp.MaxPool p -> {
                PoolSpec s = new PoolSpec(x.h, x.w, p.kernel(), p.stride(), p.padding());
                return produce(new PoolStep(op.name(), "max_pool", s, x, 0), x, x.c, s.outHeight(), s.outWidth(), x.grid);
            }
            case ExecOp.AvgPool p -> {
                PoolSpec s = new PoolSpec(x.h, x.w, p.kernel(), p.stride(), p.padding());
                return produce(new PoolStep(op.name(), "avg_pool", s, x, 1), x, x.c, s.outHeight(), s.outWidth(), x.grid);
            }
            case ExecOp.GlobalAvgPool g -> {
                PoolSpec s = new PoolSpec(x.h, x.w, 1, 1, 0);
                return produce(new PoolStep(op.name(), "global_avg_pool", s, x, 2), x, x.c, 1, 1, x.grid);
            }
            case ExecOp.Flatten f -> {
                return new Value(x.t, x.size(), 1, 1, x.grid);
            }
            case ExecOp.Activation a -> {
                if (a.stage().channels() != 1) throw new IllegalArgumentException("Int8Executor: activation '" + a.name() + "' needs a one-channel stage");
                checkOutput(op, a.output(), a.stage());
                return produce(new ActStep(a, x), x, x.c, x.h, x.w, a.output());
            }
            case ExecOp.Lookup l -> {
                QuantParams g = l.input();
                if (x.zp() != g.zeroPoint() || x.grid.qmin() != g.qmin() || x.grid.qmax() != g.qmax()) {
                    throw mismatch(op, "codes on [" + g.qmin() + ", " + g.qmax() + "] zp " + g.zeroPoint(), x);
                }
                CodeType.of(l.output().qmin(), l.output().qmax());
                return produce(new LookupStep(op.name(), Int8Kernels.byteTable(x.type(), g.qmin(), l.table()), x.size()), x, x.c, x.h, x.w,
                        l.output());
            }
            case ExecOp.ChannelSlice sl -> {
                if (sl.to() > x.c) throw mismatch(op, "≥ " + sl.to() + " channels", x);
                MoveStep s = new MoveStep(op.name(), "channel_slice", new Tensor[] {x.t}, ChannelRuns.slice(x.c, sl.from(), sl.to(), x.h * x.w),
                        null);
                return gather(s, x.h, x.w, x.grid);
            }
            case ExecOp.ChannelShuffle sh -> {
                if (x.c != sh.channels()) throw mismatch(op, sh.channels() + " channels (the permutation's length)", x);
                MoveStep s = new MoveStep(op.name(), "channel_shuffle", new Tensor[] {x.t}, ChannelRuns.permute(sh.sources(), x.h * x.w), null);
                return gather(s, x.h, x.w, x.grid);
            }
            case ExecOp.Concat cat -> {
                // every branch reads x; x stays live until its last reader, each branch's output until the concat
                int n = cat.branches().size();
                Tensor[] parts = new Tensor[n];
                int[] channels = new int[n], from = new int[n], len = new int[n];
                CodeType[] types = new CodeType[n];
                int[] zps = new int[n];
                OutputStage[] stages = new OutputStage[n];
                CodeType outType = CodeType.of(cat.output().qmin(), cat.output().qmax());
                Value first = null;
                for (int b = 0; b < n; b++) {
                    List<ExecOp> branch = cat.branches().get(b);
                    Value v;
                    if (branch.size() == 1 && branch.getFirst() instanceof ExecOp.ChannelSlice sl) {
                        // only a slice (ShuffleNet's split): the concat moves those channels of x itself
                        if (sl.to() > x.c) throw mismatch(sl, "≥ " + sl.to() + " channels", x);
                        v = x;
                        from[b] = sl.from();
                        len[b] = sl.to() - sl.from();
                    } else {
                        v = chain(branch, x, where + cat.name() + "/");
                        len[b] = v.c;
                    }
                    if (first == null) first = v;
                    QuantParams bg = cat.branchGrids().get(b);
                    Requantizer r = cat.rescales().get(b);
                    if (v.h != first.h || v.w != first.w) {
                        throw new IllegalArgumentException("Int8Executor: concat '" + cat.name() + "' branch " + b + " produces " + v.shape()
                                + " but branch 0 " + first.shape() + "; concatenated branches need the same height and width");
                    }
                    if (v.zp() != bg.zeroPoint() || v.type() != CodeType.of(bg.qmin(), bg.qmax())) {
                        throw new IllegalArgumentException("Int8Executor: concat '" + cat.name() + "' expects branch " + b + " on " + bg
                                + " but the branch produces " + v.describe() + "; the ops do not chain");
                    }
                    OutputStage stage = OutputStage.of(r);
                    checkOutput(op, cat.output(), stage);
                    parts[b] = v.t;
                    channels[b] = v.c;
                    types[b] = v.type();
                    zps[b] = v.zp();
                    // multiplier exactly 1 between equal zero points, every branch code inside the clamp: a copy
                    boolean copy = r.multiplier() == 1 << 30 && r.shift() == 1 && r.zeroPoint() == v.zp() && types[b] == outType
                            && r.qmin() <= v.grid.qmin() && v.grid.qmax() <= r.qmax();
                    stages[b] = copy ? null : stage;
                }
                MoveStep s = new MoveStep(cat.name(), "concat", parts, ChannelRuns.concat(channels, from, len, first.h * first.w), stages);
                s.types = types;
                s.zps = zps;
                return gather(s, first.h, first.w, cat.output());
            }
            case ExecOp.Residual r -> {
                Value body = chain(r.body(), x, where + r.name() + "/");
                Value shortcut = chain(r.shortcut(), x, where + r.name() + "/");
                if (body.c != shortcut.c || body.h != shortcut.h || body.w != shortcut.w) {
                    throw new IllegalArgumentException("Int8Executor: residual '" + r.name() + "' adds " + body.shape() + " to " + shortcut.shape());
                }
                checkOutput(op, r.output(), r.stage());
                AddSpec spec = AddSpec.of(body.type(), body.zp(), shortcut.type(), shortcut.zp(), r.leftShift(), r.aRescale(), r.bRescale(),
                        r.stage());
                AddStep s = new AddStep(r.name(), spec);
                s.b = shortcut.t;
                shortcut.t.death = steps.size();
                return produce(s, body, body.c, body.h, body.w, r.output());
            }
        }
    }

    private static void checkOutput(ExecOp op, QuantParams grid, OutputStage stage) {
        CodeType.of(grid.qmin(), grid.qmax());
        if (stage.zeroPoint() != grid.zeroPoint() || stage.qmax() > grid.qmax() || stage.qmin() < grid.qmin()) {
            throw new IllegalArgumentException("Int8Executor: op '" + op.name() + "' requantizes to zero point " + stage.zeroPoint() + " clamp ["
                    + stage.qmin() + ", " + stage.qmax() + "], which does not fit its output grid " + grid);
        }
    }

    // ---- planning -----------------------------------------------------------------------------------

    /** Arena offsets for {@code batch} by first fit over tensors ordered by birth; reserves scratch. */
    private void plan(int b) {
        int end = Arena.place(tensors, b, Arena.Lifetime.AS_RECORDED, "Int8Executor: activations");
        arena = new byte[end];
        for (Step s : steps) s.reserve(scratch, b);
        planned = b;
    }

    // ---- running ------------------------------------------------------------------------------------

    /** Logits {@code [batch, classes]} for {@code [batch, C, H, W]} float input. */
    public float[] run(float[] input, int batch) {
        float[] out = new float[batch * outputSize()];
        run(input, batch, out);
        return out;
    }

    /** {@link #run(float[], int)} into {@code logits}: allocates nothing once planned for this batch. */
    public synchronized void run(float[] in, int b, float[] logits) {
        if (logits.length < (long) b * outputSize()) {
            throw new IllegalArgumentException("Int8Executor: logits array of " + logits.length + " is smaller than batch " + b + " × "
                    + outputSize());
        }
        quantize(in, b);
        execute();
        dequantize(logits);
    }

    /** Output codes {@code [batch, classes]} (as ints, for comparison with an integer reference). */
    public synchronized int[] runCodes(float[] in, int b) {
        quantize(in, b);
        execute();
        CodeType t = outputValue.type();
        int n = b * outputSize();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = t.decode(arena[output.offset + i]);
        return out;
    }

    /** Output codes for input codes {@code [batch, C, H, W]} already on the input grid. */
    public synchronized int[] runQuantized(int[] codes, int b) {
        prepare(codes.length, b, "codes");
        for (int i = 0, n = b * inputSize(); i < n; i++) {
            int q = codes[i];
            if (q < inputGrid.qmin() || q > inputGrid.qmax()) {
                throw new IllegalArgumentException("Int8Executor: input code " + q + " at " + i + " is outside the input grid " + inputGrid);
            }
            arena[input.offset + i] = (byte) q;
        }
        execute();
        CodeType t = outputValue.type();
        int[] out = new int[b * outputSize()];
        for (int i = 0; i < out.length; i++) out[i] = t.decode(arena[output.offset + i]);
        return out;
    }

    private void prepare(int length, int b, String what) {
        if (b < 1) throw new IllegalArgumentException("Int8Executor: batch must be ≥ 1, got " + b);
        if (length < (long) b * inputSize()) {
            throw new IllegalArgumentException("Int8Executor: input holds " + length + " " + what + " but batch " + b + " of "
                    + Arrays.toString(inputShape) + " needs " + (long) b * inputSize());
        }
        if (b > planned) plan(b);
        batch = b;
    }

    /** {@code QuantParams.quantize} exactly: float32 {@code x · (1/s)}, rint, + zp, clamp; NaN is an error. */
    private void quantize(float[] in, int b) {
        prepare(in.length, b, "floats");
        try {
            kernels.quantize(in, 0, 1.0f / inputGrid.scale(), inputGrid.zeroPoint(), inputGrid.qmin(), inputGrid.qmax(), arena, input.offset,
                    b * inputSize());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Int8Executor: " + e.getMessage(), e);
        }
    }

    private void execute() {
        for (Step s : steps) runStep(s);
    }

    /** One step, split over the workers only when it is big enough to pay for waking them (tens of µs on a busy machine). */
    private void runStep(Step s) {
        boolean split = options.threads() > 1 && s.work() >= (s.macsPerImage() > 0 ? splitMacs : splitCodes);
        for (int ph = 0, n = s.phases(); ph < n; ph++) {
            if (split && s.splits(ph)) pool.run(s, ph);
            else s.execute(ph, 0, 1);
        }
    }

    /** {@code (float)(q − zp) · s}, as {@code QuantParams.dequantize}. */
    private void dequantize(float[] logits) {
        QuantParams g = outputValue.grid;
        CodeType t = outputValue.type();
        for (int i = 0, n = batch * outputSize(); i < n; i++) logits[i] = (float) (t.decode(arena[output.offset + i]) - g.zeroPoint()) * g.scale();
    }

    // ---- profile ------------------------------------------------------------------------------------

    /**
     * Times {@code repetitions} runs (after {@code max(2, repetitions/5)} warm-up runs) and reports per-op
     * medians. Percent of peak is relative to {@link Int8Kernels#peakGops()} times the thread count.
     */
    public synchronized Profile profile(float[] in, int b, int repetitions) {
        if (repetitions < 1) throw new IllegalArgumentException("Int8Executor.profile: repetitions must be ≥ 1, got " + repetitions);
        double peak = kernels.peakGops();
        float[] logits = new float[b * outputSize()];
        for (int i = 0; i < Math.max(2, repetitions / 5); i++) run(in, b, logits);
        int n = steps.size();
        long[][] t = new long[n + 2][repetitions];
        long[] total = new long[repetitions];
        for (int r = 0; r < repetitions; r++) {
            long start = System.nanoTime();
            quantize(in, b);
            long t0 = System.nanoTime();
            t[0][r] = t0 - start;
            for (int i = 0; i < n; i++) {
                runStep(steps.get(i));
                long t1 = System.nanoTime();
                t[i + 1][r] = t1 - t0;
                t0 = t1;
            }
            dequantize(logits);
            long end = System.nanoTime();
            t[n + 1][r] = end - t0;
            total[r] = end - start;
        }
        List<OpProfile> ops = new ArrayList<>();
        ops.add(new OpProfile("quantize input", "quantize", "", shape(inputShape), 0,
                median(t[0]) / 1e6, 0, 0));
        for (int i = 0; i < n; i++) {
            Step s = steps.get(i);
            double ms = median(t[i + 1]) / 1e6;
            long macs = s.macsPerImage() * b;
            double gops = macs == 0 ? 0 : 2.0 * macs / (ms * 1e6);
            ops.add(new OpProfile(s.name, s.kind, s.path(), s.outShape, macs, ms, gops, macs == 0 ? 0 : 100 * gops / (peak * options.threads())));
        }
        ops.add(new OpProfile("dequantize output", "dequantize", "", outputValue.shape(), 0, median(t[n + 1]) / 1e6, 0, 0));
        return new Profile(kernels.description(), options.threads(), b, repetitions, peak, List.copyOf(ops), median(total) / 1e6);
    }

    private static String shape(int[] s) { return s[0] + "×" + s[1] + "×" + s[2]; }

    private static double median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2.0;
    }

    // ---- facts --------------------------------------------------------------------------------------

    public int[] inputShape() { return inputShape.clone(); }
    public int inputSize() { return inputShape[0] * inputShape[1] * inputShape[2]; }
    public int outputSize() { return outputValue.size(); }
    public QuantParams inputGrid() { return inputGrid; }
    public QuantParams outputGrid() { return outputValue.grid; }
    public Options options() { return options; }
    public Int8Kernels kernels() { return kernels; }

    /** Multiply-accumulates per image over all conv and linear ops. */
    public long macsPerImage() { return steps.stream().mapToLong(Step::macsPerImage).sum(); }

    /** Bytes of the activation arena and kernel scratch as planned now. */
    public long bufferBytes() { return arena.length + scratch.sizeBytes(); }

    /** One line per step: name, kind, code path, output shape. */
    public String describe() {
        StringBuilder sb = new StringBuilder(kernels.description()).append('\n');
        for (Step s : steps) sb.append(String.format(Locale.ROOT, "  %-34s %-16s %-28s %s%n", s.name, s.kind, s.path(), s.outShape));
        return sb.toString();
    }

    @Override public void close() { pool.close(); }

    @Override public String toString() {
        return "Int8Executor[" + steps.size() + " steps, " + Arrays.toString(inputShape) + " → [" + outputSize() + "], " + options.threads()
                + " thread(s), " + kernels.name() + "]";
    }

    // ---- steps --------------------------------------------------------------------------------------

    /** One planned op; reads {@link #batch} and tensor offsets at run time. */
    private abstract class Step implements WorkerPool.Task {
        final String name, kind;
        Tensor in, out;
        String outShape;

        Step(String name, String kind) {
            this.name = name;
            this.kind = kind;
        }

        int phases() { return 1; }
        String path() { return ""; }
        long macsPerImage() { return 0; }

        /** Whether phase {@code ph} has work for more than one worker at the current batch. */
        boolean splits(int ph) { return true; }

        /** Multiply-accumulates (conv, linear) or codes written (the others) for the current batch. */
        long work() { return macsPerImage() > 0 ? macsPerImage() * batch : out.size * batch; }
        void reserve(Scratch s, int b) {}

        /** [from, to) of {@code n} units for worker w of W. */
        int from(int n, int w, int workers) { return (int) ((long) n * w / workers); }
    }

    private final class ConvStep extends Step {
        final Int8Conv2d conv;

        ConvStep(ExecOp.Conv op) {
            super(op.name(), "conv");
            conv = op.conv();
        }

        @Override int phases() { return conv.kernel().phases(); }
        // A two-phase (Panama) conv's first phase lays out the input per image: nothing to share at batch 1.
        @Override boolean splits(int ph) { return ph > 0 || phases() == 1 || batch > 1 || splitMacs == 0; }
        @Override String path() { return conv.path(); }
        @Override long macsPerImage() { return conv.spec().macs(); }
        @Override void reserve(Scratch s, int b) { s.reserve(conv.kernel(), b); }

        @Override public void execute(int phase, int w, int workers) {
            conv.runPart(phase, arena, in.offset, batch, arena, out.offset, scratch, w, workers);
        }
    }

    private final class LinearStep extends Step {
        final Int8Linear lin;

        LinearStep(ExecOp.Linear op) {
            super(op.name(), "linear");
            lin = op.linear();
        }

        @Override int phases() { return lin.kernel().phases(); }
        @Override String path() { return lin.path(); }
        @Override long macsPerImage() { return lin.macs(); }
        @Override void reserve(Scratch s, int b) { s.reserve(lin.kernel(), b); }

        @Override public void execute(int phase, int w, int workers) {
            lin.runPart(phase, arena, in.offset, batch, arena, out.offset, scratch, w, workers);
        }
    }

    private final class PoolStep extends Step {
        final PoolSpec spec;
        final CodeType type;
        final int zp, which, channels;

        PoolStep(String name, String kind, PoolSpec spec, Value x, int which) {
            super(name, kind);
            this.spec = spec;
            this.type = x.type();
            this.zp = x.zp();
            this.which = which;
            this.channels = x.c;
        }

        @Override public void execute(int phase, int w, int workers) {
            int planes = batch * channels, a = from(planes, w, workers), z = from(planes, w + 1, workers);
            if (a == z) return;
            int src = in.offset + a * spec.inPlane();
            switch (which) {
                case 0 -> kernels.support().maxPool(spec, type, arena, src, arena, out.offset + a * spec.outPlane(), z - a);
                case 1 -> kernels.support().avgPool(spec, type, zp, arena, src, arena, out.offset + a * spec.outPlane(), z - a);
                default -> kernels.support().globalAvgPool(spec.inPlane(), type, zp, arena, src, arena, out.offset + a, z - a);
            }
        }
    }

    private final class ActStep extends Step {
        final OutputStage stage;
        final CodeType type;
        final int zp, size;

        ActStep(ExecOp.Activation op, Value x) {
            super(op.name(), "act");
            stage = op.stage();
            type = x.type();
            zp = x.zp();
            size = x.size();
        }

        @Override public void execute(int phase, int w, int workers) {
            int n = batch * size, a = from(n, w, workers), z = from(n, w + 1, workers);
            if (a < z) kernels.support().activation(type, zp, stage, arena, in.offset + a, arena, out.offset + a, z - a);
        }
    }

    /** Table activation: one byte-table read per code. */
    private final class LookupStep extends Step {
        final byte[] table;
        final int size;

        LookupStep(String name, byte[] table, int size) {
            super(name, "lookup");
            this.table = table;
            this.size = size;
        }

        @Override String path() { return "java"; }

        @Override public void execute(int phase, int w, int workers) {
            int n = batch * size, a = from(n, w, workers), z = from(n, w + 1, workers);
            if (a < z) kernels.lookup(table, arena, in.offset + a, arena, out.offset + a, z - a);
        }
    }

    /**
     * Channel slice, shuffle or concat: runs of whole channel planes ({@link ChannelRuns}) copied, or, for a
     * concat branch whose grid differs from the output's, requantized by its one-channel stage (the
     * stand-alone activation kernel computes exactly {@code stage.requantize(0, q − zp)}). Work units are
     * (image, run) pairs, split over the workers.
     */
    private final class MoveStep extends Step {
        final Tensor[] parts;
        final ChannelRuns runs;
        /** Per part: null to copy, else the stage onto the output grid (with the part's code type and zero point). */
        final OutputStage[] stages;
        CodeType[] types;
        int[] zps;

        MoveStep(String name, String kind, Tensor[] parts, ChannelRuns runs, OutputStage[] stages) {
            super(name, kind);
            this.parts = parts;
            this.runs = runs;
            this.stages = stages;
        }

        @Override String path() { return stages == null || java.util.Arrays.stream(stages).allMatch(java.util.Objects::isNull) ? "java" : kernels.name(); }

        @Override public void execute(int phase, int w, int workers) {
            int R = runs.runs(), units = batch * R;
            for (int u = from(units, w, workers), e = from(units, w + 1, workers); u < e; u++) {
                int n = u / R, r = u % R, p = runs.part()[r];
                int src = parts[p].offset + runs.srcOffset(r, n), dst = out.offset + runs.dstOffset(r, n), count = runs.count(r);
                OutputStage st = stages == null ? null : stages[p];
                if (st == null) System.arraycopy(arena, src, arena, dst, count);
                else kernels.support().activation(types[p], zps[p], st, arena, src, arena, dst, count);
            }
        }
    }

    private final class AddStep extends Step {
        final AddSpec spec;
        Tensor b;

        AddStep(String name, AddSpec spec) {
            super(name, "add");
            this.spec = spec;
        }

        @Override public void execute(int phase, int w, int workers) {
            int n = (int) (batch * in.size), a = from(n, w, workers), z = from(n, w + 1, workers);
            if (a < z) kernels.support().add(spec, arena, in.offset + a, arena, b.offset + a, arena, out.offset + a, z - a);
        }
    }
}
