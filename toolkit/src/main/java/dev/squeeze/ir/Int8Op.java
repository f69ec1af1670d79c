package dev.squeeze.ir;

import dev.squeeze.model.Layer;
import java.util.Arrays;
import java.util.List;

/**
 * One op of an {@link Int8Model}: the integer counterpart of a {@link FusedOp} (same id), plus the
 * {@link QuantizeInput} and {@link Dequantize} ops at the two ends. Every op maps a tensor of integer
 * codes of one image ({@link #inputShape()}) to a tensor of codes ({@link #outputShape()}) on the grid
 * {@link #output()}. Activation codes are 8-bit or narrower (uint8 or int8 grids), accumulators int32.
 *
 * <p>The exact arithmetic of each op is specified on its record and implemented by
 * {@link dev.squeeze.quant.IntegerReference}; any other executor must reproduce it bit for bit.
 */
public sealed interface Int8Op {

    /** Id of the {@link FusedOp} this op executes; {@link #INPUT_ID} and {@link #OUTPUT_ID} for the two ends. */
    int id();

    /** Shape of one image's input. */
    TensorShape inputShape();

    /** Shape of one image's output. */
    TensorShape outputShape();

    /** Grid of the output codes (for {@link Dequantize}: the grid its input codes are dequantized with). */
    QuantParams output();

    /** Short text for tables, e.g. {@code "conv 3→16 5×5 + relu"}. */
    String describe();

    /** Op kind as stored in the file: {@code quantize, conv, dense, max_pool, avg_pool, global_avg_pool, flatten, act, add, lookup, concat, channel_slice, channel_shuffle, dequantize}. */
    String kind();

    /** Id of {@link QuantizeInput}, the same key the activation parameters of the model input use. */
    int INPUT_ID = -1;
    /** Id of {@link Dequantize}. */
    int OUTPUT_ID = -2;

    /**
     * Float input {@code x} to codes: {@code q = clamp(rint(x ·f32 (1.0f/s)) + zp, qmin, qmax)} exactly as
     * {@link QuantParams#quantize(float)} (PyTorch's {@code quantize_per_tensor}; NaN is an error).
     */
    record QuantizeInput(TensorShape inputShape, QuantParams output) implements Int8Op {
        public int id() { return INPUT_ID; }
        public TensorShape outputShape() { return inputShape; }
        public String describe() { return "quantize input"; }
        public String kind() { return "quantize"; }
    }

    /**
     * Convolution with BatchNorm folded and its activation fused. Input {@code [in, H, W]} codes on
     * grid {@code input}, weights {@code [out, in/groups, k, k]}, output {@code [out, H', W']} with
     * {@code H' = (H + 2·padding − k)/stride + 1}. For output channel {@code o} in group
     * {@code g = o / (out/groups)} and position {@code (y, x)}:
     * <pre>
     *   acc = bias[o] + Σ_{i, ky, kx} (x[g·in/groups + i, y·stride − padding + ky, x·stride − padding + kx] − zp_in)
     *                                · (w[o, i, ky, kx] − zp_w[o])                (int32; never overflows, see Int8Converter)
     *   out = requantization.apply(o, acc)
     * </pre>
     * Padded positions hold the input zero point (real 0), so they contribute exactly 0.
     * {@code bias[o] = rint(b[o] / (s_in · s_w[o]))}, the requantization multiplier {@code s_in·s_w[o]/s_out}.
     *
     * @param bias int32 bias per output channel, scale {@code s_in · s_w[o]}
     */
    record Conv(int id, Layer.Conv2d layer, TensorShape inputShape, QuantParams input, QuantParams output,
                Activation activation, Int8Weights weights, int[] bias, Requantization requantization) implements Int8Op {
        public Conv {
            if (inputShape.channels() != layer.in()) {
                throw new IllegalArgumentException("Int8 conv op " + id + ": input has " + inputShape.channels()
                        + " channels, " + layer.describe() + " expects " + layer.in());
            }
            if (weights.channels() != layer.out() || weights.perChannel() != layer.in() / layer.groups() * layer.kernel() * layer.kernel()) {
                throw new IllegalArgumentException("Int8 conv op " + id + ": weights " + weights + " do not fit " + layer.describe());
            }
            checkChannels("conv", id, layer.out(), bias, requantization, output);
            if (inputShape.height() + 2 * layer.padding() < layer.kernel() || inputShape.width() + 2 * layer.padding() < layer.kernel()) {
                throw new IllegalArgumentException("Int8 conv op " + id + ": input " + inputShape + " is smaller than kernel " + layer.kernel());
            }
            bias = bias.clone();
        }
        public TensorShape outputShape() {
            return new TensorShape(layer.out(), pooled(inputShape.height(), layer.kernel(), layer.stride(), layer.padding()),
                    pooled(inputShape.width(), layer.kernel(), layer.stride(), layer.padding()));
        }
        @Override public int[] bias() { return bias.clone(); }
        int[] biasView() { return bias; }
        public String describe() { return layer.describe() + suffix(activation); }
        public String kind() { return "conv"; }
        /** Multiply-accumulates per image. */
        public long macs() { return (long) outputShape().size() * weights.perChannel(); }
        @Override public boolean equals(Object o) {
            return o instanceof Conv c && id == c.id && layer.equals(c.layer) && inputShape.equals(c.inputShape)
                    && input.equals(c.input) && output.equals(c.output) && activation.equals(c.activation)
                    && weights.equals(c.weights) && Arrays.equals(bias, c.bias) && requantization.equals(c.requantization);
        }
        @Override public int hashCode() { return (id * 31 + weights.hashCode()) * 31 + Arrays.hashCode(bias); }
        @Override public String toString() { return "Conv[" + id + ": " + describe() + ", " + weights.format() + "]"; }
    }

