package dev.squeeze.prune.compress;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.prune.compress.SparseTensorFile.Encoding;
import dev.squeeze.prune.compress.SparseTensorFile.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseTensorFileTest {
    @TempDir Path dir;

    static List<Entry> sample() {
        float[] fc1 = WeightSharingTest.prunedGaussian(300 * 78, 0.08, 1);
        float[] fc2 = WeightSharingTest.prunedGaussian(100 * 300, 0.09, 2);
        fc2[fc2.length - 1] = 0.5f;    // a non-zero at the very end
        fc2[0] = -0.25f;               // and at the very start
        float[] bias = WeightSharingTest.prunedGaussian(300, 1.0, 3);
        float[] long_gaps = new float[70_000];
        long_gaps[69_999] = 1f;        // one gap far wider than any fixed field: escapes
        SharedWeights shared = WeightSharing.share(new long[] {100, 300}, fc2, 4);
        return List.of(
                Entry.of("fc1.weight", new long[] {300, 78}, Encoding.RELATIVE_FP32, fc1),
                Entry.of("fc1.bias", new long[] {300}, Encoding.DENSE_FP32, bias),
                Entry.of("fc1.weight.bitmask", new long[] {300, 78}, Encoding.BITMASK_FP32, fc1),
                Entry.of("gaps", new long[] {70_000}, Encoding.RELATIVE_FP32, long_gaps),
                Entry.shared("fc2.weight", shared, false),
                Entry.shared("fc2.weight.huffman", shared, true),
                Entry.shared("gaps.huffman", WeightSharing.share(new long[] {70_000}, long_gaps, 2), true),
                Entry.of("empty", new long[] {0}, Encoding.DENSE_FP32, new float[0]));
    }

    @Test
    void everyEncodingRoundTripsExactly() throws IOException {
        Path file = dir.resolve("model.sqz");
        List<Entry> written = sample();
        long bytes = SparseTensorFile.write(file, written);
        assertEquals(Files.size(file), bytes);
        List<Entry> read = SparseTensorFile.read(file);
        assertEquals(written.size(), read.size());
        for (int t = 0; t < written.size(); t++) {
            Entry w = written.get(t), r = read.get(t);
            assertEquals(w.name(), r.name());
            assertArrayEquals(w.shape(), r.shape(), w.name());
            assertEquals(w.encoding(), r.encoding(), w.name());
            assertArrayEquals(w.values(), r.values(), w.name() + ": decoded values differ");
            if (w.shared() != null) assertEquals(w.shared(), r.shared(), w.name() + ": centroids and indices must come back");
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "the temporary file is renamed, none is left");
        }
    }

    @Test
    void encodingsOrderAsExpectedOnASparseTensor() throws IOException {
        float[] w = WeightSharingTest.prunedGaussian(100_000, 0.08, 5);
        long[] shape = {100_000};
        long dense = SparseTensorFile.payload(Entry.of("w", shape, Encoding.DENSE_FP32, w)).length;
        long bitmask = SparseTensorFile.payload(Entry.of("w", shape, Encoding.BITMASK_FP32, w)).length;
        long relative = SparseTensorFile.payload(Entry.of("w", shape, Encoding.RELATIVE_FP32, w)).length;
        SharedWeights s = WeightSharing.share(shape, w, 5);
        long fixed = SparseTensorFile.payload(Entry.shared("w", s, false)).length;
        long huffman = SparseTensorFile.payload(Entry.shared("w", s, true)).length;
        assertEquals(400_000, dense);
        assertTrue(relative < bitmask && bitmask < dense, relative + " < " + bitmask + " < " + dense);
        assertTrue(huffman < fixed && fixed < relative, huffman + " < " + fixed + " < " + relative);
    }

    @Test
    void truncatedFileNamesTheTensorAndTheMissingBytes() throws IOException {
        Path file = dir.resolve("model.sqz");
        SparseTensorFile.write(file, sample());
        byte[] all = Files.readAllBytes(file);
        // Cut inside the first tensor's payload: header is 8 magic + 1 + 4, then name, rank, dims, encoding, length, crc.
        int payloadStart = 13 + 2 + "fc1.weight".length() + 1 + 8 + 1 + 4 + 4;
        Files.write(file, Arrays.copyOf(all, payloadStart + 17));
        IOException e = assertThrows(IOException.class, () -> SparseTensorFile.read(file));
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString()), m);
        assertTrue(m.contains("truncated at tensor 'fc1.weight'") && m.contains("found 17") && m.contains("expected"), m);
        assertTrue(m.contains("Fix:"), m);

        Files.write(file, Arrays.copyOf(all, 10));
        String m1 = assertThrows(IOException.class, () -> SparseTensorFile.read(file)).getMessage();
        assertTrue(m1.contains("truncated in the file header"), m1);

        Files.write(file, Arrays.copyOf(all, 20));
        String m2 = assertThrows(IOException.class, () -> SparseTensorFile.read(file)).getMessage();
        assertTrue(m2.contains("truncated in the header") && m2.contains(file.toString()), m2);
    }

    @Test
    void flippedBitFailsTheChecksum() throws IOException {
        Path file = dir.resolve("model.sqz");
        SparseTensorFile.write(file, sample());
        byte[] all = Files.readAllBytes(file);
        all[all.length / 2] ^= 0x10;
        Files.write(file, all);
        String m = assertThrows(IOException.class, () -> SparseTensorFile.read(file)).getMessage();
        assertTrue(m.contains("CRC32") && m.contains("is corrupt") && m.contains("tensor '"), m);
    }

    @Test
    void wrongMagicVersionAndTrailingBytesAreNamed() throws IOException {
        Path file = dir.resolve("model.sqz");
        Files.write(file, "hello, this is not a tensor file".getBytes());
        String m = assertThrows(IOException.class, () -> SparseTensorFile.read(file)).getMessage();
        assertTrue(m.contains("not a Squeeze sparse tensor file") && m.contains(file.toString()), m);

        SparseTensorFile.write(file, sample());
        byte[] all = Files.readAllBytes(file);
        all[8] = 9;
        Files.write(file, all);
        String m2 = assertThrows(IOException.class, () -> SparseTensorFile.read(file)).getMessage();
        assertTrue(m2.contains("version 9"), m2);

        all[8] = SparseTensorFile.VERSION;
        byte[] longer = Arrays.copyOf(all, all.length + 3);
        Files.write(file, longer);
        String m3 = assertThrows(IOException.class, () -> SparseTensorFile.read(file)).getMessage();
        assertTrue(m3.contains("3 bytes after its last tensor ('empty')"), m3);

        String m4 = assertThrows(IOException.class, () -> SparseTensorFile.read(dir.resolve("missing.sqz"))).getMessage();
        assertTrue(m4.contains("does not exist"), m4);
    }

    @Test
    void entriesCheckTheirShape() {
        var e = assertThrows(IllegalArgumentException.class, () -> Entry.of("w", new long[] {2, 3}, Encoding.DENSE_FP32, new float[5]));
        assertTrue(e.getMessage().contains("needs 6 values, got 5"), e.getMessage());
    }
}
