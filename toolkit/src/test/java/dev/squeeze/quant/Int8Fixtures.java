package dev.squeeze.quant;

import dev.squeeze.data.ImageSet;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Layer.*;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Shared synthetic data and models for the Int8 tests. */
public final class Int8Fixtures {
    private Int8Fixtures() {}

    public static final List<String> TEN = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

    /**
     * {@code n} images of {@code c×h×w}, labels {@code i % 10}: a bright blob whose position (one of ten
     * around the centre) and dominant channel ({@code label % c}) give the class, jittered, on a noisy
     * background — learnable in a few epochs, with conv features that vary between images as on photos.
     */
    public static ImageSet images(int n, int c, int h, int w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * c * h * w];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 10;
            labels[i] = label;
            double angle = 2 * Math.PI * label / 10;
            double cy = h / 2.0 + 0.3 * h * Math.sin(angle) + (r.nextDouble() - 0.5) * 3;
            double cx = w / 2.0 + 0.3 * w * Math.cos(angle) + (r.nextDouble() - 0.5) * 3;
            double rad = h / 6.0 * (0.8 + 0.4 * r.nextDouble());
            for (int ch = 0; ch < c; ch++) {
                double amp = (ch == label % c ? 170 : 60) * (0.7 + 0.6 * r.nextDouble());
                double base = r.nextDouble() * 40;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double d2 = ((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (rad * rad);
                        int v = (int) Math.min(255, base + amp * Math.exp(-d2) + r.nextInt(30));
                        px[((i * c + ch) * h + y) * w + x] = (byte) v;
                    }
                }
            }
        }
        return new ImageSet("synthetic", px, labels, c, h, w, TEN);
    }

    /**
     * A small ResNet-like model exercising every op: conv + BN + ReLU, max-pool with padding, an
     * identity residual, a projection residual with a grouped conv and LeakyReLU inside and a ReLU after
     * the add, an average pool followed by a standalone LeakyReLU, global average pool, flatten, fc with
     * ReLU, fc. The quantization tests' variant: plain identity residual, 2×2 average pool.
     */
    static Architecture tinyResNet() { return tinyResNet(1, new AvgPool(2, 2, 0)); }

    /** {@link #tinyResNet()} at 16/32 channels: every conv's output channels (per group) a multiple of 16. */
    public static Architecture trainableTinyResNet(AvgPool pool) { return tinyResNet(16, 1, pool); }

    /**
     * {@link #tinyResNet()} with the identity residual's second conv in {@code identityGroups} groups
     * (8: depthwise) and the given average pool, for the executor's and the exporter's variants.
     */
    public static Architecture tinyResNet(int identityGroups, AvgPool pool) { return tinyResNet(8, identityGroups, pool); }

    /**
     * The 8-channel model is for inference tests (odd tiles, depthwise at 8). Tests that <em>train</em> use
     * {@link #trainableTinyResNet(AvgPool)}: 8-channel convs are exactly the shapes whose input gradient the
     * oneDNN inside libtorch 2.7.1 computes wrong on some AVX-512 CPUs (see {@code ConvGradientCheck}), and
     * a fixture that trains should not depend on the ISA cap to be sound.
     */
    static Architecture tinyResNet(int width, int identityGroups, AvgPool pool) {
        int w = width, w2 = 2 * width;
        List<Layer> layers = List.of(
                new Conv2d(3, w, 3, 1, 1, 1, false), new BatchNorm(w), new Relu(),
                new MaxPool(3, 2, 1),
                new Residual(List.of(new Conv2d(w, w, 3, 1, 1, 1, false), new BatchNorm(w), new Relu(),
                        new Conv2d(w, w, 3, 1, 1, identityGroups, false), new BatchNorm(w)), List.of()),
                new Relu(),
                new Residual(List.of(new Conv2d(w, w2, 3, 2, 1, 1, false), new BatchNorm(w2), new LeakyRelu(0.1f),
                        new Conv2d(w2, w2, 3, 1, 1, 2, false), new BatchNorm(w2)),
                        List.of(new Conv2d(w, w2, 1, 2, 0, 1, false), new BatchNorm(w2))),
                new Relu(),
                pool, new LeakyRelu(0.2f),
                new GlobalAvgPool(), new Flatten(),
                new Linear(w2, 24, true), new Relu(),
                new Linear(24, 10, true));
        return new Architecture("tiny-resnet", new int[] {3, 16, 16}, layers);
    }

    /** Random weights for {@code arch} in DJL block order, BatchNorm statistics random too (so folding matters). */
    static List<NamedTensor> randomParams(Architecture arch, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<NamedTensor> out = new ArrayList<>();
        addParams(arch.layers(), out, r);
        return out;
    }

    private static void addParams(List<Layer> layers, List<NamedTensor> out, SplittableRandom r) {
        for (Layer l : layers) {
            switch (l) {
                case Conv2d c -> {
                    int fan = c.in() / c.groups() * c.kernel() * c.kernel();
                    out.add(tensor("w" + out.size(), c.out() * fan, 1 / Math.sqrt(fan), 0, r));
                    if (c.bias()) out.add(tensor("b" + out.size(), c.out(), 0.1, 0, r));
                }
                case Linear f -> {
                    out.add(tensor("w" + out.size(), f.out() * f.in(), 1 / Math.sqrt(f.in()), 0, r));
                    if (f.bias()) out.add(tensor("b" + out.size(), f.out(), 0.1, 0, r));
                }
                case BatchNorm b -> {
                    out.add(tensor("gamma" + out.size(), b.channels(), 0.3, 1, r));
                    out.add(tensor("beta" + out.size(), b.channels(), 0.2, 0, r));
                    out.add(tensor("mean" + out.size(), b.channels(), 0.2, 0, r));
                    out.add(tensor("var" + out.size(), b.channels(), 0.3, 1, r));
                }
                case Residual res -> {
                    addParams(res.body(), out, r);
                    addParams(res.shortcut(), out, r);
                }
                case Concat cat -> { for (List<Layer> b : cat.branches()) addParams(b, out, r); } // branch by branch, as DJL's ParallelBlock
                default -> { }
            }
        }
    }

    private static NamedTensor tensor(String name, int n, double bound, double center, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (center + (r.nextDouble() * 2 - 1) * bound);
        return new NamedTensor(name, new long[] {n}, v, "WEIGHT", true);
    }

    /** Activation grids for every op of {@code g}: uint8 affine over [lo, hi] per op, the input over [-1, 1]. */
    static java.util.Map<Integer, QuantParams> uniformGrids(FusedGraph g, float lo, float hi) {
        java.util.Map<Integer, QuantParams> m = new java.util.LinkedHashMap<>();
        m.put(-1, QuantParams.fromRange(-1f, 1f, QScheme.PER_TENSOR_AFFINE));
        for (FusedOp op : g.flatOps()) if (op.producesNewRange()) m.put(op.id(), QuantParams.fromRange(lo, hi, QScheme.PER_TENSOR_AFFINE));
        return m;
    }

    /**
     * An int8 model of a zoo architecture for executor and export tests, engine-free: random weights and
     * BatchNorm statistics ({@link #randomParams}), every activation grid uint8 over [−2, 8] and the input
     * over [−1, 1], x86 preset. With grids reaching past 6 the ReLU6 clamps lie below qmax (at code 204 of 255), so executors
     * see that case; the codes are arbitrary but the arithmetic is the real one.
     *
     * @param name {@code "mobilenetv2"} or {@code "shufflenetv2"} (any {@link dev.squeeze.model.Zoo} name works)
     */
    public static Int8Model randomZooInt8(String name, int[] inputShape, long seed) {
        Architecture a = dev.squeeze.model.Zoo.get(name, inputShape, 10);
        FusedGraph g = FusedGraph.of(a, randomParams(a, seed));
        return Int8Converter.convert(g, uniformGrids(g, -2f, 8f), QConfig.x86(), java.util.Map.of("seed", Long.toString(seed)));
    }

    /**
     * An int8 model of a zoo architecture the way users make one: {@link #network} (DJL init, random
     * BatchNorm statistics), static PTQ with min/max on 32 synthetic images
     * ({@code Quantization.calibrate}), {@code convert()}. A few seconds per model.
     */
    public static Int8Model calibratedZooInt8(String name, int[] inputShape, long seed) {
        Architecture a = dev.squeeze.model.Zoo.get(name, inputShape, 10);
        try (Network net = network(a, seed);
             QuantizedNetwork q = Quantization.calibrate(net, images(32, inputShape[0], inputShape[1], inputShape[2], seed),
                     dev.squeeze.data.Preprocessing.unitScale(), CalibrationMethod.MIN_MAX)) {
            return q.convert();
        }
    }

    /** A non-identity permutation of 8 channels: output channel j is input channel {@code PERMUTATION[j]}. */
    public static final int[] PERMUTATION = {3, 0, 7, 1, 5, 2, 6, 4};

    /** The identity permutation of 8 channels, as an explicit {@code ChannelShuffle.permutation} (groups 1). */
    public static final int[] IDENTITY = {0, 1, 2, 3, 4, 5, 6, 7};

    /**
     * What structured pruning makes of a ShuffleNetV2 unit: conv 3→8 + BN + ReLU, an explicit channel
     * permutation ({@code ChannelShuffle.permutation(order)}, groups 1), a split unit (slice [0, 4) | slice
     * [4, 8) → 1×1 conv + BN + ReLU) that reads the permuted channels, a grouped conv 8→16 (groups 2, so
     * the permutation also moves channels between groups) + BN + ReLU, pool, fc. Input {@code [3, 12, 12]}.
     * The parameters do not depend on {@code order}: the same seed gives the same weights for every order.
     */
    public static Architecture permutedNet(int[] order) {
        return new Architecture("permuted-net", new int[] {3, 12, 12}, List.of(
                new Conv2d(3, 8, 3, 1, 1, 1, false), new BatchNorm(8), new Relu(),
                ChannelShuffle.permutation(order),
                new Concat(List.of(List.of(new ChannelSlice(0, 4)),
                        List.of(new ChannelSlice(4, 8), new Conv2d(4, 4, 1, 1, 0, 1, false), new BatchNorm(4), new Relu()))),
                new Conv2d(8, 16, 3, 2, 1, 2, false), new BatchNorm(16), new Relu(),
                new GlobalAvgPool(), new Flatten(), new Linear(16, 10, true)));
    }

    /** {@link Network#create} with random BatchNorm statistics (γ, var in [0.6, 1.4], β, mean in ±0.3) so that BN folding matters. */
    public static Network network(Architecture a, long seed) {
        Network net = Network.create(a, seed);
        SplittableRandom r = new SplittableRandom(seed);
        for (NamedTensor t : net.parameters()) {
            float[] v = t.values();
            switch (t.type()) {
                case "GAMMA", "RUNNING_VAR" -> { for (int i = 0; i < v.length; i++) v[i] = (float) (0.6 + 0.8 * r.nextDouble()); }
                case "BETA", "RUNNING_MEAN" -> { for (int i = 0; i < v.length; i++) v[i] = (float) (0.3 * (r.nextDouble() * 2 - 1)); }
                default -> { continue; }
            }
            net.setParameter(t.name(), v);
        }
        return net;
    }

    /**
     * How far integer logits are from fake-quant logits, in output steps: {worst, mean}. Both are
     * dequantized codes of one grid, so differences are whole steps up to float32 rounding.
     */
    static double[] stepDistance(float[] fakeQuant, float[] integer, float step) {
        double worst = 0, sum = 0;
        for (int i = 0; i < fakeQuant.length; i++) {
            double d = Math.abs(fakeQuant[i] - integer[i]) / step;
            worst = Math.max(worst, d);
            sum += d;
        }
        return new double[] {worst, sum / fakeQuant.length};
    }
}
