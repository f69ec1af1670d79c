package dev.squeeze.quant;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The quantization view of a trained float model: BatchNorm folded into the convolution before it
 * and each ReLU / LeakyReLU / ReLU6 fused into the conv, linear or residual add before it, exactly as
 * integer kernels will run them (fbgemm and TFLite fuse the same way). Hard-swish is never fused: it
 * stays a standalone {@link FusedOp.Act}, which the integer path runs as a table. Concat branches
 * fuse recursively, their parameters consumed branch by branch. Weights are plain float arrays; no
 * engine involved.
 *
 * @param source the architecture this graph was fused from
 * @param ops top-level ops in execution order (residual branches nest inside {@link FusedOp.Add}, concat
 *     branches inside {@link FusedOp.Concat})
 * @param opCount number of ops, nested ones included; ids are {@code 0 .. opCount-1} in execution order
 */
public record FusedGraph(Architecture source, List<FusedOp> ops, int opCount) {

    public FusedGraph { ops = List.copyOf(ops); }

    /** BatchNorm's epsilon in Squeeze's DJL blocks (PyTorch's default). */
    static final float BN_EPS = 1e-5f;

    /** Fuses {@code net}'s current weights. */
    public static FusedGraph of(Network net) {
        return of(net.architecture(), net.parameters());
    }

    /**
     * @param params every parameter in DJL block order (as {@link Network#parameters()} returns them):
     *     conv/linear weight then bias, BatchNorm gamma, beta, running mean, running var
     */
    public static FusedGraph of(Architecture arch, List<NamedTensor> params) {
        Iterator<NamedTensor> it = params.iterator();
        int[] nextId = {0};
        List<FusedOp> ops = fuse(arch.layers(), it, nextId, arch.name());
        if (it.hasNext()) {
            throw new IllegalArgumentException("Fusing " + arch.name() + ": parameter '" + it.next().name()
                    + "' left over; the weights do not belong to this architecture");
        }
        return new FusedGraph(arch, ops, nextId[0]);
    }

