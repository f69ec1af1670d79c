package dev.squeeze.prune.compress;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * Canonical Huffman codes over the alphabet {@code 0 … alphabetSize−1}, the last stage of Deep
 * Compression (Han et al. 2016 code the cluster indices and the sparse index gaps this way).
 *
 * <p>A canonical code is fully described by its code lengths: symbols are ordered by (length, symbol)
 * and given consecutive codes, so a file stores one length per symbol ({@link #writeLengths}) and no tree.
 * Codes are written most significant bit first. A symbol that never occurs gets length 0 (no code); an
 * alphabet with a single used symbol gets a 1-bit code, so that every occurrence still takes a bit and the
 * stream's length says how many there were. Lengths are capped at {@link #MAX_LENGTH} bits by flattening
 * the counts (halving them, keeping each ≥ 1) until the tree fits, which costs almost nothing for the
 * distributions seen here and keeps every code inside one {@code int}.
 *
 * @param lengths code length in bits per symbol, 0 for symbols without a code
 */
public record Huffman(int[] lengths) {
    /** Longest code this class builds or accepts. */
    public static final int MAX_LENGTH = 24;

    public Huffman {
        lengths = lengths.clone();
        validate(lengths);
    }

    /** The optimal (length-capped) canonical code for symbol counts; ties break by symbol, so it is deterministic. */
    public static Huffman fromCounts(long[] counts) {
        long[] c = counts.clone();
        for (long v : c) if (v < 0) throw new IllegalArgumentException("Huffman symbol counts must be ≥ 0, got " + v);
        while (true) {
            int[] lengths = treeLengths(c);
            int max = Arrays.stream(lengths).max().orElse(0);
            if (max <= MAX_LENGTH) return new Huffman(lengths);
            for (int i = 0; i < c.length; i++) if (c[i] > 0) c[i] = Math.max(1, c[i] / 2);
        }
    }

    /** Counts of each symbol in {@code symbols}, for an alphabet of {@code alphabetSize}. */
    public static long[] count(int[] symbols, int alphabetSize) {
        long[] c = new long[alphabetSize];
        for (int s : symbols) c[s]++;
        return c;
    }

    private static int[] treeLengths(long[] counts) {
        int n = counts.length;
        int[] lengths = new int[n];
        int used = 0, only = -1;
        for (int i = 0; i < n; i++) if (counts[i] > 0) { used++; only = i; }
        if (used == 0) return lengths;
        if (used == 1) { lengths[only] = 1; return lengths; }
        // Nodes 0..n-1 are leaves, later ones internal; parent[] lets us read each leaf's depth at the end.
        int[] parent = new int[2 * n];
        long[] weight = new long[2 * n];
        // Order by (weight, node id): ties resolve the same way on every run.
        PriorityQueue<Integer> queue = new PriorityQueue<>((a, b) -> weight[a] != weight[b] ? Long.compare(weight[a], weight[b]) : Integer.compare(a, b));
        for (int i = 0; i < n; i++) if (counts[i] > 0) { weight[i] = counts[i]; queue.add(i); }
        int next = n;
        while (queue.size() > 1) {
            int a = queue.poll(), b = queue.poll();
            weight[next] = weight[a] + weight[b];
            parent[a] = next;
            parent[b] = next;
            queue.add(next++);
        }
        int root = queue.poll();
        for (int i = 0; i < n; i++) {
            if (counts[i] == 0) continue;
            int depth = 0;
            for (int v = i; v != root; v = parent[v]) depth++;
            lengths[i] = depth;
        }
        return lengths;
    }

    private static void validate(int[] lengths) {
        // Kraft: Σ 2^-len ≤ 1, else no prefix code has these lengths (a corrupt table).
        double kraft = 0;
        int used = 0;
        for (int i = 0; i < lengths.length; i++) {
            int l = lengths[i];
            if (l < 0 || l > MAX_LENGTH) {
                throw new IllegalArgumentException("Huffman code length of symbol " + i + " is " + l + "; lengths must be in [0, " + MAX_LENGTH + "]");
            }
            if (l > 0) { kraft += Math.scalb(1.0, -l); used++; }
        }
        if (kraft > 1 + 1e-12) {
            throw new IllegalArgumentException("Huffman code lengths " + summary(lengths) + " violate Kraft's inequality (Σ 2^-length = "
                    + kraft + " > 1): no prefix code has them, so the length table is corrupt");
        }
    }

    private static String summary(int[] lengths) {
        return lengths.length <= 16 ? Arrays.toString(lengths) : "of " + lengths.length + " symbols";
    }

    public int alphabetSize() { return lengths.length; }

    /** The canonical codes, one per symbol (undefined where the length is 0). */
    public int[] codes() {
        int max = Arrays.stream(lengths).max().orElse(0);
        int[] perLength = new int[max + 2];
        for (int l : lengths) if (l > 0) perLength[l]++;
        // First code of length L = (first code of L−1 + count of L−1) << 1; symbols of one length count up.
        int[] next = new int[max + 2];
        int code = 0;
        for (int len = 1; len <= max; len++) {
            next[len] = code;
            code = (code + perLength[len]) << 1;
        }
        int[] codes = new int[lengths.length];
        for (int s = 0; s < lengths.length; s++) if (lengths[s] > 0) codes[s] = next[lengths[s]]++;
        return codes;
    }

    /** Bits the symbols with these counts take in this code. */
    public long encodedBits(long[] counts) {
        long bits = 0;
        for (int s = 0; s < counts.length; s++) {
            if (counts[s] == 0) continue;
            if (s >= lengths.length || lengths[s] == 0) throw new IllegalArgumentException("symbol " + s + " occurs but has no Huffman code");
            bits += counts[s] * lengths[s];
        }
        return bits;
    }

    /** An encoder bound to this code's canonical codes. */
    Encoder encoder() { return new Encoder(lengths, codes()); }

    /** A decoder for this code. */
    Decoder decoder() { return new Decoder(lengths); }

    /** Encodes a whole symbol sequence; bytes padded with zero bits. */
    public byte[] encode(int[] symbols) {
        BitWriter w = new BitWriter();
        Encoder e = encoder();
        for (int s : symbols) e.write(s, w);
        return w.finish();
    }

    /** Decodes {@code count} symbols from {@code bytes} that {@link #encode} wrote. */
    public int[] decode(byte[] bytes, int count) {
        BitReader r = new BitReader(bytes, 0, bytes.length);
        Decoder d = decoder();
        int[] out = new int[count];
        for (int i = 0; i < count; i++) out[i] = d.read(r);
        return out;
    }

    /**
     * The length table as stored in files: the alphabet trimmed after the last used symbol, as an
     * unsigned 16-bit count, then one byte per length. Self-contained: {@link #readLengths} rebuilds the code.
     */
    public byte[] writeLengths() {
        int size = lengths.length;
        while (size > 0 && lengths[size - 1] == 0) size--;
        if (size > 0xFFFF) throw new IllegalArgumentException("alphabet of " + size + " symbols does not fit the 16-bit table size");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeShort(size);
            for (int i = 0; i < size; i++) out.writeByte(lengths[i]);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /** Reads a table {@link #writeLengths} wrote. @throws IllegalArgumentException lengths no prefix code has */
    public static Huffman readLengths(DataInputStream in) throws IOException {
        int size = in.readUnsignedShort();
        int[] lengths = new int[size];
        for (int i = 0; i < size; i++) lengths[i] = in.readUnsignedByte();
        return new Huffman(lengths);
    }

    static final class Encoder {
        private final int[] lengths, codes;
        Encoder(int[] lengths, int[] codes) { this.lengths = lengths; this.codes = codes; }
        void write(int symbol, BitWriter w) {
            if (symbol < 0 || symbol >= lengths.length || lengths[symbol] == 0) {
                throw new IllegalArgumentException("symbol " + symbol + " has no code in this Huffman table (alphabet " + lengths.length + ")");
            }
            w.write(codes[symbol], lengths[symbol]);
        }
    }

    /** Canonical decoding: per length, the first code and where its symbols start in (length, symbol) order. */
    static final class Decoder {
        private final int maxLength;
        private final int[] firstCode, count, firstIndex, sorted;

        Decoder(int[] lengths) {
            maxLength = Arrays.stream(lengths).max().orElse(0);
            count = new int[maxLength + 1];
            for (int l : lengths) if (l > 0) count[l]++;
            firstCode = new int[maxLength + 1];
            firstIndex = new int[maxLength + 1];
            int code = 0, index = 0;
            for (int len = 1; len <= maxLength; len++) {
                firstCode[len] = code;
                firstIndex[len] = index;
                index += count[len];
                code = (code + count[len]) << 1;
            }
            sorted = new int[index];
            int[] fill = firstIndex.clone();
            for (int len = 1; len <= maxLength; len++) {
                for (int s = 0; s < lengths.length; s++) if (lengths[s] == len) sorted[fill[len]++] = s;
            }
        }

        int read(BitReader r) {
            if (maxLength == 0) throw new IllegalArgumentException("a Huffman table without symbols cannot decode anything");
            int code = 0;
            for (int len = 1; len <= maxLength; len++) {
                code = (code << 1) | r.bit();
                int offset = code - firstCode[len];
                if (offset >= 0 && offset < count[len]) return sorted[firstIndex[len] + offset];
            }
            throw new IllegalArgumentException("bit pattern at bit " + (r.bitsRead() - maxLength) + " is no code of this Huffman table");
        }
    }

    @Override public boolean equals(Object o) { return o instanceof Huffman h && Arrays.equals(lengths, h.lengths); }
    @Override public int hashCode() { return Arrays.hashCode(lengths); }
    @Override public String toString() { return "Huffman(" + summary(lengths) + ")"; }
}
