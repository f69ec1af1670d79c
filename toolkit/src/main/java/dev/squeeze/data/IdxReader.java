package dev.squeeze.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST-style IDX files (MNIST, Fashion-MNIST), gzipped or raw.
 *
 * <p>Format: a 4-byte big-endian magic number {@code 0x000008DD} (0x08 = unsigned bytes, DD = number
 * of dimensions), then DD big-endian 32-bit sizes, then the bytes. Images are {@code 0x00000803}
 * ({@code N × rows × cols}), labels {@code 0x00000801} ({@code N}). Whether a file is gzipped is decided
 * by its first two bytes, not its name, so a {@code .gz} that was already unpacked still reads.
 *
 * <p>Standard names, in a data set's directory: {@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte},
 * each optionally with {@code .gz}.
 */
public final class IdxReader {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;
    public static final List<String> MNIST_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover",
            "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private IdxReader() {}

    /** {@code "train-images-idx3-ubyte"}, {@code "t10k-labels-idx1-ubyte"}, …: the official name without {@code .gz}. */
    public static String stem(Split split, boolean images) {
        return (split == Split.TRAIN ? "train" : "t10k") + (images ? "-images-idx3-ubyte" : "-labels-idx1-ubyte");
    }

    /**
     * The names under which {@code stem} is accepted, in preference order. The gzipped name comes
     * first because that is what the publishers serve and {@link Datasets#download} writes: a fresh
     * download must win over an older unpacked copy beside it.
     */
    public static List<String> acceptedNames(String stem) {
        // "train-images.idx3-ubyte" is how some archive tools and Kaggle copies spell it.
        String dotted = stem.replace("-idx", ".idx");
        return List.of(stem + ".gz", stem, dotted + ".gz", dotted);
    }

