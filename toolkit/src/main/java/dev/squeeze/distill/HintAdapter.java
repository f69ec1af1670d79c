package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * FitNets' regressor: a learned 1×1 convolution from the student's channels to the teacher's, applied to
 * the student's feature map before it is compared with the teacher's. Input {@code N × in × H × W} (or
 * {@code N × in} for a flattened feature), output {@code N × out × H × W} (or {@code N × out}); weight
 * {@code out × in} (a 1×1 kernel), bias {@code out}. Initialised like PyTorch's {@code Conv2d}: uniform in
 * ±1/√in for weight and bias, drawn from a seed. Its arrays belong to the distiller, not to the student:
 * they are trained with the student but never become part of it.
 */
final class HintAdapter {
    private final NDArray weight, bias;
    private final int in, out;

    HintAdapter(int in, int out, long seed, NDManager manager) {
        this.in = in;
        this.out = out;
        SplittableRandom rnd = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(in);
        float[] w = new float[out * in], b = new float[out];
        for (int i = 0; i < w.length; i++) w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        for (int i = 0; i < b.length; i++) b[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        weight = manager.create(FloatBuffer.wrap(w), new Shape(out, in));
        bias = manager.create(FloatBuffer.wrap(b), new Shape(out));
        weight.setRequiresGradient(true);
        bias.setRequiresGradient(true);
    }

    /** {@code N × in × …} → {@code N × out × …}: per pixel, weight · x + bias. */
    NDArray apply(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() < 2 || s.get(1) != in) {
            throw new IllegalArgumentException("HintAdapter maps " + in + " channels to " + out + " but got a feature of shape " + s);
        }
        long n = s.get(0);
        // As a matrix product rather than a convolution: (out × in) · (N × in × HW), broadcast over N.
        // DJL attaches an op's result to the manager of the array it is called on: called on the weight,
        // the product (and, through autograd, the whole batch's graph behind it) would live in the
        // adapter's manager until the distiller is closed — hundreds of MB per ResNet18 batch. So every
        // temporary moves to the batch's manager, which the training step closes.
        NDManager batch = x.getManager();
        NDArray b = bias.reshape(1, out, 1);
        b.attach(batch);
        NDArray product = weight.matMul(x.reshape(n, in, -1));
        product.attach(batch);
        NDArray y = product.add(b);
        long[] dims = s.getShape().clone();
        dims[1] = out;
        return y.reshape(new Shape(dims));
    }

    int in() { return in; }

    int out() { return out; }

    /** The 1×1 kernel's shape as a convolution weight: {@code [out, in, 1, 1]}. */
    long[] kernelShape() { return new long[] {out, in, 1, 1}; }

    /** Weight then bias, for the optimizer. */
    List<NDArray> parameters() { return List.of(weight, bias); }

    /** A copy of the weight, row-major {@code out × in}. */
    float[] weights() { return weight.toFloatArray(); }
}
