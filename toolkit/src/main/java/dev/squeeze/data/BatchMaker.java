package dev.squeeze.data;

import java.util.SplittableRandom;

/**
 * Turns images of an {@link ImageSet} into normalised float batches ({@code B × C × H × W},
 * row-major), applying augmentation when asked. Pure Java, engine-agnostic: the training loop wraps
 * the result in an NDArray, the int8 executor reads it directly.
 */
public final class BatchMaker {
    private final ImageSet set;
    private final Preprocessing prep;
    private final float[] lut; // per channel, 256 entries: (v/255 - mean)/std, exact for every byte

    public BatchMaker(ImageSet set, Preprocessing prep) {
        this.set = set;
        this.prep = prep;
        if (prep.mean().length != 1 && prep.mean().length != set.channels()) {
            throw new IllegalArgumentException("Preprocessing has " + prep.mean().length
                    + " channel statistics but " + set.name() + " has " + set.channels()
                    + " channels; give 1 or " + set.channels() + " values");
        }
        lut = new float[set.channels() * 256];
        for (int c = 0; c < set.channels(); c++) {
            for (int v = 0; v < 256; v++) {
                lut[c * 256 + v] = (v / 255f - prep.meanOf(c)) / prep.stdOf(c);
            }
        }
    }

    public ImageSet set() { return set; }
    public Preprocessing preprocessing() { return prep; }

    /**
     * Fills {@code out} (length ≥ {@code count × C × H × W}) with images {@code indices[from ..
     * from+count)}. With {@code rnd} non-null and augmentation configured, each image gets a random
     * crop/flip drawn from {@code rnd}; with {@code rnd} null no augmentation is applied (evaluation).
     */
    public void fill(int[] indices, int from, int count, float[] out, SplittableRandom rnd) {
        int c = set.channels(), h = set.height(), w = set.width();
        int plane = h * w;
        int pad = rnd == null ? 0 : prep.cropPadding();
        boolean flipOn = rnd != null && prep.horizontalFlip();
        for (int k = 0; k < count; k++) {
            int img = indices[from + k];
            int dy = 0, dx = 0;
            boolean flip = false;
            if (pad > 0) {
                dy = rnd.nextInt(2 * pad + 1) - pad;
                dx = rnd.nextInt(2 * pad + 1) - pad;
            }
            if (flipOn) flip = rnd.nextBoolean();
            int outBase = k * c * plane;
            for (int ch = 0; ch < c; ch++) {
                float zero = lut[ch * 256]; // a padded pixel is a zero byte, normalised like any other
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++) {
                        int sx0 = x + dx;
                        int sx = flip ? (w - 1 - sx0) : sx0;
                        float v;
                        if (sy < 0 || sy >= h || sx0 < 0 || sx0 >= w) {
                            v = zero;
                        } else {
                            v = lut[ch * 256 + set.pixel(img, ch, sy, sx)];
                        }
                        out[outBase + ch * plane + y * w + x] = v;
                    }
                }
            }
        }
    }

    /** Convenience: a fresh, unaugmented batch of images {@code [from, from+count)} in set order. */
    public float[] batch(int from, int count) {
        int[] idx = new int[count];
        for (int i = 0; i < count; i++) idx[i] = from + i;
        float[] out = new float[count * set.imageBytes()];
        fill(idx, 0, count, out, null);
        return out;
    }
}