    /** The first existing file among {@link #acceptedNames} in {@code dir}, or {@code null}. */
    public static Path find(Path dir, String stem) {
        for (String n : acceptedNames(stem)) {
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /**
     * Reads one split from {@code dir} (standard file names) into an {@link ImageSet} named
     * {@code key + "/train"} or {@code key + "/test"}, shape {@code N × 1 × rows × cols} (28 × 28 for
     * MNIST and Fashion-MNIST).
     *
     * @param key data set key used in the name and in error messages: {@code "mnist"}, {@code "fashion-mnist"}
     * @throws SqueezeDataException a file is missing, truncated, has the wrong magic number or a label
     *     outside {@code classes}, or image and label counts differ
     */
    public static ImageSet read(Path dir, Split split, String key, List<String> classes) {
        String setName = key + "/" + split.folder();
        Path images = find(dir, stem(split, true));
        Path labels = find(dir, stem(split, false));
        List<String> missing = new ArrayList<>();
        if (images == null) missing.add(String.join(" or ", acceptedNames(stem(split, true))));
        if (labels == null) missing.add(String.join(" or ", acceptedNames(stem(split, false))));
        if (!missing.isEmpty()) {
            throw new SqueezeDataException("The " + split.folder() + " split of " + key + " in " + dir
                    + " is incomplete: no " + String.join("; no ", missing) + ". " + DataFixHints.forDataset(key));
        }
        return read(images, labels, setName, classes);
    }

    /**
     * Pairs an IDX image file ({@code N × rows × cols}) with an IDX label file ({@code N}) into an
     * {@link ImageSet} of shape {@code N × 1 × rows × cols}.
     *
     * @param name the set's name, e.g. {@code "mnist/train"}; its part before {@code /} selects the fix
     *     suggested in error messages
     */
    public static ImageSet read(Path imagesFile, Path labelsFile, String name, List<String> classes) {
        Idx images = readIdx(imagesFile, IMAGES_MAGIC, name);
        Idx labels = readIdx(labelsFile, LABELS_MAGIC, name);
        int n = images.dims[0];
        if (labels.dims[0] != n) {
            throw new SqueezeDataException("Image and label counts differ: " + imagesFile + " holds " + n
                    + " images but " + labelsFile + " holds " + labels.dims[0] + " labels; they must come"
                    + " from the same split of the same download. " + DataFixHints.forSet(name));
        }
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            int v = labels.data[i] & 0xFF;
            if (v >= classes.size()) {
                throw new SqueezeDataException(labelsFile + ": label " + i + " (byte offset " + (8 + i)
                        + " of the " + (labels.gzipped ? "decompressed " : "") + "file) is " + v
                        + ", but " + DataFixHints.keyOf(name) + " has " + classes.size() + " classes (0–"
                        + (classes.size() - 1) + "). " + DataFixHints.forSet(name));
            }
            l[i] = v;
        }
        return new ImageSet(name, images.data, l, 1, images.dims[1], images.dims[2], classes);
    }

    /** Contents of one IDX file. */
    private record Idx(int[] dims, byte[] data, boolean gzipped) {}

    private static Idx readIdx(Path file, int expectedMagic, String setName) {
        String kind = expectedMagic == IMAGES_MAGIC ? "images" : "labels";
        boolean gz = false;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            gz = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw;
            String where = gz ? " of the decompressed file" : "";
            byte[] head = new byte[4];
            int got = in.readNBytes(head, 0, 4);
            if (got < 4) {
                throw new SqueezeDataException(file + " ends after " + got + " bytes" + where
                        + ", before its 4-byte IDX magic number; the file is truncated. " + DataFixHints.forSet(setName));
            }
            int magic = bigEndian(head, 0);
            if (magic != expectedMagic) {
                String hint = magic == IMAGES_MAGIC || magic == LABELS_MAGIC
                        ? " It is an IDX " + (magic == IMAGES_MAGIC ? "images" : "labels")
                                + " file: are the images and labels file names swapped?"
                        : " It is not an IDX " + kind + " file" + (gz ? "" : " (nor gzipped)") + ".";
                throw new SqueezeDataException(file + " starts with magic number " + hex(magic) + ", expected "
                        + hex(expectedMagic) + " for IDX " + kind + "." + hint + " " + DataFixHints.forSet(setName));
            }
            int ndims = magic & 0xFF;
            byte[] dimBytes = new byte[4 * ndims];
            got = in.readNBytes(dimBytes, 0, dimBytes.length);
            if (got < dimBytes.length) {
                throw new SqueezeDataException(file + " ends at byte offset " + (4 + got) + where
                        + ", inside its " + ndims + " dimension sizes; the file is truncated. " + DataFixHints.forSet(setName));
            }
            int[] dims = new int[ndims];
            long total = 1;
            for (int d = 0; d < ndims; d++) {
                dims[d] = bigEndian(dimBytes, 4 * d);
                if (dims[d] < 0 || (d > 0 && dims[d] == 0)) {
                    throw new SqueezeDataException(file + ": dimension " + d + " (byte offset " + (4 + 4 * d)
                            + where + ") is " + Integer.toUnsignedString(dims[d]) + ", not a valid size. "
                            + DataFixHints.forSet(setName));
                }
                total *= dims[d];
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new SqueezeDataException(file + " declares " + shape(dims) + " = " + total
                        + " bytes, more than one Java array holds; the header is corrupt. " + DataFixHints.forSet(setName));
            }
            int header = 4 + 4 * ndims;
            byte[] data = new byte[(int) total];
            got = 0;
            try {
                // Counted by hand so that a cut gzip stream can still report where it broke off.
                int r;
                while (got < data.length && (r = in.read(data, got, data.length - got)) > 0) got += r;
            } catch (EOFException e) {
                throw new SqueezeDataException(file + " is a truncated gzip stream: it breaks off at byte offset "
                        + (header + got) + " of the decompressed file, but its header declares " + shape(dims)
                        + " = " + total + " data bytes after the " + header + "-byte header. " + DataFixHints.forSet(setName), e);
            }
            if (got < data.length) {
                throw new SqueezeDataException(file + " is truncated: its header declares " + shape(dims)
                        + " = " + total + " data bytes after the " + header + "-byte header, but the"
                        + (gz ? " decompressed" : "") + " file ends at byte offset " + (header + got)
                        + " (" + (total - got) + " bytes short). " + DataFixHints.forSet(setName));
            }
            if (in.read() != -1) {
                throw new SqueezeDataException(file + " has data after byte offset " + (header + total) + where
                        + ", where its header (" + shape(dims) + ") says it ends; header and data disagree. "
                        + DataFixHints.forSet(setName));
            }
            return new Idx(dims, data, gz);
        } catch (EOFException e) {
            throw new SqueezeDataException(file + " is a truncated gzip stream. " + DataFixHints.forSet(setName), e);
        } catch (ZipException e) {
            throw new SqueezeDataException(file + " is not a valid gzip stream (" + e.getMessage() + "). "
                    + DataFixHints.forSet(setName), e);
        } catch (IOException e) {
            throw new SqueezeDataException("Cannot read " + file + ": " + e + ". " + DataFixHints.forSet(setName), e);
        }
    }

    private static int bigEndian(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    private static String hex(int v) {
        return String.format("0x%08X", v);
    }

    private static String shape(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < dims.length; d++) sb.append(d == 0 ? "" : "×").append(dims[d]);
        return sb.toString();
    }
}
