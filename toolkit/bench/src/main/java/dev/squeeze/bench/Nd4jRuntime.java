package dev.squeeze.bench;

import dev.squeeze.model.Layer;
import dev.squeeze.model.Network;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.quant.Fusion;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Pooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The same float model on ND4J (CPU backend, fp32): each op of the {@link FusedGraph} — BatchNorm
 * already folded into the convolution weights, activations fused — becomes one ND4J call:
 * {@code Nd4j.cnn().conv2d} (im2col + OpenBLAS sgemm, NCHW activations, weights pre-permuted to
 * ND4J's native YXIO layout),
 * {@code maxPooling2d} / {@code avgPooling2d}, {@code mmul} for dense layers, in-place ReLU /
 * LeakyReLU, ReLU6, hard-swish, {@code mean} over H and W for global average pooling, an add for residual
 * blocks, {@code concat} for concat units, an interval copy for a channel slice and reshape–permute–reshape
 * for a channel shuffle (a gather of the listed channels for an explicit permutation). Any
 * {@code dev.squeeze.model.Architecture} the zoo builds is supported
 * (depthwise convolutions through {@code depthWiseConv2d}, other grouped ones group by group).
 *
 * <p>Memory: every call runs inside one ND4J workspace that learns its size on the first call and is
 * reused afterwards, the way DL4J runs inference. Measured on seed CNN and ResNet18 at batch 1 and 16
 * it made no difference beyond noise (±10 %) against plain per-op allocation, so it is not what makes
 * ND4J slow or fast here; {@code new Nd4jRuntime(graph, false)} turns it off.
 *
 * <p>Threads. ND4J has three knobs, all set by {@link #prepare}: the threads libnd4j's parallel
 * loops use ({@code Nd4j.getEnvironment().setMaxMasterThreads}), its OpenMP threads
 * ({@code NativeOps.setOmpNumThreads}) and OpenBLAS's threads ({@code Blas.setMaxThreads}, i.e.
 * {@code openblas_set_num_threads}). libnd4j's pool itself is sized once at start-up from
 * {@code OMP_NUM_THREADS}, else the core count ({@code setMaxThreads} does nothing in 1.0.0-M2.1),
 * so a case can use fewer threads than the pool but never more. Environment that only works when set
 * before Java starts: {@code OMP_WAIT_POLICY=PASSIVE} (idle OpenMP threads sleep instead of
 * spinning) and, for interleaved timing, a short
 * {@code OPENBLAS_THREAD_TIMEOUT} (OpenBLAS workers otherwise spin for about 2^28 cycles after each
 * call, stealing a core from whichever runtime runs next); {@code ./squeeze bench} sets both.
 *
 * <p>Precision: the weights are the network's fp32 weights after BatchNorm folding (done in double,
 * rounded once), so logits differ from libtorch's unfolded BatchNorm by float rounding only; the
 * tests require 1e-3 and see about 1e-6 on small nets.
 */
public final class Nd4jRuntime implements Runtime {
    public static final String NAME = "nd4j-fp32";

    /** A compiled op: takes the activation, returns the next one (possibly the same array, modified). */
    private interface Step {
        INDArray apply(INDArray x);
    }

    private final String model;
    private final int[] inputShape;
    private final int classes;
    private final List<Step> steps;
    private final List<INDArray> weights = new ArrayList<>();
    private final boolean useWorkspace;
    private WorkspaceConfiguration workspaceConfig;
    private String workspaceId;
    private int threads;

    /** Builds the ND4J graph from {@code network}'s current weights (copied; later training does not show). */
    public Nd4jRuntime(Network network) {
        this(Fusion.of(network), true);
    }

