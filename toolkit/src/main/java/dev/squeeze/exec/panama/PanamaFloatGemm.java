package dev.squeeze.exec.panama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked float32 FMA micro-kernels of {@link PanamaFloatKernels}: a tile of MR output channels
 * × NV vectors of pixels accumulated over a run of the reduction, written (or, with {@code acc}, added)
 * to {@code c[co + r·ldc + j]}. A is packed {@code [k][lda]} with the tile's rows first in each step (one
 * broadcast per row and step; {@code lda > MR} lets a narrower tile run on rows of a wider packing), B is
 * either a packed panel {@code [k][NV·L]} ("p" kernels) or read straight from stride-phase planes
 * through per-tap offsets, each vector at its own offset from the first ("d" kernels: consecutive pixels
 * of the padded plane, or whole output rows). Generated (one method per shape so that every accumulator
 * stays in a register) by {@code toolkit/scripts/codegen/gen-float-gemm.py} (edit that, not this file); shapes: 16×1L, 8×2L, 12×2L, 6×4L.
 */
final class PanamaFloatGemm {
    static final VectorSpecies<Float> FS = PanamaFloatKernels.FS;
    static final int L = FS.length();

    private PanamaFloatGemm() { }

    /** Tile shapes: rows and vectors of each {@link #packed}/{@link #direct} shape index. */
    static final int[] MRS = {16, 8, 12, 6}, NVS = {1, 2, 2, 4};

    /** Packed-B tile of shape {@code shape} (an index into {@link #MRS}). */
    static void packed(int shape, float[] a, int ao, int lda, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean acc) {
        switch (shape) {
            case 0 -> p16x1(a, ao, lda, b, bo, kc, c, co, ldc, acc);
            case 1 -> p8x2(a, ao, lda, b, bo, kc, c, co, ldc, acc);
            case 2 -> p12x2(a, ao, lda, b, bo, kc, c, co, ldc, acc);
            case 3 -> p6x4(a, ao, lda, b, bo, kc, c, co, ldc, acc);
            default -> throw new IllegalArgumentException("tile shape " + shape);
        }
    }

    /** Direct tile of shape {@code shape} over taps {@code [t0, t1)}. */
    static void direct(int shape, float[] a, int ao, int lda, float[] b, int bBase, int[] tap, int t0, int t1, int vo1, int vo2, int vo3, float[] c,
            int co, int ldc, boolean acc) {
        switch (shape) {
            case 0 -> d16x1(a, ao, lda, b, bBase, tap, t0, t1, vo1, vo2, vo3, c, co, ldc, acc);
            case 1 -> d8x2(a, ao, lda, b, bBase, tap, t0, t1, vo1, vo2, vo3, c, co, ldc, acc);
            case 2 -> d12x2(a, ao, lda, b, bBase, tap, t0, t1, vo1, vo2, vo3, c, co, ldc, acc);
            case 3 -> d6x4(a, ao, lda, b, bBase, tap, t0, t1, vo1, vo2, vo3, c, co, ldc, acc);
            default -> throw new IllegalArgumentException("tile shape " + shape);
        }
    }

    /** 16 rows × 1 vector(s): row r of step t at {@code a[ao + t·lda + r]}, B {@code b[bo ..]} as [kc][1·L]. */
    static void p16x1(float[] a, int ao, int lda, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean acc) {
        FloatVector c0_0, c1_0, c2_0, c3_0, c4_0, c5_0, c6_0, c7_0, c8_0, c9_0, c10_0, c11_0, c12_0, c13_0, c14_0, c15_0;
        if (acc) {
            c0_0 = FloatVector.fromArray(FS, c, co + 0 * ldc);
            c1_0 = FloatVector.fromArray(FS, c, co + 1 * ldc);
            c2_0 = FloatVector.fromArray(FS, c, co + 2 * ldc);
            c3_0 = FloatVector.fromArray(FS, c, co + 3 * ldc);
            c4_0 = FloatVector.fromArray(FS, c, co + 4 * ldc);
            c5_0 = FloatVector.fromArray(FS, c, co + 5 * ldc);
            c6_0 = FloatVector.fromArray(FS, c, co + 6 * ldc);
            c7_0 = FloatVector.fromArray(FS, c, co + 7 * ldc);
            c8_0 = FloatVector.fromArray(FS, c, co + 8 * ldc);
            c9_0 = FloatVector.fromArray(FS, c, co + 9 * ldc);
            c10_0 = FloatVector.fromArray(FS, c, co + 10 * ldc);
            c11_0 = FloatVector.fromArray(FS, c, co + 11 * ldc);
            c12_0 = FloatVector.fromArray(FS, c, co + 12 * ldc);
            c13_0 = FloatVector.fromArray(FS, c, co + 13 * ldc);
            c14_0 = FloatVector.fromArray(FS, c, co + 14 * ldc);
            c15_0 = FloatVector.fromArray(FS, c, co + 15 * ldc);
        } else {
            FloatVector z = FloatVector.zero(FS);
            c0_0 = z;
            c1_0 = z;
            c2_0 = z;
            c3_0 = z;
            c4_0 = z;
            c5_0 = z;
            c6_0 = z;
            c7_0 = z;
            c8_0 = z;
            c9_0 = z;
            c10_0 = z;
            c11_0 = z;
            c12_0 = z;
            c13_0 = z;
            c14_0 = z;
            c15_0 = z;
        }
        for (int t = 0, ai = ao, o = bo; t < kc; t++, ai += lda, o += 1 * L) {
            FloatVector b0 = FloatVector.fromArray(FS, b, o);
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c0_0 = b0.fma(w, c0_0);
            w = FloatVector.broadcast(FS, a[ai + 1]); c1_0 = b0.fma(w, c1_0);
            w = FloatVector.broadcast(FS, a[ai + 2]); c2_0 = b0.fma(w, c2_0);
            w = FloatVector.broadcast(FS, a[ai + 3]); c3_0 = b0.fma(w, c3_0);
            w = FloatVector.broadcast(FS, a[ai + 4]); c4_0 = b0.fma(w, c4_0);
            w = FloatVector.broadcast(FS, a[ai + 5]); c5_0 = b0.fma(w, c5_0);
            w = FloatVector.broadcast(FS, a[ai + 6]); c6_0 = b0.fma(w, c6_0);
            w = FloatVector.broadcast(FS, a[ai + 7]); c7_0 = b0.fma(w, c7_0);
            w = FloatVector.broadcast(FS, a[ai + 8]); c8_0 = b0.fma(w, c8_0);
            w = FloatVector.broadcast(FS, a[ai + 9]); c9_0 = b0.fma(w, c9_0);
            w = FloatVector.broadcast(FS, a[ai + 10]); c10_0 = b0.fma(w, c10_0);
            w = FloatVector.broadcast(FS, a[ai + 11]); c11_0 = b0.fma(w, c11_0);
            w = FloatVector.broadcast(FS, a[ai + 12]); c12_0 = b0.fma(w, c12_0);
            w = FloatVector.broadcast(FS, a[ai + 13]); c13_0 = b0.fma(w, c13_0);
            w = FloatVector.broadcast(FS, a[ai + 14]); c14_0 = b0.fma(w, c14_0);
            w = FloatVector.broadcast(FS, a[ai + 15]); c15_0 = b0.fma(w, c15_0);
        }
        c0_0.intoArray(c, co + 0 * ldc);
        c1_0.intoArray(c, co + 1 * ldc);
        c2_0.intoArray(c, co + 2 * ldc);
        c3_0.intoArray(c, co + 3 * ldc);
        c4_0.intoArray(c, co + 4 * ldc);
        c5_0.intoArray(c, co + 5 * ldc);
        c6_0.intoArray(c, co + 6 * ldc);
        c7_0.intoArray(c, co + 7 * ldc);
        c8_0.intoArray(c, co + 8 * ldc);
        c9_0.intoArray(c, co + 9 * ldc);
        c10_0.intoArray(c, co + 10 * ldc);
        c11_0.intoArray(c, co + 11 * ldc);
        c12_0.intoArray(c, co + 12 * ldc);
        c13_0.intoArray(c, co + 13 * ldc);
        c14_0.intoArray(c, co + 14 * ldc);
        c15_0.intoArray(c, co + 15 * ldc);
    }

