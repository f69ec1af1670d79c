package dev.squeeze.prune.compress;

import dev.squeeze.model.NamedTensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Honest byte sizes of a set of weight tensors under the usual sparse encodings, so a sparsity figure can
 * be read as storage. Payload bytes only: names, shapes and per-tensor headers are left out (a
 * {@link SparseTensorFile} adds {@code 12 + 4·rank} bytes plus the UTF-8 name per tensor, and 13 per file). A weight is non-zero when
 * {@code w != 0f}.
 *
 * @param parameters elements over all tensors
 * @param nonZero non-zero elements
 * @param denseFp32Bytes every element as float32: {@code 4·parameters}
 * @param bitmaskFp32Bytes a bitmask (1 bit per element, per tensor rounded up to a byte) plus the non-zeros as float32
 * @param relativeIndexFp32Bytes Deep Compression's relative indexing ({@link RelativeIndices}): per tensor,
 *     the gap width that minimises the size, each non-zero as a gap field plus its float32, escapes where a
 *     gap overflows, rounded up to a byte per tensor
 * @param gzipDenseBytes {@code java.util.zip} gzip (default level) of the dense float32 bytes (big-endian,
 *     tensors concatenated): TF Model Optimization's way of showing what sparsity saves
 * @param gzipBitmaskBytes gzip of the bitmask-plus-float32 encoding
 * @param int8BitmaskBytes the bitmask plus each non-zero as int8 (symmetric, per output channel: axis 0 of
 *     a tensor of rank ≥ 2, one scale for a rank-1 tensor) plus one float32 scale per channel
 */
public record SparseSizes(long parameters, long nonZero, long denseFp32Bytes, long bitmaskFp32Bytes, long relativeIndexFp32Bytes,
                          long gzipDenseBytes, long gzipBitmaskBytes, long int8BitmaskBytes) {

    /** Sizes of {@code tensors} (e.g. {@code network.parameters()}, or only its weights). */
    public static SparseSizes of(List<NamedTensor> tensors) {
        long parameters = 0, nonZero = 0, bitmask = 0, relative = 0, int8 = 0;
        ByteArrayOutputStream dense = new ByteArrayOutputStream(), sparse = new ByteArrayOutputStream();
        for (NamedTensor t : tensors) {
            float[] v = t.values();
            int nz = RelativeIndices.nonZero(v);
            parameters += v.length;
            nonZero += nz;
            long maskBytes = (v.length + 7) / 8;
            bitmask += maskBytes + 4L * nz;
            int gapBits = RelativeIndices.bestFixedGapBits(v, 32);
            relative += (RelativeIndices.gapFieldBits(v, gapBits) + 32L * nz + 7) / 8;
            long channels = t.shape().length >= 2 ? t.shape()[0] : 1;
            int8 += maskBytes + nz + 4L * channels;
            ByteBuffer d = ByteBuffer.allocate(4 * v.length);
            for (float f : v) d.putFloat(f);
            dense.writeBytes(d.array());
            sparse.writeBytes(SparseTensorFile.bitmask(v));
            ByteBuffer s = ByteBuffer.allocate(4 * nz);
            for (float f : v) if (f != 0f) s.putFloat(f);
            sparse.writeBytes(s.array());
        }
        return new SparseSizes(parameters, nonZero, 4 * parameters, bitmask, relative, gzipSize(dense.toByteArray()),
                gzipSize(sparse.toByteArray()), int8);
    }

    /** Bytes after {@code java.util.zip} gzip at the default level. */
    public static long gzipSize(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot fail
        }
        return out.size();
    }

    /** Fraction of elements that are zero. */
    public double sparsity() { return parameters == 0 ? 0 : 1 - (double) nonZero / parameters; }

    /**
     * One row per encoding: {@code encoding}, {@code bytes}, {@code ratio} (dense fp32 bytes ÷ bytes) and
     * {@code bits_per_non_zero} (bytes·8 ÷ non-zeros, the cost of one kept weight including its index).
     */
    public Table table(String title) {
        StringColumn encoding = StringColumn.create("encoding");
        LongColumn bytes = LongColumn.create("bytes");
        DoubleColumn ratio = DoubleColumn.create("ratio");
        DoubleColumn bitsPerNonZero = DoubleColumn.create("bits_per_non_zero");
        String[] names = {"dense fp32", "bitmask + fp32", "relative index + fp32", "gzip(dense fp32)", "gzip(bitmask + fp32)",
                "bitmask + int8 per-channel"};
        long[] sizes = {denseFp32Bytes, bitmaskFp32Bytes, relativeIndexFp32Bytes, gzipDenseBytes, gzipBitmaskBytes, int8BitmaskBytes};
        for (int i = 0; i < names.length; i++) {
            encoding.append(names[i]);
            bytes.append(sizes[i]);
            // Rounded to two decimals: the table is for reading; the record keeps the exact byte counts.
            ratio.append(Math.round(100.0 * denseFp32Bytes / sizes[i]) / 100.0);
            bitsPerNonZero.append(nonZero == 0 ? Double.NaN : Math.round(800.0 * sizes[i] / nonZero) / 100.0);
        }
        return Table.create(title + String.format(Locale.ROOT, " (%,d parameters, %.1f %% zero)", parameters, 100 * sparsity()),
                encoding, bytes, ratio, bitsPerNonZero);
    }
}
