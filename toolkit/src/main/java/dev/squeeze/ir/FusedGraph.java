package dev.squeeze.ir;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.NodeNames;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The quantization view of a trained float model: BatchNorm folded into the convolution before it
 * and each ReLU / LeakyReLU / ReLU6 fused into the conv, linear or residual add before it, exactly as
 * integer kernels will run them (fbgemm and TFLite fuse the same way). Hard-swish is never fused: it
 * stays a standalone {@link FusedOp.Act}, which the integer path runs as a table. Concat branches
 * fuse recursively, their parameters consumed branch by branch. Weights are plain float arrays; no
 * engine involved.
 *
 * <h2>Node names</h2>
 * Every op has a node name ({@link #nodeName(int)}), unique in the graph and stable across fusing,
 * QAT and int8 conversion, so that tables, profiles and per-node settings can say {@code layer1.0.conv1}
 * instead of an id. The rule extends {@link NodeNames}:
 * <ul>
 *   <li>a conv or linear op is named after its weight's node ({@code layer1.0.conv1}, {@code fc}); the
 *       BatchNorm and activation folded into it do not change its name;</li>
 *   <li>a residual add is named after its block ({@code layer1.0}), a concat after its unit ({@code stage2.0});</li>
 *   <li>any other op is {@code <level>.<kind><k>}: the level is the enclosing block's body ({@code layer1.0.}),
 *       its shortcut ({@code layer1.0.downsample.}), a concat branch ({@code stage2.0.branch1.}) or nothing at
 *       the top; kind is one of {@code relu, leaky_relu, relu6, hardswish, maxpool, avgpool, globalavgpool,
 *       flatten, slice, shuffle}, and {@code k} counts standalone ops of that kind at that level from 1
 *       ({@code maxpool1}, {@code stage2.0.branch2.slice1}).</li>
 * </ul>
 * The fused architecture ({@link #toArchitecture()}) yields the same names, so a QAT network's ops keep them.
 *
 * @param source the architecture this graph was fused from
 * @param ops top-level ops in execution order (residual branches nest inside {@link FusedOp.Add}, concat
 *     branches inside {@link FusedOp.Concat})
 * @param opCount number of ops, nested ones included; ids are {@code 0 .. opCount-1} in execution order
 * @param nodeNames op id → node name, by the rule above; empty for a graph built by hand (then
 *     {@link #nodeName(int)} answers {@code op<id>})
 */
public record FusedGraph(Architecture source, List<FusedOp> ops, int opCount, Map<Integer, String> nodeNames) {

    public FusedGraph {
        ops = List.copyOf(ops);
        nodeNames = Collections.unmodifiableMap(new TreeMap<>(nodeNames));
        if (new HashSet<>(nodeNames.values()).size() != nodeNames.size()) {
            throw new IllegalArgumentException("FusedGraph " + source.name() + ": node names must be unique, got " + nodeNames);
        }
    }

    /** A graph without node names (ops built by hand); {@link #nodeName(int)} answers {@code op<id>}. */
    public FusedGraph(Architecture source, List<FusedOp> ops, int opCount) {
        this(source, ops, opCount, Map.of());
    }

    /** BatchNorm's epsilon in Squeeze's DJL blocks (PyTorch's default). */
    static final float BN_EPS = 1e-5f;

    /**
     * @param params every parameter in DJL block order (as {@code Network.parameters()} returns them):
     *     conv/linear weight then bias, BatchNorm gamma, beta, running mean, running var. When they carry
     *     path names ({@link NodeNames#parameterNames}, as {@code Network.parameters()} does) each is bound
     *     by name: a tensor whose name is not the one expected at its position is refused, so weights in
     *     another order are never fused into the wrong layer. Tensors with other names (none of them a path
     *     name of {@code arch}) are bound by position and size only.
     * @throws IllegalArgumentException when a tensor's name or size does not fit, or tensors are missing or left over
     */
    public static FusedGraph of(Architecture arch, List<NamedTensor> params) {
        List<String> expected = NodeNames.parameterNames(arch);
        Set<String> pathNames = new HashSet<>(expected);
        boolean named = params.stream().anyMatch(t -> pathNames.contains(t.name()));
        Fuser f = new Fuser(arch, params, named ? expected : null);
        List<FusedOp> ops = f.fuse(arch.layers(), "");
        if (f.next < params.size()) {
            throw new IllegalArgumentException("Fusing " + arch.name() + ": parameter '" + params.get(f.next).name()
                    + "' left over; the weights do not belong to this architecture");
        }
        return new FusedGraph(arch, ops, f.nextId, f.names);
    }

    /** The node name of op {@code id} (see the class comment); {@code op<id>} for a graph built by hand. */
    public String nodeName(int id) {
        String n = nodeNames.get(id);
        return n != null ? n : "op" + id;
    }

    /** One fusing pass: the parameter cursor, the next op id, and the node names given so far. */
    private static final class Fuser {
        private final String where;
        private final List<NamedTensor> params;
        private final List<String> expected; // null: bind by position only
        private final NodeNames.Cursor weighted, blocks;
        private final Map<Integer, String> names = new HashMap<>();
        int next, nextId;

        Fuser(Architecture arch, List<NamedTensor> params, List<String> expected) {
            this.where = arch.name();
            this.params = params;
            this.expected = expected;
            this.weighted = new NodeNames.Cursor(NodeNames.weightedNodes(arch).stream()
                    .filter(n -> n.layer() instanceof Layer.Conv2d || n.layer() instanceof Layer.Linear).toList());
            this.blocks = new NodeNames.Cursor(NodeNames.blocks(arch));
        }

        /** NodeNames' name for this very layer object (walks visit layers in the order fusing does), or null. */
        private String weightedName(Layer l) { return weighted.take(l); }

        private String blockName(Layer l) { return blocks.take(l); }

        private int id(String name) {
            names.put(nextId, name);
            return nextId++;
        }

        /** {@code level} is the prefix of generic names at this level ({@code ""}, {@code "layer1.0."}, ...). */
        List<FusedOp> fuse(List<Layer> layers, String level) {
            Map<String, Integer> counts = new HashMap<>();
            java.util.function.Function<String, String> generic = kind -> level + kind + counts.merge(kind, 1, Integer::sum);
            List<FusedOp> out = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                Layer next = i + 1 < layers.size() ? layers.get(i + 1) : null;
                switch (l) {
                    case Layer.Conv2d c -> {
                        String name = weightedName(l);
                        float[] w = take(c.out() * (long) (c.in() / c.groups()) * c.kernel() * c.kernel(), l).values().clone();
                        float[] b = c.bias() ? take(c.out(), l).values().clone() : new float[c.out()];
                        if (next instanceof Layer.BatchNorm bn) {
                            foldBatchNorm(w, b, c.out(), bn);
                            i++;
                            next = i + 1 < layers.size() ? layers.get(i + 1) : null;
                        }
                        Activation act = activation(next);
                        if (act != Activation.NONE) i++;
                        out.add(new FusedOp.Conv(id(name != null ? name : generic.apply("conv")), c, w, b, act));
                    }
                    case Layer.Linear f -> {
                        String name = weightedName(l);
                        float[] w = take((long) f.out() * f.in(), l).values().clone();
                        float[] b = f.bias() ? take(f.out(), l).values().clone() : new float[f.out()];
                        Activation act = activation(next);
                        if (act != Activation.NONE) i++;
                        out.add(new FusedOp.Dense(id(name != null ? name : generic.apply("fc")), f, w, b, act));
                    }
                    case Layer.Concat c -> {
                        String unit = blockName(l);
                        if (unit == null) unit = generic.apply("concat");
                        // Branch by branch, in order: DJL's ParallelBlock lists its children's parameters that way.
                        List<List<FusedOp>> branches = new ArrayList<>();
                        for (int b = 0; b < c.branches().size(); b++) branches.add(fuse(c.branches().get(b), unit + ".branch" + (b + 1) + "."));
                        out.add(new FusedOp.Concat(id(unit), branches));
                    }
                    case Layer.ChannelSlice s -> out.add(new FusedOp.ChannelSlice(id(generic.apply("slice")), s));
                    case Layer.ChannelShuffle s -> out.add(new FusedOp.ChannelShuffle(id(generic.apply("shuffle")), s));
                    case Layer.Residual r -> {
                        String block = blockName(l);
                        if (block == null) block = generic.apply("add");
                        List<FusedOp> body = fuse(r.body(), block + ".");
                        List<FusedOp> shortcut = fuse(r.shortcut(), block + ".downsample.");
                        Activation act = activation(next);
                        if (act != Activation.NONE) i++;
                        out.add(new FusedOp.Add(id(block), body, shortcut, act));
                    }
                    case Layer.BatchNorm bn -> throw new IllegalArgumentException("Fusing " + where + ": BatchNorm(" + bn.channels()
                            + ") does not follow a convolution; Squeeze folds BatchNorm only into the conv before it");
                    case Layer.Relu r -> out.add(new FusedOp.Act(id(generic.apply("relu")), Activation.RELU));
                    case Layer.LeakyRelu r -> out.add(new FusedOp.Act(id(generic.apply("leaky_relu")), Activation.leaky(r.alpha())));
                    case Layer.Relu6 r -> out.add(new FusedOp.Act(id(generic.apply("relu6")), Activation.RELU6));
                    // Never fused into the op before it: the integer path runs hard-swish as its own table (Int8Op.Lookup).
                    case Layer.HardSwish h -> out.add(new FusedOp.Act(id(generic.apply("hardswish")), Activation.HARD_SWISH));
                    case Layer.MaxPool p -> out.add(new FusedOp.MaxPool(id(generic.apply("maxpool")), p));
                    case Layer.AvgPool p -> out.add(new FusedOp.AvgPool(id(generic.apply("avgpool")), p));
                    case Layer.GlobalAvgPool g -> out.add(new FusedOp.GlobalAvgPool(id(generic.apply("globalavgpool"))));
                    case Layer.Flatten f -> out.add(new FusedOp.Flatten(id(generic.apply("flatten"))));
                }
            }
            return out;
        }

        /** w' = w·γ/√(var+ε) per output channel; b' = (b − mean)·γ/√(var+ε) + β. */
        private void foldBatchNorm(float[] w, float[] b, int out, Layer.BatchNorm bn) {
            float[] gamma = take(out, bn).values();
            float[] beta = take(out, bn).values();
            float[] mean = take(out, bn).values();
            float[] var = take(out, bn).values();
            int per = w.length / out;
            for (int o = 0; o < out; o++) {
                double s = gamma[o] / Math.sqrt(var[o] + BN_EPS);
                for (int k = 0; k < per; k++) w[o * per + k] = (float) (w[o * per + k] * s);
                b[o] = (float) ((b[o] - mean[o]) * s + beta[o]);
            }
        }

        private NamedTensor take(long size, Layer l) {
            if (next >= params.size()) {
                throw new IllegalArgumentException("Fusing " + where + ": no parameters left for " + l.describe());
            }
            NamedTensor t = params.get(next);
            if (expected != null && next < expected.size() && !expected.get(next).equals(t.name())) {
                throw new IllegalArgumentException("Fusing " + where + ": parameter " + next + " is '" + t.name() + "' but "
                        + l.describe() + " expects '" + expected.get(next) + "' there; the weights are in another order than"
                        + " NodeNames.parameterNames(architecture): pass them in that order (as Network.parameters() returns them)");
            }
            if (t.values().length != size) {
                throw new IllegalArgumentException("Fusing " + where + ": parameter '" + t.name() + "' has " + t.values().length
                        + " values but " + l.describe() + " needs " + size);
            }
            next++;
            return t;
        }
    }

    private static Activation activation(Layer next) {
        if (next instanceof Layer.Relu) return Activation.RELU;
        if (next instanceof Layer.LeakyRelu lr) return Activation.leaky(lr.alpha());
        if (next instanceof Layer.Relu6) return Activation.RELU6;
        return Activation.NONE; // hard-swish included: it stays a standalone op
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
