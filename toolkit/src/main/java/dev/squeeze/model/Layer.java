package dev.squeeze.model;

import java.util.List;

/**
 * One node of a Squeeze model graph. The graph is a plain description (no weights, no engine):
 * the DJL trainer, the quantizer, the int8 executor and the exporters all read the same
 * description, so adding an op means adding one record here and one case in each consumer.
 *
 * <p>Tensor shapes are NCHW for images, {@code [N, features]} after {@link Flatten}.
 */
public sealed interface Layer {

    /** Short name used in tables and profiles, e.g. {@code "conv 3→16 5×5"}. */
    String describe();

    /**
     * 2-D convolution. Input {@code [N, in, H, W]}, output {@code [N, out, H', W']} with
     * {@code H' = (H + 2·padding − kernel) / stride + 1}. Weight {@code [out, in/groups, kernel,
     * kernel]}, bias {@code [out]}.
     */
    record Conv2d(int in, int out, int kernel, int stride, int padding, int groups, boolean bias) implements Layer {
        public Conv2d {
            positive("Conv2d.in", in); positive("Conv2d.out", out); positive("Conv2d.kernel", kernel);
            positive("Conv2d.stride", stride); positive("Conv2d.groups", groups);
            if (padding < 0) throw new IllegalArgumentException("Conv2d.padding must be ≥ 0, got " + padding);
            if (in % groups != 0 || out % groups != 0) {
                throw new IllegalArgumentException("Conv2d: groups " + groups + " must divide in " + in + " and out " + out);
            }
        }
        public static Conv2d of(int in, int out, int kernel) { return new Conv2d(in, out, kernel, 1, 0, 1, true); }
        public String describe() {
            return "conv " + in + "→" + out + " " + kernel + "×" + kernel + (stride != 1 ? " /" + stride : "")
                    + (groups != 1 ? " g" + groups : "");
        }
    }

    /** Fully connected. Input {@code [N, in]}, output {@code [N, out]}; weight {@code [out, in]}, bias {@code [out]}. */
    record Linear(int in, int out, boolean bias) implements Layer {
        public Linear { positive("Linear.in", in); positive("Linear.out", out); }
        public String describe() { return "fc " + in + "→" + out; }
    }

    /** Batch normalisation over channels of {@code [N, C, H, W]}; eps 1e-5, momentum 0.1 (PyTorch's). */
    record BatchNorm(int channels) implements Layer {
        public BatchNorm { positive("BatchNorm.channels", channels); }
        public String describe() { return "bn " + channels; }
    }

    record Relu() implements Layer { public String describe() { return "relu"; } }

    /** {@code x ≥ 0 ? x : alpha·x}. */
    record LeakyRelu(float alpha) implements Layer { public String describe() { return "leaky-relu " + alpha; } }

    /** Max pooling, square window; padded cells never win. */
    record MaxPool(int kernel, int stride, int padding) implements Layer {
        public MaxPool { positive("MaxPool.kernel", kernel); positive("MaxPool.stride", stride); }
        public String describe() { return "max-pool " + kernel + (stride != kernel ? " /" + stride : ""); }
    }

    /** Average pooling, square window, padding counted as zeros (PyTorch's count_include_pad). */
    record AvgPool(int kernel, int stride, int padding) implements Layer {
        public AvgPool { positive("AvgPool.kernel", kernel); positive("AvgPool.stride", stride); }
        public String describe() { return "avg-pool " + kernel; }
    }

    /** {@code [N, C, H, W] → [N, C, 1, 1]}. */
    record GlobalAvgPool() implements Layer { public String describe() { return "global-avg-pool"; } }

    /** {@code [N, C, H, W] → [N, C·H·W]}, channel-major as PyTorch's {@code flatten(1)}. */
    record Flatten() implements Layer { public String describe() { return "flatten"; } }

    /**
     * {@code body(x) + shortcut(x)}; an empty shortcut is the identity. ResNet's trailing ReLU is a
     * separate {@link Relu} after this node.
     */
    record Residual(List<Layer> body, List<Layer> shortcut) implements Layer {
        public Residual {
            body = List.copyOf(body);
            shortcut = List.copyOf(shortcut);
            if (body.isEmpty()) throw new IllegalArgumentException("Residual.body must not be empty");
        }
        public String describe() { return "residual(" + body.size() + " + " + (shortcut.isEmpty() ? "identity" : shortcut.size()) + ")"; }
    }

    /** {@code min(max(x, 0), 6)} (MobileNetV2's activation; ONNX {@code Clip(0, 6)}). */
    record Relu6() implements Layer { public String describe() { return "relu6"; } }

