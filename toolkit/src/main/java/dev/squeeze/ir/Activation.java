package dev.squeeze.ir;

/**
 * An activation fused into the op before it: {@code NONE}, {@code RELU}, {@code LEAKY_RELU} with
 * slope {@code alpha} for negative inputs, {@code RELU6} ({@code min(max(x, 0), 6)}) or
 * {@code HARD_SWISH} ({@code x · relu6(x + 3) / 6}). The integer path fuses the clamp-shaped ones
 * (ReLU, LeakyReLU, ReLU6) into requantization; hard-swish is not piecewise linear through zero, so
 * it runs as its own table-lookup op ({@link Int8Op.Lookup}).
 */
public record Activation(Kind kind, float alpha) {
    public enum Kind { NONE, RELU, LEAKY_RELU, RELU6, HARD_SWISH }

    public static final Activation NONE = new Activation(Kind.NONE, 0f);
    public static final Activation RELU = new Activation(Kind.RELU, 0f);

    public static final Activation RELU6 = new Activation(Kind.RELU6, 0f);
    public static final Activation HARD_SWISH = new Activation(Kind.HARD_SWISH, 0f);

    public static Activation leaky(float alpha) { return new Activation(Kind.LEAKY_RELU, alpha); }

    public float apply(float x) {
        return switch (kind) {
            case NONE -> x;
            case RELU -> x > 0 ? x : 0f;
            case LEAKY_RELU -> x >= 0 ? x : alpha * x;
            case RELU6 -> Math.min(Math.max(x, 0f), 6f);
            // PyTorch's hardswish: x * min(max(x + 3, 0), 6) / 6, in float32.
            case HARD_SWISH -> x * Math.min(Math.max(x + 3f, 0f), 6f) / 6f;
        };
    }

    @Override public String toString() { return switch (kind) {
        case LEAKY_RELU -> "leaky-relu " + alpha;
        case HARD_SWISH -> "hard-swish";
        default -> kind.name().toLowerCase(java.util.Locale.ROOT);
    }; }
}
