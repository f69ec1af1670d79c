package dev.squeeze.exec;

/**
 * Geometry of a square max or average pooling window over independent {@code [height, width]} planes
 * (one per image and channel). Output size as for {@link ConvSpec}. Like PyTorch, padding is at most
 * half the kernel so that every window holds at least one input position.
 *
 * @param height input plane height ≥ 1
 * @param width input plane width ≥ 1
 * @param kernel ≥ 1
 * @param stride ≥ 1
 * @param padding in [0, kernel/2]
 */
public record PoolSpec(int height, int width, int kernel, int stride, int padding) {
    public PoolSpec {
        if (height < 1 || width < 1 || kernel < 1 || stride < 1 || padding < 0) {
            throw new IllegalArgumentException("PoolSpec needs positive size, kernel and stride and padding ≥ 0, got " + height + "×" + width
                    + " k" + kernel + " s" + stride + " p" + padding);
        }
        if (2 * padding > kernel) {
            throw new IllegalArgumentException("PoolSpec: padding " + padding + " exceeds half the kernel " + kernel
                    + " (PyTorch's limit), so a window could hold only padding");
        }
        if (height + 2 * padding < kernel || width + 2 * padding < kernel) {
            throw new IllegalArgumentException("PoolSpec: input " + height + "×" + width + " (padding " + padding
                    + ") is smaller than the kernel " + kernel);
        }
    }

    public int outHeight() { return (height + 2 * padding - kernel) / stride + 1; }

    public int outWidth() { return (width + 2 * padding - kernel) / stride + 1; }

    public int inPlane() { return height * width; }

    public int outPlane() { return outHeight() * outWidth(); }
}