    /**
     * Fully connected with fused activation. Input {@code [in]} codes, weights {@code [out, in]}:
     * <pre>
     *   acc = bias[o] + Σ_i (x[i] − zp_in) · (w[o, i] − zp_w[o])      (int32)
     *   out = requantization.apply(o, acc)
     * </pre>
     */
    record Dense(int id, Layer.Linear layer, QuantParams input, QuantParams output, Activation activation,
                 Int8Weights weights, int[] bias, Requantization requantization) implements Int8Op {
        public Dense {
            if (weights.channels() != layer.out() || weights.perChannel() != layer.in()) {
                throw new IllegalArgumentException("Int8 dense op " + id + ": weights " + weights + " do not fit " + layer.describe());
            }
            checkChannels("dense", id, layer.out(), bias, requantization, output);
            bias = bias.clone();
        }
        public TensorShape inputShape() { return TensorShape.flat(layer.in()); }
        public TensorShape outputShape() { return TensorShape.flat(layer.out()); }
        @Override public int[] bias() { return bias.clone(); }
        int[] biasView() { return bias; }
        public String describe() { return layer.describe() + suffix(activation); }
        public String kind() { return "dense"; }
        public long macs() { return (long) layer.in() * layer.out(); }
        @Override public boolean equals(Object o) {
            return o instanceof Dense d && id == d.id && layer.equals(d.layer) && input.equals(d.input)
                    && output.equals(d.output) && activation.equals(d.activation) && weights.equals(d.weights)
                    && Arrays.equals(bias, d.bias) && requantization.equals(d.requantization);
        }
        @Override public int hashCode() { return (id * 31 + weights.hashCode()) * 31 + Arrays.hashCode(bias); }
        @Override public String toString() { return "Dense[" + id + ": " + describe() + ", " + weights.format() + "]"; }
    }

    /**
     * Max pooling on codes, same grid in and out (the max of codes is the code of the max, since the
     * scale is positive). Each window's maximum is taken over the positions inside the input only:
     * padding never wins, as in PyTorch. Output size as for {@link Conv}; padding ≤ kernel/2 so every
     * window holds at least one input position.
     */
    record MaxPool(int id, Layer.MaxPool layer, TensorShape inputShape, QuantParams output) implements Int8Op {
        public MaxPool { checkPooling("max-pool", id, inputShape, layer.kernel(), layer.stride(), layer.padding()); }
        public TensorShape outputShape() { return pooledShape(inputShape, layer.kernel(), layer.stride(), layer.padding()); }
        public String describe() { return layer.describe(); }
        public String kind() { return "max_pool"; }
    }

    /**
     * Average pooling on codes, same grid in and out, padding counted as zeros (PyTorch's
     * {@code count_include_pad}): with {@code n = kernel²},
     * <pre>
     *   s   = Σ_{window positions inside the input} (q − zp)           (int64; padded positions are real 0)
     *   out = zp + divRoundHalfAway(s, n)                               (in [qmin, qmax]: an average of in-range values)
     *   divRoundHalfAway(s, n) = sign(s) · floor((2|s| + n) / (2n))     (round to nearest, ties away from zero)
     * </pre>
     */
    record AvgPool(int id, Layer.AvgPool layer, TensorShape inputShape, QuantParams output) implements Int8Op {
        public AvgPool { checkPooling("avg-pool", id, inputShape, layer.kernel(), layer.stride(), layer.padding()); }
        public TensorShape outputShape() { return pooledShape(inputShape, layer.kernel(), layer.stride(), layer.padding()); }
        public String describe() { return layer.describe(); }
        public String kind() { return "avg_pool"; }
    }