    /**
     * @param graph the fused float graph, e.g. {@code Fusion.of(network)}
     * @param useWorkspace run each call in a reused ND4J workspace (what you want; {@code false} only to
     *     measure what the workspace saves)
     */
    public Nd4jRuntime(FusedGraph graph, boolean useWorkspace) {
        this.model = graph.source().name();
        this.inputShape = graph.inputShape();
        this.classes = graph.source().numClasses();
        this.useWorkspace = useWorkspace;
        // Weights must live outside any workspace: they outlive every call.
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            this.steps = compile(graph.ops());
        }
    }

    public static RuntimeFactory factory() {
        return new RuntimeFactory() {
            @Override public String name() { return NAME; }
            @Override public Runtime create(BenchModel model) { return new Nd4jRuntime(model.network()); }
        };
    }

    @Override public String name() { return NAME; }

    @Override public void prepare(int batch, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        // libnd4j sizes its op thread pool once, from OMP_NUM_THREADS (else the core count); setMaxThreads is
        // a no-op in this release. Its parallel loops use maxMasterThreads (≤ the pool), which can change now.
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        int blas = Nd4j.factory().blas().getMaxThreads();
        int ops = Nd4j.getEnvironment().maxMasterThreads();
        if (blas != threads || ops != threads) {
            throw new IllegalStateException("ND4J runs " + ops + " op threads and OpenBLAS " + blas + " threads after asking for "
                    + threads + " (its pool holds " + Nd4j.getEnvironment().maxThreads() + "); start Java with OMP_NUM_THREADS="
                    + threads + " or higher");
        }
        this.threads = threads;
        destroyWorkspace();
        // One workspace per batch size: its learnt size fits exactly one call.
        workspaceId = "squeeze-bench-" + model + "-b" + batch;
        workspaceConfig = WorkspaceConfiguration.builder().initialSize(0).overallocationLimit(0.05)
                .policyAllocation(AllocationPolicy.OVERALLOCATE).policyLearning(LearningPolicy.FIRST_LOOP)
                .policySpill(SpillPolicy.REALLOCATE).build();
    }

    /**
     * @param input {@code batch × C × H × W} floats
     * @return {@code batch × classes} logits
     */
    @Override public float[] run(float[] input, int batch) {
        int per = inputShape[0] * inputShape[1] * inputShape[2];
        if (input.length < (long) batch * per) {
            throw new IllegalArgumentException("ND4J " + model + ": input holds " + input.length + " floats but batch " + batch + " of "
                    + Arrays.toString(inputShape) + " needs " + ((long) batch * per));
        }
        float[] data = input.length == batch * per ? input : Arrays.copyOf(input, batch * per);
        if (!useWorkspace || workspaceConfig == null) return forward(data, batch);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(workspaceConfig, workspaceId)) {
            return forward(data, batch);
        }
    }

    private float[] forward(float[] data, int batch) {
        INDArray x = Nd4j.create(data, new long[] {batch, inputShape[0], inputShape[1], inputShape[2]}, 'c');
        for (Step s : steps) x = s.apply(x);
        if (x.rank() != 2 || x.size(0) != batch || x.size(1) != classes) {
            throw new IllegalStateException("ND4J " + model + " produced shape " + Arrays.toString(x.shape()) + ", expected ["
                    + batch + ", " + classes + "]; the fused graph does not end in a dense layer");
        }
        float[][] m = x.toFloatMatrix(); // copies to the Java heap before the workspace is recycled
        float[] out = new float[batch * classes];
        for (int b = 0; b < batch; b++) System.arraycopy(m[b], 0, out, b * classes, classes);
        return out;
    }

    @Override public String note() {
        return "nd4j " + Nd4j.getEnvironment().maxMasterThreads() + " op / " + Nd4j.factory().blas().getMaxThreads() + " openblas threads"
                + (useWorkspace ? "" : ", no workspace");
    }

    @Override public void close() {
        destroyWorkspace();
        for (INDArray w : weights) w.close();
        weights.clear();
    }

    private void destroyWorkspace() {
        if (workspaceId != null && Nd4j.getWorkspaceManager().checkIfWorkspaceExists(workspaceId)) {
            Nd4j.getWorkspaceManager().destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(workspaceId));
        }
        workspaceId = null;
    }

    // ---- graph compilation ------------------------------------------------------------------------

    private List<Step> compile(List<FusedOp> ops) {
        List<Step> out = new ArrayList<>();
        for (FusedOp op : ops) out.add(compile(op));
        return out;
    }

    private Step compile(FusedOp op) {
        return switch (op) {
            case FusedOp.Conv c -> conv(c);
            case FusedOp.Dense d -> dense(d);
            case FusedOp.MaxPool p -> pool(p.layer().kernel(), p.layer().stride(), p.layer().padding(), Pooling2D.Pooling2DType.MAX);
            case FusedOp.AvgPool p -> pool(p.layer().kernel(), p.layer().stride(), p.layer().padding(), Pooling2D.Pooling2DType.AVG);
            case FusedOp.GlobalAvgPool g -> x -> x.mean(2, 3).reshape(x.size(0), x.size(1), 1, 1);
            case FusedOp.Flatten f -> x -> x.reshape('c', x.size(0), -1);
            // A stand-alone activation may see an array that a residual shortcut still needs: not in place.
            case FusedOp.Act a -> x -> activate(x, a.activation(), false);
            case FusedOp.Concat c -> concat(c);
            // A copy, not a view: the next op may work in place, and x is still the other branches' input.
            case FusedOp.ChannelSlice c -> x -> x.get(NDArrayIndex.all(), NDArrayIndex.interval(c.layer().from(), c.layer().to()),
                    NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            // An explicit permutation (a pruned ShuffleNet's) has groups 1: the reshapes below would make it the identity.
            case FusedOp.ChannelShuffle c when c.layer().explicit() -> {
                long[] sources = Arrays.stream(c.layer().order()).asLongStream().toArray();
                yield x -> x.get(NDArrayIndex.all(), NDArrayIndex.indices(sources), NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            }
            case FusedOp.ChannelShuffle c -> x -> {
                long n = x.size(0), ch = x.size(1), h = x.size(2), w = x.size(3);
                int g = c.layer().groups();
                return x.reshape('c', n, g, ch / g, h, w).permute(0, 2, 1, 3, 4).dup('c').reshape('c', n, ch, h, w);
            };
            case FusedOp.Add a -> add(a);
        };
    }

    private Step conv(FusedOp.Conv c) {
        Layer.Conv2d l = c.layer();
        int groups = l.groups(), inG = l.in() / groups, outG = l.out() / groups, k = l.kernel();
        Conv2DConfig cfg = Conv2DConfig.builder().kH(k).kW(k).sH(l.stride()).sW(l.stride()).pH(l.padding()).pW(l.padding())
                .dH(1).dW(1).paddingMode(PaddingMode.VALID).dataFormat("NCHW").weightsFormat(WeightsFormat.YXIO).build();
        Activation act = c.activation();
        if (groups == 1) {
            INDArray w = keep(yxio(c.weight(), l.out(), l.in(), k));
            INDArray b = keep(Nd4j.create(c.bias(), new long[] {l.out()}, 'c'));
            return x -> activate(Nd4j.cnn().conv2d(x, w, b, cfg), act, true);
        }
        if (groups == l.in() && groups == l.out()) {
            // Depthwise (MobileNetV2, ShuffleNetV2): libnd4j's depthwise_conv2d, weights [k, k, in, multiplier 1];
            // group by group would be one im2col + sgemm per channel.
            INDArray w = keep(Nd4j.create(c.weight(), new long[] {l.out(), 1, k, k}, 'c').permute(2, 3, 0, 1).dup('c'));
            INDArray b = keep(Nd4j.create(c.bias(), new long[] {l.out()}, 'c'));
            return x -> activate(Nd4j.cnn().depthWiseConv2d(x, w, b, cfg), act, true);
        }
        // ND4J's conv2d has no groups: convolve each group's channel slice and concatenate.
        INDArray[] ws = new INDArray[groups], bs = new INDArray[groups];
        int wPer = outG * inG * k * k;
        for (int g = 0; g < groups; g++) {
            ws[g] = keep(yxio(Arrays.copyOfRange(c.weight(), g * wPer, (g + 1) * wPer), outG, inG, k));
            bs[g] = keep(Nd4j.create(Arrays.copyOfRange(c.bias(), g * outG, (g + 1) * outG), new long[] {outG}, 'c'));
        }
        return x -> {
            INDArray[] parts = new INDArray[groups];
            for (int g = 0; g < groups; g++) {
                INDArray xs = x.get(NDArrayIndex.all(), NDArrayIndex.interval(g * inG, (g + 1) * inG), NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
                parts[g] = Nd4j.cnn().conv2d(xs, ws[g], bs[g], cfg);
            }
            return activate(Nd4j.concat(1, parts), act, true);
        };
    }

    /**
     * PyTorch's {@code [out, in, k, k]} weight as ND4J's native {@code [k, k, in, out]} (YXIO), copied
     * once here. libnd4j's conv2d multiplies im2col columns by YXIO weights; given OIYX it permutes
     * and copies on every call: measured 1.5× slower on a 128→128 3×3 convolution and about 3× slower
     * on ResNet18 at batch 1.
     */
    private static INDArray yxio(float[] oiyx, int out, int in, int k) {
        return Nd4j.create(oiyx, new long[] {out, in, k, k}, 'c').permute(2, 3, 1, 0).dup('c');
    }

    private Step dense(FusedOp.Dense d) {
        Layer.Linear l = d.layer();
        // PyTorch stores [out, in]; keep the transpose [in, out] so each call is one plain x·Wᵀ sgemm.
        INDArray wt = keep(Nd4j.create(d.weight(), new long[] {l.out(), l.in()}, 'c').transpose().dup('c'));
        INDArray b = keep(Nd4j.create(d.bias(), new long[] {1, l.out()}, 'c'));
        Activation act = d.activation();
        return x -> activate(x.mmul(wt).addiRowVector(b), act, true);
    }

    private static Step pool(int kernel, int stride, int padding, Pooling2D.Pooling2DType type) {
        // AVG counts padded cells as zeros (PyTorch's count_include_pad, Squeeze's AvgPool); MAX never picks a padded cell.
        // ND4J 1.0.0-M2.1's AvgPooling2D ignores `divisor` and passes `extra` to libnd4j as the include-padding
        // flag (1 = include), so both are set; the padded-pool test in Nd4jRuntimeTest pins this.
        Pooling2DConfig cfg = Pooling2DConfig.builder().kH(kernel).kW(kernel).sH(stride).sW(stride).pH(padding).pW(padding)
                .dH(1).dW(1).type(type).divisor(Pooling2D.Divisor.INCLUDE_PADDING).extra(1.0).paddingMode(PaddingMode.VALID)
                .isNHWC(false).build();
        return type == Pooling2D.Pooling2DType.MAX ? x -> Nd4j.cnn().maxPooling2d(x, cfg) : x -> Nd4j.cnn().avgPooling2d(x, cfg);
    }

    private Step concat(FusedOp.Concat c) {
        List<List<Step>> branches = new ArrayList<>();
        for (List<FusedOp> b : c.branches()) branches.add(compile(b));
        return x -> {
            INDArray[] parts = new INDArray[branches.size()];
            for (int i = 0; i < parts.length; i++) {
                INDArray y = x; // an empty branch is the identity
                for (Step st : branches.get(i)) y = st.apply(y);
                parts[i] = y;
            }
            return Nd4j.concat(1, parts);
        };
    }

    private Step add(FusedOp.Add a) {
        List<Step> body = compile(a.body()), shortcut = compile(a.shortcut());
        Activation act = a.activation();
        return x -> {
            INDArray b = x, s = x;
            for (Step st : body) b = st.apply(b);
            for (Step st : shortcut) s = st.apply(s);
            // Allocating add: with an identity shortcut, s is x itself and must not be overwritten.
            return activate(b.add(s), act, true);
        };
    }

    private static INDArray activate(INDArray x, Activation a, boolean inPlace) {
        return switch (a.kind()) {
            case NONE -> x;
            case RELU -> Transforms.relu(x, !inPlace);
            case LEAKY_RELU -> Transforms.leakyRelu(x, a.alpha(), !inPlace);
            case RELU6 -> Transforms.min(Transforms.relu(x, !inPlace), 6.0, false);
            case HARD_SWISH -> x.mul(Transforms.min(Transforms.relu(x.add(3.0), false), 6.0, false)).divi(6.0);
        };
    }

    private INDArray keep(INDArray w) {
        weights.add(w);
        return w;
    }
}
