package dev.squeeze.export;

import dev.squeeze.export.Onnx.Attr;
import dev.squeeze.export.Onnx.Graph;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.NodeNames;
import dev.squeeze.model.Network;
import dev.squeeze.onnx.proto.AttributeProto;
import dev.squeeze.onnx.proto.NodeProto;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.Int8Weights;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.TensorShape;
import dev.squeeze.util.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exports Squeeze models to ONNX (IR version 8, default-domain opset 13, or 14 in a file that has a
 * {@code HardSwish}, which opset 14 added; every other file stays as earlier versions wrote it), encoded by protobuf-java
 * through the classes protoc generates from {@code src/main/proto/onnx.proto} (see {@code Onnx}); the
 * toolkit needs no ONNX library at run time. The same model always gives the same bytes. Each file's
 * {@code metadata_props} hold {@code squeeze.format} ({@code fp32} or {@code int8-qdq}), the model's name
 * and its provenance, each provenance key prefixed with {@code provenance.}.
 *
 * <h2>fp32 ({@link #fp32})</h2>
 * The {@link Architecture} layer by layer with the network's current weights: graph input
 * {@code input} {@code [N, C, H, W]} float32 with a symbolic batch {@code N}, graph output
 * {@code logits} {@code [N, classes]} float32. Conv2d → {@code Conv} (group, strides, symmetric
 * pads), Linear → {@code Gemm} with {@code transB = 1} (weight stays {@code [out, in]}), BatchNorm →
 * {@code BatchNormalization} (ε = 1e-5, running statistics: inference mode), ReLU / LeakyReLU →
 * {@code Relu} / {@code LeakyRelu}, pools → {@code MaxPool}, {@code AveragePool} with
 * {@code count_include_pad = 1} (Squeeze's and PyTorch's convention), {@code GlobalAveragePool},
 * Flatten → {@code Flatten(axis = 1)}, Residual → its two branches and an {@code Add}, ReLU6 →
 * {@code Clip} with min 0 and max 6 as initializer inputs (PyTorch's export of {@code nn.ReLU6}),
 * hard-swish → {@code HardSwish}, Concat → its branches and a {@code Concat(axis = 1)} of their outputs
 * in branch order (an empty branch contributes the input itself), ChannelSlice → {@code Slice} with
 * {@code starts [from]}, {@code ends [to]}, {@code axes [1]}, ChannelShuffle → {@code Reshape [N, g, C/g, H, W]}
 * → {@code Transpose(perm = [0, 2, 1, 3, 4])} → {@code Reshape [N, C, H, W]} (torchvision's ShuffleNetV2
 * pattern; the batch is written as 0, "copy the input's", so it stays symbolic), and an explicit channel
 * permutation (a pruned ShuffleNet's {@code ChannelShuffle.permutation}) → {@code Gather(axis = 1)} with
 * its source channels as a constant int64 initializer {@code <node>.indices}.
 * Names: a conv, linear or BatchNorm node is called what {@code NodeNames} calls it ({@code conv1},
 * {@code layer2.0.downsample.0}, {@code stage2.0.branch2.conv1}) and its initializers what PyTorch's
 * {@code state_dict} calls them ({@code <node>.weight}, {@code .bias}, {@code .running_mean},
 * {@code .running_var}); a residual block's Add is {@code <block>.add}, a concat unit's Concat
 * {@code <unit>.concat}, other nodes {@code <prefix><kind><k>} ({@code relu1}, {@code layer1.0.relu2},
 * {@code stage2.1.branch1.channel_slice1}), k counting that kind at its level.
 * BatchNorm is exported as its own node rather than folded: the file then mirrors the architecture
 * one node per layer, the arithmetic is the same as Squeeze's (folding reorders float rounding), and
 * runtimes fold Conv + BatchNormalization themselves (ONNX Runtime does at its basic level).
 *
 * <h2>int8 QDQ ({@link #int8Qdq})</h2>
 * The {@link Int8Model} in ONNX's "QDQ" form: every op is its float ONNX op between
 * {@code DequantizeLinear} nodes on its inputs and a {@code QuantizeLinear} on its output, with the
 * integer model's grids, so that runtimes pattern-match the groups onto integer kernels (ONNX
 * Runtime: DQ→Conv→Q becomes {@code QLinearConv}, DQ→Gemm→Q {@code QGemm}, DQ→Add→Q
 * {@code QLinearAdd}, pools {@code QLinearAveragePool} / {@code QLinearGlobalAveragePool}, and the
 * Q/DQ pairs around MaxPool and Flatten are dropped). Concretely:
 * <ul>
 *   <li>input {@code input} float {@code [N, C, H, W]} → {@code QuantizeLinear} with the model's input
 *       grid; output {@code logits} float = {@code DequantizeLinear} of the last op's codes;</li>
 *   <li>activations: one scale and zero point per tensor, {@code uint8} when the grid's codes lie in
 *       [0, 255], {@code int8} when in [−128, 127] (ONNX Runtime 1.29 on x86 fuses only uint8
 *       activations into integer kernels; signed ones run its float kernels between Q/DQ pairs);</li>
 *   <li>weights: the integer codes as an {@code int8} initializer ({@code [out, in/groups, k, k]} or
 *       {@code [out, in]}) with per-output-channel scales on {@code DequantizeLinear(axis = 0)} (a
 *       per-tensor weight grid gets scalar parameters). Each channel's zero point is subtracted from
 *       its codes when the differences fit int8 (always for the presets), so weights are symmetric
 *       with zero point 0 as integer kernels want; otherwise codes and zero points are stored as they
 *       are ({@code uint8} when they lie in [0, 255]);</li>
 *   <li>low-bit weights (4-, 2-bit, ternary, binary) are exported as their integer codes in int8
 *       with their scales: the file is not smaller than an int8 one, but it computes exactly what
 *       the low-bit model computes;</li>
 *   <li>biases: the model's int32 biases as an {@code int32} initializer, dequantized with scale
 *       {@code s_in · s_w[c]} (float32 product) and zero point 0, as ONNX's quantization convention
 *       expects; integer runtimes use the int32 values directly;</li>
 *   <li>a fused ReLU / LeakyReLU is a {@code Relu} / {@code LeakyRelu} node between the op and its
 *       {@code QuantizeLinear}. A ReLU whose output grid has its zero point at the lowest code is
 *       exactly the clamp of {@code QuantizeLinear} and runtimes drop it (ONNX Runtime does, and
 *       then fuses the conv); a LeakyReLU fused into a conv keeps that conv in float there, because
 *       no standard integer kernel has a leaky output stage;</li>
 *   <li>a fused ReLU6 is {@code Clip(0, 6)}; a table activation ({@link Int8Op.Lookup}: hard-swish) is
 *       {@code DequantizeLinear} → its float op ({@code HardSwish}) → {@code QuantizeLinear}, the same three
 *       steps the table was built from, so ONNX Runtime's codes equal the table's except where a value
 *       lies within float rounding of a half step (its {@code HardSwish} computes {@code x·(x/6 + 0.5)},
 *       Squeeze {@code x·(x + 3)/6}): none of the 256 codes differed on the test grid;</li>
 *   <li>a concat dequantizes each branch from its own grid, concatenates on channels and quantizes onto
 *       the output grid: the float form of Squeeze's per-branch rescale. They differ by one code where
 *       {@code (q − zp)·s_b / s_out} lies within rounding of a half step, which includes exact ties when
 *       the ratio is a simple fraction (ORT rounds half to even, Squeeze's fixed point half up);</li>
 *   <li>a channel slice and a channel shuffle are the fp32 form's {@code Slice} and
 *       Reshape–Transpose–Reshape (an explicit permutation: {@code Gather}) between a
 *       {@code DequantizeLinear} and a {@code QuantizeLinear} on the same grid: they move codes exactly;</li>
 *   <li>a grid narrower than its storage type (e.g. narrow-range int8 [−127, 127], or fewer than 8
 *       bits) gets a {@code Clip} to the grid's real range before its {@code QuantizeLinear} where
 *       the values can leave that range (not after pools or flatten, whose outputs stay in their
 *       input's grid, and not on the low side after a ReLU), so the file clamps exactly where Squeeze
 *       does; an op followed by such a Clip is not fused into an integer kernel by ONNX Runtime.</li>
 * </ul>
 * Numerically the file computes the integer model's arithmetic up to rounding: the int32 accumulators
 * are the same, and ONNX Runtime requantizes with float {@code round-half-even(acc ·f32 (s_in·s_w/s_out))}
 * where Squeeze rounds {@code acc · M_q} once with a 31-bit fixed-point multiplier (see
 * {@code Requantizer}). The two differ only where {@code acc · M} is within float32 rounding of a
 * half-integer: about one code in 10^6 of the CIFAR-10 seed CNN's convs, none of its logit codes over
 * the first 1,000 test images, and top-1 agreed on all 10,000 test images (MSE and KL calibrations).
 * Residual adds and pools round slightly differently from ONNX Runtime's float kernels, so models
 * with those ops differ by one step a little more often.
 *
 * <p>Files are written atomically (temporary file, then rename; see {@link AtomicFiles}).
 */
public final class OnnxExport {
    private OnnxExport() {}

    /** Name of the graph input: {@code [N, C, H, W]} float32. */
    public static final String INPUT = "input";
    /** Name of the graph output: {@code [N, classes]} float32. */
    public static final String OUTPUT = "logits";
    /** Symbolic batch dimension of {@link #INPUT} and {@link #OUTPUT}. */
    public static final String BATCH = "N";

    /** BatchNorm's ε in Squeeze's blocks (PyTorch's default; see {@link Layer.BatchNorm}). */
    private static final float BN_EPS = 1e-5f;

    /**
     * The two files {@link #exportBoth} writes.
     *
     * @param fp32 the float model
     * @param int8Qdq the quantized model in QDQ form
     */
    public record Exported(Path fp32, Path int8Qdq) {}

    // ---- fp32 -----------------------------------------------------------------------------------

    /**
     * Writes {@code net} (architecture and current weights, inference mode) as an fp32 ONNX model.
     * Input {@value #INPUT} {@code [N, C, H, W]}, output {@value #OUTPUT} {@code [N, classes]}, both
     * float32, {@code N} symbolic.
     *
     * @return {@code out}
     */
    public static Path fp32(Network net, Path out) {
        byte[] bytes = fp32Bytes(net.architecture(), net.parameters(), net.provenance());
        AtomicFiles.write(out, o -> o.write(bytes));
        return out;
    }

    /**
     * The fp32 ONNX encoding of an architecture and its parameters.
     *
     * @param params every parameter in DJL block order, as {@link Network#parameters()} returns them:
     *     weight then bias of each conv / linear, BatchNorm γ, β, running mean, running variance
     */
    static byte[] fp32Bytes(Architecture arch, List<NamedTensor> params, Map<String, String> provenance) {
        Graph g = new Graph(arch.name());
        int[] in = arch.inputShape();
        g.input(Onnx.valueInfo(INPUT, Onnx.FLOAT, List.of(BATCH, (long) in[0], (long) in[1], (long) in[2])));
        Fp32 b = new Fp32(g, params.iterator(), arch.name());
        String y = b.layers(arch.layers(), INPUT, in, "");
        if (b.params.hasNext()) {
            throw new IllegalArgumentException("ONNX export of " + arch.name() + ": parameter '" + b.params.next().name()
                    + "' is left over after the last layer; the weights do not belong to this architecture");
        }
        rename(g, y, OUTPUT);
        g.output(Onnx.valueInfo(OUTPUT, Onnx.FLOAT, batchShape(arch.outputShape())));
        g.docString = "Squeeze fp32 export of " + arch.name() + " " + Arrays.toString(in) + ": " + arch.layers().size()
                + " layers, " + arch.trainableParameters() + " trainable parameters";
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("squeeze.format", "fp32");
        meta.put("squeeze.architecture", arch.name());
        provenance.forEach((k, v) -> meta.put("provenance." + k, v));
        return Onnx.model(g, Map.of("", opset(g)), producerVersion(), "fp32 model exported by Squeeze", meta).toByteArray();
    }

    private static final class Fp32 {
        final Graph g;
        final Iterator<NamedTensor> params;
        final String where;

        Fp32(Graph g, Iterator<NamedTensor> params, String where) {
            this.g = g;
            this.params = params;
            this.where = where;
        }

        /**
         * Emits {@code layers} on tensor {@code x} of per-example shape {@code s}; returns the last output's
         * name. Weighted nodes are named exactly as {@link NodeNames} names them under {@code prefix}
         * (the counting below mirrors {@code NodeNames.walk}; {@link #weight} checks every name against
         * the parameter's own), so an initializer is called what PyTorch's {@code state_dict} calls it.
         * The other nodes are named {@code <prefix><kind><k>}, k counting that kind at this level.
         */
        String layers(List<Layer> layers, String x, int[] s, String prefix) {
            long linears = layers.stream().filter(l -> l instanceof Layer.Linear).count();
            int conv = 0, bn = 0, fc = 0, stage = 0, block = 0, concatStage = 0, concatUnit = 0;
            Map<String, Integer> counts = new HashMap<>();
            for (Layer l : layers) {
                String name = switch (l) {
                    case Layer.Conv2d c -> prefix + "conv" + (++conv);
                    case Layer.BatchNorm b -> prefix + "bn" + (++bn);
                    case Layer.Linear f -> prefix + (linears == 1 ? "fc" : "fc" + (++fc));
                    case Layer.Residual r -> {
                        if (stage == 0 || !r.shortcut().isEmpty()) { stage++; block = 0; }
                        yield prefix + "layer" + stage + "." + (block++) + ".";
                    }
                    case Layer.Concat c -> {
                        // ShuffleNetV2's units: one without a channel split opens the next stage (torchvision's stage2 …).
                        boolean splits = c.branches().stream().anyMatch(b -> !b.isEmpty() && b.get(0) instanceof Layer.ChannelSlice);
                        if (concatStage == 0 || !splits) { concatStage++; concatUnit = 0; }
                        yield prefix + "stage" + (concatStage + 1) + "." + (concatUnit++) + ".";
                    }
                    default -> {
                        String kind = kind(l);
                        int k = counts.merge(kind, 1, Integer::sum);
                        yield prefix + kind + (Character.isDigit(kind.charAt(kind.length() - 1)) ? "_" : "") + k;
                    }
                };
                x = layer(l, x, s, name);
                s = shapeAfter(s, l);
            }
            return x;
        }

        /** The ONNX-style name of an unweighted layer kind, for node names. */
        private static String kind(Layer l) {
            return switch (l) {
                case Layer.Relu r -> "relu";
                case Layer.LeakyRelu r -> "leaky_relu";
                case Layer.Relu6 r -> "relu6";
                case Layer.HardSwish h -> "hard_swish";
                case Layer.MaxPool p -> "max_pool";
                case Layer.AvgPool p -> "avg_pool";
                case Layer.GlobalAvgPool p -> "global_avg_pool";
                case Layer.Flatten f -> "flatten";
                case Layer.ChannelSlice c -> "channel_slice";
                case Layer.ChannelShuffle c -> "channel_shuffle";
                case Layer.Conv2d c -> "conv";
                case Layer.BatchNorm b -> "bn";
                case Layer.Linear f -> "fc";
                case Layer.Residual r -> "residual";
                case Layer.Concat c -> "concat";
            };
        }

        /** The per-example shape after {@code l} (the channel shuffle's reshapes need it), by the architecture's own rules. */
        private int[] shapeAfter(int[] s, Layer l) {
            if (s.length == 3) return new Architecture(where, s, List.of(l)).outputShape();
            return l instanceof Layer.Linear f ? new int[] {f.out()} : s; // [features]: only linear layers change it
        }

        /** Emits one layer as node(s) called {@code name} (a block or unit: {@code name} is its prefix, ending in a dot). */
        private String layer(Layer l, String x, int[] s, String name) {
            return switch (l) {
                case Layer.Conv2d c -> {
                    List<String> in = new ArrayList<>(List.of(x,
                            weight(name, "weight", l, c.out(), c.in() / c.groups(), c.kernel(), c.kernel())));
                    if (c.bias()) in.add(weight(name, "bias", l, c.out()));
                    yield g.op("Conv", name, in, name, Attr.ints("kernel_shape", c.kernel(), c.kernel()),
                            Attr.ints("strides", c.stride(), c.stride()),
                            Attr.ints("pads", c.padding(), c.padding(), c.padding(), c.padding()),
                            Attr.ints("dilations", 1, 1), Attr.i("group", c.groups()));
                }
                case Layer.Linear f -> {
                    List<String> in = new ArrayList<>(List.of(x, weight(name, "weight", l, f.out(), f.in())));
                    if (f.bias()) in.add(weight(name, "bias", l, f.out()));
                    yield g.op("Gemm", name, in, name, Attr.i("transB", 1));
                }
                case Layer.BatchNorm b -> {
                    // DJL's order, the same FusedGraph reads: gamma, beta, running mean, running variance.
                    List<String> in = List.of(x, weight(name, "weight", l, b.channels()), weight(name, "bias", l, b.channels()),
                            weight(name, "running_mean", l, b.channels()), weight(name, "running_var", l, b.channels()));
                    yield g.op("BatchNormalization", name, in, name, Attr.f("epsilon", BN_EPS));
                }
                case Layer.Relu r -> g.op("Relu", name, List.of(x), name);
                case Layer.LeakyRelu r -> g.op("LeakyRelu", name, List.of(x), name, Attr.f("alpha", r.alpha()));
                case Layer.Relu6 r -> relu6(g, x, name);
                case Layer.HardSwish h -> g.op("HardSwish", name, List.of(x), name);
                case Layer.MaxPool p -> g.op("MaxPool", name, List.of(x), name,
                        Attr.ints("kernel_shape", p.kernel(), p.kernel()), Attr.ints("strides", p.stride(), p.stride()),
                        Attr.ints("pads", p.padding(), p.padding(), p.padding(), p.padding()));
                case Layer.AvgPool p -> g.op("AveragePool", name, List.of(x), name,
                        Attr.ints("kernel_shape", p.kernel(), p.kernel()), Attr.ints("strides", p.stride(), p.stride()),
                        Attr.ints("pads", p.padding(), p.padding(), p.padding(), p.padding()), Attr.i("count_include_pad", 1));
                case Layer.GlobalAvgPool gp -> g.op("GlobalAveragePool", name, List.of(x), name);
                case Layer.Flatten f -> g.op("Flatten", name, List.of(x), name, Attr.i("axis", 1));
                case Layer.ChannelSlice c -> channelSlice(g, x, c, name);
                case Layer.ChannelShuffle c -> channelShuffle(g, x, s, c, name);
                case Layer.Concat c -> {
                    List<String> outs = new ArrayList<>();
                    for (int b = 0; b < c.branches().size(); b++) {
                        List<Layer> branch = c.branches().get(b);
                        outs.add(branch.isEmpty() ? x : layers(branch, x, s, name + "branch" + (b + 1) + "."));
                    }
                    yield g.op("Concat", name + "concat", outs, name + "concat", Attr.i("axis", 1));
                }
                case Layer.Residual r -> {
                    String a = layers(r.body(), x, s, name);
                    String sc = x;
                    int[] ss = s;
                    // NodeNames: shortcut layer i is downsample.<i>; a residual there is a level of its own.
                    for (int i = 0; i < r.shortcut().size(); i++) {
                        Layer k = r.shortcut().get(i);
                        sc = k instanceof Layer.Residual ? layers(List.of(k), sc, ss, name + "downsample." + i + ".")
                                : layer(k, sc, ss, name + "downsample." + i);
                        ss = shapeAfter(ss, k);
                    }
                    yield g.op("Add", name + "add", List.of(a, sc), name + "add");
                }
            };
        }

        /**
         * Takes the next parameter, checks its name ({@code node.role}, as {@link NodeNames} gives it) and
         * size against the layer, and adds it as an initializer of that name.
         */
        private String weight(String node, String role, Layer l, long... dims) {
            if (!params.hasNext()) {
                throw new IllegalArgumentException("ONNX export of " + where + ": no parameters left for " + l.describe()
                        + "; the weights do not belong to this architecture");
            }
            NamedTensor t = params.next();
            String name = node + "." + role;
            long n = 1;
            for (long d : dims) n *= d;
            if (t.values().length != n) {
                throw new IllegalArgumentException("ONNX export of " + where + ": parameter '" + t.name() + "' has " + t.values().length
                        + " values but " + l.describe() + " needs " + Arrays.toString(dims) + " = " + n
                        + "; the weights do not belong to this architecture");
            }
            if (!t.name().equals(name)) {
                throw new IllegalArgumentException("ONNX export of " + where + ": parameter '" + t.name() + "' arrives where " + l.describe()
                        + " needs '" + name + "'; the weights do not belong to this architecture");
            }
            return g.initializer(Onnx.floats(name, dims, t.values()));
        }
    }

    // ---- ops shared by both forms ----------------------------------------------------------------

    /** ReLU6 as {@code Clip(x, 0, 6)} (opset ≥ 11 takes the bounds as inputs), PyTorch's export of {@code nn.ReLU6}. */
    private static String relu6(Graph g, String x, String name) {
        String min = g.initializer(Onnx.floats(g.fresh(name + ".min"), new long[0], new float[] {0f}));
        String max = g.initializer(Onnx.floats(g.fresh(name + ".max"), new long[0], new float[] {6f}));
        return g.op("Clip", name, List.of(x, min, max), name);
    }

    /** Channels {@code [from, to)} as {@code Slice(x, starts [from], ends [to], axes [1])}. */
    private static String channelSlice(Graph g, String x, Layer.ChannelSlice c, String name) {
        String starts = g.initializer(Onnx.int64s(name + ".starts", new long[] {1}, new long[] {c.from()}));
        String ends = g.initializer(Onnx.int64s(name + ".ends", new long[] {1}, new long[] {c.to()}));
        String axes = g.initializer(Onnx.int64s(name + ".axes", new long[] {1}, new long[] {1}));
        return g.op("Slice", name, List.of(x, starts, ends, axes), name);
    }

    /**
     * The channel shuffle as torchvision's ShuffleNetV2 exports it: {@code Reshape [N, g, C/g, H, W]} →
     * {@code Transpose [0, 2, 1, 3, 4]} → {@code Reshape [N, C, H, W]}, the batch written as 0 (copy the
     * input's batch: the dimension stays symbolic). An explicit permutation has no such pattern (and
     * groups 1, which the reshapes would turn into the identity): it is {@code Gather(x, indices, axis = 1)},
     * {@code indices[j]} the input channel of output channel {@code j}.
     *
     * @param s the per-example input shape {@code [C, H, W]}
     */
    private static String channelShuffle(Graph g, String x, int[] s, Layer.ChannelShuffle c, String name) {
        if (c.explicit()) {
            long[] sources = Arrays.stream(c.sources(s[0])).asLongStream().toArray();
            String indices = g.initializer(Onnx.int64s(name + ".indices", new long[] {sources.length}, sources));
            return g.op("Gather", name, List.of(x, indices), name, Attr.i("axis", 1));
        }
        int groups = c.groups();
        String split = g.initializer(Onnx.int64s(name + ".shape", new long[] {5}, new long[] {0, groups, s[0] / groups, s[1], s[2]}));
        String back = g.initializer(Onnx.int64s(name + ".shape_back", new long[] {4}, new long[] {0, s[0], s[1], s[2]}));
        String y = g.op("Reshape", name + ".reshape", List.of(x, split), name + ".reshape");
        y = g.op("Transpose", name + ".transpose", List.of(y), name + ".transpose", Attr.ints("perm", 0, 2, 1, 3, 4));
        return g.op("Reshape", name, List.of(y, back), name);
    }

    // ---- int8 QDQ -------------------------------------------------------------------------------

    /**
     * Writes {@code m} as an ONNX model in QDQ form (see the class documentation). Input
     * {@value #INPUT} {@code [N, C, H, W]} float32 (quantized inside the graph with the model's input
     * grid), output {@value #OUTPUT} {@code [N, classes]} float32 (the dequantized output codes).
     *
     * @return {@code out}
     * @throws IllegalArgumentException when an activation grid fits neither uint8 nor int8
     */
    public static Path int8Qdq(Int8Model m, Path out) {
        byte[] bytes = int8QdqBytes(m);
        AtomicFiles.write(out, o -> o.write(bytes));
        return out;
    }

    /**
     * Writes both forms into {@code dir} as {@code <name>-fp32.onnx} and {@code <name>-int8-qdq.onnx},
     * {@code <name>} being the float network's architecture name (characters other than letters,
     * digits, {@code . _ -} replaced by {@code _}), creating the folder if needed.
     *
     * @param m the int8 model converted from {@code net} (its input shape must be {@code net}'s)
     */
    public static Exported exportBoth(Network net, Int8Model m, Path dir) {
        TensorShape a = TensorShape.of(net.architecture().inputShape());
        if (!a.equals(m.inputShape())) {
            throw new IllegalArgumentException("exportBoth: the float model " + net.architecture().name() + " takes " + a
                    + " images but the int8 model " + m.name() + " takes " + m.inputShape()
                    + "; pass the int8 model converted from this network");
        }
        // One stem for both: an int8 model converted by calibration is named after the fused graph ("<name>-fused").
        String stem = fileStem(net.architecture().name());
        Path f = fp32(net, dir.resolve(stem + "-fp32.onnx"));
        Path q = int8Qdq(m, dir.resolve(stem + "-int8-qdq.onnx"));
        return new Exported(f, q);
    }

    private static String fileStem(String name) { return name.replaceAll("[^A-Za-z0-9._-]", "_"); }

    /** The QDQ ONNX encoding of an int8 model. */
    static byte[] int8QdqBytes(Int8Model m) { return int8QdqBytes(m, false); }

    /**
     * @param tapOutputs also make every quantized activation a graph output (named {@code op<id>.q}, codes
     *     as uint8 / int8), to compare a runtime op by op with {@code IntegerReference.runWithTaps}
     */
    static byte[] int8QdqBytes(Int8Model m, boolean tapOutputs) {
        Graph g = qdqGraph(m.name(), m.ops(), tapOutputs);
        g.docString = "Squeeze int8 model " + m.name() + " in QDQ form: " + m.flatOps().size() + " ops, "
                + m.weightCount() + " weights of up to " + m.weightBits() + " bits (stored as int8 codes)";
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("squeeze.format", "int8-qdq");
        meta.put("squeeze.model", m.name());
        meta.put("squeeze.weight_bits", Integer.toString(m.weightBits()));
        m.provenance().forEach((k, v) -> meta.put("provenance." + k, v));
        return Onnx.model(g, Map.of("", opset(g)), producerVersion(), "int8 model (QDQ) exported by Squeeze", meta).toByteArray();
    }

    /**
     * The QDQ form of an op sequence that starts with the model's {@link Int8Op.QuantizeInput} and ends
     * with its {@link Int8Op.Dequantize}, as {@link #int8QdqBytes(Int8Model, boolean)} writes it (tests build
     * op sequences by hand with it).
     */
    static Graph qdqGraph(String name, List<Int8Op> ops, boolean tapOutputs) {
        if (!(ops.getFirst() instanceof Int8Op.QuantizeInput qi) || !(ops.getLast() instanceof Int8Op.Dequantize dq)) {
            throw new IllegalArgumentException("int8 ops of " + name + " must start with quantize-input and end with dequantize");
        }
        Graph g = new Graph(name + "-int8");
        TensorShape in = qi.inputShape();
        g.input(Onnx.valueInfo(INPUT, Onnx.FLOAT, List.of(BATCH, (long) in.channels(), (long) in.height(), (long) in.width())));
        Qdq b = new Qdq(g, name);
        Q x = b.quantize(INPUT, qi.output(), "input", 4, Range.ANY);
        x = b.sequence(ops.subList(1, ops.size() - 1), x);
        g.node("DequantizeLinear", "output.dequantize", b.qdqInputs(x.name, dq.output()), List.of(OUTPUT), List.of(), "");
        TensorShape os = dq.inputShape();
        g.output(Onnx.valueInfo(OUTPUT, Onnx.FLOAT, x.rank == 2 ? List.of(BATCH, (long) os.channels())
                : List.of(BATCH, (long) os.channels(), (long) os.height(), (long) os.width())));
        if (tapOutputs) {
            for (NodeProto n : List.copyOf(g.nodes)) {
                if (n.getOpType().equals("QuantizeLinear")) {
                    g.output(Onnx.valueInfo(n.getOutput(0), b.storageType(b.gridOf(n.getOutput(0))), null));
                }
            }
        }
        return g;
    }

    /** {@link #qdqGraph} as a model with no metadata (for tests of hand-built op sequences). */
    static byte[] qdqBytes(String name, List<Int8Op> ops, boolean tapOutputs) {
        Graph g = qdqGraph(name, ops, tapOutputs);
        return Onnx.model(g, Map.of("", opset(g)), producerVersion(), "", Map.of()).toByteArray();
    }

    /**
     * A quantized tensor in the graph.
     *
     * @param name tensor name (uint8 / int8 codes)
     * @param grid its scale, zero point and code range
     * @param rank 4 for {@code [N, C, H, W]}, 2 for {@code [N, F]}
     */
    private record Q(String name, QuantParams grid, int rank) {}

    /** What is known about a float tensor's values before it is quantized onto a grid. */
    private enum Range {
        /** Anything. */
        ANY,
        /** ≥ 0 (after a ReLU). */
        NON_NEGATIVE,
        /** Inside the grid's real range already (max / average pools and flatten of that grid's codes). */
        IN_GRID;

        static Range after(Activation a) {
            return a.kind() == Activation.Kind.RELU || a.kind() == Activation.Kind.RELU6 ? NON_NEGATIVE : ANY;
        }
    }

    private static final class Qdq {
        final Graph g;
        final String where;
        /** Scale and zero-point initializers per grid, shared by every Q and DQ on that grid. */
        final Map<QuantParams, String[]> grids = new HashMap<>();
        /** The grid of every quantized tensor, by name. */
        final Map<String, QuantParams> quantized = new HashMap<>();

        QuantParams gridOf(String tensor) { return quantized.get(tensor); }

        Qdq(Graph g, String where) {
            this.g = g;
            this.where = where;
        }

        Q sequence(List<Int8Op> ops, Q x) {
            for (Int8Op op : ops) x = op(op, x);
            return x;
        }

        private Q op(Int8Op op, Q x) {
            String p = "op" + op.id();
            return switch (op) {
                case Int8Op.Conv c -> {
                    var l = c.layer();
                    List<String> in = List.of(dq(x, p + ".conv"), weights(p + ".weight", c.weights(),
                            new long[] {l.out(), l.in() / l.groups(), l.kernel(), l.kernel()}), bias(p + ".bias", c.bias(), x.grid, c.weights()));
                    String y = g.op("Conv", p + ".conv", in, p + ".conv", Attr.ints("kernel_shape", l.kernel(), l.kernel()),
                            Attr.ints("strides", l.stride(), l.stride()),
                            Attr.ints("pads", l.padding(), l.padding(), l.padding(), l.padding()),
                            Attr.ints("dilations", 1, 1), Attr.i("group", l.groups()));
                    yield quantize(activation(y, c.activation(), p), c.output(), p, x.rank, Range.after(c.activation()));
                }
                case Int8Op.Dense d -> {
                    if (x.rank != 2) throw new IllegalStateException("Int8 dense op " + d.id() + " gets a rank-" + x.rank + " tensor");
                    var l = d.layer();
                    List<String> in = List.of(dq(x, p + ".fc"), weights(p + ".weight", d.weights(), new long[] {l.out(), l.in()}),
                            bias(p + ".bias", d.bias(), x.grid, d.weights()));
                    String y = g.op("Gemm", p + ".fc", in, p + ".fc", Attr.i("transB", 1));
                    yield quantize(activation(y, d.activation(), p), d.output(), p, 2, Range.after(d.activation()));
                }
                case Int8Op.MaxPool mp -> {
                    var l = mp.layer();
                    String y = g.op("MaxPool", p + ".max_pool", List.of(dq(x, p + ".max_pool")), p + ".max_pool",
                            Attr.ints("kernel_shape", l.kernel(), l.kernel()), Attr.ints("strides", l.stride(), l.stride()),
                            Attr.ints("pads", l.padding(), l.padding(), l.padding(), l.padding()));
                    yield quantize(y, mp.output(), p, x.rank, Range.IN_GRID);
                }
                case Int8Op.AvgPool ap -> {
                    var l = ap.layer();
                    String y = g.op("AveragePool", p + ".avg_pool", List.of(dq(x, p + ".avg_pool")), p + ".avg_pool",
                            Attr.ints("kernel_shape", l.kernel(), l.kernel()), Attr.ints("strides", l.stride(), l.stride()),
                            Attr.ints("pads", l.padding(), l.padding(), l.padding(), l.padding()), Attr.i("count_include_pad", 1));
                    yield quantize(y, ap.output(), p, x.rank, Range.IN_GRID);
                }
                case Int8Op.GlobalAvgPool gp -> {
                    String y = g.op("GlobalAveragePool", p + ".global_avg_pool", List.of(dq(x, p + ".global_avg_pool")), p + ".global_avg_pool");
                    yield quantize(y, gp.output(), p, x.rank, Range.IN_GRID);
                }
                case Int8Op.Flatten f -> {
                    String y = g.op("Flatten", p + ".flatten", List.of(dq(x, p + ".flatten")), p + ".flatten", Attr.i("axis", 1));
                    yield quantize(y, f.output(), p, 2, Range.IN_GRID);
                }
                case Int8Op.Act a -> quantize(activation(dq(x, p + ".act"), a.activation(), p), a.output(), p, x.rank,
                        Range.after(a.activation()));
                case Int8Op.Lookup l -> {
                    // The table is output.quantize(activation(input.dequantize(q))): the same three steps as float ops.
                    if (!l.inputShape().equals(l.outputShape())) throw new IllegalStateException("lookup op " + l.id() + " changes the shape");
                    yield quantize(activation(dq(x, p + ".lookup"), l.activation(), p), l.output(), p, x.rank, Range.after(l.activation()));
                }
                case Int8Op.Concat c -> {
                    // Each branch is dequantized from its own grid and the concatenation quantized onto the output grid:
                    // the float form of Squeeze's per-branch rescale (multiplier s_b / s_out, output zero point).
                    List<String> outs = new ArrayList<>();
                    for (List<Int8Op> branch : c.branches()) outs.add(dq(sequence(branch, x), p + ".concat"));
                    String y = g.op("Concat", p + ".concat", outs, p + ".concat", Attr.i("axis", 1));
                    yield quantize(y, c.output(), p, 4, Range.ANY);
                }
                case Int8Op.ChannelSlice cs -> {
                    if (x.rank != 4) throw new IllegalStateException("Int8 channel-slice op " + cs.id() + " gets a rank-" + x.rank + " tensor");
                    yield quantize(channelSlice(g, dq(x, p + ".channel_slice"), cs.layer(), p + ".channel_slice"), cs.output(), p, 4,
                            Range.IN_GRID);
                }
                case Int8Op.ChannelShuffle cs -> {
                    if (x.rank != 4) throw new IllegalStateException("Int8 channel-shuffle op " + cs.id() + " gets a rank-" + x.rank + " tensor");
                    TensorShape sh = cs.inputShape();
                    yield quantize(channelShuffle(g, dq(x, p + ".channel_shuffle"), new int[] {sh.channels(), sh.height(), sh.width()},
                            cs.layer(), p + ".channel_shuffle"), cs.output(), p, 4, Range.IN_GRID);
                }
                case Int8Op.Add a -> {
                    Q body = sequence(a.body(), x);
                    Q shortcut = a.shortcut().isEmpty() ? x : sequence(a.shortcut(), x);
                    String y = g.op("Add", p + ".add", List.of(dq(body, p + ".add"), dq(shortcut, p + ".add")), p + ".add");
                    yield quantize(activation(y, a.activation(), p), a.output(), p, body.rank, Range.after(a.activation()));
                }
                case Int8Op.QuantizeInput qi -> throw new IllegalStateException("quantize-input inside the graph of " + where);
                case Int8Op.Dequantize dq -> throw new IllegalStateException("dequantize inside the graph of " + where);
            };
        }

        private String activation(String y, Activation a, String p) {
            return switch (a.kind()) {
                case NONE -> y;
                case RELU -> g.op("Relu", p + ".relu", List.of(y), p + ".relu");
                case LEAKY_RELU -> g.op("LeakyRelu", p + ".leaky_relu", List.of(y), p + ".leaky_relu", Attr.f("alpha", a.alpha()));
                case RELU6 -> relu6(g, y, p + ".relu6");
                case HARD_SWISH -> g.op("HardSwish", p + ".hard_swish", List.of(y), p + ".hard_swish");
            };
        }

        /**
         * {@code QuantizeLinear} of float tensor {@code y} onto {@code grid}, preceded by a {@code Clip}
         * to the grid's real range where the grid is narrower than its storage type and {@code y} can
         * reach the uncovered part (QuantizeLinear saturates to the type's range only).
         */
        Q quantize(String y, QuantParams grid, String p, int rank, Range range) {
            int type = storageType(grid);
            int lo = type == Onnx.UINT8 ? 0 : -128, hi = type == Onnx.UINT8 ? 255 : 127;
            // Clamping the real value at a grid end point quantizes to exactly qmin / qmax: x = (q − zp)·s maps
            // back to q under rint(x / s) + zp. After a ReLU the values are ≥ 0, i.e. at codes ≥ zp ≥ qmin.
            boolean clipLow = range == Range.ANY && grid.qmin() > lo;
            boolean clipHigh = range != Range.IN_GRID && grid.qmax() < hi;
            if (clipLow || clipHigh) {
                String min = clipLow ? g.initializer(Onnx.floats(g.fresh(p + ".clip_min"), new long[0],
                        new float[] {grid.dequantize(grid.qmin())})) : "";
                String max = clipHigh ? g.initializer(Onnx.floats(g.fresh(p + ".clip_max"), new long[0],
                        new float[] {grid.dequantize(grid.qmax())})) : "";
                y = g.op("Clip", p + ".clip", clipHigh ? List.of(y, min, max) : List.of(y, min), p + ".clip");
            }
            String name = g.fresh(p + ".q");
            g.node("QuantizeLinear", name, qdqInputs(y, grid), List.of(name), List.of(), "");
            quantized.put(name, grid);
            return new Q(name, grid, rank);
        }

        /** A fresh {@code DequantizeLinear} of {@code x} for one consumer (runtimes match one DQ per consumer). */
        String dq(Q x, String consumer) {
            String name = g.fresh(consumer + ".x_dq");
            g.node("DequantizeLinear", name, qdqInputs(x.name, x.grid), List.of(name), List.of(), "");
            return name;
        }

        /** {@code [x, scale, zero_point]} with the grid's shared scalar initializers. */
        List<String> qdqInputs(String x, QuantParams grid) {
            String[] sz = grids.computeIfAbsent(grid, k -> {
                String base = g.fresh("grid" + grids.size());
                int type = storageType(k);
                return new String[] {
                        g.initializer(Onnx.floats(base + ".scale", new long[0], new float[] {k.scale()})),
                        g.initializer(Onnx.bytes(base + ".zero_point", type, new long[0], new int[] {k.zeroPoint()}))};
            });
            return List.of(x, sz[0], sz[1]);
        }

        int storageType(QuantParams grid) {
            if (grid.qmin() >= 0 && grid.qmax() <= 255) return Onnx.UINT8;
            if (grid.qmin() >= -128 && grid.qmax() <= 127) return Onnx.INT8;
            throw new IllegalArgumentException("ONNX export of " + where + ": activation grid " + grid
                    + " fits neither uint8 [0, 255] nor int8 [-128, 127]; ONNX's QuantizeLinear stores 8-bit codes only:"
                    + " quantize activations to at most 8 bits");
        }

        /**
         * The weight codes as an initializer and its {@code DequantizeLinear}; returns the float weight's name.
         * Zero points are folded into the codes when the differences fit int8 (see the class documentation).
         */
        private String weights(String name, Int8Weights w, long[] dims) {
            int[] codes = w.unpackInts();
            int[] zps = w.zeroPoints();
            int per = w.perChannel();
            int[] offset = new int[codes.length];
            boolean fitsInt8 = true;
            for (int i = 0; i < codes.length; i++) {
                offset[i] = codes[i] - zps[i / per];
                if (offset[i] < -128 || offset[i] > 127) fitsInt8 = false;
            }
            int type;
            if (fitsInt8) {
                codes = offset;
                zps = new int[zps.length];
                type = Onnx.INT8;
            } else {
                type = w.codeMin() >= 0 && w.codeMax() <= 255 ? Onnx.UINT8 : Onnx.INT8;
            }
            float[] scales = w.scales();
            boolean perTensor = !w.perChannelScales();
            for (int zp : zps) perTensor &= zp == zps[0];
            String q = g.initializer(Onnx.bytes(name + "_quantized", type, dims, codes));
            List<AttributeProto> attrs;
            String s, z;
            if (perTensor) {
                s = g.initializer(Onnx.floats(name + "_scale", new long[0], new float[] {scales[0]}));
                z = g.initializer(Onnx.bytes(name + "_zero_point", type, new long[0], new int[] {zps[0]}));
                attrs = List.of();
            } else {
                s = g.initializer(Onnx.floats(name + "_scale", new long[] {scales.length}, scales));
                z = g.initializer(Onnx.bytes(name + "_zero_point", type, new long[] {zps.length}, zps));
                attrs = List.of(Attr.i("axis", 0));
            }
            g.node("DequantizeLinear", name + "_dq", List.of(q, s, z), List.of(name), attrs, "");
            return name;
        }

        /** The int32 bias and its {@code DequantizeLinear} with scale {@code s_in · s_w[c]}; returns the float bias's name. */
        private String bias(String name, int[] bias, QuantParams in, Int8Weights w) {
            float[] scales = new float[bias.length];
            for (int c = 0; c < bias.length; c++) scales[c] = in.scale() * w.scale(c);
            String q = g.initializer(Onnx.int32s(name + "_quantized", new long[] {bias.length}, bias));
            String s = g.initializer(Onnx.floats(name + "_scale", new long[] {bias.length}, scales));
            String z = g.initializer(Onnx.int32s(name + "_zero_point", new long[] {bias.length}, new int[bias.length]));
            g.node("DequantizeLinear", name + "_dq", List.of(q, s, z), List.of(name), List.of(Attr.i("axis", 0)), "");
            return name;
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /**
     * The default-domain opset a graph declares: {@value Onnx#OPSET}, or {@value Onnx#OPSET_HARD_SWISH}
     * when it has a {@code HardSwish} (added in opset 14). Only the models that need it get the newer
     * opset, so every other file stays byte for byte what earlier Squeeze versions wrote.
     */
    private static long opset(Graph g) {
        return g.nodes.stream().anyMatch(n -> n.getOpType().equals("HardSwish")) ? Onnx.OPSET_HARD_SWISH : Onnx.OPSET;
    }

    /** {@code [N] + shape} for a value info. */
    private static List<Object> batchShape(int[] shape) {
        List<Object> dims = new ArrayList<>();
        dims.add(BATCH);
        for (int d : shape) dims.add((long) d);
        return dims;
    }

    /**
     * Makes tensor {@code from} (the graph's last result) be called {@code to}: renames the producing
     * node's output, or adds an {@code Identity} when {@code from} is the graph input (no layers).
     */
    private static void rename(Graph g, String from, String to) {
        for (int i = g.nodes.size() - 1; i >= 0; i--) {
            NodeProto n = g.nodes.get(i);
            int k = n.getOutputList().indexOf(from);
            if (k >= 0) {
                // Only the last node can produce the last result, and nothing consumes it yet.
                g.nodes.set(i, n.toBuilder().setOutput(k, to).build());
                return;
            }
        }
        g.op("Identity", "output.identity", List.of(from), to);
    }

    private static String producerVersion() {
        String v = OnnxExport.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
