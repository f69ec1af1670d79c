package dev.squeeze.data;

import java.util.Arrays;

/**
 * How bytes become model inputs: per-channel normalisation {@code (x/255 - mean) / std}, and the
 * standard CIFAR augmentation (random crop after zero-padding, random horizontal flip) applied to
 * training batches only.
 *
 * @param mean per-channel mean in [0, 1] units; length 1 applies to every channel
 * @param std per-channel standard deviation, > 0; length 1 applies to every channel
 * @param cropPadding pixels of zero padding before a random crop back to the original size; 0 = off
 * @param horizontalFlip flip each training image left-right with probability 1/2
 */
public record Preprocessing(float[] mean, float[] std, int cropPadding, boolean horizontalFlip) {

    public Preprocessing {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("Preprocessing: mean and std need the same non-zero length, got "
                    + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) throw new IllegalArgumentException("Preprocessing: std must be > 0, got " + s);
        }
        if (cropPadding < 0) {
            throw new IllegalArgumentException("Preprocessing: cropPadding must be ≥ 0, got " + cropPadding);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The seed's recipe: mean 0.5, std 0.5 per channel (inputs in [-1, 1]), no augmentation. */
    public static Preprocessing halfHalf() {
        return new Preprocessing(new float[] {0.5f}, new float[] {0.5f}, 0, false);
    }

    /** Pixels scaled to [0, 1], nothing else. */
    public static Preprocessing unitScale() {
        return new Preprocessing(new float[] {0f}, new float[] {1f}, 0, false);
    }

    /** CIFAR-10's per-channel statistics with crop-4 and flip augmentation (the usual ResNet recipe). */
    public static Preprocessing cifarAugmented() {
        return new Preprocessing(new float[] {0.4914f, 0.4822f, 0.4465f},
                new float[] {0.2470f, 0.2435f, 0.2616f}, 4, true);
    }

    public Preprocessing withAugmentation(int padding, boolean flip) {
        return new Preprocessing(mean, std, padding, flip);
    }

    public boolean augments() { return cropPadding > 0 || horizontalFlip; }

    float meanOf(int c) { return mean.length == 1 ? mean[0] : mean[c]; }
    float stdOf(int c) { return std.length == 1 ? std[0] : std[c]; }

    @Override public boolean equals(Object o) {
        return o instanceof Preprocessing p && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std)
                && cropPadding == p.cropPadding && horizontalFlip == p.horizontalFlip;
    }
    @Override public int hashCode() { return Arrays.hashCode(mean) * 31 + Arrays.hashCode(std) + cropPadding * 7 + (horizontalFlip ? 1 : 0); }
    @Override public String toString() {
        return "mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std)
                + (cropPadding > 0 ? ", random crop (pad " + cropPadding + ")" : "")
                + (horizontalFlip ? ", horizontal flip" : "");
    }
}
