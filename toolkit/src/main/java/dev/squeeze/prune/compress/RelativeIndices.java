package dev.squeeze.prune.compress;

import java.util.Arrays;

/**
 * Positions of the non-zero weights as fixed-width gaps, Deep Compression's relative indexing.
 *
 * <p>Each non-zero weight is preceded by one gap symbol: the number of zeros skipped since the previous
 * non-zero (or the tensor's start). With {@code gapBits} bits a gap symbol is in {@code [0, 2^gapBits − 1]};
 * the all-ones symbol {@code 2^gapBits − 1} is an <em>escape</em>: it skips that many zeros and is followed
 * by another gap instead of a weight. This is Han et al.'s "filler zero" (a padding entry when a gap
 * overflows) without storing the filler's value; real gaps are therefore at most {@code 2^gapBits − 2}.
 * Zeros after the last non-zero are not coded: the tensor's size says where it ends.
 *
 * <p>A weight is non-zero when {@code w != 0f}; {@code -0.0f} counts as zero (it is what masking a
 * negative weight leaves) and is read back as {@code +0.0f}.
 */
public final class RelativeIndices {
    private RelativeIndices() {}

    /** Widest gap field the file format allows (a Huffman table's alphabet must fit 16 bits). */
    public static final int MAX_GAP_BITS = 15;

    /** The escape symbol for {@code gapBits}-bit gaps. */
    public static int escape(int gapBits) {
        checkBits(gapBits);
        return (1 << gapBits) - 1;
    }

    /** The gap symbols for the non-zeros of {@code values} (escapes included), in order. */
    public static int[] gapSymbols(float[] values, int gapBits) {
        int escape = escape(gapBits);
        int[] out = new int[16];
        int n = 0, gap = 0;
        for (float v : values) {
            if (v == 0f) { gap++; continue; }
            while (gap >= escape) {
                if (n == out.length) out = Arrays.copyOf(out, n * 2);
                out[n++] = escape;
                gap -= escape;
            }
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = gap;
            gap = 0;
        }
        return Arrays.copyOf(out, n);
    }

    /** Number of non-zero values. */
    public static int nonZero(float[] values) {
        int n = 0;
        for (float v : values) if (v != 0f) n++;
        return n;
    }

    /** Escape symbols needed with {@code gapBits}-bit gaps (without building the symbol list). */
    public static long escapes(float[] values, int gapBits) {
        int escape = escape(gapBits);
        long escapes = 0;
        int gap = 0;
        for (float v : values) {
            if (v == 0f) { gap++; continue; }
            escapes += gap / escape;
            gap = 0;
        }
        return escapes;
    }

    /** Bits of the gap fields alone: {@code (nonZero + escapes) · gapBits}. */
    public static long gapFieldBits(float[] values, int gapBits) {
        return (nonZero(values) + escapes(values, gapBits)) * gapBits;
    }

    /**
     * The gap width in [1, {@link #MAX_GAP_BITS}] that minimises the fixed-width stored bits when every
     * non-zero also carries {@code valueBits} bits (32 for fp32 values, the index width for shared weights).
     * Ties go to the narrower width.
     */
    public static int bestFixedGapBits(float[] values, int valueBits) {
        int best = 1;
        long bestBits = Long.MAX_VALUE;
        long nonZero = nonZero(values);
        for (int b = 1; b <= MAX_GAP_BITS; b++) {
            long bits = (nonZero + escapes(values, b)) * b + nonZero * valueBits;
            if (bits < bestBits) { bestBits = bits; best = b; }
        }
        return best;
    }

    /**
     * The flat positions of the non-zeros given their gap symbols.
     *
     * @param size the tensor's element count; a gap running past it is an error
     * @throws IllegalArgumentException when the gaps address past the tensor's end
     */
    public static int[] positions(int[] gapSymbols, int gapBits, int size) {
        int escape = escape(gapBits);
        int[] out = new int[gapSymbols.length];
        int n = 0;
        long p = 0;
        for (int g : gapSymbols) {
            if (g == escape) { p += escape; continue; }
            p += g;
            if (p >= size) throw new IllegalArgumentException("gap symbols address element " + p + " of a tensor of " + size);
            out[n++] = (int) p++;
        }
        return Arrays.copyOf(out, n);
    }

    static void checkBits(int gapBits) {
        if (gapBits < 1 || gapBits > MAX_GAP_BITS) {
            throw new IllegalArgumentException("gap width must be in [1, " + MAX_GAP_BITS + "] bits, got " + gapBits);
        }
    }
}
