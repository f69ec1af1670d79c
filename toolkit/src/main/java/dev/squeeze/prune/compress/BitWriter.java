package dev.squeeze.prune.compress;

import java.io.ByteArrayOutputStream;

/**
 * Writes values of 1–32 bits into a byte array, most significant bit first (the order canonical
 * Huffman codes are read in). The last byte is padded with zero bits.
 */
final class BitWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long buffer;
    private int buffered;
    private long bitsWritten;

    /** Appends the low {@code bits} bits of {@code value}, highest first; {@code bits} in [0, 32]. */
    void write(long value, int bits) {
        if (bits < 0 || bits > 32) throw new IllegalArgumentException("bits must be in [0, 32], got " + bits);
        if (bits == 0) return;
        buffer = (buffer << bits) | (value & ((1L << bits) - 1));
        buffered += bits;
        bitsWritten += bits;
        while (buffered >= 8) {
            buffered -= 8;
            out.write((int) (buffer >>> buffered) & 0xFF);
        }
        buffer &= (1L << buffered) - 1; // keep only the bits not yet flushed, so the shift above never overflows
    }

    long bitsWritten() { return bitsWritten; }

    /** The bytes written so far, the last one padded with zeros; the writer can no longer be used. */
    byte[] finish() {
        if (buffered > 0) {
            out.write((int) (buffer << (8 - buffered)) & 0xFF);
            buffered = 0;
        }
        return out.toByteArray();
    }
}