    /** 16 rows × 1 vector(s): row r of step t at {@code a[ao + t·lda + r]}, vector v of B at {@code b[bBase + tap[t] + vo_v]} (vo_0 = 0). */
    static void d16x1(float[] a, int ao, int lda, float[] b, int bBase, int[] tap, int t0, int t1, int vo1, int vo2, int vo3, float[] c, int co, int ldc, boolean acc) {
        FloatVector c0_0, c1_0, c2_0, c3_0, c4_0, c5_0, c6_0, c7_0, c8_0, c9_0, c10_0, c11_0, c12_0, c13_0, c14_0, c15_0;
        if (acc) {
            c0_0 = FloatVector.fromArray(FS, c, co + 0 * ldc);
            c1_0 = FloatVector.fromArray(FS, c, co + 1 * ldc);
            c2_0 = FloatVector.fromArray(FS, c, co + 2 * ldc);
            c3_0 = FloatVector.fromArray(FS, c, co + 3 * ldc);
            c4_0 = FloatVector.fromArray(FS, c, co + 4 * ldc);
            c5_0 = FloatVector.fromArray(FS, c, co + 5 * ldc);
            c6_0 = FloatVector.fromArray(FS, c, co + 6 * ldc);
            c7_0 = FloatVector.fromArray(FS, c, co + 7 * ldc);
            c8_0 = FloatVector.fromArray(FS, c, co + 8 * ldc);
            c9_0 = FloatVector.fromArray(FS, c, co + 9 * ldc);
            c10_0 = FloatVector.fromArray(FS, c, co + 10 * ldc);
            c11_0 = FloatVector.fromArray(FS, c, co + 11 * ldc);
            c12_0 = FloatVector.fromArray(FS, c, co + 12 * ldc);
            c13_0 = FloatVector.fromArray(FS, c, co + 13 * ldc);
            c14_0 = FloatVector.fromArray(FS, c, co + 14 * ldc);
            c15_0 = FloatVector.fromArray(FS, c, co + 15 * ldc);
        } else {
            FloatVector z = FloatVector.zero(FS);
            c0_0 = z;
            c1_0 = z;
            c2_0 = z;
            c3_0 = z;
            c4_0 = z;
            c5_0 = z;
            c6_0 = z;
            c7_0 = z;
            c8_0 = z;
            c9_0 = z;
            c10_0 = z;
            c11_0 = z;
            c12_0 = z;
            c13_0 = z;
            c14_0 = z;
            c15_0 = z;
        }
        for (int t = t0, ai = ao; t < t1; t++, ai += lda) {
            int o = bBase + tap[t];
            FloatVector b0 = FloatVector.fromArray(FS, b, o);
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c0_0 = b0.fma(w, c0_0);
            w = FloatVector.broadcast(FS, a[ai + 1]); c1_0 = b0.fma(w, c1_0);
            w = FloatVector.broadcast(FS, a[ai + 2]); c2_0 = b0.fma(w, c2_0);
            w = FloatVector.broadcast(FS, a[ai + 3]); c3_0 = b0.fma(w, c3_0);
            w = FloatVector.broadcast(FS, a[ai + 4]); c4_0 = b0.fma(w, c4_0);
            w = FloatVector.broadcast(FS, a[ai + 5]); c5_0 = b0.fma(w, c5_0);
            w = FloatVector.broadcast(FS, a[ai + 6]); c6_0 = b0.fma(w, c6_0);
            w = FloatVector.broadcast(FS, a[ai + 7]); c7_0 = b0.fma(w, c7_0);
            w = FloatVector.broadcast(FS, a[ai + 8]); c8_0 = b0.fma(w, c8_0);
            w = FloatVector.broadcast(FS, a[ai + 9]); c9_0 = b0.fma(w, c9_0);
            w = FloatVector.broadcast(FS, a[ai + 10]); c10_0 = b0.fma(w, c10_0);
            w = FloatVector.broadcast(FS, a[ai + 11]); c11_0 = b0.fma(w, c11_0);
            w = FloatVector.broadcast(FS, a[ai + 12]); c12_0 = b0.fma(w, c12_0);
            w = FloatVector.broadcast(FS, a[ai + 13]); c13_0 = b0.fma(w, c13_0);
            w = FloatVector.broadcast(FS, a[ai + 14]); c14_0 = b0.fma(w, c14_0);
            w = FloatVector.broadcast(FS, a[ai + 15]); c15_0 = b0.fma(w, c15_0);
        }
        c0_0.intoArray(c, co + 0 * ldc);
        c1_0.intoArray(c, co + 1 * ldc);
        c2_0.intoArray(c, co + 2 * ldc);
        c3_0.intoArray(c, co + 3 * ldc);
        c4_0.intoArray(c, co + 4 * ldc);
        c5_0.intoArray(c, co + 5 * ldc);
        c6_0.intoArray(c, co + 6 * ldc);
        c7_0.intoArray(c, co + 7 * ldc);
        c8_0.intoArray(c, co + 8 * ldc);
        c9_0.intoArray(c, co + 9 * ldc);
        c10_0.intoArray(c, co + 10 * ldc);
        c11_0.intoArray(c, co + 11 * ldc);
        c12_0.intoArray(c, co + 12 * ldc);
        c13_0.intoArray(c, co + 13 * ldc);
        c14_0.intoArray(c, co + 14 * ldc);
        c15_0.intoArray(c, co + 15 * ldc);
    }

