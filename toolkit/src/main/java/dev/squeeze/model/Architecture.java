package dev.squeeze.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A whole model description: a name, the input shape it expects and the layer graph.
 *
 * @param name zoo name, e.g. {@code "seed-cnn"}
 * @param inputShape {@code [C, H, W]} of one input image
 * @param layers applied in order
 */
public record Architecture(String name, int[] inputShape, List<Layer> layers) {

    public Architecture {
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("Architecture " + name + ": inputShape must be [C, H, W], got length " + inputShape.length);
        }
        inputShape = inputShape.clone();
        layers = List.copyOf(layers);
        outputShape(inputShape, layers, name); // validates channel and size compatibility now, not mid-training
    }

    @Override public int[] inputShape() { return inputShape.clone(); }

    /** Shape of one output ({@code [classes]} for classifiers). */
    public int[] outputShape() { return outputShape(inputShape, layers, name); }

    public int numClasses() {
        int[] s = outputShape();
        return s[s.length - 1];
    }

    /** Trainable parameters (weights and biases, BatchNorm γ and β; not running statistics). */
    public long trainableParameters() { return count(layers); }

    private static long count(List<Layer> layers) {
        long n = 0;
        for (Layer l : layers) {
            switch (l) {
                case Layer.Conv2d c -> n += (long) c.out() * (c.in() / c.groups()) * c.kernel() * c.kernel() + (c.bias() ? c.out() : 0);
                case Layer.Linear f -> n += (long) f.out() * f.in() + (f.bias() ? f.out() : 0);
                case Layer.BatchNorm b -> n += 2L * b.channels();
                case Layer.Residual r -> n += count(r.body()) + count(r.shortcut());
                case Layer.Concat c -> { for (List<Layer> b : c.branches()) n += count(b); }
                default -> { }
            }
        }
        return n;
    }

    /**
     * One row per layer (residual blocks and concat units as one row): what it is, its output shape per
     * image, its trainable parameters and its multiply-accumulates per image — the table a notebook
     * shows before training.
     */
    public record LayerInfo(int index, String layer, String outputShape, long parameters, long macs) {}

    public List<LayerInfo> summary() {
        List<LayerInfo> rows = new ArrayList<>();
        int[] s = inputShape.clone();
        int i = 0;
        for (Layer l : layers) {
            long m = macs(s, l);
            s = apply(s, l, name);
            rows.add(new LayerInfo(i++, l.describe(), java.util.Arrays.toString(s), count(List.of(l)), m));
        }
        return rows;
    }

    /**
     * Multiply-accumulates per image, counted as the fp32 executor counts them
     * ({@code FloatExecutor.macsPerImage}): the dot products of convolutions ({@code out·H'·W'·(in/groups)·k²},
     * so a depthwise conv costs {@code k²} per output value) and linear layers ({@code in·out}). BatchNorm
     * folds into the conv before it; activations (ReLU, ReLU6, hard-swish), pooling, residual adds and the
     * channel moves (concat, slice, shuffle) are element-wise or copies and count 0.
     */
    public long macsPerImage() { return macs(inputShape, layers); }

    private long macs(int[] in, List<Layer> ls) {
        long n = 0;
        int[] s = in;
        for (Layer l : ls) {
            n += macs(s, l);
            s = apply(s, l, name);
        }
        return n;
    }

    private long macs(int[] s, Layer l) {
        return switch (l) {
            case Layer.Conv2d c -> {
                int[] o = apply(s, l, name);
                yield (long) o[0] * o[1] * o[2] * (c.in() / c.groups()) * c.kernel() * c.kernel();
            }
            case Layer.Linear f -> (long) f.in() * f.out();
            case Layer.Residual r -> macs(s, r.body()) + macs(s, r.shortcut());
            case Layer.Concat c -> c.branches().stream().mapToLong(b -> macs(s, b)).sum();
            default -> 0;
        };
    }

    /** Every layer in execution order, residual bodies and shortcuts flattened (for tables and profiles). */
    public List<Layer> flatLayers() {
        List<Layer> out = new ArrayList<>();
        flatten(layers, out);
        return out;
    }

    private static void flatten(List<Layer> layers, List<Layer> out) {
        for (Layer l : layers) {
            if (l instanceof Layer.Residual r) {
                flatten(r.body(), out);
                flatten(r.shortcut(), out);
            } else if (l instanceof Layer.Concat c) {
                for (List<Layer> b : c.branches()) flatten(b, out);
            }
            out.add(l);
        }
    }

    static int[] outputShape(int[] in, List<Layer> layers, String where) {
        int[] s = in.clone();
        for (Layer l : layers) s = apply(s, l, where);
        return s;
    }

    private static int[] apply(int[] s, Layer l, String where) {
        return switch (l) {
            case Layer.Conv2d c -> {
                need(s, 3, l, where);
                if (s[0] != c.in()) throw mismatch(where, l, "input channels " + s[0], "in " + c.in());
                yield new int[] {c.out(), spatial(s[1], c.kernel(), c.stride(), c.padding(), l, where),
                        spatial(s[2], c.kernel(), c.stride(), c.padding(), l, where)};
            }
            case Layer.Linear f -> {
                need(s, 1, l, where);
                if (s[0] != f.in()) throw mismatch(where, l, "input features " + s[0], "in " + f.in());
                yield new int[] {f.out()};
            }
            case Layer.BatchNorm b -> {
                if (s[0] != b.channels()) throw mismatch(where, l, "channels " + s[0], "channels " + b.channels());
                yield s;
            }
            case Layer.MaxPool p -> {
                need(s, 3, l, where);
                yield new int[] {s[0], spatial(s[1], p.kernel(), p.stride(), p.padding(), l, where),
                        spatial(s[2], p.kernel(), p.stride(), p.padding(), l, where)};
            }
            case Layer.AvgPool p -> {
                need(s, 3, l, where);
                yield new int[] {s[0], spatial(s[1], p.kernel(), p.stride(), p.padding(), l, where),
                        spatial(s[2], p.kernel(), p.stride(), p.padding(), l, where)};
            }
            case Layer.GlobalAvgPool g -> { need(s, 3, l, where); yield new int[] {s[0], 1, 1}; }
            case Layer.Flatten f -> {
                int n = 1;
                for (int d : s) n *= d;
                yield new int[] {n};
            }
            case Layer.Residual r -> {
                int[] a = outputShape(s, r.body(), where);
                int[] b = outputShape(s, r.shortcut(), where);
                if (!java.util.Arrays.equals(a, b)) {
                    throw mismatch(where, l, "body output " + java.util.Arrays.toString(a),
                            "shortcut output " + java.util.Arrays.toString(b));
                }
                yield a;
            }
            case Layer.Concat c -> {
                int channels = 0;
                int[] first = null;
                for (List<Layer> b : c.branches()) {
                    int[] o = outputShape(s, b, where);
                    need(o, 3, l, where);
                    if (first != null && (o[1] != first[1] || o[2] != first[2])) {
                        throw mismatch(where, l, "a branch output " + java.util.Arrays.toString(o),
                                "the first branch's height and width " + java.util.Arrays.toString(first));
                    }
                    if (first == null) first = o;
                    channels += o[0];
                }
                yield new int[] {channels, first[1], first[2]};
            }
            case Layer.ChannelSlice c -> {
                need(s, 3, l, where);
                if (c.to() > s[0]) throw mismatch(where, l, "input channels " + s[0], "at least " + c.to());
                yield new int[] {c.channels(), s[1], s[2]};
            }
            case Layer.ChannelShuffle c -> {
                need(s, 3, l, where);
                if (c.explicit() ? c.order().length != s[0] : s[0] % c.groups() != 0) {
                    throw mismatch(where, l, "input channels " + s[0], c.explicit() ? "the " + c.order().length + " it permutes" : "a multiple of " + c.groups());
                }
                yield s;
            }
            case Layer.Relu r -> s;
            case Layer.LeakyRelu r -> s;
            case Layer.Relu6 r -> s;
            case Layer.HardSwish r -> s;
        };
    }

    private static int spatial(int size, int k, int stride, int pad, Layer l, String where) {
        int out = (size + 2 * pad - k) / stride + 1;
        if (size + 2 * pad < k || out <= 0) {
            throw new IllegalArgumentException("Architecture " + where + ": " + l.describe() + " needs inputs of at least "
                    + (k - 2 * pad) + " pixels, got " + size);
        }
        return out;
    }

    private static void need(int[] s, int rank, Layer l, String where) {
        if (s.length != rank) {
            throw new IllegalArgumentException("Architecture " + where + ": " + l.describe() + " needs a rank-" + rank
                    + " input per image, got shape " + java.util.Arrays.toString(s)
                    + (rank == 1 ? "; add a Flatten before it" : ""));
        }
    }

    private static IllegalArgumentException mismatch(String where, Layer l, String got, String want) {
        return new IllegalArgumentException("Architecture " + where + ": " + l.describe() + " got " + got + " but expects " + want);
    }

    @Override public boolean equals(Object o) {
        return o instanceof Architecture a && name.equals(a.name) && java.util.Arrays.equals(inputShape, a.inputShape)
                && layers.equals(a.layers);
    }
    @Override public int hashCode() { return name.hashCode() * 31 + layers.hashCode(); }
    @Override public String toString() { return name + " " + java.util.Arrays.toString(inputShape) + " " + layers.size() + " layers"; }
}
