package dev.squeeze.exec;

import java.util.Arrays;

/**
 * Working memory for kernels, planned once (per model, batch size and thread count) and reused by every
 * call, so that the hot path allocates nothing. One {@code int[]} is shared by all workers of a call
 * (e.g. the padded input planes one phase writes and the next reads); every worker has its own
 * {@code int[]} and {@code byte[]} (packed panels, output tiles).
 *
 * <p>{@link #reserve} only grows the arrays; plan with the largest batch you will run. Not thread-safe
 * to reserve while a kernel runs.
 */
public final class Scratch {
    private int[] shared = new int[0];
    private final int[][] ints;
    private final byte[][] bytes;

    /** Scratch for {@code workers} ≥ 1 concurrent workers (intra-op threads). */
    public Scratch(int workers) {
        if (workers < 1) throw new IllegalArgumentException("Scratch needs ≥ 1 worker, got " + workers);
        ints = new int[workers][0];
        bytes = new byte[workers][0];
    }

    /** Grows the buffers to at least the given sizes (ints shared, ints and bytes per worker). */
    public Scratch reserve(long sharedInts, long localInts, long localBytes) {
        if (sharedInts > Integer.MAX_VALUE - 8 || localInts > Integer.MAX_VALUE - 8 || localBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("Scratch: " + sharedInts + " shared / " + localInts + " local ints or " + localBytes
                    + " bytes exceed a Java array; run a smaller batch");
        }
        if (shared.length < sharedInts) shared = new int[(int) sharedInts];
        for (int w = 0; w < ints.length; w++) {
            if (ints[w].length < localInts) ints[w] = new int[(int) localInts];
            if (bytes[w].length < localBytes) bytes[w] = new byte[(int) localBytes];
        }
        return this;
    }

    /** Grows the buffers to what {@code kernel} needs for {@code batch} images. */
    public Scratch reserve(Int8KernelSupport.Kernel kernel, int batch) {
        return reserve(kernel.sharedInts(batch), kernel.localInts(batch), kernel.localBytes(batch));
    }

    public int workers() { return ints.length; }

    /** The array all workers share. */
    public int[] shared() { return shared; }

    /** Worker {@code w}'s own ints. */
    public int[] ints(int w) { return ints[w]; }

    /** Worker {@code w}'s own bytes. */
    public byte[] bytes(int w) { return bytes[w]; }

    /** Bytes held, for reports. */
    public long sizeBytes() {
        long n = 4L * shared.length;
        for (int w = 0; w < ints.length; w++) n += 4L * ints[w].length + bytes[w].length;
        return n;
    }

    @Override public String toString() {
        return "Scratch[" + ints.length + " workers, " + String.format("%,d", sizeBytes()) + " bytes, local "
                + Arrays.stream(ints).mapToInt(a -> a.length).max().orElse(0) + " ints]";
    }
}