    /** 8 rows × 2 vector(s): row r of step t at {@code a[ao + t·lda + r]}, B {@code b[bo ..]} as [kc][2·L]. */
    static void p8x2(float[] a, int ao, int lda, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean acc) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1;
        if (acc) {
            c0_0 = FloatVector.fromArray(FS, c, co + 0 * ldc); c0_1 = FloatVector.fromArray(FS, c, co + 0 * ldc + 1 * L);
            c1_0 = FloatVector.fromArray(FS, c, co + 1 * ldc); c1_1 = FloatVector.fromArray(FS, c, co + 1 * ldc + 1 * L);
            c2_0 = FloatVector.fromArray(FS, c, co + 2 * ldc); c2_1 = FloatVector.fromArray(FS, c, co + 2 * ldc + 1 * L);
            c3_0 = FloatVector.fromArray(FS, c, co + 3 * ldc); c3_1 = FloatVector.fromArray(FS, c, co + 3 * ldc + 1 * L);
            c4_0 = FloatVector.fromArray(FS, c, co + 4 * ldc); c4_1 = FloatVector.fromArray(FS, c, co + 4 * ldc + 1 * L);
            c5_0 = FloatVector.fromArray(FS, c, co + 5 * ldc); c5_1 = FloatVector.fromArray(FS, c, co + 5 * ldc + 1 * L);
            c6_0 = FloatVector.fromArray(FS, c, co + 6 * ldc); c6_1 = FloatVector.fromArray(FS, c, co + 6 * ldc + 1 * L);
            c7_0 = FloatVector.fromArray(FS, c, co + 7 * ldc); c7_1 = FloatVector.fromArray(FS, c, co + 7 * ldc + 1 * L);
        } else {
            FloatVector z = FloatVector.zero(FS);
            c0_0 = z; c0_1 = z;
            c1_0 = z; c1_1 = z;
            c2_0 = z; c2_1 = z;
            c3_0 = z; c3_1 = z;
            c4_0 = z; c4_1 = z;
            c5_0 = z; c5_1 = z;
            c6_0 = z; c6_1 = z;
            c7_0 = z; c7_1 = z;
        }
        for (int t = 0, ai = ao, o = bo; t < kc; t++, ai += lda, o += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(FS, b, o);
            FloatVector b1 = FloatVector.fromArray(FS, b, o + 1 * L);
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c0_0 = b0.fma(w, c0_0); c0_1 = b1.fma(w, c0_1);
            w = FloatVector.broadcast(FS, a[ai + 1]); c1_0 = b0.fma(w, c1_0); c1_1 = b1.fma(w, c1_1);
            w = FloatVector.broadcast(FS, a[ai + 2]); c2_0 = b0.fma(w, c2_0); c2_1 = b1.fma(w, c2_1);
            w = FloatVector.broadcast(FS, a[ai + 3]); c3_0 = b0.fma(w, c3_0); c3_1 = b1.fma(w, c3_1);
            w = FloatVector.broadcast(FS, a[ai + 4]); c4_0 = b0.fma(w, c4_0); c4_1 = b1.fma(w, c4_1);
            w = FloatVector.broadcast(FS, a[ai + 5]); c5_0 = b0.fma(w, c5_0); c5_1 = b1.fma(w, c5_1);
            w = FloatVector.broadcast(FS, a[ai + 6]); c6_0 = b0.fma(w, c6_0); c6_1 = b1.fma(w, c6_1);
            w = FloatVector.broadcast(FS, a[ai + 7]); c7_0 = b0.fma(w, c7_0); c7_1 = b1.fma(w, c7_1);
        }
        c0_0.intoArray(c, co + 0 * ldc); c0_1.intoArray(c, co + 0 * ldc + 1 * L);
        c1_0.intoArray(c, co + 1 * ldc); c1_1.intoArray(c, co + 1 * ldc + 1 * L);
        c2_0.intoArray(c, co + 2 * ldc); c2_1.intoArray(c, co + 2 * ldc + 1 * L);
        c3_0.intoArray(c, co + 3 * ldc); c3_1.intoArray(c, co + 3 * ldc + 1 * L);
        c4_0.intoArray(c, co + 4 * ldc); c4_1.intoArray(c, co + 4 * ldc + 1 * L);
        c5_0.intoArray(c, co + 5 * ldc); c5_1.intoArray(c, co + 5 * ldc + 1 * L);
        c6_0.intoArray(c, co + 6 * ldc); c6_1.intoArray(c, co + 6 * ldc + 1 * L);
        c7_0.intoArray(c, co + 7 * ldc); c7_1.intoArray(c, co + 7 * ldc + 1 * L);
    }

    /** 8 rows × 2 vector(s): row r of step t at {@code a[ao + t·lda + r]}, vector v of B at {@code b[bBase + tap[t] + vo_v]} (vo_0 = 0). */
    static void d8x2(float[] a, int ao, int lda, float[] b, int bBase, int[] tap, int t0, int t1, int vo1, int vo2, int vo3, float[] c, int co, int ldc, boolean acc) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1;
        if (acc) {
            c0_0 = FloatVector.fromArray(FS, c, co + 0 * ldc); c0_1 = FloatVector.fromArray(FS, c, co + 0 * ldc + 1 * L);
            c1_0 = FloatVector.fromArray(FS, c, co + 1 * ldc); c1_1 = FloatVector.fromArray(FS, c, co + 1 * ldc + 1 * L);
            c2_0 = FloatVector.fromArray(FS, c, co + 2 * ldc); c2_1 = FloatVector.fromArray(FS, c, co + 2 * ldc + 1 * L);
            c3_0 = FloatVector.fromArray(FS, c, co + 3 * ldc); c3_1 = FloatVector.fromArray(FS, c, co + 3 * ldc + 1 * L);
            c4_0 = FloatVector.fromArray(FS, c, co + 4 * ldc); c4_1 = FloatVector.fromArray(FS, c, co + 4 * ldc + 1 * L);
            c5_0 = FloatVector.fromArray(FS, c, co + 5 * ldc); c5_1 = FloatVector.fromArray(FS, c, co + 5 * ldc + 1 * L);
            c6_0 = FloatVector.fromArray(FS, c, co + 6 * ldc); c6_1 = FloatVector.fromArray(FS, c, co + 6 * ldc + 1 * L);
            c7_0 = FloatVector.fromArray(FS, c, co + 7 * ldc); c7_1 = FloatVector.fromArray(FS, c, co + 7 * ldc + 1 * L);
        } else {
            FloatVector z = FloatVector.zero(FS);
            c0_0 = z; c0_1 = z;
            c1_0 = z; c1_1 = z;
            c2_0 = z; c2_1 = z;
            c3_0 = z; c3_1 = z;
            c4_0 = z; c4_1 = z;
            c5_0 = z; c5_1 = z;
            c6_0 = z; c6_1 = z;
            c7_0 = z; c7_1 = z;
        }
        for (int t = t0, ai = ao; t < t1; t++, ai += lda) {
            int o = bBase + tap[t];
            FloatVector b0 = FloatVector.fromArray(FS, b, o);
            FloatVector b1 = FloatVector.fromArray(FS, b, o + vo1);
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c0_0 = b0.fma(w, c0_0); c0_1 = b1.fma(w, c0_1);
            w = FloatVector.broadcast(FS, a[ai + 1]); c1_0 = b0.fma(w, c1_0); c1_1 = b1.fma(w, c1_1);
            w = FloatVector.broadcast(FS, a[ai + 2]); c2_0 = b0.fma(w, c2_0); c2_1 = b1.fma(w, c2_1);
            w = FloatVector.broadcast(FS, a[ai + 3]); c3_0 = b0.fma(w, c3_0); c3_1 = b1.fma(w, c3_1);
            w = FloatVector.broadcast(FS, a[ai + 4]); c4_0 = b0.fma(w, c4_0); c4_1 = b1.fma(w, c4_1);
            w = FloatVector.broadcast(FS, a[ai + 5]); c5_0 = b0.fma(w, c5_0); c5_1 = b1.fma(w, c5_1);
            w = FloatVector.broadcast(FS, a[ai + 6]); c6_0 = b0.fma(w, c6_0); c6_1 = b1.fma(w, c6_1);
            w = FloatVector.broadcast(FS, a[ai + 7]); c7_0 = b0.fma(w, c7_0); c7_1 = b1.fma(w, c7_1);
        }
        c0_0.intoArray(c, co + 0 * ldc); c0_1.intoArray(c, co + 0 * ldc + 1 * L);
        c1_0.intoArray(c, co + 1 * ldc); c1_1.intoArray(c, co + 1 * ldc + 1 * L);
        c2_0.intoArray(c, co + 2 * ldc); c2_1.intoArray(c, co + 2 * ldc + 1 * L);
        c3_0.intoArray(c, co + 3 * ldc); c3_1.intoArray(c, co + 3 * ldc + 1 * L);
        c4_0.intoArray(c, co + 4 * ldc); c4_1.intoArray(c, co + 4 * ldc + 1 * L);
        c5_0.intoArray(c, co + 5 * ldc); c5_1.intoArray(c, co + 5 * ldc + 1 * L);
        c6_0.intoArray(c, co + 6 * ldc); c6_1.intoArray(c, co + 6 * ldc + 1 * L);
        c7_0.intoArray(c, co + 7 * ldc); c7_1.intoArray(c, co + 7 * ldc + 1 * L);
    }

    /** 12 rows × 2 vector(s): row r of step t at {@code a[ao + t·lda + r]}, B {@code b[bo ..]} as [kc][2·L]. */
    static void p12x2(float[] a, int ao, int lda, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean acc) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1, c8_0, c8_1, c9_0, c9_1, c10_0, c10_1, c11_0, c11_1;
        if (acc) {
            c0_0 = FloatVector.fromArray(FS, c, co + 0 * ldc); c0_1 = FloatVector.fromArray(FS, c, co + 0 * ldc + 1 * L);
            c1_0 = FloatVector.fromArray(FS, c, co + 1 * ldc); c1_1 = FloatVector.fromArray(FS, c, co + 1 * ldc + 1 * L);
            c2_0 = FloatVector.fromArray(FS, c, co + 2 * ldc); c2_1 = FloatVector.fromArray(FS, c, co + 2 * ldc + 1 * L);
            c3_0 = FloatVector.fromArray(FS, c, co + 3 * ldc); c3_1 = FloatVector.fromArray(FS, c, co + 3 * ldc + 1 * L);
            c4_0 = FloatVector.fromArray(FS, c, co + 4 * ldc); c4_1 = FloatVector.fromArray(FS, c, co + 4 * ldc + 1 * L);
            c5_0 = FloatVector.fromArray(FS, c, co + 5 * ldc); c5_1 = FloatVector.fromArray(FS, c, co + 5 * ldc + 1 * L);
            c6_0 = FloatVector.fromArray(FS, c, co + 6 * ldc); c6_1 = FloatVector.fromArray(FS, c, co + 6 * ldc + 1 * L);
            c7_0 = FloatVector.fromArray(FS, c, co + 7 * ldc); c7_1 = FloatVector.fromArray(FS, c, co + 7 * ldc + 1 * L);
            c8_0 = FloatVector.fromArray(FS, c, co + 8 * ldc); c8_1 = FloatVector.fromArray(FS, c, co + 8 * ldc + 1 * L);
            c9_0 = FloatVector.fromArray(FS, c, co + 9 * ldc); c9_1 = FloatVector.fromArray(FS, c, co + 9 * ldc + 1 * L);
            c10_0 = FloatVector.fromArray(FS, c, co + 10 * ldc); c10_1 = FloatVector.fromArray(FS, c, co + 10 * ldc + 1 * L);
            c11_0 = FloatVector.fromArray(FS, c, co + 11 * ldc); c11_1 = FloatVector.fromArray(FS, c, co + 11 * ldc + 1 * L);
        } else {
            FloatVector z = FloatVector.zero(FS);
            c0_0 = z; c0_1 = z;
            c1_0 = z; c1_1 = z;
            c2_0 = z; c2_1 = z;
            c3_0 = z; c3_1 = z;
            c4_0 = z; c4_1 = z;
            c5_0 = z; c5_1 = z;
            c6_0 = z; c6_1 = z;
            c7_0 = z; c7_1 = z;
            c8_0 = z; c8_1 = z;
            c9_0 = z; c9_1 = z;
            c10_0 = z; c10_1 = z;
            c11_0 = z; c11_1 = z;
        }
        for (int t = 0, ai = ao, o = bo; t < kc; t++, ai += lda, o += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(FS, b, o);
            FloatVector b1 = FloatVector.fromArray(FS, b, o + 1 * L);
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c0_0 = b0.fma(w, c0_0); c0_1 = b1.fma(w, c0_1);
            w = FloatVector.broadcast(FS, a[ai + 1]); c1_0 = b0.fma(w, c1_0); c1_1 = b1.fma(w, c1_1);
            w = FloatVector.broadcast(FS, a[ai + 2]); c2_0 = b0.fma(w, c2_0); c2_1 = b1.fma(w, c2_1);
            w = FloatVector.broadcast(FS, a[ai + 3]); c3_0 = b0.fma(w, c3_0); c3_1 = b1.fma(w, c3_1);
            w = FloatVector.broadcast(FS, a[ai + 4]); c4_0 = b0.fma(w, c4_0); c4_1 = b1.fma(w, c4_1);
            w = FloatVector.broadcast(FS, a[ai + 5]); c5_0 = b0.fma(w, c5_0); c5_1 = b1.fma(w, c5_1);
            w = FloatVector.broadcast(FS, a[ai + 6]); c6_0 = b0.fma(w, c6_0); c6_1 = b1.fma(w, c6_1);
            w = FloatVector.broadcast(FS, a[ai + 7]); c7_0 = b0.fma(w, c7_0); c7_1 = b1.fma(w, c7_1);
            w = FloatVector.broadcast(FS, a[ai + 8]); c8_0 = b0.fma(w, c8_0); c8_1 = b1.fma(w, c8_1);
            w = FloatVector.broadcast(FS, a[ai + 9]); c9_0 = b0.fma(w, c9_0); c9_1 = b1.fma(w, c9_1);
            w = FloatVector.broadcast(FS, a[ai + 10]); c10_0 = b0.fma(w, c10_0); c10_1 = b1.fma(w, c10_1);
            w = FloatVector.broadcast(FS, a[ai + 11]); c11_0 = b0.fma(w, c11_0); c11_1 = b1.fma(w, c11_1);
        }
        c0_0.intoArray(c, co + 0 * ldc); c0_1.intoArray(c, co + 0 * ldc + 1 * L);
        c1_0.intoArray(c, co + 1 * ldc); c1_1.intoArray(c, co + 1 * ldc + 1 * L);
        c2_0.intoArray(c, co + 2 * ldc); c2_1.intoArray(c, co + 2 * ldc + 1 * L);
        c3_0.intoArray(c, co + 3 * ldc); c3_1.intoArray(c, co + 3 * ldc + 1 * L);
        c4_0.intoArray(c, co + 4 * ldc); c4_1.intoArray(c, co + 4 * ldc + 1 * L);
        c5_0.intoArray(c, co + 5 * ldc); c5_1.intoArray(c, co + 5 * ldc + 1 * L);
        c6_0.intoArray(c, co + 6 * ldc); c6_1.intoArray(c, co + 6 * ldc + 1 * L);
        c7_0.intoArray(c, co + 7 * ldc); c7_1.intoArray(c, co + 7 * ldc + 1 * L);
        c8_0.intoArray(c, co + 8 * ldc); c8_1.intoArray(c, co + 8 * ldc + 1 * L);
        c9_0.intoArray(c, co + 9 * ldc); c9_1.intoArray(c, co + 9 * ldc + 1 * L);
        c10_0.intoArray(c, co + 10 * ldc); c10_1.intoArray(c, co + 10 * ldc + 1 * L);
        c11_0.intoArray(c, co + 11 * ldc); c11_1.intoArray(c, co + 11 * ldc + 1 * L);
    }

    /** 12 rows × 2 vector(s): row r of step t at {@code a[ao + t·lda + r]}, vector v of B at {@code b[bBase + tap[t] + vo_v]} (vo_0 = 0). */
    static void d12x2(float[] a, int ao, int lda, float[] b, int bBase, int[] tap, int t0, int t1, int vo1, int vo2, int vo3, float[] c, int co, int ldc, boolean acc) {
        FloatVector c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1, c8_0, c8_1, c9_0, c9_1, c10_0, c10_1, c11_0, c11_1;
        if (acc) {
            c0_0 = FloatVector.fromArray(FS, c, co + 0 * ldc); c0_1 = FloatVector.fromArray(FS, c, co + 0 * ldc + 1 * L);
            c1_0 = FloatVector.fromArray(FS, c, co + 1 * ldc); c1_1 = FloatVector.fromArray(FS, c, co + 1 * ldc + 1 * L);
            c2_0 = FloatVector.fromArray(FS, c, co + 2 * ldc); c2_1 = FloatVector.fromArray(FS, c, co + 2 * ldc + 1 * L);
            c3_0 = FloatVector.fromArray(FS, c, co + 3 * ldc); c3_1 = FloatVector.fromArray(FS, c, co + 3 * ldc + 1 * L);
            c4_0 = FloatVector.fromArray(FS, c, co + 4 * ldc); c4_1 = FloatVector.fromArray(FS, c, co + 4 * ldc + 1 * L);
            c5_0 = FloatVector.fromArray(FS, c, co + 5 * ldc); c5_1 = FloatVector.fromArray(FS, c, co + 5 * ldc + 1 * L);
            c6_0 = FloatVector.fromArray(FS, c, co + 6 * ldc); c6_1 = FloatVector.fromArray(FS, c, co + 6 * ldc + 1 * L);
            c7_0 = FloatVector.fromArray(FS, c, co + 7 * ldc); c7_1 = FloatVector.fromArray(FS, c, co + 7 * ldc + 1 * L);
            c8_0 = FloatVector.fromArray(FS, c, co + 8 * ldc); c8_1 = FloatVector.fromArray(FS, c, co + 8 * ldc + 1 * L);
            c9_0 = FloatVector.fromArray(FS, c, co + 9 * ldc); c9_1 = FloatVector.fromArray(FS, c, co + 9 * ldc + 1 * L);
            c10_0 = FloatVector.fromArray(FS, c, co + 10 * ldc); c10_1 = FloatVector.fromArray(FS, c, co + 10 * ldc + 1 * L);
            c11_0 = FloatVector.fromArray(FS, c, co + 11 * ldc); c11_1 = FloatVector.fromArray(FS, c, co + 11 * ldc + 1 * L);
        } else {
            FloatVector z = FloatVector.zero(FS);
            c0_0 = z; c0_1 = z;
            c1_0 = z; c1_1 = z;
            c2_0 = z; c2_1 = z;
            c3_0 = z; c3_1 = z;
            c4_0 = z; c4_1 = z;
            c5_0 = z; c5_1 = z;
            c6_0 = z; c6_1 = z;
            c7_0 = z; c7_1 = z;
            c8_0 = z; c8_1 = z;
            c9_0 = z; c9_1 = z;
            c10_0 = z; c10_1 = z;
            c11_0 = z; c11_1 = z;
        }
        for (int t = t0, ai = ao; t < t1; t++, ai += lda) {
            int o = bBase + tap[t];
            FloatVector b0 = FloatVector.fromArray(FS, b, o);
            FloatVector b1 = FloatVector.fromArray(FS, b, o + vo1);
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c0_0 = b0.fma(w, c0_0); c0_1 = b1.fma(w, c0_1);
            w = FloatVector.broadcast(FS, a[ai + 1]); c1_0 = b0.fma(w, c1_0); c1_1 = b1.fma(w, c1_1);
            w = FloatVector.broadcast(FS, a[ai + 2]); c2_0 = b0.fma(w, c2_0); c2_1 = b1.fma(w, c2_1);
            w = FloatVector.broadcast(FS, a[ai + 3]); c3_0 = b0.fma(w, c3_0); c3_1 = b1.fma(w, c3_1);
            w = FloatVector.broadcast(FS, a[ai + 4]); c4_0 = b0.fma(w, c4_0); c4_1 = b1.fma(w, c4_1);
            w = FloatVector.broadcast(FS, a[ai + 5]); c5_0 = b0.fma(w, c5_0); c5_1 = b1.fma(w, c5_1);
            w = FloatVector.broadcast(FS, a[ai + 6]); c6_0 = b0.fma(w, c6_0); c6_1 = b1.fma(w, c6_1);
            w = FloatVector.broadcast(FS, a[ai + 7]); c7_0 = b0.fma(w, c7_0); c7_1 = b1.fma(w, c7_1);
            w = FloatVector.broadcast(FS, a[ai + 8]); c8_0 = b0.fma(w, c8_0); c8_1 = b1.fma(w, c8_1);
            w = FloatVector.broadcast(FS, a[ai + 9]); c9_0 = b0.fma(w, c9_0); c9_1 = b1.fma(w, c9_1);
            w = FloatVector.broadcast(FS, a[ai + 10]); c10_0 = b0.fma(w, c10_0); c10_1 = b1.fma(w, c10_1);
            w = FloatVector.broadcast(FS, a[ai + 11]); c11_0 = b0.fma(w, c11_0); c11_1 = b1.fma(w, c11_1);
        }
        c0_0.intoArray(c, co + 0 * ldc); c0_1.intoArray(c, co + 0 * ldc + 1 * L);
        c1_0.intoArray(c, co + 1 * ldc); c1_1.intoArray(c, co + 1 * ldc + 1 * L);
        c2_0.intoArray(c, co + 2 * ldc); c2_1.intoArray(c, co + 2 * ldc + 1 * L);
        c3_0.intoArray(c, co + 3 * ldc); c3_1.intoArray(c, co + 3 * ldc + 1 * L);
        c4_0.intoArray(c, co + 4 * ldc); c4_1.intoArray(c, co + 4 * ldc + 1 * L);
        c5_0.intoArray(c, co + 5 * ldc); c5_1.intoArray(c, co + 5 * ldc + 1 * L);
        c6_0.intoArray(c, co + 6 * ldc); c6_1.intoArray(c, co + 6 * ldc + 1 * L);
        c7_0.intoArray(c, co + 7 * ldc); c7_1.intoArray(c, co + 7 * ldc + 1 * L);
        c8_0.intoArray(c, co + 8 * ldc); c8_1.intoArray(c, co + 8 * ldc + 1 * L);
        c9_0.intoArray(c, co + 9 * ldc); c9_1.intoArray(c, co + 9 * ldc + 1 * L);
        c10_0.intoArray(c, co + 10 * ldc); c10_1.intoArray(c, co + 10 * ldc + 1 * L);
        c11_0.intoArray(c, co + 11 * ldc); c11_1.intoArray(c, co + 11 * ldc + 1 * L);
    }

    /** 6 rows × 4 vector(s): row r of step t at {@code a[ao + t·lda + r]}, B {@code b[bo ..]} as [kc][4·L]. */
    static void p6x4(float[] a, int ao, int lda, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean acc) {
        FloatVector c0_0, c0_1, c0_2, c0_3, c1_0, c1_1, c1_2, c1_3, c2_0, c2_1, c2_2, c2_3, c3_0, c3_1, c3_2, c3_3, c4_0, c4_1, c4_2, c4_3, c5_0, c5_1, c5_2, c5_3;
        if (acc) {
            c0_0 = FloatVector.fromArray(FS, c, co + 0 * ldc); c0_1 = FloatVector.fromArray(FS, c, co + 0 * ldc + 1 * L); c0_2 = FloatVector.fromArray(FS, c, co + 0 * ldc + 2 * L); c0_3 = FloatVector.fromArray(FS, c, co + 0 * ldc + 3 * L);
            c1_0 = FloatVector.fromArray(FS, c, co + 1 * ldc); c1_1 = FloatVector.fromArray(FS, c, co + 1 * ldc + 1 * L); c1_2 = FloatVector.fromArray(FS, c, co + 1 * ldc + 2 * L); c1_3 = FloatVector.fromArray(FS, c, co + 1 * ldc + 3 * L);
            c2_0 = FloatVector.fromArray(FS, c, co + 2 * ldc); c2_1 = FloatVector.fromArray(FS, c, co + 2 * ldc + 1 * L); c2_2 = FloatVector.fromArray(FS, c, co + 2 * ldc + 2 * L); c2_3 = FloatVector.fromArray(FS, c, co + 2 * ldc + 3 * L);
            c3_0 = FloatVector.fromArray(FS, c, co + 3 * ldc); c3_1 = FloatVector.fromArray(FS, c, co + 3 * ldc + 1 * L); c3_2 = FloatVector.fromArray(FS, c, co + 3 * ldc + 2 * L); c3_3 = FloatVector.fromArray(FS, c, co + 3 * ldc + 3 * L);
            c4_0 = FloatVector.fromArray(FS, c, co + 4 * ldc); c4_1 = FloatVector.fromArray(FS, c, co + 4 * ldc + 1 * L); c4_2 = FloatVector.fromArray(FS, c, co + 4 * ldc + 2 * L); c4_3 = FloatVector.fromArray(FS, c, co + 4 * ldc + 3 * L);
            c5_0 = FloatVector.fromArray(FS, c, co + 5 * ldc); c5_1 = FloatVector.fromArray(FS, c, co + 5 * ldc + 1 * L); c5_2 = FloatVector.fromArray(FS, c, co + 5 * ldc + 2 * L); c5_3 = FloatVector.fromArray(FS, c, co + 5 * ldc + 3 * L);
        } else {
            FloatVector z = FloatVector.zero(FS);
            c0_0 = z; c0_1 = z; c0_2 = z; c0_3 = z;
            c1_0 = z; c1_1 = z; c1_2 = z; c1_3 = z;
            c2_0 = z; c2_1 = z; c2_2 = z; c2_3 = z;
            c3_0 = z; c3_1 = z; c3_2 = z; c3_3 = z;
            c4_0 = z; c4_1 = z; c4_2 = z; c4_3 = z;
            c5_0 = z; c5_1 = z; c5_2 = z; c5_3 = z;
        }
        for (int t = 0, ai = ao, o = bo; t < kc; t++, ai += lda, o += 4 * L) {
            FloatVector b0 = FloatVector.fromArray(FS, b, o);
            FloatVector b1 = FloatVector.fromArray(FS, b, o + 1 * L);
            FloatVector b2 = FloatVector.fromArray(FS, b, o + 2 * L);
            FloatVector b3 = FloatVector.fromArray(FS, b, o + 3 * L);
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c0_0 = b0.fma(w, c0_0); c0_1 = b1.fma(w, c0_1); c0_2 = b2.fma(w, c0_2); c0_3 = b3.fma(w, c0_3);
            w = FloatVector.broadcast(FS, a[ai + 1]); c1_0 = b0.fma(w, c1_0); c1_1 = b1.fma(w, c1_1); c1_2 = b2.fma(w, c1_2); c1_3 = b3.fma(w, c1_3);
            w = FloatVector.broadcast(FS, a[ai + 2]); c2_0 = b0.fma(w, c2_0); c2_1 = b1.fma(w, c2_1); c2_2 = b2.fma(w, c2_2); c2_3 = b3.fma(w, c2_3);
            w = FloatVector.broadcast(FS, a[ai + 3]); c3_0 = b0.fma(w, c3_0); c3_1 = b1.fma(w, c3_1); c3_2 = b2.fma(w, c3_2); c3_3 = b3.fma(w, c3_3);
            w = FloatVector.broadcast(FS, a[ai + 4]); c4_0 = b0.fma(w, c4_0); c4_1 = b1.fma(w, c4_1); c4_2 = b2.fma(w, c4_2); c4_3 = b3.fma(w, c4_3);
            w = FloatVector.broadcast(FS, a[ai + 5]); c5_0 = b0.fma(w, c5_0); c5_1 = b1.fma(w, c5_1); c5_2 = b2.fma(w, c5_2); c5_3 = b3.fma(w, c5_3);
        }
        c0_0.intoArray(c, co + 0 * ldc); c0_1.intoArray(c, co + 0 * ldc + 1 * L); c0_2.intoArray(c, co + 0 * ldc + 2 * L); c0_3.intoArray(c, co + 0 * ldc + 3 * L);
        c1_0.intoArray(c, co + 1 * ldc); c1_1.intoArray(c, co + 1 * ldc + 1 * L); c1_2.intoArray(c, co + 1 * ldc + 2 * L); c1_3.intoArray(c, co + 1 * ldc + 3 * L);
        c2_0.intoArray(c, co + 2 * ldc); c2_1.intoArray(c, co + 2 * ldc + 1 * L); c2_2.intoArray(c, co + 2 * ldc + 2 * L); c2_3.intoArray(c, co + 2 * ldc + 3 * L);
        c3_0.intoArray(c, co + 3 * ldc); c3_1.intoArray(c, co + 3 * ldc + 1 * L); c3_2.intoArray(c, co + 3 * ldc + 2 * L); c3_3.intoArray(c, co + 3 * ldc + 3 * L);
        c4_0.intoArray(c, co + 4 * ldc); c4_1.intoArray(c, co + 4 * ldc + 1 * L); c4_2.intoArray(c, co + 4 * ldc + 2 * L); c4_3.intoArray(c, co + 4 * ldc + 3 * L);
        c5_0.intoArray(c, co + 5 * ldc); c5_1.intoArray(c, co + 5 * ldc + 1 * L); c5_2.intoArray(c, co + 5 * ldc + 2 * L); c5_3.intoArray(c, co + 5 * ldc + 3 * L);
    }

    /** 6 rows × 4 vector(s): row r of step t at {@code a[ao + t·lda + r]}, vector v of B at {@code b[bBase + tap[t] + vo_v]} (vo_0 = 0). */
    static void d6x4(float[] a, int ao, int lda, float[] b, int bBase, int[] tap, int t0, int t1, int vo1, int vo2, int vo3, float[] c, int co, int ldc, boolean acc) {
        FloatVector c0_0, c0_1, c0_2, c0_3, c1_0, c1_1, c1_2, c1_3, c2_0, c2_1, c2_2, c2_3, c3_0, c3_1, c3_2, c3_3, c4_0, c4_1, c4_2, c4_3, c5_0, c5_1, c5_2, c5_3;
        if (acc) {
            c0_0 = FloatVector.fromArray(FS, c, co + 0 * ldc); c0_1 = FloatVector.fromArray(FS, c, co + 0 * ldc + 1 * L); c0_2 = FloatVector.fromArray(FS, c, co + 0 * ldc + 2 * L); c0_3 = FloatVector.fromArray(FS, c, co + 0 * ldc + 3 * L);
            c1_0 = FloatVector.fromArray(FS, c, co + 1 * ldc); c1_1 = FloatVector.fromArray(FS, c, co + 1 * ldc + 1 * L); c1_2 = FloatVector.fromArray(FS, c, co + 1 * ldc + 2 * L); c1_3 = FloatVector.fromArray(FS, c, co + 1 * ldc + 3 * L);
            c2_0 = FloatVector.fromArray(FS, c, co + 2 * ldc); c2_1 = FloatVector.fromArray(FS, c, co + 2 * ldc + 1 * L); c2_2 = FloatVector.fromArray(FS, c, co + 2 * ldc + 2 * L); c2_3 = FloatVector.fromArray(FS, c, co + 2 * ldc + 3 * L);
            c3_0 = FloatVector.fromArray(FS, c, co + 3 * ldc); c3_1 = FloatVector.fromArray(FS, c, co + 3 * ldc + 1 * L); c3_2 = FloatVector.fromArray(FS, c, co + 3 * ldc + 2 * L); c3_3 = FloatVector.fromArray(FS, c, co + 3 * ldc + 3 * L);
            c4_0 = FloatVector.fromArray(FS, c, co + 4 * ldc); c4_1 = FloatVector.fromArray(FS, c, co + 4 * ldc + 1 * L); c4_2 = FloatVector.fromArray(FS, c, co + 4 * ldc + 2 * L); c4_3 = FloatVector.fromArray(FS, c, co + 4 * ldc + 3 * L);
            c5_0 = FloatVector.fromArray(FS, c, co + 5 * ldc); c5_1 = FloatVector.fromArray(FS, c, co + 5 * ldc + 1 * L); c5_2 = FloatVector.fromArray(FS, c, co + 5 * ldc + 2 * L); c5_3 = FloatVector.fromArray(FS, c, co + 5 * ldc + 3 * L);
        } else {
            FloatVector z = FloatVector.zero(FS);
            c0_0 = z; c0_1 = z; c0_2 = z; c0_3 = z;
            c1_0 = z; c1_1 = z; c1_2 = z; c1_3 = z;
            c2_0 = z; c2_1 = z; c2_2 = z; c2_3 = z;
            c3_0 = z; c3_1 = z; c3_2 = z; c3_3 = z;
            c4_0 = z; c4_1 = z; c4_2 = z; c4_3 = z;
            c5_0 = z; c5_1 = z; c5_2 = z; c5_3 = z;
        }
        for (int t = t0, ai = ao; t < t1; t++, ai += lda) {
            int o = bBase + tap[t];
            FloatVector b0 = FloatVector.fromArray(FS, b, o);
            FloatVector b1 = FloatVector.fromArray(FS, b, o + vo1);
            FloatVector b2 = FloatVector.fromArray(FS, b, o + vo2);
            FloatVector b3 = FloatVector.fromArray(FS, b, o + vo3);
            FloatVector w;
            w = FloatVector.broadcast(FS, a[ai]); c0_0 = b0.fma(w, c0_0); c0_1 = b1.fma(w, c0_1); c0_2 = b2.fma(w, c0_2); c0_3 = b3.fma(w, c0_3);
            w = FloatVector.broadcast(FS, a[ai + 1]); c1_0 = b0.fma(w, c1_0); c1_1 = b1.fma(w, c1_1); c1_2 = b2.fma(w, c1_2); c1_3 = b3.fma(w, c1_3);
            w = FloatVector.broadcast(FS, a[ai + 2]); c2_0 = b0.fma(w, c2_0); c2_1 = b1.fma(w, c2_1); c2_2 = b2.fma(w, c2_2); c2_3 = b3.fma(w, c2_3);
            w = FloatVector.broadcast(FS, a[ai + 3]); c3_0 = b0.fma(w, c3_0); c3_1 = b1.fma(w, c3_1); c3_2 = b2.fma(w, c3_2); c3_3 = b3.fma(w, c3_3);
            w = FloatVector.broadcast(FS, a[ai + 4]); c4_0 = b0.fma(w, c4_0); c4_1 = b1.fma(w, c4_1); c4_2 = b2.fma(w, c4_2); c4_3 = b3.fma(w, c4_3);
            w = FloatVector.broadcast(FS, a[ai + 5]); c5_0 = b0.fma(w, c5_0); c5_1 = b1.fma(w, c5_1); c5_2 = b2.fma(w, c5_2); c5_3 = b3.fma(w, c5_3);
        }
        c0_0.intoArray(c, co + 0 * ldc); c0_1.intoArray(c, co + 0 * ldc + 1 * L); c0_2.intoArray(c, co + 0 * ldc + 2 * L); c0_3.intoArray(c, co + 0 * ldc + 3 * L);
        c1_0.intoArray(c, co + 1 * ldc); c1_1.intoArray(c, co + 1 * ldc + 1 * L); c1_2.intoArray(c, co + 1 * ldc + 2 * L); c1_3.intoArray(c, co + 1 * ldc + 3 * L);
        c2_0.intoArray(c, co + 2 * ldc); c2_1.intoArray(c, co + 2 * ldc + 1 * L); c2_2.intoArray(c, co + 2 * ldc + 2 * L); c2_3.intoArray(c, co + 2 * ldc + 3 * L);
        c3_0.intoArray(c, co + 3 * ldc); c3_1.intoArray(c, co + 3 * ldc + 1 * L); c3_2.intoArray(c, co + 3 * ldc + 2 * L); c3_3.intoArray(c, co + 3 * ldc + 3 * L);
        c4_0.intoArray(c, co + 4 * ldc); c4_1.intoArray(c, co + 4 * ldc + 1 * L); c4_2.intoArray(c, co + 4 * ldc + 2 * L); c4_3.intoArray(c, co + 4 * ldc + 3 * L);
        c5_0.intoArray(c, co + 5 * ldc); c5_1.intoArray(c, co + 5 * ldc + 1 * L); c5_2.intoArray(c, co + 5 * ldc + 2 * L); c5_3.intoArray(c, co + 5 * ldc + 3 * L);
    }
}
