package dev.squeeze.ir;

/**
 * The shape of one image's activation tensor in an {@link Int8Model}: {@code [C, H, W]}, row-major
 * (NCHW without the batch dimension). A flat feature vector {@code [F]} (after Flatten, the input and
 * output of fully connected layers) is {@code F × 1 × 1}; flattening never moves data because NCHW is
 * already channel-major, as PyTorch's {@code flatten(1)}.
 *
 * @param channels C, ≥ 1
 * @param height H, ≥ 1
 * @param width W, ≥ 1
 */
public record TensorShape(int channels, int height, int width) {

    public TensorShape {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("TensorShape dimensions must be ≥ 1, got " + channels + "×" + height + "×" + width);
        }
        if ((long) channels * height * width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("TensorShape " + channels + "×" + height + "×" + width + " has more than 2^31 − 1 values");
        }
    }

    /** {@code [C, H, W]} from an architecture's per-image shape ({@code [F]} becomes {@code F×1×1}). */
    public static TensorShape of(int[] shape) {
        return switch (shape.length) {
            case 1 -> new TensorShape(shape[0], 1, 1);
            case 3 -> new TensorShape(shape[0], shape[1], shape[2]);
            default -> throw new IllegalArgumentException("TensorShape needs [C, H, W] or [F], got rank " + shape.length);
        };
    }

    /** A flat vector of {@code features} values. */
    public static TensorShape flat(int features) { return new TensorShape(features, 1, 1); }

    /** Values per image, {@code C·H·W}. */
    public int size() { return channels * height * width; }

    /** Values per channel, {@code H·W}. */
    public int plane() { return height * width; }

    /** True for {@code F×1×1}. */
    public boolean isFlat() { return height == 1 && width == 1; }

    public int[] toArray() { return new int[] {channels, height, width}; }

    @Override public String toString() { return isFlat() ? "[" + channels + "]" : channels + "×" + height + "×" + width; }
}