    /**
     * Global average pooling {@code [C, H, W] → [C, 1, 1]}, same grid:
     * {@code out = zp + divRoundHalfAway(Σ_{y,x} (q − zp), H·W)} (see {@link AvgPool}).
     */
    record GlobalAvgPool(int id, TensorShape inputShape, QuantParams output) implements Int8Op {
        public TensorShape outputShape() { return new TensorShape(inputShape.channels(), 1, 1); }
        public String describe() { return "global-avg-pool"; }
        public String kind() { return "global_avg_pool"; }
    }

    /** {@code [C, H, W] → [C·H·W]}: the codes are unchanged (NCHW is already channel-major). */
    record Flatten(int id, TensorShape inputShape, QuantParams output) implements Int8Op {
        public TensorShape outputShape() { return TensorShape.flat(inputShape.size()); }
        public String describe() { return "flatten"; }
        public String kind() { return "flatten"; }
    }

    /**
     * A standalone activation (one that had no op to fuse into), from grid {@code input} to its own
     * grid {@code output}, applied element-wise with one output channel in the requantization:
     * <pre>
     *   out = requantization.apply(0, q − zp_in)        multiplier s_in / s_out
     * </pre>
     * ReLU is the clamp at the output zero point; when the two grids are equal the multiplier is exactly
     * 1 and this is {@code max(q, zp)}. ReLU6 also clamps above at the code of real 6 (see {@link Requantization}).
     * LeakyReLU uses the negative branch's multiplier {@code α·s_in/s_out}. Hard-swish is a {@link Lookup}.
     */
    record Act(int id, Activation activation, TensorShape inputShape, QuantParams input, QuantParams output,
               Requantization requantization) implements Int8Op {
        public Act {
            if (activation.kind() == Activation.Kind.NONE) throw new IllegalArgumentException("Int8 act op " + id + " has no activation");
            if (activation.kind() == Activation.Kind.HARD_SWISH) {
                throw new IllegalArgumentException("Int8 act op " + id + ": hard-swish is not a clamp; it runs as a table, Int8Op.Lookup.of(...)");
            }
            checkChannels("act", id, 1, new int[1], requantization, output);
        }
        public TensorShape outputShape() { return inputShape; }
        public String describe() { return activation.toString(); }
        public String kind() { return "act"; }
    }

    /**
     * Residual addition {@code activation(body(x) + shortcut(x))}; an empty shortcut is the identity
     * (its codes are the Add's input codes). The two operands have their own grids {@code a} (body) and
     * {@code b} (shortcut); with {@code L = leftShift} (20, TFLite's choice for 8-bit inputs):
     * <pre>
     *   a'  = aRescale.requantize((qa − zp_a) · 2^L)     multiplier s_a / (2·max(s_a, s_b))   (≤ 1/2)
     *   b'  = bRescale.requantize((qb − zp_b) · 2^L)     multiplier s_b / (2·max(s_a, s_b))
     *   sum = a' + b'                                    (int32; |sum| &lt; 2^28)
     *   out = requantization.apply(0, sum)              multiplier 2·max(s_a, s_b) / (2^L · s_out)
     * </pre>
     * The rescale requantizers have zero point 0 and the full int32 range. ReLU / LeakyReLU act through
     * the output requantization as for {@link Conv}. Relative to {@code round((s_a·(qa − zp_a) + s_b·(qb − zp_b))/s_out)}
     * the result is within 1 LSB (the fixed-point rescales lose at most 2^-L of an input step each).
     *
     * @param leftShift L, in [0, 22]
     */
    record Add(int id, List<Int8Op> body, List<Int8Op> shortcut, TensorShape inputShape, QuantParams a, QuantParams b,
               QuantParams output, Activation activation, int leftShift, Requantizer aRescale, Requantizer bRescale,
               Requantization requantization) implements Int8Op {
        public Add {
            body = List.copyOf(body);
            shortcut = List.copyOf(shortcut);
            if (body.isEmpty()) throw new IllegalArgumentException("Int8 add op " + id + " has an empty body");
            if (leftShift < 0 || leftShift > 22) {
                throw new IllegalArgumentException("Int8 add op " + id + ": leftShift must be in [0, 22], got " + leftShift);
            }
            checkChannels("add", id, 1, new int[1], requantization, output);
            for (Requantizer r : List.of(aRescale, bRescale)) {
                if (r.zeroPoint() != 0 || r.qmin() != Integer.MIN_VALUE || r.qmax() != Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("Int8 add op " + id + ": operand rescales need zero point 0 and the"
                            + " full int32 range, got " + r);
                }
            }
        }
        public TensorShape outputShape() { return body.get(body.size() - 1).outputShape(); }
        public String describe() { return "add" + suffix(activation); }
        public String kind() { return "add"; }
    }

