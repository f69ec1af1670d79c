package dev.squeeze.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/** Writes tiny files in the official layouts, with pixels and labels the tests can predict. */
final class TestFiles {
    private TestFiles() {}

    /** Pixel byte of CIFAR record {@code r} at CHW position {@code k}, distinct per record and position. */
    static byte cifarPixel(int fileIndex, int r, int k) {
        return (byte) (fileIndex * 31 + r * 7 + k * 13);
    }

    static int cifarLabel(int fileIndex, int r) {
        return (fileIndex * 3 + r) % 10;
    }

    /** A CIFAR-10 batch file of {@code records} records with predictable content. */
    static byte[] cifarBatch(int fileIndex, int records) {
        byte[] b = new byte[records * Cifar10Reader.RECORD_BYTES];
        for (int r = 0; r < records; r++) {
            int off = r * Cifar10Reader.RECORD_BYTES;
            b[off] = (byte) cifarLabel(fileIndex, r);
            for (int k = 0; k < Cifar10Reader.IMAGE_BYTES; k++) b[off + 1 + k] = cifarPixel(fileIndex, r, k);
        }
        return b;
    }

    /** {@code dir/cifar-10-batches-bin} with 5 train files of {@code perFile} records and a test file. */
    static Path cifarLayout(Path dir, int perFile, boolean withMeta) throws IOException {
        Path d = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        for (int f = 0; f < 5; f++) Files.write(d.resolve(Cifar10Reader.TRAIN_FILES.get(f)), cifarBatch(f, perFile));
        Files.write(d.resolve(Cifar10Reader.TEST_FILE), cifarBatch(5, perFile));
        if (withMeta) Files.writeString(d.resolve(Cifar10Reader.META_FILE), String.join("\n", Cifar10Reader.CLASSES) + "\n\n");
        return d;
    }

    static byte[] idxImages(int n, int rows, int cols, long seed) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(n).putInt(rows).putInt(cols);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n * rows * cols; i++) b.put((byte) rnd.nextInt(256));
        return b.array();
    }

    static byte[] idxLabels(int[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(IdxReader.LABELS_MAGIC).putInt(labels.length);
        for (int l : labels) b.put((byte) l);
        return b.array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        }
        return bos.toByteArray();
    }

    /** Writes an IDX split (images + labels) into {@code dir}, gzipped or raw, with the official names. */
    static void idxSplit(Path dir, Split split, byte[] images, byte[] labels, boolean gz) throws IOException {
        Files.createDirectories(dir);
        String suffix = gz ? ".gz" : "";
        Files.write(dir.resolve(IdxReader.stem(split, true) + suffix), gz ? gzip(images) : images);
        Files.write(dir.resolve(IdxReader.stem(split, false) + suffix), gz ? gzip(labels) : labels);
    }

    static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", bos)) throw new IOException("no PNG writer");
        return bos.toByteArray();
    }

    /** An RGB image whose channel values encode (seed, c, y, x). */
    static BufferedImage rgb(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (rgbValue(seed, 0, y, x) << 16) | (rgbValue(seed, 1, y, x) << 8) | rgbValue(seed, 2, y, x));
            }
        }
        return img;
    }

    static int rgbValue(int seed, int c, int y, int x) {
        return (seed * 37 + c * 85 + y * 11 + x * 5) & 0xFF;
    }

    static BufferedImage gray(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, grayValue(seed, y, x));
        return img;
    }

    static int grayValue(int seed, int y, int x) {
        return (seed * 53 + y * 17 + x * 3) & 0xFF;
    }
}
