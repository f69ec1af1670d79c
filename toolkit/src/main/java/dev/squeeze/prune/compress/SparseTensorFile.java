package dev.squeeze.prune.compress;

import dev.squeeze.util.AtomicFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * Squeeze's on-disk format for named tensors stored dense, sparse or weight-shared: the files whose sizes
 * {@link DeepCompression} reports. All integers are big-endian.
 *
 * <pre>
 * file     = magic "SQZSPARS" (8 bytes) · version u8 (= 1) · tensorCount i32 · tensor*
 * tensor   = name (u16 byte length + UTF-8) · rank u8 · dims i32 × rank · encoding u8
 *            · payloadLength i32 · payloadCrc32 i32 · payload
 * </pre>
 * Payloads by {@link Encoding} ({@code n} = elements, {@code nz} = non-zeros / kept weights; bit streams
 * are most significant bit first and zero-padded to a byte):
 * <pre>
 * DENSE_FP32       n × f32
 * BITMASK_FP32     ceil(n/8) mask bytes (element i is bit i mod 8, least significant first, of byte i/8) · nz × f32
 * RELATIVE_FP32    gapBits u8 · nz i32 · bits: (gap[gapBits] · f32 value[32] unless gap is the escape)*
 * SHARED_FIXED     gapBits u8 · indexBits u8 · k u16 · k × f32 centroids · nz i32
 *                  · bits: (gap[gapBits] · index[indexBits] unless gap is the escape)*
 * SHARED_HUFFMAN   gapBits u8 · k u16 · k × f32 centroids · nz i32 · gap code lengths · index code lengths
 *                  · bits: (gap code · index code unless gap is the escape)*
 * </pre>
 * Gaps are {@link RelativeIndices}' relative indices (all-ones = escape: skip that many zeros, no value).
 * Code-length tables are {@link Huffman#writeLengths}: the file is self-contained.
 *
 * <p>Writes go to a temporary file that is renamed over the target ({@link AtomicFiles}), so a reader never
 * sees half a file from a crashed writer; a file damaged later (truncated copy, flipped bits) fails
 * {@link #read} with one {@link IOException} that names the file, the tensor and the fix.
 */
public final class SparseTensorFile {
    private SparseTensorFile() {}

    static final byte[] MAGIC = "SQZSPARS".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;

    /** How one tensor's values are stored. */
    public enum Encoding {
        DENSE_FP32, BITMASK_FP32, RELATIVE_FP32, SHARED_FIXED, SHARED_HUFFMAN;

        boolean shared() { return this == SHARED_FIXED || this == SHARED_HUFFMAN; }
    }

    /**
     * One stored tensor.
     *
     * @param name parameter name, unique in a file
     * @param shape e.g. {@code [out, in]}
     * @param encoding how it is (to be) stored
     * @param values the tensor, row-major ({@code -0.0} reads back as {@code +0.0} from sparse encodings)
     * @param shared for the shared encodings, the clustering the values come from; null otherwise
     */
    public record Entry(String name, long[] shape, Encoding encoding, float[] values, SharedWeights shared) {
        public Entry {
            shape = shape.clone();
            long size = 1;
            for (long d : shape) {
                if (d < 0 || d > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor '" + name + "': dimension " + d + " out of range");
                size *= d;
            }
            if (encoding.shared()) {
                if (shared == null) throw new IllegalArgumentException("tensor '" + name + "': " + encoding + " needs its SharedWeights");
                if (!Arrays.equals(shared.shape(), shape)) {
                    throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " but shared weights of " + Arrays.toString(shared.shape()));
                }
                values = shared.values();
            } else if (shared != null) {
                throw new IllegalArgumentException("tensor '" + name + "': " + encoding + " stores plain values; shared weights were given");
            }
            if (values.length != size) {
                throw new IllegalArgumentException("tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs " + size + " values, got " + values.length);
            }
            values = values.clone();
        }

        public static Entry of(String name, long[] shape, Encoding encoding, float[] values) {
            return new Entry(name, shape, encoding, values, null);
        }

        public static Entry shared(String name, SharedWeights shared, boolean huffman) {
            return new Entry(name, shared.shape(), huffman ? Encoding.SHARED_HUFFMAN : Encoding.SHARED_FIXED, shared.values(), shared);
        }

        /** A copy of the shape. */
        @Override public long[] shape() { return shape.clone(); }

        /** A copy of the values. */
        @Override public float[] values() { return values.clone(); }

        public int size() { return values.length; }
    }

    /** Writes {@code entries} to {@code file} atomically; returns the file's size in bytes. */
    public static long write(Path file, List<Entry> entries) {
        byte[] bytes = encode(entries);
        AtomicFiles.write(file, out -> out.write(bytes));
        return bytes.length;
    }

    /** The file's bytes, exactly what {@link #write} stores. */
    public static byte[] encode(List<Entry> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeByte(VERSION);
            out.writeInt(entries.size());
            java.util.Set<String> names = new java.util.HashSet<>();
            for (Entry e : entries) {
                if (!names.add(e.name())) throw new IllegalArgumentException("tensor name '" + e.name() + "' appears twice");
                byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
                if (name.length > 0xFFFF) throw new IllegalArgumentException("tensor name longer than 65,535 bytes");
                out.writeShort(name.length);
                out.write(name);
                if (e.shape().length > 255) throw new IllegalArgumentException("tensor '" + e.name() + "' has rank > 255");
                out.writeByte(e.shape().length);
                for (long d : e.shape()) out.writeInt((int) d);
                out.writeByte(e.encoding().ordinal());
                byte[] payload = payload(e);
                CRC32 crc = new CRC32();
                crc.update(payload);
                out.writeInt(payload.length);
                out.writeInt((int) crc.getValue());
                out.write(payload);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
        return bytes.toByteArray();
    }

    /** The payload bytes of one tensor (for size accounting without a file). */
    static byte[] payload(Entry e) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        float[] v = e.values();
        switch (e.encoding()) {
            case DENSE_FP32 -> { for (float f : v) out.writeFloat(f); }
            case BITMASK_FP32 -> {
                out.write(bitmask(v));
                for (float f : v) if (f != 0f) out.writeFloat(f);
            }
            case RELATIVE_FP32 -> {
                int gapBits = RelativeIndices.bestFixedGapBits(v, 32);
                out.writeByte(gapBits);
                out.writeInt(RelativeIndices.nonZero(v));
                BitWriter w = new BitWriter();
                int escape = RelativeIndices.escape(gapBits), j = 0;
                int[] nonZeroPositions = nonZeroPositions(v);
                for (int g : RelativeIndices.gapSymbols(v, gapBits)) {
                    w.write(g, gapBits);
                    if (g != escape) w.write(Float.floatToIntBits(v[nonZeroPositions[j++]]), 32);
                }
                out.write(w.finish());
            }
            case SHARED_FIXED -> {
                SharedWeights s = e.shared();
                float[] pattern = s.keptPattern();
                int indexBits = s.indexBits();
                int gapBits = RelativeIndices.bestFixedGapBits(pattern, indexBits);
                out.writeByte(gapBits);
                out.writeByte(indexBits);
                writeCentroids(out, s);
                out.writeInt(s.kept());
                BitWriter w = new BitWriter();
                int escape = RelativeIndices.escape(gapBits), j = 0;
                int[] kept = s.keptClusters();
                for (int g : RelativeIndices.gapSymbols(pattern, gapBits)) {
                    w.write(g, gapBits);
                    if (g != escape) w.write(kept[j++], indexBits);
                }
                out.write(w.finish());
            }
            case SHARED_HUFFMAN -> {
                SharedWeights s = e.shared();
                float[] pattern = s.keptPattern();
                int[] kept = s.keptClusters();
                Huffman indexCode = Huffman.fromCounts(Huffman.count(kept, s.clusterCount()));
                // The gap width that minimises the Huffman-coded total (gap codes + their tables).
                int gapBits = 1;
                Huffman gapCode = null;
                long best = Long.MAX_VALUE;
                for (int b = 1; b <= RelativeIndices.MAX_GAP_BITS; b++) {
                    long[] counts = Huffman.count(RelativeIndices.gapSymbols(pattern, b), 1 << b);
                    Huffman code = Huffman.fromCounts(counts);
                    long bits = code.encodedBits(counts) + 8L * code.writeLengths().length;
                    if (bits < best) { best = bits; gapBits = b; gapCode = code; }
                }
                out.writeByte(gapBits);
                writeCentroids(out, s);
                out.writeInt(kept.length);
                out.write(gapCode.writeLengths());
                out.write(indexCode.writeLengths());
                BitWriter w = new BitWriter();
                Huffman.Encoder gaps = gapCode.encoder(), indices = indexCode.encoder();
                int escape = RelativeIndices.escape(gapBits), j = 0;
                for (int g : RelativeIndices.gapSymbols(pattern, gapBits)) {
                    gaps.write(g, w);
                    if (g != escape) indices.write(kept[j++], w);
                }
                if (j != kept.length) throw new IllegalStateException("coded " + j + " of " + kept.length + " kept weights");
                out.write(w.finish());
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static void writeCentroids(DataOutputStream out, SharedWeights s) throws IOException {
        if (s.clusterCount() > 0xFFFF) throw new IllegalArgumentException("more than 65,535 clusters");
        out.writeShort(s.clusterCount());
        for (float c : s.centroids()) out.writeFloat(c);
    }

    static byte[] bitmask(float[] v) {
        byte[] mask = new byte[(v.length + 7) / 8];
        for (int i = 0; i < v.length; i++) if (v[i] != 0f) mask[i >>> 3] |= (byte) (1 << (i & 7));
        return mask;
    }

    private static int[] nonZeroPositions(float[] v) {
        int[] out = new int[RelativeIndices.nonZero(v)];
        int j = 0;
        for (int i = 0; i < v.length; i++) if (v[i] != 0f) out[j++] = i;
        return out;
    }

    /**
     * Reads a file {@link #write} wrote.
     *
     * @throws IOException the file is missing, is not this format, or is truncated or corrupt; the one
     *     message names the file, where it went wrong, and what to do
     */
    public static List<Entry> read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist; write it first (SparseTensorFile.write or DeepCompression)", e);
        }
        return decode(bytes, file.toString());
    }

    /** Parses file bytes; {@code source} names them in errors. */
    public static List<Entry> decode(byte[] bytes, String source) throws IOException {
        String fix = " Fix: write the file again with SparseTensorFile.write (DeepCompression writes every stage);"
                + " a truncated or damaged copy cannot be repaired.";
        int prefix = Math.min(bytes.length, MAGIC.length);
        if (!Arrays.equals(Arrays.copyOf(bytes, prefix), Arrays.copyOf(MAGIC, prefix)) || bytes.length == 0) {
            throw new IOException(source + " is not a Squeeze sparse tensor file: it is " + bytes.length + " bytes and does not start with the magic \"SQZSPARS\"."
                    + " Fix: pass a file SparseTensorFile.write produced.");
        }
        if (bytes.length < MAGIC.length + 5) {
            throw new IOException(source + ": truncated in the file header: " + bytes.length + " bytes, the header alone is " + (MAGIC.length + 5) + "." + fix);
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        in.skipNBytes(MAGIC.length);
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            throw new IOException(source + " has sparse-format version " + version + "; this Squeeze reads version " + VERSION
                    + ". Fix: write it again with this Squeeze, or read it with the version that wrote it.");
        }
        int count = in.readInt();
        if (count < 0) throw new IOException(source + " claims " + count + " tensors: the header is corrupt." + fix);
        List<Entry> out = new ArrayList<>();
        String previous = null;
        for (int t = 0; t < count; t++) {
            String where = previous == null ? "tensor 1 of " + count : "tensor " + (t + 1) + " of " + count + " (after '" + previous + "')";
            String name = null;
            long[] shape;
            Encoding encoding;
            byte[] payload;
            int crcStored;
            try {
                int nameLength = in.readUnsignedShort();
                byte[] nameBytes = in.readNBytes(nameLength);
                if (nameBytes.length < nameLength) throw new EOFException();
                name = new String(nameBytes, StandardCharsets.UTF_8);
                where = "tensor '" + name + "' (" + (t + 1) + " of " + count + ")";
                int rank = in.readUnsignedByte();
                shape = new long[rank];
                for (int d = 0; d < rank; d++) {
                    shape[d] = in.readInt();
                    if (shape[d] < 0) throw new IOException(source + ": " + where + " has dimension " + shape[d] + ": the header is corrupt." + fix);
                }
                int e = in.readUnsignedByte();
                if (e >= Encoding.values().length) {
                    throw new IOException(source + ": " + where + " has unknown encoding " + e + " (known: " + Arrays.toString(Encoding.values()) + "): the header is corrupt." + fix);
                }
                encoding = Encoding.values()[e];
                int length = in.readInt();
                crcStored = in.readInt();
                if (length < 0) throw new IOException(source + ": " + where + " claims a payload of " + length + " bytes: the header is corrupt." + fix);
                payload = in.readNBytes(length);
                if (payload.length < length) {
                    throw new IOException(String.format(Locale.ROOT, "%s: truncated at %s: expected %,d payload bytes, found %,d.%s",
                            source, where, length, payload.length, fix));
                }
            } catch (EOFException eof) {
                throw new IOException(source + ": truncated in the header of " + where + " (file ends at byte " + bytes.length + ")." + fix, eof);
            }
            CRC32 crc = new CRC32();
            crc.update(payload);
            if ((int) crc.getValue() != crcStored) {
                throw new IOException(String.format(Locale.ROOT, "%s: %s is corrupt: CRC32 of its %,d payload bytes is %08x, the header says %08x.%s",
                        source, where, payload.length, (int) crc.getValue(), crcStored, fix));
            }
            try {
                out.add(decodePayload(name, shape, encoding, payload));
            } catch (IllegalArgumentException | IOException bad) {
                throw new IOException(source + ": " + where + " (" + encoding + ") does not decode although its checksum matches: " + bad.getMessage()
                        + ". The file was written by a different or broken writer." + fix, bad);
            }
            previous = name;
        }
        int trailing = in.available();
        if (trailing > 0) {
            throw new IOException(String.format(Locale.ROOT, "%s has %,d bytes after its last tensor ('%s'): the file was appended to or is not one file.%s",
                    source, trailing, previous, fix));
        }
        return out;
    }

    private static Entry decodePayload(String name, long[] shape, Encoding encoding, byte[] payload) throws IOException {
        long size = 1;
        for (long d : shape) size *= d;
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large");
        int n = (int) size;
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        float[] v = new float[n];
        Entry e;
        switch (encoding) {
            case DENSE_FP32 -> {
                expectLength(payload, 4L * n, "n × 4");
                for (int i = 0; i < n; i++) v[i] = in.readFloat();
                e = Entry.of(name, shape, encoding, v);
            }
            case BITMASK_FP32 -> {
                byte[] mask = in.readNBytes((n + 7) / 8);
                int nz = 0;
                for (int i = 0; i < n; i++) if ((mask[i >>> 3] >>> (i & 7) & 1) != 0) nz++;
                expectLength(payload, (n + 7) / 8 + 4L * nz, "mask + non-zeros × 4");
                for (int i = 0; i < n; i++) if ((mask[i >>> 3] >>> (i & 7) & 1) != 0) v[i] = in.readFloat();
                e = Entry.of(name, shape, encoding, v);
            }
            case RELATIVE_FP32 -> {
                int gapBits = in.readUnsignedByte();
                RelativeIndices.checkBits(gapBits);
                int nz = in.readInt();
                BitReader r = new BitReader(payload, 5, payload.length - 5);
                long p = 0;
                int escape = RelativeIndices.escape(gapBits);
                for (int j = 0; j < nz; ) {
                    int g = (int) r.read(gapBits);
                    p += g;
                    if (g == escape) continue;
                    if (p >= n) throw new IllegalArgumentException("value " + j + " lands at element " + p + " of " + n);
                    v[(int) p++] = Float.intBitsToFloat((int) r.read(32));
                    j++;
                }
                endOfStream(r);
                e = Entry.of(name, shape, encoding, v);
            }
            case SHARED_FIXED, SHARED_HUFFMAN -> {
                int gapBits = in.readUnsignedByte();
                RelativeIndices.checkBits(gapBits);
                int indexBits = encoding == Encoding.SHARED_FIXED ? in.readUnsignedByte() : 0;
                int k = in.readUnsignedShort();
                float[] centroids = new float[k];
                for (int c = 0; c < k; c++) centroids[c] = in.readFloat();
                int nz = in.readInt();
                Huffman.Decoder gaps = null, indices = null;
                if (encoding == Encoding.SHARED_HUFFMAN) {
                    gaps = Huffman.readLengths(in).decoder();
                    indices = Huffman.readLengths(in).decoder();
                }
                int headerBytes = payload.length - in.available();
                BitReader r = new BitReader(payload, headerBytes, payload.length - headerBytes);
                int[] clusters = new int[n];
                Arrays.fill(clusters, SharedWeights.PRUNED);
                long p = 0;
                int escape = RelativeIndices.escape(gapBits);
                for (int j = 0; j < nz; ) {
                    int g = gaps != null ? gaps.read(r) : (int) r.read(gapBits);
                    p += g;
                    if (g == escape) continue;
                    if (p >= n) throw new IllegalArgumentException("kept weight " + j + " lands at element " + p + " of " + n);
                    int c = indices != null ? indices.read(r) : (int) r.read(indexBits);
                    if (c >= k) throw new IllegalArgumentException("cluster index " + c + " but only " + k + " centroids");
                    clusters[(int) p++] = c;
                    j++;
                }
                endOfStream(r);
                e = Entry.shared(name, new SharedWeights(shape, centroids, clusters), encoding == Encoding.SHARED_HUFFMAN);
            }
            default -> throw new IllegalStateException("unhandled encoding " + encoding);
        }
        return e;
    }

    private static void expectLength(byte[] payload, long expected, String formula) {
        if (payload.length != expected) {
            throw new IllegalArgumentException("payload is " + payload.length + " bytes but " + formula + " gives " + expected);
        }
    }

    private static void endOfStream(BitReader r) {
        if (!r.onlyPaddingLeft()) throw new IllegalArgumentException(r.remaining() + " bits left over after the last value");
    }
}
