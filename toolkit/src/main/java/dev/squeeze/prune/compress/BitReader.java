package dev.squeeze.prune.compress;

/** Reads what {@link BitWriter} wrote: values of 1–32 bits, most significant bit first. */
final class BitReader {
    private final byte[] data;
    private final int end;
    private long position; // in bits from data[offset]
    private final int offset;

    BitReader(byte[] data, int offset, int length) {
        this.data = data;
        this.offset = offset;
        this.end = offset + length;
    }

    /** The next bit. @throws IllegalArgumentException past the end (a truncated or corrupt stream) */
    int bit() {
        long byteIndex = offset + (position >>> 3);
        if (byteIndex >= end) {
            throw new IllegalArgumentException("bit stream ended after " + (position) + " bits while more were expected");
        }
        int b = (data[(int) byteIndex] >>> (7 - (int) (position & 7))) & 1;
        position++;
        return b;
    }

    /** The next {@code bits} bits as an unsigned value; {@code bits} in [0, 32]. */
    long read(int bits) {
        long v = 0;
        for (int i = 0; i < bits; i++) v = (v << 1) | bit();
        return v;
    }

    long bitsRead() { return position; }

    /** Bits left before the end of the stream (including the last byte's padding). */
    long remaining() { return (long) (end - offset) * 8 - position; }

    /** Whether every bit left is zero padding inside the last byte, as {@link BitWriter#finish} writes it. */
    boolean onlyPaddingLeft() {
        long left = remaining();
        if (left >= 8) return false;
        for (long i = 0; i < left; i++) if (bit() != 0) return false;
        return true;
    }
}
