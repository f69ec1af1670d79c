package dev.squeeze.cli;

import dev.squeeze.data.Cifar10Reader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/** Tiny data homes in the official layouts, and an in-process CLI call that captures what it prints. */
final class CliFixtures {
    private CliFixtures() {}

    /** What one CLI call did: the exit code {@code Main.main} would give, its output, and the error if any. */
    record Result(int code, String out, String err, RuntimeException error) {
        String message() { return error == null ? "" : String.valueOf(error.getMessage()); }
        String all() { return out + err + message(); }
    }

    /**
     * Runs {@code Main.run} in this JVM, mapping exceptions to exit codes the way {@code Main.main}
     * does (usage errors 2, anything else 1), with System.out / System.err captured (and echoed, so a
     * failing test's log still shows them).
     */
    static Result cli(String... argv) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
        int code;
        RuntimeException error = null;
        try {
            code = Main.run(argv);
        } catch (Args.UsageException e) {
            code = 2;
            error = e;
        } catch (RuntimeException e) {
            code = 1;
            error = e;
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String o = bo.toString(StandardCharsets.UTF_8), e = be.toString(StandardCharsets.UTF_8);
        out.print(o);
        err.print(e);
        if (error != null) err.println("[cli " + String.join(" ", argv) + "] exit " + code + ": " + error);
        return new Result(code, o, e, error);
    }

    /** {@code home/cifar-10-batches-bin}: 5 train files of {@code perFile} records, and a test file unless {@code test} is 0. */
    static Path cifarBinary(Path home, int perFile, int test) throws IOException {
        Path d = Files.createDirectories(home.resolve("cifar-10-batches-bin"));
        for (int f = 0; f < 5; f++) Files.write(d.resolve(Cifar10Reader.TRAIN_FILES.get(f)), cifarRecords(perFile, f));
        if (test > 0) Files.write(d.resolve(Cifar10Reader.TEST_FILE), cifarRecords(test, 9));
        return d;
    }

    private static byte[] cifarRecords(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] b = new byte[n * Cifar10Reader.RECORD_BYTES];
        for (int r = 0; r < n; r++) {
            int off = r * Cifar10Reader.RECORD_BYTES;
            b[off] = (byte) (r % 10);
            for (int k = 1; k < Cifar10Reader.RECORD_BYTES; k++) b[off + k] = (byte) rnd.nextInt(256);
        }
        return b;
    }

    /** {@code root/<split>/<class>/i.png}: {@code perClass} 32×32 RGB images for each CIFAR-10 class. */
    static void cifarFolders(Path root, String split, int perClass) throws IOException {
        SplittableRandom rnd = new SplittableRandom(7);
        for (String c : Cifar10Reader.CLASSES) {
            Path d = Files.createDirectories(root.resolve(split).resolve(c));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) img.setRGB(x, y, rnd.nextInt(1 << 24));
                ImageIO.write(img, "png", d.resolve(i + ".png").toFile());
            }
        }
    }

    /** MNIST-shaped IDX files (gzipped, official names) in {@code dir}: {@code train} and {@code test} 28×28 images. */
    static void idx(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        write(dir.resolve("train-images-idx3-ubyte.gz"), images(train, 1));
        write(dir.resolve("train-labels-idx1-ubyte.gz"), labels(train));
        write(dir.resolve("t10k-images-idx3-ubyte.gz"), images(test, 2));
        write(dir.resolve("t10k-labels-idx1-ubyte.gz"), labels(test));
    }

    private static byte[] images(int n, long seed) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * 28 * 28);
        b.putInt(0x00000803).putInt(n).putInt(28).putInt(28);
        SplittableRandom rnd = new SplittableRandom(seed);
        while (b.hasRemaining()) b.put((byte) rnd.nextInt(256));
        return b.array();
    }

    private static byte[] labels(int n) {
        ByteBuffer b = ByteBuffer.allocate(8 + n);
        b.putInt(0x00000801).putInt(n);
        for (int i = 0; i < n; i++) b.put((byte) (i % 10));
        return b.array();
    }

    private static void write(Path p, byte[] data) throws IOException {
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(p))) {
            gz.write(data);
        }
    }
}
