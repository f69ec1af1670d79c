package dev.squeeze.exec;

import dev.squeeze.ir.Activation;

/**
 * Internal service interface behind {@link FloatKernels}: one float32 implementation per instruction set.
 * Public only because the Panama implementation lives in {@code dev.squeeze.exec.panama} (the one package
 * allowed to import {@code jdk.incubator.vector}); use {@link FloatKernels}, which checks every argument.
 *
 * <p>Implementations trust their arguments. They compute the same sums as the scalar kernels but may
 * add in another order, so results agree to float rounding, not bit for bit.
 */
public interface FloatKernelSupport {

    /** One line naming the implementation and its vector shape. */
    String description();

    /** {@code "scalar"} or {@code "panama"}. */
    String name();

    /**
     * Packs a convolution once. {@code weight} {@code [out, in/groups, k, k]} row-major, {@code bias [out]};
     * {@code act} is applied to {@code acc + bias}.
     */
    ConvKernel conv(ConvSpec spec, float[] weight, float[] bias, Activation act);

    /** Packs a fully connected layer; {@code weight [out, in]}, {@code bias [out]}. */
    LinearKernel linear(int in, int out, float[] weight, float[] bias, Activation act);

    /** A packed convolution over one image {@code [C, H, W] → [M, OH, OW]}. */
    interface ConvKernel {
        /** Floats of per-thread scratch one call needs (independent of the batch: one image at a time). */
        int scratchFloats();

        /** Output channels are split over threads only at multiples of this. */
        int channelBlock();

        /** Output channels {@code [oc0, oc1)} of one image; {@code oc0} a multiple of {@link #channelBlock()}. */
        void run(float[] in, int inOff, float[] out, int outOff, int oc0, int oc1, float[] scratch);
    }

    /** A packed fully connected layer {@code [batch, in] → [batch, out]}. */
    interface LinearKernel {
        /** Output features are split over threads only at multiples of this. */
        int block();

        /** Output features {@code [o0, o1)} of every image; {@code o0} a multiple of {@link #block()}. */
        void run(float[] x, int xOff, int batch, float[] y, int yOff, int o0, int o1);
    }
}
