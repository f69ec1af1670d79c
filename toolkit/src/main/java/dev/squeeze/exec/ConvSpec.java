package dev.squeeze.exec;

/**
 * Geometry of one 2-D convolution over an NCHW tensor, as PyTorch's {@code Conv2d} with square kernel,
 * equal stride and symmetric zero padding (here: padding with the input zero point, i.e. real 0):
 * input {@code [batch, inChannels, inHeight, inWidth]}, weights {@code [outChannels, inChannels/groups,
 * kernel, kernel]}, output {@code [batch, outChannels, outHeight, outWidth]} with
 * {@code outHeight = (inHeight + 2·padding − kernel) / stride + 1} (likewise the width).
 *
 * @param inChannels C_in ≥ 1, a multiple of groups
 * @param outChannels C_out ≥ 1, a multiple of groups
 * @param kernel k ≥ 1
 * @param stride ≥ 1
 * @param padding ≥ 0
 * @param groups ≥ 1 (C_in = groups = C_out is depthwise)
 * @param inHeight ≥ 1
 * @param inWidth ≥ 1
 */
public record ConvSpec(int inChannels, int outChannels, int kernel, int stride, int padding, int groups, int inHeight, int inWidth) {

    public ConvSpec {
        if (inChannels < 1 || outChannels < 1 || kernel < 1 || stride < 1 || padding < 0 || groups < 1 || inHeight < 1 || inWidth < 1) {
            throw new IllegalArgumentException("ConvSpec needs positive channels, kernel, stride, groups and input size and padding ≥ 0,"
                    + " got " + this0(inChannels, outChannels, kernel, stride, padding, groups, inHeight, inWidth));
        }
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("ConvSpec: groups " + groups + " must divide both in channels " + inChannels
                    + " and out channels " + outChannels);
        }
        if (inHeight + 2 * padding < kernel || inWidth + 2 * padding < kernel) {
            throw new IllegalArgumentException("ConvSpec: the padded input " + (inHeight + 2 * padding) + "×" + (inWidth + 2 * padding)
                    + " is smaller than the kernel " + kernel + "; use a smaller kernel or more padding");
        }
        if ((long) outChannels * (inChannels / groups) * kernel * kernel > Integer.MAX_VALUE / 2
                || (long) inChannels * (inHeight + 2L * padding) * (inWidth + 2L * padding) > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("ConvSpec " + this0(inChannels, outChannels, kernel, stride, padding, groups, inHeight, inWidth)
                    + " is too large for int-indexed buffers");
        }
    }

    private static String this0(int ci, int co, int k, int s, int p, int g, int h, int w) {
        return ci + "→" + co + " k" + k + " s" + s + " p" + p + " g" + g + " on " + h + "×" + w;
    }

    public int outHeight() { return (inHeight + 2 * padding - kernel) / stride + 1; }

    public int outWidth() { return (inWidth + 2 * padding - kernel) / stride + 1; }

    /** Input channels per group. */
    public int groupInChannels() { return inChannels / groups; }

    /** Output channels per group. */
    public int groupOutChannels() { return outChannels / groups; }

    /** Dot-product length per output value, {@code inChannels/groups · kernel²}. */
    public int reduction() { return groupInChannels() * kernel * kernel; }

    /** Weights, {@code outChannels · reduction()}. */
    public int weightCount() { return outChannels * reduction(); }

    /** Codes per input image. */
    public int inputSize() { return inChannels * inHeight * inWidth; }

    /** Codes per output image. */
    public int outputSize() { return outChannels * outHeight() * outWidth(); }

    /** Multiply-accumulates per image. */
    public long macs() { return (long) outputSize() * reduction(); }

    @Override public String toString() {
        return "conv " + this0(inChannels, outChannels, kernel, stride, padding, groups, inHeight, inWidth);
    }
}
