package dev.squeeze.quant;

/**
 * An activation fused into the op before it: {@code NONE}, {@code RELU}, or {@code LEAKY_RELU} with
 * slope {@code alpha} for negative inputs.
 */
public record Activation(Kind kind, float alpha) {
    public enum Kind { NONE, RELU, LEAKY_RELU }

    public static final Activation NONE = new Activation(Kind.NONE, 0f);
    public static final Activation RELU = new Activation(Kind.RELU, 0f);

    public static Activation leaky(float alpha) { return new Activation(Kind.LEAKY_RELU, alpha); }

    public float apply(float x) {
        return switch (kind) {
            case NONE -> x;
            case RELU -> x > 0 ? x : 0f;
            case LEAKY_RELU -> x >= 0 ? x : alpha * x;
        };
    }

    @Override public String toString() { return kind == Kind.LEAKY_RELU ? "leaky-relu " + alpha : kind.name().toLowerCase(); }
}