    /**
     * An element-wise activation by table: {@code out = table[q − input.qmin()]}, one entry per input
     * code. The table is built once at conversion as
     * {@code output.quantize(activation.apply(input.dequantize(q)))} (float32, as
     * {@link QuantParams#quantize(float)} and {@link QuantParams#dequantize(int)}), so every executor that
     * indexes it agrees bit for bit. Used for activations that requantization cannot express (hard-swish).
     *
     * @param table {@code input.qmax() − input.qmin() + 1} codes on the {@code output} grid
     */
    record Lookup(int id, Activation activation, TensorShape inputShape, QuantParams input, QuantParams output,
                  int[] table) implements Int8Op {
        public Lookup {
            if (table.length != input.qmax() - input.qmin() + 1) {
                throw new IllegalArgumentException("Int8 lookup op " + id + ": table has " + table.length + " entries, the input grid "
                        + input + " has " + (input.qmax() - input.qmin() + 1) + " codes");
            }
            for (int v : table) {
                if (v < output.qmin() || v > output.qmax()) {
                    throw new IllegalArgumentException("Int8 lookup op " + id + ": table entry " + v + " is outside the output grid " + output);
                }
            }
            table = table.clone();
        }
        /** Builds the table for {@code activation} from grid {@code input} to grid {@code output}. */
        public static Lookup of(int id, Activation activation, TensorShape inputShape, QuantParams input, QuantParams output) {
            int[] t = new int[input.qmax() - input.qmin() + 1];
            for (int q = input.qmin(); q <= input.qmax(); q++) t[q - input.qmin()] = output.quantize(activation.apply(input.dequantize(q)));
            return new Lookup(id, activation, inputShape, input, output, t);
        }
        @Override public int[] table() { return table.clone(); }
        int[] tableView() { return table; }
        public TensorShape outputShape() { return inputShape; }
        public String describe() { return activation + " (table)"; }
        public String kind() { return "lookup"; }
        @Override public boolean equals(Object o) {
            return o instanceof Lookup l && id == l.id && activation.equals(l.activation) && inputShape.equals(l.inputShape)
                    && input.equals(l.input) && output.equals(l.output) && Arrays.equals(table, l.table);
        }
        @Override public int hashCode() { return id * 31 + Arrays.hashCode(table); }
    }

    /**
     * Channel concatenation of parallel branches, each fed this op's input codes (an empty branch passes
     * them through; its grid is then the Concat's input grid). Branch {@code b}'s codes, on grid
     * {@code branchGrids[b]}, are moved onto the output grid by {@code rescales[b]}
     * (multiplier {@code s_b / s_out}, output zero point and range):
     * <pre>
     *   out[c_b + c, y, x] = rescales[b].requantize(q_b[c, y, x] − zp_b)      c_b = Σ_{b' &lt; b} channels(b')
     * </pre>
     * When a branch's grid equals the output grid the multiplier is exactly 1 and this is a copy.
     */
    record Concat(int id, List<List<Int8Op>> branches, TensorShape inputShape, List<QuantParams> branchGrids,
                  QuantParams output, List<Requantizer> rescales) implements Int8Op {
        public Concat {
            branches = branches.stream().map(List::copyOf).toList();
            branchGrids = List.copyOf(branchGrids);
            rescales = List.copyOf(rescales);
            if (branches.size() < 2 || branchGrids.size() != branches.size() || rescales.size() != branches.size()) {
                throw new IllegalArgumentException("Int8 concat op " + id + ": needs ≥ 2 branches with one grid and one rescale each, got "
                        + branches.size() + " / " + branchGrids.size() + " / " + rescales.size());
            }
            for (Requantizer r : rescales) {
                if (r.zeroPoint() != output.zeroPoint() || r.qmin() != output.qmin() || r.qmax() != output.qmax()) {
                    throw new IllegalArgumentException("Int8 concat op " + id + ": rescale " + r + " does not land on the output grid " + output);
                }
            }
        }
        /** Output channels of branch {@code b}. */
        public TensorShape branchOutputShape(int b) {
            List<Int8Op> ops = branches.get(b);
            return ops.isEmpty() ? inputShape : ops.get(ops.size() - 1).outputShape();
        }
        public TensorShape outputShape() {
            int c = 0;
            for (int b = 0; b < branches.size(); b++) c += branchOutputShape(b).channels();
            TensorShape first = branchOutputShape(0);
            return new TensorShape(c, first.height(), first.width());
        }
        public String describe() { return "concat(" + branches.size() + ")"; }
        public String kind() { return "concat"; }
    }

