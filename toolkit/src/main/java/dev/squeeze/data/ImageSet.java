package dev.squeeze.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * An immutable, in-memory set of labelled images, stored as raw unsigned bytes.
 *
 * <p>Pixels are kept as bytes (not floats) because that is how every official layout stores them:
 * CIFAR-10's 50,000 training images take 150 MB as bytes and 600 MB as floats. Conversion to
 * normalised floats happens per batch, in {@link BatchMaker}.
 *
 * <p>Layout: {@code pixels} holds {@code size() × channels × height × width} bytes, image by
 * image, channel-major (CHW), rows first — CIFAR-10's record layout. Labels are in {@code [0,
 * classes().size())}.
 */
public final class ImageSet {
    private final String name;
    private final byte[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classes;

    /**
     * @param name human-readable name, e.g. {@code "cifar10/train"}; shown in tables and provenance
     * @param pixels {@code N × C × H × W} unsigned bytes, CHW per image; not copied
     * @param labels {@code N} labels in {@code [0, classes.size())}; not copied
     */
    public ImageSet(String name, byte[] pixels, int[] labels, int channels, int height, int width,
            List<String> classes) {
        this.name = Objects.requireNonNull(name, "name");
        this.pixels = Objects.requireNonNull(pixels, "pixels");
        this.labels = Objects.requireNonNull(labels, "labels");
        this.classes = List.copyOf(classes);
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("Image shape must be positive, got " + channels + "×"
                    + height + "×" + width + " for " + name);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        long expected = (long) labels.length * imageBytes();
        if (pixels.length != expected) {
            throw new IllegalArgumentException("ImageSet " + name + ": " + labels.length + " labels need "
                    + expected + " pixel bytes (" + channels + "×" + height + "×" + width
                    + " each), got " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= this.classes.size()) {
                throw new IllegalArgumentException("ImageSet " + name + ": label " + labels[i]
                        + " of image " + i + " is outside [0, " + this.classes.size() + ")");
            }
        }
    }

    public String name() { return name; }
    public int size() { return labels.length; }
    public int channels() { return channels; }
    public int height() { return height; }
    public int width() { return width; }
    public List<String> classes() { return classes; }
    public int numClasses() { return classes.size(); }
    public int imageBytes() { return channels * height * width; }
    public int label(int i) { return labels[i]; }

    /** Copy of all labels. */
    public int[] labels() { return labels.clone(); }

    /** Unsigned value (0–255) of one pixel byte. */
    public int pixel(int image, int c, int y, int x) {
        return pixels[image * imageBytes() + (c * height + y) * width + x] & 0xFF;
    }

    /** Copies image {@code i}'s {@code C × H × W} bytes into {@code dst} at {@code offset}. */
    public void copyImage(int i, byte[] dst, int offset) {
        System.arraycopy(pixels, i * imageBytes(), dst, offset, imageBytes());
    }

    /** Number of images per class, indexed by label. */
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int l : labels) counts[l]++;
        return counts;
    }

    /** The images at {@code indices}, in that order. */
    public ImageSet select(int[] indices, String newName) {
        int n = indices.length;
        int b = imageBytes();
        byte[] p = new byte[n * b];
        int[] l = new int[n];
        for (int k = 0; k < n; k++) {
            int i = indices[k];
            if (i < 0 || i >= size()) {
                throw new IndexOutOfBoundsException("index " + i + " outside [0, " + size() + ") of " + name);
            }
            System.arraycopy(pixels, i * b, p, k * b, b);
            l[k] = labels[i];
        }
        return new ImageSet(newName, p, l, channels, height, width, classes);
    }

    /**
     * A seeded subset of {@code limit} images. With {@code stratified}, every class keeps its share
     * (rounded so the total is exactly {@code limit}); otherwise a uniform random sample. The result is
     * in shuffled order. A {@code limit} ≥ {@code size()} returns this set unchanged.
     */
    public ImageSet subset(int limit, long seed, boolean stratified) {
        if (limit <= 0) {
            throw new IllegalArgumentException("Subset limit must be positive, got " + limit
                    + " for " + name + "; use a limit ≥ 1 or no limit");
        }
        if (limit >= size()) return this;
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] chosen;
        if (!stratified) {
            int[] perm = permutation(size(), rnd);
            chosen = Arrays.copyOf(perm, limit);
        } else {
            List<List<Integer>> byClass = new ArrayList<>();
            for (int c = 0; c < numClasses(); c++) byClass.add(new ArrayList<>());
            for (int i = 0; i < size(); i++) byClass.get(labels[i]).add(i);
            // Largest-remainder apportionment: quotas sum to exactly `limit`.
            int[] quota = new int[numClasses()];
            double[] remainder = new double[numClasses()];
            int assigned = 0;
            for (int c = 0; c < numClasses(); c++) {
                double exact = (double) limit * byClass.get(c).size() / size();
                quota[c] = (int) Math.floor(exact);
                remainder[c] = exact - quota[c];
                assigned += quota[c];
            }
            while (assigned < limit) {
                int best = -1;
                for (int c = 0; c < numClasses(); c++) {
                    if (quota[c] < byClass.get(c).size() && (best < 0 || remainder[c] > remainder[best])) best = c;
                }
                quota[best]++;
                remainder[best] = -1;
                assigned++;
            }
            chosen = new int[limit];
            int k = 0;
            for (int c = 0; c < numClasses(); c++) {
                List<Integer> members = byClass.get(c);
                int[] perm = permutation(members.size(), rnd);
                for (int j = 0; j < quota[c]; j++) chosen[k++] = members.get(perm[j]);
            }
            int[] order = permutation(limit, rnd);
            int[] shuffled = new int[limit];
            for (int j = 0; j < limit; j++) shuffled[j] = chosen[order[j]];
            chosen = shuffled;
        }
        return select(chosen, name + "[" + limit + (stratified ? ", stratified" : "") + ", seed " + seed + "]");
    }

    /** Fisher–Yates permutation of {@code 0..n-1}. */
    public static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Override
    public String toString() {
        return name + " (" + size() + " images, " + channels + "×" + height + "×" + width + ", "
                + numClasses() + " classes)";
    }
}
