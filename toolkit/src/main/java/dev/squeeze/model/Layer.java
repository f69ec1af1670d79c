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

    private static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be ≥ 1, got " + v);
    }
}