    /** Channels {@code [from, to)} of {@code [C, H, W]} codes, same grid. */
    record ChannelSlice(int id, Layer.ChannelSlice layer, TensorShape inputShape, QuantParams output) implements Int8Op {
        public ChannelSlice {
            if (layer.to() > inputShape.channels()) {
                throw new IllegalArgumentException("Int8 channel-slice op " + id + ": " + layer.describe() + " needs ≥ " + layer.to()
                        + " channels, input is " + inputShape);
            }
        }
        public TensorShape outputShape() { return new TensorShape(layer.channels(), inputShape.height(), inputShape.width()); }
        public String describe() { return layer.describe(); }
        public String kind() { return "channel_slice"; }
    }

    /**
     * Channel permutation of codes, same grid: output channel {@code j} is input channel {@link #sources()}{@code [j]}
     * — for ShuffleNet's g-group shuffle output channel {@code j·g + i} is input channel {@code i·k + j}
     * ({@code k = C/g}), for an explicit permutation (a pruned ShuffleNet's) {@code order[j]}.
     */
    record ChannelShuffle(int id, Layer.ChannelShuffle layer, TensorShape inputShape, QuantParams output) implements Int8Op {
        public ChannelShuffle {
            try {
                layer.sources(inputShape.channels());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Int8 channel-shuffle op " + id + " on input " + inputShape + ": " + e.getMessage(), e);
            }
        }
        /** For each output channel, the input channel it comes from. */
        public int[] sources() { return layer.sources(inputShape.channels()); }
        public TensorShape outputShape() { return inputShape; }
        public String describe() { return layer.describe(); }
        public String kind() { return "channel_shuffle"; }
    }

    /** Codes to floats: {@code x = (float)(q − zp) · s} in float32, as {@link QuantParams#dequantize(int)}. */
    record Dequantize(TensorShape inputShape, QuantParams output) implements Int8Op {
        public int id() { return OUTPUT_ID; }
        public TensorShape outputShape() { return inputShape; }
        public String describe() { return "dequantize output"; }
        public String kind() { return "dequantize"; }
    }

    private static String suffix(Activation a) {
        return a.kind() == Activation.Kind.NONE ? "" : " + " + a;
    }

    private static void checkChannels(String kind, int id, int channels, int[] bias, Requantization r, QuantParams output) {
        if (bias.length != channels || r.channels() != channels) {
            throw new IllegalArgumentException("Int8 " + kind + " op " + id + ": " + channels + " output channels need as many"
                    + " biases and requantizers, got " + bias.length + " and " + r.channels());
        }
        // The upper clamp may lie below the grid's qmax: ReLU6 clamps at the code of real 6.
        if (r.zeroPoint() != output.zeroPoint() || r.qmax() > output.qmax()) {
            throw new IllegalArgumentException("Int8 " + kind + " op " + id + ": requantization (zero point " + r.zeroPoint()
                    + ", qmax " + r.qmax() + ") does not match the output grid " + output);
        }
        if (Math.min(r.clampMin(), r.negativeClampMin()) < output.qmin()) {
            throw new IllegalArgumentException("Int8 " + kind + " op " + id + ": clamp minimum "
                    + Math.min(r.clampMin(), r.negativeClampMin()) + " is below the output grid " + output);
        }
    }

    private static void checkPooling(String kind, int id, TensorShape in, int k, int stride, int pad) {
        if (2 * pad > k) {
            throw new IllegalArgumentException("Int8 " + kind + " op " + id + ": padding " + pad + " exceeds half the kernel " + k
                    + " (PyTorch's limit), so a window could hold only padding");
        }
        if (in.height() + 2 * pad < k || in.width() + 2 * pad < k) {
            throw new IllegalArgumentException("Int8 " + kind + " op " + id + ": input " + in + " is smaller than kernel " + k);
        }
    }

    private static int pooled(int size, int k, int stride, int pad) { return (size + 2 * pad - k) / stride + 1; }

    private static TensorShape pooledShape(TensorShape in, int k, int stride, int pad) {
        return new TensorShape(in.channels(), pooled(in.height(), k, stride, pad), pooled(in.width(), k, stride, pad));
    }
}
