package dev.squeeze.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CIFAR-10 in its official binary layout, the directory {@code cifar-10-batches-bin/} of
 * {@code cifar-10-binary.tar.gz}:
 *
 * <pre>
 *   data_batch_1.bin … data_batch_5.bin   training split, 10,000 records each
 *   test_batch.bin                        test split, 10,000 records
 *   batches.meta.txt                      class names, one a line (optional here)
 * </pre>
 *
 * A record is {@value #RECORD_BYTES} bytes: one label byte in [0, 10), then 1024 red, 1024 green and
 * 1024 blue bytes, each plane 32 rows of 32, rows first. That is exactly {@link ImageSet}'s CHW
 * layout, so records are copied without reordering. Files with fewer records than 10,000 are
 * accepted (tests and subsets use them); anything that is not a whole number of records is not.
 */
public final class Cifar10Reader {
    public static final int CHANNELS = 3;
    public static final int SIZE = 32;
    public static final int IMAGE_BYTES = CHANNELS * SIZE * SIZE;
    public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
    public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin",
            "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    public static final String TEST_FILE = "test_batch.bin";
    public static final String META_FILE = "batches.meta.txt";

    private Cifar10Reader() {}

    /** The batch files of {@code split}, in the order their records are concatenated. */
    public static List<String> files(Split split) {
        return split == Split.TRAIN ? TRAIN_FILES : List.of(TEST_FILE);
    }

    /**
     * Reads one split of {@code dir} (the {@code cifar-10-batches-bin} directory) into an {@link ImageSet}
     * named {@code "cifar10/train"} or {@code "cifar10/test"}, shape {@code N × 3 × 32 × 32}, records in
     * file order (data_batch_1 first).
     *
     * @throws SqueezeDataException a batch file is missing, unreadable, not a whole number of records,
     *     or holds a label byte ≥ 10; the message names the file, the offset and the value
     */
    public static ImageSet read(Path dir, Split split) {
        List<String> names = files(split);
        String setName = "cifar10/" + split.folder();
        long total = 0;
        long[] sizes = new long[names.size()];
        for (int f = 0; f < names.size(); f++) {
            Path file = dir.resolve(names.get(f));
            sizes[f] = checkedSize(file, split, setName);
            total += sizes[f] / RECORD_BYTES;
        }
        if (total * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
            throw new SqueezeDataException("CIFAR-10 " + split.folder() + " split in " + dir + " has " + total
                    + " records, more than one Java array holds; the official split has "
                    + (split == Split.TRAIN ? 50_000 : 10_000) + ". " + DataFixHints.forSet(setName));
        }
        int n = (int) total;
        byte[] pixels = new byte[n * IMAGE_BYTES];
        int[] labels = new int[n];
        int next = 0;
        for (int f = 0; f < names.size(); f++) {
            Path file = dir.resolve(names.get(f));
            int records = (int) (sizes[f] / RECORD_BYTES);
            byte[] buf = readExactly(file, sizes[f], setName);
            for (int r = 0; r < records; r++) {
                int off = r * RECORD_BYTES;
                int label = buf[off] & 0xFF;
                if (label >= CLASSES.size()) {
                    throw new SqueezeDataException(file + ": record " + r + " (byte offset " + off
                            + ") has label byte " + label + ", but CIFAR-10 labels are 0–9; the file is"
                            + " corrupt or not a CIFAR-10 batch (CIFAR-100 records are 3074 bytes with"
                            + " two label bytes). " + DataFixHints.forSet(setName));
                }
                labels[next] = label;
                System.arraycopy(buf, off + 1, pixels, next * IMAGE_BYTES, IMAGE_BYTES);
                next++;
            }
        }
        return new ImageSet(setName, pixels, labels, CHANNELS, SIZE, SIZE, classNames(dir));
    }

    /**
     * Class names from {@code dir/batches.meta.txt} (non-blank lines), or {@link #CLASSES} when that
     * file is absent.
     *
     * @throws SqueezeDataException the file exists but does not list exactly 10 names
     */
    public static List<String> classNames(Path dir) {
        Path meta = dir.resolve(META_FILE);
        if (!Files.isRegularFile(meta)) return CLASSES;
        List<String> names = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) names.add(line.strip());
            }
        } catch (IOException e) {
            throw new SqueezeDataException("Cannot read " + meta + ": " + e + ". Delete it to use the"
                    + " standard class names, or " + DataFixHints.action("cifar10"), e);
        }
        if (names.size() != CLASSES.size()) {
            throw new SqueezeDataException(meta + " lists " + names.size() + " class names, CIFAR-10 has "
                    + CLASSES.size() + " (" + String.join(", ", CLASSES) + "). Delete it to use the"
                    + " standard names, or " + DataFixHints.action("cifar10"));
        }
        return List.copyOf(names);
    }

    private static long checkedSize(Path file, Split split, String setName) {
        if (!Files.isRegularFile(file)) {
            throw new SqueezeDataException("CIFAR-10 batch file " + file + " is missing (the "
                    + split.folder() + " split needs " + String.join(", ", files(split)) + "). "
                    + DataFixHints.forSet(setName));
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new SqueezeDataException("Cannot read the size of " + file + ": " + e + ". "
                    + DataFixHints.forSet(setName), e);
        }
        if (size == 0 || size % RECORD_BYTES != 0) {
            long whole = size / RECORD_BYTES;
            throw new SqueezeDataException(file + " is " + size + " bytes, not a whole number of "
                    + RECORD_BYTES + "-byte CIFAR-10 records (" + whole + " whole records, then "
                    + (size - whole * RECORD_BYTES) + " stray bytes from offset " + whole * RECORD_BYTES
                    + "; an official batch is 30730000 bytes). The file is truncated or not a CIFAR-10"
                    + " binary batch. " + DataFixHints.forSet(setName));
        }
        return size;
    }

    private static byte[] readExactly(Path file, long size, String setName) {
        byte[] buf = new byte[(int) size];
        try (InputStream in = Files.newInputStream(file)) {
            int got = in.readNBytes(buf, 0, buf.length);
            if (got != buf.length) {
                throw new SqueezeDataException(file + " ended at byte offset " + got + " while reading "
                        + size + " bytes; it shrank while being read. " + DataFixHints.forSet(setName));
            }
        } catch (IOException e) {
            throw new SqueezeDataException("Cannot read " + file + ": " + e + ". " + DataFixHints.forSet(setName), e);
        }
        return buf;
    }
}