    private static List<FusedOp> fuse(List<Layer> layers, Iterator<NamedTensor> it, int[] nextId, String where) {
        List<FusedOp> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            Layer next = i + 1 < layers.size() ? layers.get(i + 1) : null;
            switch (l) {
                case Layer.Conv2d c -> {
                    float[] w = take(it, c.out() * (long) (c.in() / c.groups()) * c.kernel() * c.kernel(), l, where).values().clone();
                    float[] b = c.bias() ? take(it, c.out(), l, where).values().clone() : new float[c.out()];
                    if (next instanceof Layer.BatchNorm bn) {
                        foldBatchNorm(w, b, c.out(), it, bn, where);
                        i++;
                        next = i + 1 < layers.size() ? layers.get(i + 1) : null;
                    }
                    Activation act = activation(next);
                    if (act != Activation.NONE) i++;
                    out.add(new FusedOp.Conv(nextId[0]++, c, w, b, act));
                }
                case Layer.Linear f -> {
                    float[] w = take(it, (long) f.out() * f.in(), l, where).values().clone();
                    float[] b = f.bias() ? take(it, f.out(), l, where).values().clone() : new float[f.out()];
                    Activation act = activation(next);
                    if (act != Activation.NONE) i++;
                    out.add(new FusedOp.Dense(nextId[0]++, f, w, b, act));
                }
                case Layer.Concat c -> {
                    // Branch by branch, in order: DJL's ParallelBlock lists its children's parameters that way.
                    List<List<FusedOp>> branches = new ArrayList<>();
                    for (List<Layer> b : c.branches()) branches.add(fuse(b, it, nextId, where));
                    out.add(new FusedOp.Concat(nextId[0]++, branches));
                }
                case Layer.ChannelSlice s -> out.add(new FusedOp.ChannelSlice(nextId[0]++, s));
                case Layer.ChannelShuffle s -> out.add(new FusedOp.ChannelShuffle(nextId[0]++, s));
                case Layer.Residual r -> {
                    List<FusedOp> body = fuse(r.body(), it, nextId, where);
                    List<FusedOp> shortcut = fuse(r.shortcut(), it, nextId, where);
                    Activation act = activation(next);
                    if (act != Activation.NONE) i++;
                    out.add(new FusedOp.Add(nextId[0]++, body, shortcut, act));
                }
                case Layer.BatchNorm bn -> throw new IllegalArgumentException("Fusing " + where + ": BatchNorm(" + bn.channels()
                        + ") does not follow a convolution; Squeeze folds BatchNorm only into the conv before it");
                case Layer.Relu r -> out.add(new FusedOp.Act(nextId[0]++, Activation.RELU));
                case Layer.LeakyRelu r -> out.add(new FusedOp.Act(nextId[0]++, Activation.leaky(r.alpha())));
                case Layer.Relu6 r -> out.add(new FusedOp.Act(nextId[0]++, Activation.RELU6));
                // Never fused into the op before it: the integer path runs hard-swish as its own table (Int8Op.Lookup).
                case Layer.HardSwish h -> out.add(new FusedOp.Act(nextId[0]++, Activation.HARD_SWISH));
                case Layer.MaxPool p -> out.add(new FusedOp.MaxPool(nextId[0]++, p));
                case Layer.AvgPool p -> out.add(new FusedOp.AvgPool(nextId[0]++, p));
                case Layer.GlobalAvgPool g -> out.add(new FusedOp.GlobalAvgPool(nextId[0]++));
                case Layer.Flatten f -> out.add(new FusedOp.Flatten(nextId[0]++));
            }
        }
        return out;
    }

    private static Activation activation(Layer next) {
        if (next instanceof Layer.Relu) return Activation.RELU;
        if (next instanceof Layer.LeakyRelu lr) return Activation.leaky(lr.alpha());
        if (next instanceof Layer.Relu6) return Activation.RELU6;
        return Activation.NONE; // hard-swish included: it stays a standalone op
    }

    /** w' = w·γ/√(var+ε) per output channel; b' = (b − mean)·γ/√(var+ε) + β. */
    private static void foldBatchNorm(float[] w, float[] b, int out, Iterator<NamedTensor> it, Layer.BatchNorm bn, String where) {
        float[] gamma = take(it, out, bn, where).values();
        float[] beta = take(it, out, bn, where).values();
        float[] mean = take(it, out, bn, where).values();
        float[] var = take(it, out, bn, where).values();
        int per = w.length / out;
        for (int o = 0; o < out; o++) {
            double s = gamma[o] / Math.sqrt(var[o] + BN_EPS);
            for (int k = 0; k < per; k++) w[o * per + k] = (float) (w[o * per + k] * s);
            b[o] = (float) ((b[o] - mean[o]) * s + beta[o]);
        }
    }

    private static NamedTensor take(Iterator<NamedTensor> it, long size, Layer l, String where) {
        if (!it.hasNext()) {
            throw new IllegalArgumentException("Fusing " + where + ": no parameters left for " + l.describe());
        }
        NamedTensor t = it.next();
        if (t.values().length != size) {
            throw new IllegalArgumentException("Fusing " + where + ": parameter '" + t.name() + "' has " + t.values().length
                    + " values but " + l.describe() + " needs " + size);
        }
        return t;
    }

    /**
     * All ops in execution order, nested ones included (residual body, then shortcut, then the add;
     * concat branches in order, then the concat).
     */
    public List<FusedOp> flatOps() {
        List<FusedOp> out = new ArrayList<>();
        flatten(ops, out);
        return out;
    }

    private static void flatten(List<FusedOp> ops, List<FusedOp> out) {
        for (FusedOp op : ops) {
            if (op instanceof FusedOp.Add a) {
                flatten(a.body(), out);
                flatten(a.shortcut(), out);
            }
            if (op instanceof FusedOp.Concat c) for (List<FusedOp> b : c.branches()) flatten(b, out);
            out.add(op);
        }
    }

    public int[] inputShape() { return source.inputShape(); }

    /**
     * The fused graph as a plain architecture (convolutions with bias, no BatchNorm, activations as
     * layers), named {@code <source>-fused}. Its parameter layout is what QAT networks train.
     */
    public Architecture toArchitecture() {
        return new Architecture(source.name() + "-fused", source.inputShape(), layers(ops));
    }

    private static List<Layer> layers(List<FusedOp> ops) {
        List<Layer> out = new ArrayList<>();
        for (FusedOp op : ops) {
            switch (op) {
                case FusedOp.Conv c -> {
                    Layer.Conv2d l = c.layer();
                    out.add(new Layer.Conv2d(l.in(), l.out(), l.kernel(), l.stride(), l.padding(), l.groups(), true));
                    addActivation(out, c.activation());
                }
                case FusedOp.Dense d -> {
                    out.add(new Layer.Linear(d.layer().in(), d.layer().out(), true));
                    addActivation(out, d.activation());
                }
                case FusedOp.Concat c -> out.add(new Layer.Concat(c.branches().stream().map(FusedGraph::layers).toList()));
                case FusedOp.ChannelSlice s -> out.add(s.layer());
                case FusedOp.ChannelShuffle s -> out.add(s.layer());
                case FusedOp.Add a -> {
                    out.add(new Layer.Residual(layers(a.body()), layers(a.shortcut())));
                    addActivation(out, a.activation());
                }
                case FusedOp.Act a -> addActivation(out, a.activation());
                case FusedOp.MaxPool m -> out.add(m.layer());
                case FusedOp.AvgPool m -> out.add(m.layer());
                case FusedOp.GlobalAvgPool g -> out.add(new Layer.GlobalAvgPool());
                case FusedOp.Flatten f -> out.add(new Layer.Flatten());
            }
        }
        return out;
    }

    private static void addActivation(List<Layer> out, Activation a) {
        switch (a.kind()) {
            case RELU -> out.add(new Layer.Relu());
            case LEAKY_RELU -> out.add(new Layer.LeakyRelu(a.alpha()));
            case RELU6 -> out.add(new Layer.Relu6());
            case HARD_SWISH -> out.add(new Layer.HardSwish());
            case NONE -> { }
        }
    }
}
