package dev.squeeze.exec.panama;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.XOR;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector shapes and the two primitives every Panama kernel is built from: the int16-pair GEMM
 * micro-kernel and the vectorized fixed-point requantization.
 *
 * <h2>Why int16 pairs</h2>
 * The Vector API has no int8 dot-product instruction (no {@code vpmaddubsw}/{@code vpdpbusd}). A product
 * of an activation {@code x_s} in [−127, 128] and a weight {@code w} in [−128, 127] lies in [−16384, 16256]
 * and the sum of two such products in [−32768, 32512]: it fits int16 exactly. So the kernel multiplies
 * 16-bit lanes ({@code ShortVector.mul}, one instruction for 2·L products), adds two products per lane
 * in int16, and only then widens into int32 accumulators. Activations are stored shifted into
 * [−127, 128] ({@code x_s = x − 127} for uint8, {@code x + 1} for int8) precisely so that the weight −128
 * is allowed; the shift is folded into the bias ({@code acc = Σ x_s·w − zp_s·Σw + bias}, exact mod 2^32).
 *
 * <h2>Lane layout</h2>
 * Each int32 lane holds a <em>pair</em> of int16 values of two consecutive reduction indices
 * {@code (2kp, 2kp+1)}, low half first: {@code pair(a, b) = (a & 0xFFFF) | (b << 16)}. B (activation
 * panel) vectors hold pairs for L consecutive output pixels; A (weights) is one pair broadcast to every
 * lane. {@code B.mul(A)} in 16-bit lanes gives per int32 lane the two products of one pixel; adding the
 * product vector of the next pair {@code kp+1} leaves in the low half {@code x[2kp]·w[2kp] + x[2kp+2]·w[2kp+2]}
 * and in the high half the odd terms, each exact in int16.
 *
 * <h2>Widening</h2>
 * The wanted sum is {@code Σ (hi + lo)} over the steps, with {@code lo} and {@code hi} the two int16
 * halves of each {@code p}. Sign-extending both halves costs three shifts; instead each output vector keeps
 * two int32 accumulators: {@code S += p ^ 0x8000} and {@code H += p >> 16}. Flipping bit 15 adds
 * 2^15 to the low half without a borrow ({@code lo + 2^15} lies in [0, 2^16)), so as an int32
 * {@code p ^ 0x8000 = 2^16·hi + lo + 2^15} exactly, and after n steps
 * {@code Σ(hi + lo) = S − 65535·H − 2^15·n} — all modulo 2^32, like every accumulator here, so the
 * result is exactly the int32 dot product. Per 4·L multiply-accumulates that is 2 multiplies, 1 int16
 * add, 1 xor, 1 shift and 2 int32 adds (7 operations, one fewer shift than sign-extending both halves,
 * about 10 % faster on AVX-512, measured), with exact int32 results.
 *
 * <h2>Requantization</h2>
 * {@link #row} is {@code Requantizer.requantize} with the zero point and clamp,
 * lane-wise in 64-bit lanes: even and odd int lanes sign-extended in place, multiplied by the
 * multiplier, plus {@code 2^(t−1)}, arithmetic shift right by {@code t = 31 − shift} (exactly
 * {@code floor((acc·m + 2^(t−1)) / 2^t)}), clamped while still 64-bit, and merged back.
 */
final class Int16PairKernel {
    private Int16PairKernel() {}

    /** Property to narrow the vectors for testing (e.g. 256 on an AVX-512 machine); default the preferred shape. */
    static final String BITS_PROPERTY = "squeeze.exec.vectorBits";

    static final VectorSpecies<Integer> IS = intSpecies();
    static final VectorSpecies<Short> SS = IS.withLanes(short.class);
    static final VectorSpecies<Long> LS = IS.withLanes(long.class);
    /** Bytes, one per int lane (for widening loads and narrowing stores). */
    static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, IS.length() * 8)));
    /** Int lanes per vector. */
    static final int L = IS.length();
    /** Pixels per micro-tile: two int vectors. */
    static final int NR = 2 * L;
    /** Output channels (rows) per micro-tile. */
    static final int MR = 4;

    private static VectorSpecies<Integer> intSpecies() {
        VectorSpecies<Integer> preferred = IntVector.SPECIES_PREFERRED;
        String bits = System.getProperty(BITS_PROPERTY);
        if (bits == null || bits.isBlank()) return preferred;
        int b = Integer.parseInt(bits.trim());
        if (b > preferred.vectorBitSize()) return preferred;
        return VectorSpecies.of(int.class, VectorShape.forBitSize(b));
    }

    static boolean supported() { return IS.vectorBitSize() >= 256 && BS.length() == L; }

    static String describe() {
        return "IntVector " + IS.vectorBitSize() + "-bit (" + L + " lanes), ShortVector " + SS.vectorBitSize() + "-bit ("
                + SS.length() + " lanes) int16-pair multiply with int32 accumulation, LongVector requantization;"
                + " micro-tile " + MR + "×" + NR;
    }

    static int pair(int lo, int hi) { return (lo & 0xFFFF) | (hi << 16); }

    // ---- micro-kernels --------------------------------------------------------------------------

    /**
     * {@code c[cOff + r·NR + j] = Σ_kp lo·lo + hi·hi} of A pair {@code a[aOff + kp·MR + r]} and B pair
     * {@code b[bOff + kp·NR + j]} (a packed panel), for r &lt; 4, j &lt; NR, kp &lt; kp2 (even). Exact
     * int32 (see class doc). The constant stride lets C2 hoist the bounds checks of the vector loads:
     * about 1.25× the speed of the offset-table variant (measured, same process, best of 60 rounds).
     */
    static void gemm4(int[] a, int aOff, int[] b, int bOff, int kp2, int[] c, int cOff) {
        IntVector z = IntVector.zero(IS);
        int bias = 16384 * kp2; // 2^15 per step of two pairs: see "Widening" in the class doc
        IntVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        IntVector h00 = z, h01 = z, h10 = z, h11 = z, h20 = z, h21 = z, h30 = z, h31 = z;
        for (int kp = 0; kp < kp2; kp += 2) {
            int o0 = bOff + kp * NR, o1 = o0 + NR;
            ShortVector b0 = IntVector.fromArray(IS, b, o0).reinterpretAsShorts();
            ShortVector b1 = IntVector.fromArray(IS, b, o0 + L).reinterpretAsShorts();
            ShortVector c0 = IntVector.fromArray(IS, b, o1).reinterpretAsShorts();
            ShortVector c1 = IntVector.fromArray(IS, b, o1 + L).reinterpretAsShorts();
            int ai = aOff + kp * MR;
            ShortVector w, v;
            IntVector p;
            w = IntVector.broadcast(IS, a[ai]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, a[ai + MR]).reinterpretAsShorts();
            p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a00 = a00.add(p.lanewise(XOR, 0x8000));
            h00 = h00.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a01 = a01.add(p.lanewise(XOR, 0x8000));
            h01 = h01.add(p.lanewise(ASHR, 16));
            w = IntVector.broadcast(IS, a[ai + 1]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, a[ai + MR + 1]).reinterpretAsShorts();
            p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a10 = a10.add(p.lanewise(XOR, 0x8000));
            h10 = h10.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a11 = a11.add(p.lanewise(XOR, 0x8000));
            h11 = h11.add(p.lanewise(ASHR, 16));
            w = IntVector.broadcast(IS, a[ai + 2]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, a[ai + MR + 2]).reinterpretAsShorts();
            p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a20 = a20.add(p.lanewise(XOR, 0x8000));
            h20 = h20.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a21 = a21.add(p.lanewise(XOR, 0x8000));
            h21 = h21.add(p.lanewise(ASHR, 16));
            w = IntVector.broadcast(IS, a[ai + 3]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, a[ai + MR + 3]).reinterpretAsShorts();
            p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a30 = a30.add(p.lanewise(XOR, 0x8000));
            h30 = h30.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a31 = a31.add(p.lanewise(XOR, 0x8000));
            h31 = h31.add(p.lanewise(ASHR, 16));
        }
        a00.sub(h00.mul(65535)).sub(bias).intoArray(c, cOff);
        a01.sub(h01.mul(65535)).sub(bias).intoArray(c, cOff + L);
        a10.sub(h10.mul(65535)).sub(bias).intoArray(c, cOff + NR);
        a11.sub(h11.mul(65535)).sub(bias).intoArray(c, cOff + NR + L);
        a20.sub(h20.mul(65535)).sub(bias).intoArray(c, cOff + 2 * NR);
        a21.sub(h21.mul(65535)).sub(bias).intoArray(c, cOff + 2 * NR + L);
        a30.sub(h30.mul(65535)).sub(bias).intoArray(c, cOff + 3 * NR);
        a31.sub(h31.mul(65535)).sub(bias).intoArray(c, cOff + 3 * NR + L);
    }

    /**
     * {@code c[cOff + r·NR + j] = Σ_kp lo·lo + hi·hi} of A pair {@code a[aOff + kp·MR + r]} and B pair
     * {@code b[bBase + offs[kp] + j]}: the packed-panel kernel above reading B through a per-pair offset
     * table, straight from the pair planes; the indirection costs a bounds check per vector load. Row r of
     * the tile goes to {@code c[cOff + r·cs ..]}.
     */
    static void gemm4(int[] a, int aOff, int[] b, int bBase, int[] offs, int kp2, int[] c, int cOff, int cs) {
        IntVector z = IntVector.zero(IS);
        int bias = 16384 * kp2; // 2^15 per step of two pairs: see "Widening" in the class doc
        IntVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        IntVector h00 = z, h01 = z, h10 = z, h11 = z, h20 = z, h21 = z, h30 = z, h31 = z;
        for (int kp = 0; kp < kp2; kp += 2) {
            int o0 = bBase + offs[kp], o1 = bBase + offs[kp + 1];
            ShortVector b0 = IntVector.fromArray(IS, b, o0).reinterpretAsShorts();
            ShortVector b1 = IntVector.fromArray(IS, b, o0 + L).reinterpretAsShorts();
            ShortVector c0 = IntVector.fromArray(IS, b, o1).reinterpretAsShorts();
            ShortVector c1 = IntVector.fromArray(IS, b, o1 + L).reinterpretAsShorts();
            int ai = aOff + kp * MR;
            ShortVector w, v;
            IntVector p;
            w = IntVector.broadcast(IS, a[ai]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, a[ai + MR]).reinterpretAsShorts();
            p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a00 = a00.add(p.lanewise(XOR, 0x8000));
            h00 = h00.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a01 = a01.add(p.lanewise(XOR, 0x8000));
            h01 = h01.add(p.lanewise(ASHR, 16));
            w = IntVector.broadcast(IS, a[ai + 1]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, a[ai + MR + 1]).reinterpretAsShorts();
            p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a10 = a10.add(p.lanewise(XOR, 0x8000));
            h10 = h10.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a11 = a11.add(p.lanewise(XOR, 0x8000));
            h11 = h11.add(p.lanewise(ASHR, 16));
            w = IntVector.broadcast(IS, a[ai + 2]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, a[ai + MR + 2]).reinterpretAsShorts();
            p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a20 = a20.add(p.lanewise(XOR, 0x8000));
            h20 = h20.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a21 = a21.add(p.lanewise(XOR, 0x8000));
            h21 = h21.add(p.lanewise(ASHR, 16));
            w = IntVector.broadcast(IS, a[ai + 3]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, a[ai + MR + 3]).reinterpretAsShorts();
            p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a30 = a30.add(p.lanewise(XOR, 0x8000));
            h30 = h30.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a31 = a31.add(p.lanewise(XOR, 0x8000));
            h31 = h31.add(p.lanewise(ASHR, 16));
        }
        a00.sub(h00.mul(65535)).sub(bias).intoArray(c, cOff);
        a01.sub(h01.mul(65535)).sub(bias).intoArray(c, cOff + L);
        a10.sub(h10.mul(65535)).sub(bias).intoArray(c, cOff + cs);
        a11.sub(h11.mul(65535)).sub(bias).intoArray(c, cOff + cs + L);
        a20.sub(h20.mul(65535)).sub(bias).intoArray(c, cOff + 2 * cs);
        a21.sub(h21.mul(65535)).sub(bias).intoArray(c, cOff + 2 * cs + L);
        a30.sub(h30.mul(65535)).sub(bias).intoArray(c, cOff + 3 * cs);
        a31.sub(h31.mul(65535)).sub(bias).intoArray(c, cOff + 3 * cs + L);
    }

    /**
     * The packed-panel {@code gemm4} for the first L columns only (a block with at most L valid pixels,
     * e.g. a 4×4 plane at batch 1): half the loads and multiplies, so such blocks do not pay for NR.
     * Writes {@code c[cOff + r·NR + j]} for j &lt; L.
     */
    static void gemm4h(int[] a, int aOff, int[] b, int bOff, int kp2, int[] c, int cOff) {
        IntVector z = IntVector.zero(IS);
        int bias = 16384 * kp2; // 2^15 per step of two pairs: see "Widening" in the class doc
        IntVector a0 = z, a1 = z, a2 = z, a3 = z;
        IntVector h0 = z, h1 = z, h2 = z, h3 = z;
        for (int kp = 0; kp < kp2; kp += 2) {
            int o0 = bOff + kp * NR, o1 = o0 + NR;
            ShortVector b0 = IntVector.fromArray(IS, b, o0).reinterpretAsShorts();
            ShortVector c0 = IntVector.fromArray(IS, b, o1).reinterpretAsShorts();
            int ai = aOff + kp * MR;
            IntVector p;
            p = b0.mul(IntVector.broadcast(IS, a[ai]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, a[ai + MR]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a0 = a0.add(p.lanewise(XOR, 0x8000));
            h0 = h0.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, a[ai + 1]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, a[ai + MR + 1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a1 = a1.add(p.lanewise(XOR, 0x8000));
            h1 = h1.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, a[ai + 2]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, a[ai + MR + 2]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a2 = a2.add(p.lanewise(XOR, 0x8000));
            h2 = h2.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, a[ai + 3]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, a[ai + MR + 3]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a3 = a3.add(p.lanewise(XOR, 0x8000));
            h3 = h3.add(p.lanewise(ASHR, 16));
        }
        a0.sub(h0.mul(65535)).sub(bias).intoArray(c, cOff);
        a1.sub(h1.mul(65535)).sub(bias).intoArray(c, cOff + NR);
        a2.sub(h2.mul(65535)).sub(bias).intoArray(c, cOff + 2 * NR);
        a3.sub(h3.mul(65535)).sub(bias).intoArray(c, cOff + 3 * NR);
    }

    /** One row of the packed-panel {@code gemm4}: A pairs {@code a[aOff + kp]}. */
    static void gemm1(int[] a, int aOff, int[] b, int bOff, int kp2, int[] c, int cOff) {
        IntVector z = IntVector.zero(IS);
        int bias = 16384 * kp2; // 2^15 per step of two pairs: see "Widening" in the class doc
        IntVector a00 = z, a01 = z;
        IntVector h00 = z, h01 = z;
        for (int kp = 0; kp < kp2; kp += 2) {
            int o0 = bOff + kp * NR, o1 = o0 + NR;
            ShortVector b0 = IntVector.fromArray(IS, b, o0).reinterpretAsShorts();
            ShortVector b1 = IntVector.fromArray(IS, b, o0 + L).reinterpretAsShorts();
            ShortVector c0 = IntVector.fromArray(IS, b, o1).reinterpretAsShorts();
            ShortVector c1 = IntVector.fromArray(IS, b, o1 + L).reinterpretAsShorts();
            ShortVector w = IntVector.broadcast(IS, a[aOff + kp]).reinterpretAsShorts();
            ShortVector v = IntVector.broadcast(IS, a[aOff + kp + 1]).reinterpretAsShorts();
            IntVector p = b0.mul(w).add(c0.mul(v)).reinterpretAsInts();
            a00 = a00.add(p.lanewise(XOR, 0x8000));
            h00 = h00.add(p.lanewise(ASHR, 16));
            p = b1.mul(w).add(c1.mul(v)).reinterpretAsInts();
            a01 = a01.add(p.lanewise(XOR, 0x8000));
            h01 = h01.add(p.lanewise(ASHR, 16));
        }
        a00.sub(h00.mul(65535)).sub(bias).intoArray(c, cOff);
        a01.sub(h01.mul(65535)).sub(bias).intoArray(c, cOff + L);
    }

    /**
     * The transposed tile for convolutions whose outputs are few pixels of many channels ("lanes" mode of
     * {@link PanamaConv}): {@code c[cOff + i·NR + j] = Σ_kp} of the B pair {@code w[wOff + kp·NR + j]} (weights
     * of output channel j, packed {@code [kp][NR]}) times the activation pair {@code x[p_i + tap[kp]]}
     * broadcast, for the four pixels {@code i} whose plane offsets are {@code p0..p3} (any pixels: no panel,
     * no junk columns). Same int16-pair products and widening as {@link #gemm4}.
     */
    static void gemmT4(int[] w, int wOff, int[] x, int p0, int p1, int p2, int p3, int[] tap, int kp2, int[] c, int cOff) {
        IntVector z = IntVector.zero(IS);
        int bias = 16384 * kp2;
        IntVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
        IntVector h00 = z, h01 = z, h10 = z, h11 = z, h20 = z, h21 = z, h30 = z, h31 = z;
        for (int kp = 0; kp < kp2; kp += 2) {
            int o0 = wOff + kp * NR, o1 = o0 + NR;
            ShortVector b0 = IntVector.fromArray(IS, w, o0).reinterpretAsShorts();
            ShortVector b1 = IntVector.fromArray(IS, w, o0 + L).reinterpretAsShorts();
            ShortVector c0 = IntVector.fromArray(IS, w, o1).reinterpretAsShorts();
            ShortVector c1 = IntVector.fromArray(IS, w, o1 + L).reinterpretAsShorts();
            int t0 = tap[kp], t1 = tap[kp + 1];
            ShortVector u, v;
            IntVector p;
            u = IntVector.broadcast(IS, x[p0 + t0]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, x[p0 + t1]).reinterpretAsShorts();
            p = b0.mul(u).add(c0.mul(v)).reinterpretAsInts();
            a00 = a00.add(p.lanewise(XOR, 0x8000));
            h00 = h00.add(p.lanewise(ASHR, 16));
            p = b1.mul(u).add(c1.mul(v)).reinterpretAsInts();
            a01 = a01.add(p.lanewise(XOR, 0x8000));
            h01 = h01.add(p.lanewise(ASHR, 16));
            u = IntVector.broadcast(IS, x[p1 + t0]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, x[p1 + t1]).reinterpretAsShorts();
            p = b0.mul(u).add(c0.mul(v)).reinterpretAsInts();
            a10 = a10.add(p.lanewise(XOR, 0x8000));
            h10 = h10.add(p.lanewise(ASHR, 16));
            p = b1.mul(u).add(c1.mul(v)).reinterpretAsInts();
            a11 = a11.add(p.lanewise(XOR, 0x8000));
            h11 = h11.add(p.lanewise(ASHR, 16));
            u = IntVector.broadcast(IS, x[p2 + t0]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, x[p2 + t1]).reinterpretAsShorts();
            p = b0.mul(u).add(c0.mul(v)).reinterpretAsInts();
            a20 = a20.add(p.lanewise(XOR, 0x8000));
            h20 = h20.add(p.lanewise(ASHR, 16));
            p = b1.mul(u).add(c1.mul(v)).reinterpretAsInts();
            a21 = a21.add(p.lanewise(XOR, 0x8000));
            h21 = h21.add(p.lanewise(ASHR, 16));
            u = IntVector.broadcast(IS, x[p3 + t0]).reinterpretAsShorts();
            v = IntVector.broadcast(IS, x[p3 + t1]).reinterpretAsShorts();
            p = b0.mul(u).add(c0.mul(v)).reinterpretAsInts();
            a30 = a30.add(p.lanewise(XOR, 0x8000));
            h30 = h30.add(p.lanewise(ASHR, 16));
            p = b1.mul(u).add(c1.mul(v)).reinterpretAsInts();
            a31 = a31.add(p.lanewise(XOR, 0x8000));
            h31 = h31.add(p.lanewise(ASHR, 16));
        }
        a00.sub(h00.mul(65535)).sub(bias).intoArray(c, cOff);
        a01.sub(h01.mul(65535)).sub(bias).intoArray(c, cOff + L);
        a10.sub(h10.mul(65535)).sub(bias).intoArray(c, cOff + NR);
        a11.sub(h11.mul(65535)).sub(bias).intoArray(c, cOff + NR + L);
        a20.sub(h20.mul(65535)).sub(bias).intoArray(c, cOff + 2 * NR);
        a21.sub(h21.mul(65535)).sub(bias).intoArray(c, cOff + 2 * NR + L);
        a30.sub(h30.mul(65535)).sub(bias).intoArray(c, cOff + 3 * NR);
        a31.sub(h31.mul(65535)).sub(bias).intoArray(c, cOff + 3 * NR + L);
    }

    /**
     * {@link #gemmT4} for channel blocks of one vector (layers with at most L output channels per group):
     * eight pixels {@code p0..p7} × L channels, weights packed {@code [kp][L]}; {@code c[cOff + i·L + j]}.
     */
    static void gemmT8(int[] w, int wOff, int[] x, int p0, int p1, int p2, int p3, int p4, int p5, int p6, int p7, int[] tap, int kp2,
            int[] c, int cOff) {
        IntVector z = IntVector.zero(IS);
        int bias = 16384 * kp2;
        IntVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        IntVector h0 = z, h1 = z, h2 = z, h3 = z, h4 = z, h5 = z, h6 = z, h7 = z;
        for (int kp = 0; kp < kp2; kp += 2) {
            int o0 = wOff + kp * L;
            ShortVector b0 = IntVector.fromArray(IS, w, o0).reinterpretAsShorts();
            ShortVector c0 = IntVector.fromArray(IS, w, o0 + L).reinterpretAsShorts();
            int t0 = tap[kp], t1 = tap[kp + 1];
            IntVector p;
            p = b0.mul(IntVector.broadcast(IS, x[p0 + t0]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, x[p0 + t1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a0 = a0.add(p.lanewise(XOR, 0x8000));
            h0 = h0.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, x[p1 + t0]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, x[p1 + t1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a1 = a1.add(p.lanewise(XOR, 0x8000));
            h1 = h1.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, x[p2 + t0]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, x[p2 + t1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a2 = a2.add(p.lanewise(XOR, 0x8000));
            h2 = h2.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, x[p3 + t0]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, x[p3 + t1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a3 = a3.add(p.lanewise(XOR, 0x8000));
            h3 = h3.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, x[p4 + t0]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, x[p4 + t1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a4 = a4.add(p.lanewise(XOR, 0x8000));
            h4 = h4.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, x[p5 + t0]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, x[p5 + t1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a5 = a5.add(p.lanewise(XOR, 0x8000));
            h5 = h5.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, x[p6 + t0]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, x[p6 + t1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a6 = a6.add(p.lanewise(XOR, 0x8000));
            h6 = h6.add(p.lanewise(ASHR, 16));
            p = b0.mul(IntVector.broadcast(IS, x[p7 + t0]).reinterpretAsShorts()).add(c0.mul(IntVector.broadcast(IS, x[p7 + t1]).reinterpretAsShorts()))
                    .reinterpretAsInts();
            a7 = a7.add(p.lanewise(XOR, 0x8000));
            h7 = h7.add(p.lanewise(ASHR, 16));
        }
        a0.sub(h0.mul(65535)).sub(bias).intoArray(c, cOff + 0 * L);
        a1.sub(h1.mul(65535)).sub(bias).intoArray(c, cOff + 1 * L);
        a2.sub(h2.mul(65535)).sub(bias).intoArray(c, cOff + 2 * L);
        a3.sub(h3.mul(65535)).sub(bias).intoArray(c, cOff + 3 * L);
        a4.sub(h4.mul(65535)).sub(bias).intoArray(c, cOff + 4 * L);
        a5.sub(h5.mul(65535)).sub(bias).intoArray(c, cOff + 5 * L);
        a6.sub(h6.mul(65535)).sub(bias).intoArray(c, cOff + 6 * L);
        a7.sub(h7.mul(65535)).sub(bias).intoArray(c, cOff + 7 * L);
    }

    /**
     * One chunk of a 2×2 stride-2 max pool over int32 accumulator rows: {@code dst[dOff + j] =
     * max(c[a + 2j], c[a + 2j + 1], c[b + 2j], c[b + 2j + 1])} for {@code j < L} (reads 2L ints of each row).
     * Pairs of int lanes are compared as the two halves of 64-bit lanes, then narrowed back to int lanes.
     */
    static void pool2x2(int[] c, int a, int b, int[] dst, int dOff) {
        LongVector l0 = IntVector.fromArray(IS, c, a).max(IntVector.fromArray(IS, c, b)).reinterpretAsLongs();
        LongVector l1 = IntVector.fromArray(IS, c, a + L).max(IntVector.fromArray(IS, c, b + L)).reinterpretAsLongs();
        LongVector m0 = l0.lanewise(LSHL, 32).lanewise(ASHR, 32).max(l0.lanewise(ASHR, 32));
        LongVector m1 = l1.lanewise(LSHL, 32).lanewise(ASHR, 32).max(l1.lanewise(ASHR, 32));
        ((IntVector) m0.convertShape(VectorOperators.L2I, IS, 0)).add((IntVector) m1.convertShape(VectorOperators.L2I, IS, -1)).intoArray(dst, dOff);
    }

    /** {@code c[off + i] = max(c[off + i], c[off + stride + i], c[off + 2·stride + i], c[off + 3·stride + i])} for i &lt; n (a multiple of L). */
    static void max4(int[] c, int off, int stride, int n) {
        for (int i = 0; i < n; i += L) {
            IntVector.fromArray(IS, c, off + i).max(IntVector.fromArray(IS, c, off + stride + i))
                    .max(IntVector.fromArray(IS, c, off + 2 * stride + i).max(IntVector.fromArray(IS, c, off + 3 * stride + i)))
                    .intoArray(c, off + i);
        }
    }

    // ---- requantization ----------------------------------------------------------------------------
    //
    // C2 does not reliably inline helper methods here (even 38-byte ones fail with "callee is too large"
    // or "NodeCountInliningCutoff" next to the Vector API's expansions), and a vector passed to or
    // returned from a real call is boxed: an allocation per vector. So no method below takes or returns
    // a vector; each loop body spells out the requantization. The steps, in every copy:
    //   p = acc · m            int lanes sign-extended in place inside 64-bit lanes (even: << 32 >> 32,
    //                          odd: >> 32; little-endian lane order), times m (|p| < 2^62)
    //   y = (p + 2^(t−1)) >> t with t = 31 − shift in [0, 62] (the rounding term 2^t >> 1 is 0 for t = 0):
    //                          exactly floor((acc·m + 2^(t−1)) / 2^t), Requantizer's single rounding
    //   clamp(y, qmin − zp, qmax − zp) in the 64-bit lanes, the two halves merged back, + zp
    //                          (never forms y + zp before clamping: no wrap)

    private static final LongVector ONEL = LongVector.broadcast(LS, 1L);

    /**
     * Requantizes {@code acc[accOff + i] + bias} for {@code i < n} (n a multiple of L) with one channel's
     * parameters (positive {@code m, shift}; negative {@code nm, nshift}) and stores codes as bytes at
     * {@code out[outOff + i]}.
     */
    static void row(int[] acc, int accOff, int n, int bias, int m, int shift, int nm, int nshift, int zp, int qmin, int qmax,
            byte[] out, int outOff) {
        int lo = qmin - zp, hi = qmax - zp;
        if (m == nm && shift == nshift) {
            int t = 31 - shift;
            long rnd = (1L << t) >> 1;
            for (int i = 0; i < n; i += L) {
                LongVector xl = IntVector.fromArray(IS, acc, accOff + i).add(bias).reinterpretAsLongs();
                LongVector ev = xl.lanewise(LSHL, 32).lanewise(ASHR, 32).mul(m).add(rnd).lanewise(ASHR, t).max(lo).min(hi);
                LongVector od = xl.lanewise(ASHR, 32).mul(m).add(rnd).lanewise(ASHR, t).max(lo).min(hi);
                IntVector h = ev.and(0xFFFFFFFFL).or(od.lanewise(LSHL, 32)).reinterpretAsInts();
                ((ByteVector) h.add(zp).convertShape(VectorOperators.I2B, BS, 0)).intoArray(out, outOff + i);
            }
            return;
        }
        // Two branches: pick each lane's multiplier and shifts by the accumulator's sign, then one
        // requantization with per-lane parameters.
        IntVector pm = IntVector.broadcast(IS, m), pt = IntVector.broadcast(IS, 31 - shift);
        IntVector qm = IntVector.broadcast(IS, nm), qt = IntVector.broadcast(IS, 31 - nshift);
        for (int i = 0; i < n; i += L) {
            IntVector a = IntVector.fromArray(IS, acc, accOff + i).add(bias);
            VectorMask<Integer> neg = a.compare(LT, 0);
            LongVector xl = a.reinterpretAsLongs(), ml = pm.blend(qm, neg).reinterpretAsLongs(), tl = pt.blend(qt, neg).reinterpretAsLongs();
            LongVector te = tl.and(0xFFFFFFFFL), to = tl.lanewise(LSHR, 32);
            LongVector ev = xl.lanewise(LSHL, 32).lanewise(ASHR, 32).mul(ml.and(0xFFFFFFFFL)).add(ONEL.lanewise(LSHL, te).lanewise(ASHR, 1))
                    .lanewise(ASHR, te).max(lo).min(hi);
            LongVector od = xl.lanewise(ASHR, 32).mul(ml.lanewise(LSHR, 32)).add(ONEL.lanewise(LSHL, to).lanewise(ASHR, 1))
                    .lanewise(ASHR, to).max(lo).min(hi);
            IntVector h = ev.and(0xFFFFFFFFL).or(od.lanewise(LSHL, 32)).reinterpretAsInts();
            ((ByteVector) h.add(zp).convertShape(VectorOperators.I2B, BS, 0)).intoArray(out, outOff + i);
        }
    }

    /**
     * In place: {@code v[off + i] = clamp_int32(floor((v[off + i]·m + 2^(t−1)) / 2^t))}, {@code t = 31 − shift},
     * for {@code i < n} (a multiple of L): a requantizer with zero point 0 and no clamp but int32's (the
     * residual add's operand rescale).
     */
    static void rescale(int[] v, int off, int n, int m, int shift) {
        int t = 31 - shift;
        long rnd = (1L << t) >> 1;
        for (int i = 0; i < n; i += L) {
            LongVector xl = IntVector.fromArray(IS, v, off + i).reinterpretAsLongs();
            LongVector ev = xl.lanewise(LSHL, 32).lanewise(ASHR, 32).mul(m).add(rnd).lanewise(ASHR, t)
                    .max(Integer.MIN_VALUE).min(Integer.MAX_VALUE);
            LongVector od = xl.lanewise(ASHR, 32).mul(m).add(rnd).lanewise(ASHR, t).max(Integer.MIN_VALUE).min(Integer.MAX_VALUE);
            ev.and(0xFFFFFFFFL).or(od.lanewise(LSHL, 32)).reinterpretAsInts().intoArray(v, off + i);
        }
    }

    private static final jdk.incubator.vector.VectorSpecies<Float> FS = IS.withLanes(float.class);

    /**
     * Quantizes {@code in[inOff + i]} for {@code i < n} (a multiple of L) as {@code QuantParams.quantize}:
     * float32 {@code x·inv}, clamped to one step beyond the code range (so the rounding below is exact and
     * the clamp after it gives the same code as clamping last), rounded half to even by adding and
     * subtracting 1.5·2^23, {@code + zp}, clamped. Stops at the first vector holding a NaN.
     *
     * @return the number of values done (n, or the index of the vector with a NaN)
     */
    static int quantize(float[] in, int inOff, float inv, int zp, int qmin, int qmax, byte[] out, int outOff, int n) {
        float lo = qmin - zp - 1, hi = qmax - zp + 1, magic = 12582912f; // 1.5·2^23
        for (int i = 0; i < n; i += L) {
            jdk.incubator.vector.FloatVector x = jdk.incubator.vector.FloatVector.fromArray(FS, in, inOff + i);
            if (x.test(VectorOperators.IS_NAN).anyTrue()) return i;
            jdk.incubator.vector.FloatVector r = x.mul(inv).max(lo).min(hi).add(magic).sub(magic);
            ((ByteVector) ((IntVector) r.convert(VectorOperators.F2I, 0)).add(zp).max(qmin).min(qmax).convertShape(VectorOperators.I2B, BS, 0))
                    .intoArray(out, outOff + i);
        }
        return n;
    }

    /** {@code v[off + i] = (code(in[inOff + i]) − zp) << shift} for {@code i < n} (a multiple of L). */
    static void centre(byte[] in, int inOff, boolean uint8, int zp, int shift, int[] v, int off, int n) {
        for (int i = 0; i < n; i += L) {
            IntVector x = (IntVector) ByteVector.fromArray(BS, in, inOff + i).convertShape(VectorOperators.B2I, IS, 0);
            if (uint8) x = x.and(0xFF);
            x.sub(zp).lanewise(LSHL, shift).intoArray(v, off + i);
        }
    }

    /** {@code v[off + i] += w[wOff + i]} for {@code i < n} (a multiple of L). */
    static void addInto(int[] v, int off, int[] w, int wOff, int n) {
        for (int i = 0; i < n; i += L) IntVector.fromArray(IS, v, off + i).add(IntVector.fromArray(IS, w, wOff + i)).intoArray(v, off + i);
    }

    /**
     * Per-channel requantization parameters, split for the vector code, padded with zeros to a multiple
     * of the lane count.
     */
    static final class Stage {
        /** Per channel: multipliers and shifts, and the right shifts {@code t = 31 − shift} for both signs. */
        final int[] m, shift, nm, nshift, t, nt;
        final boolean single;
        final int zp, qmin, qmax;

        Stage(dev.squeeze.exec.OutputStage s, int padTo) {
            int n = s.channels(), len = Math.max(n, padTo);
            m = new int[len];
            shift = new int[len];
            nm = new int[len];
            nshift = new int[len];
            t = new int[len];
            nt = new int[len];
            for (int c = 0; c < n; c++) {
                m[c] = s.multiplier(c);
                shift[c] = s.shift(c);
                nm[c] = s.negativeMultiplier(c);
                nshift[c] = s.negativeShift(c);
                t[c] = 31 - shift[c];
                nt[c] = 31 - nshift[c];
            }
            single = s.singleBranch();
            zp = s.zeroPoint();
            qmin = s.qmin();
            qmax = s.qmax();
        }

        /** {@link Int16PairKernel#row} for channel c. */
        void row(int[] acc, int accOff, int n, int c, int bias, byte[] out, int outOff) {
            Int16PairKernel.row(acc, accOff, n, bias, m[c], shift[c], nm[c], nshift[c], zp, qmin, qmax, out, outOff);
        }

        /**
         * Requantizes {@code acc[accOff + i] + bias[c0 + i]} for {@code i < n} (a multiple of L) where lane
         * i is channel {@code c0 + i}, storing bytes at {@code out[outOff + i]}.
         */
        void lanes(int[] acc, int accOff, int n, int c0, int[] bias, byte[] out, int outOff) {
            int lo = qmin - zp, hi = qmax - zp;
            for (int i = 0; i < n; i += L) {
                int c = c0 + i;
                IntVector a = IntVector.fromArray(IS, acc, accOff + i).add(IntVector.fromArray(IS, bias, c));
                IntVector mv = IntVector.fromArray(IS, m, c), tv = IntVector.fromArray(IS, t, c);
                if (!single) {
                    VectorMask<Integer> neg = a.compare(LT, 0);
                    mv = mv.blend(IntVector.fromArray(IS, nm, c), neg);
                    tv = tv.blend(IntVector.fromArray(IS, nt, c), neg);
                }
                LongVector xl = a.reinterpretAsLongs(), ml = mv.reinterpretAsLongs(), tl = tv.reinterpretAsLongs();
                LongVector te = tl.and(0xFFFFFFFFL), to = tl.lanewise(LSHR, 32);
                LongVector ev = xl.lanewise(LSHL, 32).lanewise(ASHR, 32).mul(ml.and(0xFFFFFFFFL)).add(ONEL.lanewise(LSHL, te).lanewise(ASHR, 1))
                        .lanewise(ASHR, te).max(lo).min(hi);
                LongVector od = xl.lanewise(ASHR, 32).mul(ml.lanewise(LSHR, 32)).add(ONEL.lanewise(LSHL, to).lanewise(ASHR, 1))
                        .lanewise(ASHR, to).max(lo).min(hi);
                IntVector h = ev.and(0xFFFFFFFFL).or(od.lanewise(LSHL, 32)).reinterpretAsInts();
                ((ByteVector) h.add(zp).convertShape(VectorOperators.I2B, BS, 0)).intoArray(out, outOff + i);
            }
        }
    }
}
