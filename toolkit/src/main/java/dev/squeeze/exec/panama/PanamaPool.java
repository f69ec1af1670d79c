package dev.squeeze.exec.panama;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2B;
import static jdk.incubator.vector.VectorOperators.XOR;

import dev.squeeze.exec.CodeType;
import dev.squeeze.exec.PoolSpec;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 2×2, stride 2 max pool (the CNNs' down-sampling) on vectors, in two passes over codes:
 * <ol>
 *   <li><b>vertical</b>: for each output row, the lane-wise max of its two input rows, one byte vector per
 *       row (rows are short: 28 or 10 codes in the seed CNN), written to a row-major scratch
 *       {@code [planes][OH][W]};</li>
 *   <li><b>horizontal</b>: the scratch is one contiguous stream in which every output is the max of a
 *       byte pair {@code (2i, 2i+1)} (W is even, so no pair straddles a row): reinterpreted as 16-bit
 *       lanes, the two halves are sign-extended, compared, and narrowed to bytes, a whole vector of
 *       outputs at a time.</li>
 * uint8 codes travel with their sign bit flipped, so that signed comparisons order them correctly.
 * No vector is chosen by a branch (a vector merged from two paths is boxed by C2).
 * </ol>
 * The result is the scalar kernel's, exactly: the max of the four codes in the codes' own order.
 * Other geometries (odd widths, other kernels, padding) return {@code false} and run scalar.
 */
final class PanamaPool {
    private PanamaPool() {}

    private static final VectorSpecies<Short> SS = Int16PairKernel.SS;
    /** Bytes of a full vector: the horizontal pass reads this many and writes half as many. */
    private static final VectorSpecies<Byte> BFULL = SS.withLanes(byte.class);
    private static final VectorSpecies<Byte> BHALF = VectorSpecies.of(byte.class, VectorShape.forBitSize(SS.vectorBitSize() / 2));

    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

    // Constant species only: C2 intrinsifies vector ops only when the species is a compile-time constant.
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128, B256 = ByteVector.SPECIES_256;

    /** @return false when the geometry is not handled here (the caller runs the scalar kernel) */
    static boolean maxPool(PoolSpec spec, CodeType type, byte[] in, int inOff, byte[] out, int outOff, int planes) {
        int H = spec.height(), W = spec.width();
        if (spec.kernel() != 2 || spec.stride() != 2 || spec.padding() != 0 || (W & 1) != 0 || W < 2) return false;
        int OH = spec.outHeight(), OW = W / 2;
        int n = planes * OH * W; // scratch codes
        byte[] vm = SCRATCH.get();
        if (vm.length < n + BFULL.length()) {
            vm = new byte[n + BFULL.length()];
            SCRATCH.set(vm);
        }
        // Pass 1: vertical max, one row at a time with the narrowest vector that holds it (128, 256 or the
        // full width, looping for longer rows); a vector may spill past the row into the next row's scratch
        // slot, which the next row overwrites (rows go in order; the scratch has a vector of slack).
        boolean uint8 = type == CodeType.UINT8;
        // uint8 codes are compared with their sign bit flipped (signed order is then unsigned order; UMAX is
        // not in JDK 21's API): the scratch holds flipped codes, and pass 2 compares them as signed bytes.
        byte flip = uint8 ? (byte) 0x80 : 0;
        int V = W <= 16 ? 16 : W <= 32 && BFULL.length() >= 32 ? 32 : BFULL.length();
        int r = 0;
        for (int pl = 0; pl < planes; pl++) {
            int src = inOff + pl * H * W;
            for (int oy = 0; oy < OH; oy++, r++) {
                int a = src + 2 * oy * W, b = a + W, d = r * W;
                for (int x = 0; x < W; x += V) {
                    if (b + x + V > in.length) {
                        for (int i = x; i < Math.min(W, x + V); i++) {
                            vm[d + i] = (byte) Math.max((byte) (in[a + i] ^ flip), (byte) (in[b + i] ^ flip));
                        }
                    } else if (V == 16) {
                        ByteVector.fromArray(B128, in, a + x).lanewise(XOR, flip).max(ByteVector.fromArray(B128, in, b + x).lanewise(XOR, flip))
                                .intoArray(vm, d + x);
                    } else if (V == 32) {
                        ByteVector.fromArray(B256, in, a + x).lanewise(XOR, flip).max(ByteVector.fromArray(B256, in, b + x).lanewise(XOR, flip))
                                .intoArray(vm, d + x);
                    } else {
                        ByteVector.fromArray(BFULL, in, a + x).lanewise(XOR, flip).max(ByteVector.fromArray(BFULL, in, b + x).lanewise(XOR, flip))
                                .intoArray(vm, d + x);
                    }
                }
            }
        }
        // Pass 2: horizontal pairs over the whole stream.
        int full = BFULL.length(), i = 0, o = outOff;
        for (; i + full <= n; i += full, o += full / 2) {
            ShortVector v = ByteVector.fromArray(BFULL, vm, i).reinterpretAsShorts();
            ((ByteVector) v.lanewise(LSHL, 8).lanewise(ASHR, 8).max(v.lanewise(ASHR, 8)).convertShape(S2B, BHALF, 0)).lanewise(XOR, flip)
                    .intoArray(out, o);
        }
        for (; i < n; i += 2, o++) out[o] = (byte) (Math.max(vm[i], vm[i + 1]) ^ flip);
        return true;
    }
}
