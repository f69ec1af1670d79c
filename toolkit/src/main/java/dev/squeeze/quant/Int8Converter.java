package dev.squeeze.quant;

import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.ir.Int8Weights;
import dev.squeeze.ir.PerChannelQuantParams;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.ir.Requantization;
import dev.squeeze.ir.Requantizer;
import dev.squeeze.ir.TensorShape;
import dev.squeeze.ir.WeightMethod;
import dev.squeeze.model.Layer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a {@link FusedGraph} and its calibrated activation grids into an {@link Int8Model} that
 * reproduces the fake-quant network ({@link QatBlocks}) with integer arithmetic:
 * <ul>
 *   <li>Weights are quantized exactly as {@link WeightQuantizer} fake-quantizes them: UNIFORM per
 *       channel with {@code PerChannelQuantParams.fromRanges(min_c, max_c, weightScheme, 0)} or per
 *       tensor with {@code QuantParams.fromRange(min, max, weightScheme)}; TERNARY and BINARY per output
 *       channel with {@link LowBitQuantizer} (scale α_c; see {@link Int8Weights} for α = 0).</li>
 *   <li>Biases become int32 at scale {@code s_in · s_w[c]} ({@link Requantizer#quantizeBias}).</li>
 *   <li>Each op that produces a new range requantizes to its calibrated grid with multiplier
 *       {@code s_in · s_w[c] / s_out}, the fused activation folded in ({@link Requantization}).</li>
 *   <li>Ops that keep their input's grid (pools, flatten, channel slice and shuffle) inherit it.</li>
 *   <li>Hard-swish becomes a 256-entry table ({@link Int8Op.Lookup}) from its input grid to its own grid.</li>
 *   <li>A concat requantizes every branch onto its own calibrated grid with multiplier {@code s_b / s_out}.</li>
 * </ul>
 *
 * <p>What differs from the float simulation, by design and by at most about one output step: the
 * bias is rounded to the accumulator grid, the multiplier is a 31-bit fixed-point number with the
 * documented rounding of {@link Requantizer}, average pools round their mean back onto the input grid
 * (the simulation keeps the exact mean in float), residual adds rescale their operands in fixed
 * point, and a concat rounds each branch onto its grid once more (the simulation concatenates the
 * branch values and fake-quantizes them once: the same rounding, unless s_b/s_out's fixed-point error
 * moves a value across a rounding boundary).
 */
public final class Int8Converter {
    private Int8Converter() {}

    /** Left shift of residual-add operands before rescaling (TFLite's value for 8-bit inputs). */
    public static final int ADD_LEFT_SHIFT = 20;

    /**
     * Converts.
     *
     * @param graph the fused float graph (BatchNorm folded, activations fused), e.g. {@link QuantizedNetwork#fusedGraph()}
     * @param activationParams the grid of the model input (key {@link Int8Op#INPUT_ID} = −1) and of the output
     *     of every op with {@link FusedOp#producesNewRange()}; the other ops inherit their input's grid
     * @param config the weight scheme and method (the activation grids are already in {@code activationParams})
     * @param provenance facts to record in the model; the converter adds the quantization settings and JDK
     * @throws IllegalStateException when the input grid or an op's grid is missing (naming the op and the
     *     call that provides it), or when an op's integer arithmetic could overflow int32
     * @throws IllegalArgumentException when an op cannot be represented (e.g. LeakyReLU with α &lt; 0)
     */
    public static Int8Model convert(FusedGraph graph, Map<Integer, QuantParams> activationParams, QConfig config,
            Map<String, String> provenance) {
        QuantParams input = activationParams.get(Int8Op.INPUT_ID);
        if (input == null) {
            FusedOp first = graph.flatOps().isEmpty() ? null : graph.flatOps().get(0);
            throw new IllegalStateException("Cannot convert " + graph.source().name() + " to int8: the model input is not"
                    + " quantized (no activation grid for the input, id -1), so the first layer"
                    + (first == null ? "" : " (op " + first.id() + ": " + first.describe() + ")")
                    + " would receive float input, which integer kernels cannot run. This is the seed's commented-out"
                    + " QuantStub (self.quant(x)); prepare the network with Quantization.prepareQat(net, config, true)"
                    + " (or Quantization.calibrate(...), which always quantizes the input)");
        }
        config.checkNodes(graph);
        TensorShape inShape = TensorShape.of(graph.inputShape());
        Converter c = new Converter(activationParams, config, graph);
        List<Int8Op> ops = new ArrayList<>();
        ops.add(new Int8Op.QuantizeInput(inShape, input));
        Converter.State end = c.ops(graph.ops(), new Converter.State(inShape, input), ops);
        ops.add(new Int8Op.Dequantize(end.shape(), end.params()));

        Map<String, String> prov = new LinkedHashMap<>(provenance);
        prov.putIfAbsent("source_model", graph.source().name());
        prov.put("weight_method", config.weightMethod().name().toLowerCase(Locale.ROOT));
        prov.put("weight_scheme", config.weightScheme().toString());
        prov.put("weight_bits", Integer.toString(config.weightBits()));
        prov.put("activation_scheme", config.activationScheme().toString());
        if (!config.overrides().isEmpty()) prov.put("weight_overrides", config.toString());
        if (!config.activationOverrides().isEmpty()) prov.put("activation_overrides", config.toString());
        prov.put("activation_bits", Integer.toString(config.activationBits()));
        prov.put("int8_converter", "Int8Converter format " + Int8Model.FORMAT_VERSION);
        prov.putIfAbsent("jdk", System.getProperty("java.version"));
        return new Int8Model(graph.source().name(), ops, prov, graph.nodeNames());
    }

    private static final class Converter {
        private final Map<Integer, QuantParams> params;
        private final QConfig config;
        private final FusedGraph graph;

        Converter(Map<Integer, QuantParams> params, QConfig config, FusedGraph graph) {
            this.params = params;
            this.config = config;
            this.graph = graph;
        }

        record State(TensorShape shape, QuantParams params) {}

        State ops(List<FusedOp> list, State s, List<Int8Op> out) {
            for (FusedOp op : list) {
                Int8Op q = op(op, s);
                out.add(q);
                s = new State(q.outputShape(), q.output());
            }
            return s;
        }

        private QuantParams outputOf(FusedOp op) {
            QuantParams p = params.get(op.id());
            if (p == null) {
                throw new IllegalStateException("Cannot convert to int8: op " + op.id() + " (" + op.describe() + ") has no"
                        + " activation grid, its output range was never observed; call Quantization.calibrate(...) with"
                        + " calibration data, or train the prepareQat network first");
            }
            return p;
        }

        private Int8Op op(FusedOp op, State s) {
            try {
                return switch (op) {
                    case FusedOp.Conv c -> conv(c, s);
                    case FusedOp.Dense d -> dense(d, s);
                    case FusedOp.MaxPool m -> new Int8Op.MaxPool(m.id(), m.layer(), s.shape(), s.params());
                    case FusedOp.AvgPool m -> new Int8Op.AvgPool(m.id(), m.layer(), s.shape(), s.params());
                    case FusedOp.GlobalAvgPool g -> new Int8Op.GlobalAvgPool(g.id(), s.shape(), s.params());
                    case FusedOp.Flatten f -> new Int8Op.Flatten(f.id(), s.shape(), s.params());
                    case FusedOp.Act a when a.activation().kind() == Activation.Kind.HARD_SWISH ->
                            Int8Op.Lookup.of(a.id(), a.activation(), s.shape(), s.params(), outputOf(a));
                    case FusedOp.Act a -> {
                        QuantParams out = outputOf(a);
                        double m = (double) s.params().scale() / out.scale();
                        yield new Int8Op.Act(a.id(), a.activation(), s.shape(), s.params(), out,
                                Requantization.of(new double[] {m}, a.activation(), out));
                    }
                    case FusedOp.Concat cat -> concat(cat, s);
                    case FusedOp.ChannelSlice sl -> new Int8Op.ChannelSlice(sl.id(), sl.layer(), s.shape(), s.params());
                    case FusedOp.ChannelShuffle sh -> new Int8Op.ChannelShuffle(sh.id(), sh.layer(), s.shape(), s.params());
                    case FusedOp.Add a -> add(a, s);
                };
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Cannot convert op " + op.id() + " (" + op.describe() + ") to int8: " + e.getMessage(), e);
            }
        }

        private Int8Op conv(FusedOp.Conv c, State s) {
            QuantParams out = outputOf(c);
            Layer.Conv2d l = c.layer();
            Int8Weights w = quantizeWeights(c.weight(), l.out(), config.forNode(graph.nodeName(c.id())));
            int[] bias = bias(c.bias(), s.params(), w);
            Requantization r = Requantization.of(multipliers(s.params(), w, out), c.activation(), out);
            checkAccumulator(c, s.params(), w, bias, l.in() / l.groups() * l.kernel() * l.kernel());
            return new Int8Op.Conv(c.id(), l, s.shape(), s.params(), out, c.activation(), w, bias, r);
        }

        private Int8Op dense(FusedOp.Dense d, State s) {
            if (!s.shape().isFlat() || s.shape().size() != d.layer().in()) {
                throw new IllegalArgumentException("input " + s.shape() + " is not the flat [" + d.layer().in() + "] it needs");
            }
            QuantParams out = outputOf(d);
            Int8Weights w = quantizeWeights(d.weight(), d.layer().out(), config.forNode(graph.nodeName(d.id())));
            int[] bias = bias(d.bias(), s.params(), w);
            Requantization r = Requantization.of(multipliers(s.params(), w, out), d.activation(), out);
            checkAccumulator(d, s.params(), w, bias, d.layer().in());
            return new Int8Op.Dense(d.id(), d.layer(), s.params(), out, d.activation(), w, bias, r);
        }

        private Int8Op add(FusedOp.Add a, State s) {
            List<Int8Op> body = new ArrayList<>(), shortcut = new ArrayList<>();
            State bs = ops(a.body(), s, body);
            State ss = ops(a.shortcut(), s, shortcut);
            QuantParams out = outputOf(a);
            double sa = bs.params().scale(), sb = ss.params().scale();
            double twiceMax = 2 * Math.max(sa, sb);
            Requantizer ra = Requantizer.of(sa / twiceMax, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
            Requantizer rb = Requantizer.of(sb / twiceMax, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
            double m = twiceMax / ((double) (1 << ADD_LEFT_SHIFT) * out.scale());
            return new Int8Op.Add(a.id(), body, shortcut, s.shape(), bs.params(), ss.params(), out, a.activation(),
                    ADD_LEFT_SHIFT, ra, rb, Requantization.of(new double[] {m}, a.activation(), out));
        }

        /** Every branch converted from the Concat's input; each requantized onto the Concat's grid with {@code s_b / s_out}. */
        private Int8Op concat(FusedOp.Concat cat, State s) {
            QuantParams out = outputOf(cat);
            List<List<Int8Op>> branches = new ArrayList<>();
            List<QuantParams> grids = new ArrayList<>();
            List<Requantizer> rescales = new ArrayList<>();
            for (List<FusedOp> b : cat.branches()) {
                List<Int8Op> ops = new ArrayList<>();
                State end = ops(b, s, ops);
                branches.add(ops);
                grids.add(end.params());
                rescales.add(Requantizer.of((double) end.params().scale() / out.scale(), out));
            }
            return new Int8Op.Concat(cat.id(), branches, s.shape(), grids, out, rescales);
        }

        /** Weights {@code [out, ...]} to codes, exactly as {@link WeightQuantizer} fake-quantizes them. */
        private static Int8Weights quantizeWeights(float[] w, int out, QConfig config) {
            return switch (config.weightMethod()) {
                case UNIFORM -> uniform(w, out, config);
                case TERNARY -> {
                    LowBitWeights t = LowBitQuantizer.ternarize(w, out);
                    float[] scales = t.alphas();
                    for (int c = 0; c < out; c++) if (!(scales[c] > 0)) scales[c] = 1f; // all codes 0: any scale represents it
                    yield Int8Weights.pack(WeightMethod.TERNARY, 2, out, toInts(t.codes()), scales, new int[out], -1, 1, true);
                }
                case BINARY -> {
                    LowBitWeights b = LowBitQuantizer.binarize(w, out);
                    float[] scales = b.alphas();
                    int[] zps = new int[out];
                    for (int c = 0; c < out; c++) {
                        if (!(scales[c] > 0)) { // α = 0: all codes are +1 and must mean 0
                            scales[c] = 1f;
                            zps[c] = 1;
                        }
                    }
                    yield Int8Weights.pack(WeightMethod.BINARY, 1, out, toInts(b.codes()), scales, zps, -1, 1, true);
                }
            };
        }

        private static Int8Weights uniform(float[] w, int out, QConfig config) {
            QScheme scheme = config.weightScheme();
            int per = w.length / out;
            float[] scales = new float[out];
            int[] zps = new int[out];
            int[] codes;
            if (scheme.perChannel()) {
                float[] mins = new float[out], maxs = new float[out];
                for (int c = 0; c < out; c++) {
                    float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                    for (int i = c * per; i < (c + 1) * per; i++) {
                        lo = Math.min(lo, w[i]);
                        hi = Math.max(hi, w[i]);
                    }
                    mins[c] = lo;
                    maxs[c] = hi;
                }
                PerChannelQuantParams p = PerChannelQuantParams.fromRanges(mins, maxs, scheme, 0);
                codes = p.quantize(w);
                scales = p.scales();
                zps = p.zeroPoints();
            } else {
                float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                for (float v : w) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                QuantParams p = QuantParams.fromRange(lo, hi, scheme);
                codes = p.quantize(w);
                java.util.Arrays.fill(scales, p.scale());
                java.util.Arrays.fill(zps, p.zeroPoint());
            }
            return Int8Weights.pack(WeightMethod.UNIFORM, scheme.bits(), out, codes, scales, zps, scheme.qmin(), scheme.qmax(),
                    scheme.perChannel());
        }

        private static int[] bias(float[] b, QuantParams in, Int8Weights w) {
            int[] q = new int[b.length];
            for (int c = 0; c < b.length; c++) q[c] = Requantizer.quantizeBias(b[c], in.scale(), w.scale(c));
            return q;
        }

        private static double[] multipliers(QuantParams in, Int8Weights w, QuantParams out) {
            double[] m = new double[w.channels()];
            for (int c = 0; c < m.length; c++) m[c] = Requantizer.realMultiplier(in.scale(), w.scale(c), out.scale());
            return m;
        }

        /**
         * The int32 accumulator must never wrap: {@code |bias| + K · max|x − zp_in| · max|w − zp_w| < 2^31}
         * per channel, with K the dot-product length. Checked here so executors can accumulate in plain int32.
         */
        private static void checkAccumulator(FusedOp op, QuantParams in, Int8Weights w, int[] bias, int k) {
            long xMax = Math.max(in.qmax() - in.zeroPoint(), in.zeroPoint() - in.qmin());
            for (int c = 0; c < w.channels(); c++) {
                long bound = Math.abs((long) bias[c]) + (long) k * xMax * w.maxAbsOffsetCode(c);
                if (bound > Integer.MAX_VALUE) {
                    throw new IllegalStateException("Cannot convert op " + op.id() + " (" + op.describe() + ") to int8: output"
                            + " channel " + c + " could overflow its int32 accumulator (|bias| " + Math.abs((long) bias[c])
                            + " + " + k + " products up to " + xMax * w.maxAbsOffsetCode(c) + " = " + bound + " > 2^31 − 1);"
                            + " the input scale " + in.scale() + " times the weight scale " + w.scale(c)
                            + " is too small for this bias: recalibrate, or check the layer's weights for outliers");
                }
            }
        }

        private static int[] toInts(byte[] b) {
            int[] v = new int[b.length];
            for (int i = 0; i < b.length; i++) v[i] = b[i];
            return v;
        }
    }
}