    /** {@code x · relu6(x + 3) / 6} (MobileNetV3's hard-swish; ONNX {@code HardSwish}). */
    record HardSwish() implements Layer { public String describe() { return "hard-swish"; } }

    /**
     * Channel concatenation of parallel branches: every branch receives this node's input and the
     * branch outputs (same height and width) are stacked along channels in branch order. An empty
     * branch is the identity. With {@link ChannelSlice} at the start of branches this says a channel
     * split (ShuffleNetV2's {@code x1, x2 = x.chunk(2, dim=1); cat(x1, branch2(x2))}).
     */
    record Concat(List<List<Layer>> branches) implements Layer {
        public Concat {
            if (branches.size() < 2) throw new IllegalArgumentException("Concat needs at least 2 branches, got " + branches.size());
            branches = branches.stream().map(List::copyOf).toList();
        }
        public String describe() { return "concat(" + branches.size() + " branches)"; }
    }

    /** Channels {@code [from, to)} of {@code [N, C, H, W]} (one part of a channel split; ONNX {@code Split}/{@code Slice}). */
    record ChannelSlice(int from, int to) implements Layer {
        public ChannelSlice {
            if (from < 0 || to <= from) throw new IllegalArgumentException("ChannelSlice needs 0 ≤ from < to, got [" + from + ", " + to + ")");
        }
        public int channels() { return to - from; }
        public String describe() { return "channels " + from + ".." + to; }
    }

    /**
     * ShuffleNet's channel shuffle: {@code [N, g·k, H, W]} viewed as {@code [N, g, k, H, W]}, the two
     * channel axes transposed, viewed back; output channel {@code j·g + i} is input channel {@code i·k + j}.
     *
     * <p>With an explicit {@code order} (groups 1) it is any channel permutation: output channel {@code j}
     * is input channel {@code order[j]} (ONNX {@code Gather} on axis 1). Structured pruning needs this: a
     * shuffle of a pruned tensor keeps every surviving channel where the shuffle sent it, which is no longer
     * a {@code g}-group shuffle once the two halves lose different channels.
     *
     * @param groups g ≥ 1; 1 with an explicit order
     * @param order null for the g-group shuffle, else a permutation of {@code 0..C-1}
     */
    record ChannelShuffle(int groups, int[] order) implements Layer {
        public ChannelShuffle {
            positive("ChannelShuffle.groups", groups);
            if (order != null) {
                if (groups != 1) throw new IllegalArgumentException("ChannelShuffle with an explicit order takes groups 1, got " + groups);
                order = order.clone();
                boolean[] seen = new boolean[order.length];
                for (int c : order) {
                    if (c < 0 || c >= order.length || seen[c]) {
                        throw new IllegalArgumentException("ChannelShuffle.order must be a permutation of 0.." + (order.length - 1)
                                + ", got " + java.util.Arrays.toString(order));
                    }
                    seen[c] = true;
                }
            }
        }

        /** The g-group shuffle. */
        public ChannelShuffle(int groups) { this(groups, null); }

        /** A permutation: output channel {@code j} is input channel {@code order[j]}. */
        public static ChannelShuffle permutation(int[] order) { return new ChannelShuffle(1, order); }

        /** Whether this is an explicit permutation rather than a g-group shuffle. */
        public boolean explicit() { return order != null; }

        @Override public int[] order() { return order == null ? null : order.clone(); }

        /** For each output channel of a {@code channels}-wide input, the input channel it comes from. */
        public int[] sources(int channels) {
            if (order != null) {
                if (order.length != channels) throw new IllegalArgumentException(describe() + " permutes " + order.length + " channels, not " + channels);
                return order.clone();
            }
            if (channels % groups != 0) throw new IllegalArgumentException(describe() + " needs a multiple of " + groups + " channels, got " + channels);
            int k = channels / groups;
            int[] src = new int[channels];
            for (int i = 0; i < groups; i++) for (int j = 0; j < k; j++) src[j * groups + i] = i * k + j;
            return src;
        }

        public String describe() { return order == null ? "channel-shuffle " + groups : "channel-permutation " + order.length; }

        @Override public boolean equals(Object o) {
            return o instanceof ChannelShuffle c && c.groups == groups && java.util.Arrays.equals(c.order, order);
        }

        @Override public int hashCode() { return 31 * groups + java.util.Arrays.hashCode(order); }

        @Override public String toString() {
            return order == null ? "ChannelShuffle[groups=" + groups + "]" : "ChannelShuffle[order=" + java.util.Arrays.toString(order) + "]";
        }
    }

    private static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be ≥ 1, got " + v);
    }
}
