package dev.squeeze.exec.panama;

import dev.squeeze.exec.ConvSpec;
import dev.squeeze.exec.FloatKernelSupport;
import dev.squeeze.exec.FloatKernels;
import dev.squeeze.exec.PoolSpec;
import dev.squeeze.ir.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * FloatVector implementation of {@link FloatKernelSupport} (and of the facade's {@link FloatKernels.BatchConv}
 * and {@link FloatKernels.Elementwise} extensions).
 *
 * <p>Convolution is a GEMM {@code C[M][N] = A[M][K] · B[K][N]} with {@code K = C·k²} (channel-major, the
 * weights' own order) and {@code N} the output pixels, computed by the register-blocked micro-kernels of
 * {@link PanamaFloatGemm} (a tile of MR channels × NV vectors of pixels, shape chosen per layer by
 * {@link #plan}). The input is first laid out as zero-padded stride-phase planes, so that every tap of
 * every output row is a contiguous run. Then, per layer, one of two modes:
 * <ul>
 *   <li><b>direct</b> (big planes): the tiles read B straight from the planes through per-tap offsets,
 *       a vector per output row segment when the output width is a multiple of the vector (no junk),
 *       else consecutive columns of the padded plane (junk columns the epilogue skips);</li>
 *   <li><b>packed</b> (small planes): exact pixels of several images at once (so a 4×4 layer at batch 64
 *       still has long rows and reuses each weight 64 times) are copied into a panel {@code [block][k][NR]},
 *       one slice of {@code kc} reduction steps at a time.</li>
 * </ul>
 * The reduction is blocked by {@code kc} (weights packed {@code [K/kc][M/MR][kc][MR]}, the order they are
 * read), partial sums go to a per-thread C buffer, and the epilogue adds bias (and a fused residual),
 * applies the activation in vector registers and stores only real pixels. Grouped convolutions run as
 * independent convolutions on channel slices. Hot loops build no vector masks per iteration (each costs
 * more than the arithmetic): whole vectors first, one masked tail, masks hoisted where the shape allows.
 *
 * <p>The fully connected layer keeps output features in the lanes and takes four images per pass over
 * the weights; pooling, add and activation are vector loops (2×2 stride-2 max pooling by even/odd lane
 * selection), the rest falls back to the facade's loops.
 */
public final class PanamaFloatKernels implements FloatKernelSupport, FloatKernels.Elementwise {
    static final VectorSpecies<Float> FS = species();
    static final int L = FS.length();
    /** The fully connected layer's block of output features (two vectors). */
    static final int NR = 2 * L;

    private static VectorSpecies<Float> species() {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        String bits = System.getProperty("squeeze.exec.vectorBits"); // the int8 kernels' test property
        if (bits == null || bits.isBlank()) return preferred;
        int b = Integer.parseInt(bits.trim());
        return b >= preferred.vectorBitSize() ? preferred : VectorSpecies.of(float.class, VectorShape.forBitSize(b));
    }

    public PanamaFloatKernels() {
        if (FS.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("preferred float vector is " + FS.vectorBitSize() + " bits; the float kernels need ≥ 256");
        }
    }

    @Override public String description() {
        return "panama: FloatVector " + FS.vectorBitSize() + "-bit (" + L + " lanes), FMA tiles 16×" + L + " / 8×" + 2 * L + " / 12×" + 2 * L
                + " / 6×" + 4 * L + " chosen per layer, kc-blocked, packed across images";
    }

    @Override public String name() { return "panama"; }

    @Override public FloatKernels.BatchConv conv(ConvSpec spec, float[] weight, float[] bias, Activation act) {
        if (spec.groups() == 1) return new Conv(spec, weight, 0, bias, 0, act, null);
        return new Grouped(spec, weight, bias, act);
    }

    @Override public LinearKernel linear(int in, int out, float[] weight, float[] bias, Activation act) {
        return new Linear(in, out, weight, bias, act);
    }

    /** Groups as independent convolutions over slices of {@code in/groups} input and {@code out/groups} output channels. */
    static final class Grouped implements FloatKernels.BatchConv {
        final Conv[] g;
        final int mg, inSlice, outSlice, inSize, outSize;

        Grouped(ConvSpec s, float[] w, float[] bias, Activation act) {
            int groups = s.groups();
            mg = s.groupOutChannels();
            ConvSpec one = new ConvSpec(s.groupInChannels(), mg, s.kernel(), s.stride(), s.padding(), 1, s.inHeight(), s.inWidth());
            g = new Conv[groups];
            for (int i = 0; i < groups; i++) g[i] = new Conv(one, w, i * mg * one.reduction(), bias, i * mg, act, null);
            inSlice = one.inputSize();
            outSlice = one.outputSize();
            inSize = s.inputSize();
            outSize = s.outputSize();
        }

        @Override public int scratchFloats() { return g[0].scratchFloats(); }
        @Override public int channelBlock() { return mg; }

        @Override public void run(float[] in, int inOff, int images, float[] out, int outOff, float[] res, int resOff, int oc0, int oc1,
                float[] scratch) {
            for (int i = oc0 / mg; i * mg < oc1; i++) {
                g[i].run(in, inOff + i * inSlice, inSize, images, out, outOff + i * outSlice, outSize, res, resOff + i * outSlice, 0, mg,
                        scratch);
            }
        }
    }

    /**
     * How a convolution is computed: tile shape (index into {@link PanamaFloatGemm#MRS}) for calls with one
     * image and {@code manyShape} for calls with several (−1: the same; its rows must divide the first's,
     * since both run on one weight packing), direct or packed, reduction block {@code kc}, the most pixel
     * columns per chunk (C buffer width) and the tile order within a reduction block.
     */
    record Plan(int shape, int manyShape, boolean direct, int kc, int chunk, boolean mbOuter) {
        Plan(int shape, boolean direct, int kc, int chunk) { this(shape, -1, direct, kc, chunk, false); }

        @Override public String toString() {
            return (direct ? "direct " : "packed ") + tile(shape) + (manyShape >= 0 && manyShape != shape ? " (many images " + tile(manyShape) + ")" : "")
                    + " kc " + kc + " chunk " + chunk + (mbOuter ? " mb-outer" : "");
        }

        private static String tile(int shape) { return PanamaFloatGemm.MRS[shape] + "×" + PanamaFloatGemm.NVS[shape] * L; }
    }

    /**
     * The plan for a layer, from measurements on ResNet18-CIFAR and the seed CNN shapes (Zen 5, AVX-512;
     * most choices are within a few percent of each other, these are the steadiest):
     * <ul>
     *   <li>direct when output rows are whole vectors (no junk, no copying) or the padded plane adds at
     *       most 20% junk columns, with a reduction long enough to amortize the per-step tap lookup
     *       (ResNet's 32×32 and 16×16 stages); 8×32 tiles, the reduction in blocks of about 300 (the
     *       channels a block reads stay in L1), 256 pixels per C chunk;</li>
     *   <li>otherwise packed: for planes under two vectors, one vector of pixels per tile when there is
     *       one image (4×4 at batch 1 has no junk and 16 rows give the most weight bytes per instruction,
     *       which matters when the weights stream from DRAM) and 8×32 on the same packing for several
     *       images (their pixels side by side); 6×64 for planes of up to 64 pixels (one block per 8×8
     *       image reads each weight once); 8×32 above. {@code kc} keeps a panel block at 32–64 KB; chunks
     *       of 256 pixels (16 images of 4×4, 4 of 8×8) share each weight block.</li>
     * </ul>
     */
    static Plan plan(ConvSpec spec) {
        int M = spec.outChannels(), OH = spec.outHeight(), OW = spec.outWidth(), P = OH * OW, s = spec.stride();
        int K = spec.reduction();
        int Wph = (spec.inWidth() + 2 * spec.padding() + s - 1) / s;
        boolean direct = K >= 64 && (OW % L == 0 || OW >= 2 * L && (double) OH * Wph <= 1.2 * P);
        if (direct) {
            int blocks = (K + 319) / 320;
            return new Plan(1, -1, true, (K + blocks - 1) / blocks, 256, false);
        }
        int shape, many = -1;
        if (P < 2 * L) {
            shape = 0;
            many = 1;
        } else if (P <= 4 * L) shape = 3;
        else shape = 1;
        int nr = PanamaFloatGemm.NVS[shape] * L;
        return new Plan(shape, many, false, Math.min(K, Math.max(16384 / nr, 512)), 256, false);
    }

    /** One group-1 convolution {@code [C, H, W] → [M, OH, OW]}. */
    static final class Conv implements FloatKernels.BatchConv {
        final int C, M, k, s, pad, H, W, OH, OW, P, Hph, Wph, nPh, planeSize, imgPlanes, K, inSize, outSize;
        final int[] phaseIndex, tap;
        final float[] bias;
        /**
         * {@link Activation.Kind} ordinal: 0 none, 1 ReLU, 2 LeakyReLU, 3 ReLU6, 4 hard-swish; each vector form
         * does {@link Activation#apply}'s float operations in its order, so fused and stand-alone results agree.
         */
        final int actKind;
        final float alpha;
        final Plan plan;
        /** Rows of the weight packing (and the channel block of a thread split). */
        final int MR, Mpad, kc, nPc;
        final boolean direct, mbOuter;
        /** Direct with whole output rows per vector (output width a multiple of L): no junk columns. */
        final boolean rowAligned;
        /** Weights {@code [pc][MR-row block][kcLen][MR]}, rows past M zero. */
        final float[] a;
        /** Packed: images per chunk (0: chunks of columns within one image); direct: plane columns of an image. */
        final int gMax, chunkCols, ldc, spaceCols;
        /** How calls with one image and with several cut the pixels (the same object when the plan has one shape). */
        final Tiling one, many;
        final int planesLen, panelLen, cLen, scratch;

        /** A tile shape and, when packed, the runs of consecutive pixels of each NR block of the chunk's column space. */
        final class Tiling {
            final int shape, rows, NR;
            final int[] blockRun, runCol, runSrc;

            Tiling(int shape) {
                this.shape = shape;
                rows = PanamaFloatGemm.MRS[shape];
                NR = PanamaFloatGemm.NVS[shape] * L;
                if (direct) {
                    blockRun = runCol = runSrc = null;
                    return;
                }
                // column n of image i (pixel p = n % P) reads plane offset i·imgPlanes + oy·Wph + ox; runs split at blocks and L lanes
                int blocks = (spaceCols + NR - 1) / NR;
                int[] bRun = new int[blocks + 1], col = new int[spaceCols], src = new int[spaceCols];
                int nr = 0;
                for (int blk = 0; blk < blocks; blk++) {
                    bRun[blk] = nr;
                    int n = blk * NR, end = Math.min(spaceCols, n + NR);
                    while (n < end) {
                        int i = n / P, p = n % P, oy = p / OW, ox = p % OW;
                        int len = Math.min(Math.min(OW - ox, end - n), L);
                        col[nr] = n - blk * NR;
                        src[nr] = i * imgPlanes + oy * Wph + ox;
                        nr++;
                        n += len;
                    }
                }
                bRun[blocks] = nr;
                blockRun = bRun;
                runCol = java.util.Arrays.copyOf(col, nr);
                runSrc = java.util.Arrays.copyOf(src, nr);
            }
        }

        /** Weights {@code w[wOff ..]} as {@code [M, C, k, k]}, bias {@code bias[bOff .. bOff+M)}; {@code plan} null: {@link #plan}. */
        Conv(ConvSpec spec, float[] w, int wOff, float[] bias, int bOff, Activation act, Plan plan) {
            C = spec.inChannels(); M = spec.outChannels(); k = spec.kernel(); s = spec.stride(); pad = spec.padding();
            H = spec.inHeight(); W = spec.inWidth(); OH = spec.outHeight(); OW = spec.outWidth(); P = OH * OW;
            inSize = C * H * W;
            outSize = M * P;
            actKind = act.kind().ordinal();
            alpha = act.alpha();
            this.plan = plan = plan != null ? plan : plan(spec);
            Hph = (H + 2 * pad + s - 1) / s;
            Wph = (W + 2 * pad + s - 1) / s;
            planeSize = Hph * Wph;
            // only the stride phases some tap reads get a plane (k < s skips some)
            phaseIndex = new int[s * s];
            java.util.Arrays.fill(phaseIndex, -1);
            int ph = 0;
            for (int ky = 0; ky < k; ky++) for (int kx = 0; kx < k; kx++) if (phaseIndex[(ky % s) * s + kx % s] < 0) phaseIndex[(ky % s) * s + kx % s] = ph++;
            nPh = ph;
            imgPlanes = C * nPh * planeSize;
            K = k * k * C;
            tap = new int[K];
            int maxTap = 0;
            for (int ci = 0; ci < C; ci++) {
                for (int ky = 0; ky < k; ky++) {
                    for (int kx = 0; kx < k; kx++) {
                        int t = (ci * k + ky) * k + kx;
                        tap[t] = (ci * nPh + phaseIndex[(ky % s) * s + kx % s]) * planeSize + (ky / s) * Wph + kx / s;
                        maxTap = Math.max(maxTap, tap[t]);
                    }
                }
            }
            int manyShape = plan.manyShape() < 0 ? plan.shape() : plan.manyShape();
            MR = PanamaFloatGemm.MRS[plan.shape()];
            if (MR % PanamaFloatGemm.MRS[manyShape] != 0) throw new IllegalArgumentException(plan + ": tile rows do not divide");
            int nrMax = Math.max(PanamaFloatGemm.NVS[plan.shape()], PanamaFloatGemm.NVS[manyShape]) * L;
            direct = plan.direct();
            mbOuter = plan.mbOuter();
            Mpad = (M + MR - 1) / MR * MR;
            kc = Math.min(K, plan.kc());
            nPc = (K + kc - 1) / kc;
            a = new float[Mpad * K];
            for (int pc = 0; pc < nPc; pc++) {
                int t0 = pc * kc, len = Math.min(kc, K - t0);
                for (int o = 0; o < M; o++) {
                    int base = pc * kc * Mpad + (o / MR) * len * MR + o % MR;
                    for (int t = 0; t < len; t++) a[base + t * MR] = w[wOff + o * K + t0 + t];
                }
            }
            this.bias = java.util.Arrays.copyOfRange(bias, bOff, bOff + M);
            int chunk = Math.max(nrMax, plan.chunk() / nrMax * nrMax);
            rowAligned = direct && OW % L == 0;
            if (direct) {
                int nd = rowAligned ? P : OH * Wph, ndPad = (nd + nrMax - 1) / nrMax * nrMax;
                gMax = 0;
                spaceCols = nd;
                chunkCols = Math.min(chunk, ndPad);
                ldc = chunkCols;
                planesLen = (rowAligned ? imgPlanes : Math.max(imgPlanes, ndPad + maxTap)) + L;
                panelLen = 0;
            } else {
                gMax = P <= chunk ? chunk / P : 0;
                spaceCols = gMax > 0 ? gMax * P : P;
                chunkCols = gMax > 0 ? spaceCols : chunk;
                ldc = (chunkCols + nrMax - 1) / nrMax * nrMax;
                planesLen = Math.max(1, gMax) * imgPlanes + L;
                panelLen = kc * ldc + L;
            }
            one = new Tiling(plan.shape());
            many = manyShape == plan.shape() ? one : new Tiling(manyShape);
            cLen = Mpad * ldc + L;
            scratch = planesLen + panelLen + cLen;
        }

        @Override public int scratchFloats() { return scratch; }
        @Override public int channelBlock() { return MR; }
        @Override public String toString() { return "Conv[" + C + "→" + M + " k" + k + " s" + s + " " + OH + "×" + OW + ": " + plan + "]"; }

        @Override public void run(float[] in, int inOff, int images, float[] out, int outOff, float[] res, int resOff, int oc0, int oc1,
                float[] sc) {
            run(in, inOff, inSize, images, out, outOff, outSize, res, resOff, oc0, oc1, sc);
        }

        /** Images {@code inStride}/{@code outStride} apart (group slices of a bigger tensor). */
        void run(float[] in, int inOff, int inStride, int images, float[] out, int outOff, int outStride, float[] res, int resOff,
                int oc0, int oc1, float[] sc) {
            Tiling T = images > 1 ? many : one;
            int NR = T.NR, shape = T.shape, rows = T.rows;
            int mb0 = oc0 / MR, mb1 = (oc1 + MR - 1) / MR;
            int panel = planesLen, cb = planesLen + panelLen;
            if (direct) {
                java.util.Arrays.fill(sc, imgPlanes, planesLen, 0f); // the tail junk columns over-read
                for (int b = 0; b < images; b++) {
                    layOut(in, inOff + b * inStride, sc, 0);
                    for (int n0 = 0; n0 < spaceCols; n0 += chunkCols) {
                        int n1 = Math.min(spaceCols, n0 + chunkCols), blocks = (n1 - n0 + NR - 1) / NR;
                        for (int pc = 0; pc < nPc; pc++) {
                            int t0 = pc * kc, t1 = Math.min(K, t0 + kc), len = t1 - t0;
                            for (int i = 0, nm = mb1 - mb0, tiles = blocks * nm; i < tiles; i++) {
                                int nb = mbOuter ? i % blocks : i / nm, mb = mb0 + (mbOuter ? i / blocks : i % nm);
                                int j0 = (n0 + nb * NR) / L, base = vecOff(j0);
                                int vo1 = vecOff(j0 + 1) - base, vo2 = vecOff(j0 + 2) - base, vo3 = vecOff(j0 + 3) - base;
                                for (int r = 0; r < MR; r += rows) {
                                    PanamaFloatGemm.direct(shape, a, pc * kc * Mpad + mb * len * MR + r, MR, sc, base, tap, t0, t1, vo1, vo2, vo3, sc,
                                            cb + (mb * MR + r) * ldc + nb * NR, ldc, pc > 0);
                                }
                            }
                        }
                        int ob = outOff + b * outStride, rb = resOff + b * outStride;
                        if (rowAligned) {
                            for (int o = oc0; o < oc1; o++) {
                                int d = o * P + n0;
                                epilogue(sc, cb + o * ldc, out, ob + d, res, rb + d, n1 - n0, bias[o]);
                            }
                            continue;
                        }
                        for (int o = oc0; o < oc1; o++) {
                            int crow = cb + o * ldc - n0;
                            for (int oy = n0 / Wph; oy * Wph < n1; oy++) {
                                int c0 = Math.max(n0, oy * Wph), c1 = Math.min(n1, oy * Wph + OW);
                                if (c0 >= c1) continue;
                                int d = o * P + oy * OW + c0 - oy * Wph;
                                epilogue(sc, crow + c0, out, ob + d, res, rb + d, c1 - c0, bias[o]);
                            }
                        }
                    }
                }
            } else {
                int per = gMax > 0 ? gMax : 1;
                for (int b = 0; b < images; b += per) {
                    int g = Math.min(per, images - b);
                    for (int i = 0; i < g; i++) layOut(in, inOff + (b + i) * inStride, sc, i * imgPlanes);
                    int total = gMax > 0 ? g * P : P;
                    for (int n0 = 0; n0 < total; n0 += chunkCols) {
                        int n1 = Math.min(total, n0 + chunkCols), blk0 = n0 / NR, blocks = (n1 - n0 + NR - 1) / NR;
                        for (int pc = 0; pc < nPc; pc++) {
                            int t0 = pc * kc, t1 = Math.min(K, t0 + kc), len = t1 - t0;
                            pack(T, sc, panel, blk0, blocks, n1, t0, t1);
                            for (int i = 0, nm = mb1 - mb0, tiles = blocks * nm; i < tiles; i++) {
                                int nb = mbOuter ? i % blocks : i / nm, mb = mb0 + (mbOuter ? i / blocks : i % nm);
                                for (int r = 0; r < MR; r += rows) {
                                    PanamaFloatGemm.packed(shape, a, pc * kc * Mpad + mb * len * MR + r, MR, sc, panel + nb * len * NR, len, sc,
                                            cb + (mb * MR + r) * ldc + nb * NR, ldc, pc > 0);
                                }
                            }
                        }
                        for (int o = oc0; o < oc1; o++) {
                            int crow = cb + o * ldc;
                            if (gMax > 0) {
                                for (int i = 0; i < g; i++) {
                                    int d = (b + i) * outStride + o * P;
                                    epilogue(sc, crow + i * P, out, outOff + d, res, resOff + d, P, bias[o]);
                                }
                            } else {
                                int d = b * outStride + o * P + n0;
                                epilogue(sc, crow, out, outOff + d, res, resOff + d, n1 - n0, bias[o]);
                            }
                        }
                    }
                }
            }
        }

        /**
         * Plane offset of the {@code j}-th vector of pixels of the direct column space: L consecutive padded
         * plane columns, or (row-aligned) L pixels of one output row, the last real vector standing in for
         * those past the image.
         */
        private int vecOff(int j) {
            if (!rowAligned) return j * L;
            int vpr = OW / L;
            j = Math.min(j, P / L - 1);
            return j / vpr * Wph + j % vpr * L;
        }

        /**
         * Panel {@code [block][t1−t0][NR]} of blocks {@code blk0 ..} (columns below {@code end}) for taps {@code [t0, t1)}.
         * Whole-vector copies: a run shorter than L spills into the columns after it, which the next run (or the
         * next row, or block) overwrites, since they are written in order; the panel has L floats of slack.
         */
        private void pack(Tiling T, float[] sc, int panel, int blk0, int blocks, int end, int t0, int t1) {
            int len = t1 - t0, NR = T.NR;
            int[] blockRun = T.blockRun, runCol = T.runCol, runSrc = T.runSrc;
            for (int nb = 0; nb < blocks; nb++) {
                int blk = blk0 + nb, dst0 = panel + nb * len * NR, r0 = blockRun[blk], r1 = r0;
                while (r1 < blockRun[blk + 1] && blk * NR + runCol[r1] < end) r1++;
                for (int t = t0, d = dst0; t < t1; t++, d += NR) {
                    int tp = tap[t];
                    for (int r = r0; r < r1; r++) FloatVector.fromArray(FS, sc, runSrc[r] + tp).intoArray(sc, d + runCol[r]);
                }
            }
        }

        /** {@code out[..n) = act(c + bias (+ res))}; whole vectors, then one masked tail (a mask per vector costs more than the add). */
        private void epilogue(float[] c, int co, float[] out, int oo, float[] res, int ro, int n, float bias) {
            FloatVector bv = FloatVector.broadcast(FS, bias), zero = FloatVector.zero(FS), three = FloatVector.broadcast(FS, 3f),
                    six = FloatVector.broadcast(FS, 6f);
            int j = 0;
            for (; j + L <= n; j += L) {
                FloatVector v = FloatVector.fromArray(FS, c, co + j).add(bv);
                if (res != null) v = v.add(FloatVector.fromArray(FS, res, ro + j));
                if (actKind == 1) v = v.max(zero);
                else if (actKind == 2) v = v.blend(v.mul(alpha), v.lt(zero));
                else if (actKind == 3) v = v.max(zero).min(six);
                else if (actKind == 4) v = v.mul(v.add(three).max(zero).min(six)).div(six);
                v.intoArray(out, oo + j);
            }
            if (j < n) {
                VectorMask<Float> m = FS.indexInRange(j, n);
                FloatVector v = FloatVector.fromArray(FS, c, co + j).add(bv);
                if (res != null) v = v.add(FloatVector.fromArray(FS, res, ro + j, m));
                if (actKind == 1) v = v.max(zero);
                else if (actKind == 2) v = v.blend(v.mul(alpha), v.lt(zero));
                else if (actKind == 3) v = v.max(zero).min(six);
                else if (actKind == 4) v = v.mul(v.add(three).max(zero).min(six)).div(six);
                v.intoArray(out, oo + j, m);
            }
        }

        /** Zero-padded stride-phase planes of one image into {@code sc[dst0 ..)}. */
        private void layOut(float[] in, int inOff, float[] sc, int dst0) {
            if (s == 1) {
                layOut1(in, inOff, sc, dst0);
                return;
            }
            boolean pairs = s == 2 && nPh == 4 && W >= 2;
            for (int ci = 0; ci < C; ci++) {
                int src = inOff + ci * H * W;
                if (pairs) {
                    for (int py = 0; py < 2; py++) layOutPair2(in, src, sc, dst0 + ci * nPh * planeSize, py);
                    continue;
                }
                for (int py = 0; py < s; py++) for (int px = 0; px < s; px++) {
                    int ph = phaseIndex[py * s + px];
                    if (ph < 0) continue;
                    int dst = dst0 + (ci * nPh + ph) * planeSize;
                    // plane column xx holds input column xx·s + px − pad: the valid ones are [xa, xb)
                    int xa = Math.max(0, Math.floorDiv(pad - px + s - 1, s)), xb = Math.min(Wph, Math.floorDiv(W - 1 + pad - px, s) + 1);
                    if (s == 2 && xa < xb) {
                        layOutPhase2(in, src, sc, dst, py, px, xa, xb);
                        continue;
                    }
                    for (int yy = 0; yy < Hph; yy++) {
                        int iy = yy * s + py - pad, d = dst + yy * Wph;
                        if (iy < 0 || iy >= H || xa >= xb) {
                            java.util.Arrays.fill(sc, d, d + Wph, 0f);
                            continue;
                        }
                        int row = src + iy * W + px - pad;
                        for (int xx = 0; xx < xa; xx++) sc[d + xx] = 0f;
                        for (int xx = xa; xx < xb; xx++) sc[d + xx] = in[row + xx * s];
                        for (int xx = xb; xx < Wph; xx++) sc[d + xx] = 0f;
                    }
                }
            }
        }

        /** Stride 1: one plane per channel, rows copied by whole vectors (the last one masked), pads zeroed. */
        private void layOut1(float[] in, int inOff, float[] sc, int dst0) {
            int full = W / L * L;
            VectorMask<Float> tail = FS.indexInRange(full, W);
            for (int ci = 0; ci < C; ci++) {
                int src = inOff + ci * H * W, dst = dst0 + ci * planeSize;
                java.util.Arrays.fill(sc, dst, dst + pad * Wph + pad, 0f);
                for (int y = 0; y < H; y++) {
                    int d = dst + (y + pad) * Wph + pad, r = src + y * W;
                    for (int j = 0; j < full; j += L) FloatVector.fromArray(FS, in, r + j).intoArray(sc, d + j);
                    if (full < W) FloatVector.fromArray(FS, in, r + full, tail).intoArray(sc, d + full, tail);
                    for (int q = W; q < W + 2 * pad; q++) sc[d + q] = 0f; // right pad, then the next row's left pad
                }
                java.util.Arrays.fill(sc, dst + (H + pad) * Wph + pad, dst + planeSize, 0f);
            }
        }

        /**
         * Stride 2, all four phases: phases (py, 0) and (py, 1) of one channel from the same loads of each
         * input row, even columns to one and odd to the other. Plane column xx of phase px holds input
         * column 2·xx + px − pad; the first valid columns of the two phases are one input column apart.
         */
        private void layOutPair2(float[] in, int src, float[] sc, int chan, int py) {
            int xa0 = Math.max(0, (pad + 1) / 2), xb0 = Math.min(Wph, Math.floorDiv(W - 1 + pad, 2) + 1);
            int xa1 = Math.max(0, pad / 2), xb1 = Math.min(Wph, Math.floorDiv(W - 2 + pad, 2) + 1);
            int i0 = 2 * xa0 - pad, i1 = 2 * xa1 + 1 - pad, base = Math.min(i0, i1);
            // the phase whose first column is `base` takes the even selection
            int pe = i0 == base ? 0 : 1, xe = pe == 0 ? xa0 : xa1, ne = pe == 0 ? xb0 - xa0 : xb1 - xa1;
            int xo = pe == 0 ? xa1 : xa0, no = pe == 0 ? xb1 - xa1 : xb0 - xa0;
            int de = chan + phaseIndex[py * 2 + pe] * planeSize, dOdd = chan + phaseIndex[py * 2 + 1 - pe] * planeSize;
            int n = Math.max(ne, no), avail = W - base;
            VectorMask<Float> lo1 = FS.indexInRange(0, avail), hi1 = FS.indexInRange(L, avail), me1 = FS.indexInRange(0, ne),
                    mo1 = FS.indexInRange(0, no);
            for (int yy = 0; yy < Hph; yy++) {
                int iy = yy * 2 + py - pad, re = de + yy * Wph, ro = dOdd + yy * Wph;
                if (iy < 0 || iy >= H) {
                    for (int xx = 0; xx < Wph; xx++) {
                        sc[re + xx] = 0f;
                        sc[ro + xx] = 0f;
                    }
                    continue;
                }
                for (int xx = 0; xx < xe; xx++) sc[re + xx] = 0f;
                for (int xx = xe + ne; xx < Wph; xx++) sc[re + xx] = 0f;
                for (int xx = 0; xx < xo; xx++) sc[ro + xx] = 0f;
                for (int xx = xo + no; xx < Wph; xx++) sc[ro + xx] = 0f;
                int row = src + iy * W + base;
                if (n <= L) {
                    // one vector per phase row (ResNet's 32×32 and 16×16 inputs): loop-invariant masks
                    FloatVector a = FloatVector.fromArray(FS, in, row, lo1), b = FloatVector.fromArray(FS, in, row + L, hi1);
                    a.rearrange(EVEN, b).intoArray(sc, re + xe, me1);
                    a.rearrange(ODD, b).intoArray(sc, ro + xo, mo1);
                    continue;
                }
                for (int j = 0; j < n; j += L) {
                    int left = avail - 2 * j;
                    FloatVector a = FloatVector.fromArray(FS, in, row + 2 * j, FS.indexInRange(0, left));
                    FloatVector b = FloatVector.fromArray(FS, in, row + 2 * j + L, FS.indexInRange(L, left));
                    a.rearrange(EVEN, b).intoArray(sc, re + xe + j, FS.indexInRange(j, ne));
                    a.rearrange(ODD, b).intoArray(sc, ro + xo + j, FS.indexInRange(j, no));
                }
            }
        }

        /** Stride 2, phase (py, px) of one channel: even or odd input columns by a two-vector selection. */
        private void layOutPhase2(float[] in, int src, float[] sc, int dst, int py, int px, int xa, int xb) {
            int n = xb - xa, full = n / L * L, rem = n - full;
            VectorMask<Float> lo = FS.indexInRange(0, 2 * rem - 1), hi = FS.indexInRange(L, 2 * rem - 1), out = FS.indexInRange(0, rem);
            for (int yy = 0; yy < Hph; yy++) {
                int iy = yy * 2 + py - pad, d = dst + yy * Wph;
                if (iy < 0 || iy >= H) {
                    for (int xx = 0; xx < Wph; xx++) sc[d + xx] = 0f;
                    continue;
                }
                for (int xx = 0; xx < xa; xx++) sc[d + xx] = 0f;
                for (int xx = xb; xx < Wph; xx++) sc[d + xx] = 0f;
                int ix = src + iy * W + 2 * xa + px - pad, o = d + xa;
                for (int j = 0; j < full; j += L, ix += 2 * L, o += L) {
                    // the last full vector of a row may read one past it when W is even: masked to 2L − 1 lanes
                    FloatVector a = FloatVector.fromArray(FS, in, ix), b = FloatVector.fromArray(FS, in, ix + L, ODD_LAST);
                    a.rearrange(EVEN, b).intoArray(sc, o);
                }
                if (rem > 0) {
                    FloatVector a = FloatVector.fromArray(FS, in, ix, lo), b = FloatVector.fromArray(FS, in, ix + L, hi);
                    a.rearrange(EVEN, b).intoArray(sc, o, out);
                }
            }
        }
    }

    /** Fully connected: output features in the lanes (weights packed {@code [out/NR][in][NR]}), inputs broadcast. */
    static final class Linear implements LinearKernel {
        final int in, out, NB, actKind;
        final float alpha;
        final float[] wp, bias;

        Linear(int in, int out, float[] w, float[] bias, Activation act) {
            this.in = in;
            this.out = out;
            actKind = act.kind().ordinal();
            alpha = act.alpha();
            NB = (out + NR - 1) / NR;
            wp = new float[NB * in * NR];
            for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) wp[((o / NR) * in + i) * NR + o % NR] = w[o * in + i];
            this.bias = java.util.Arrays.copyOf(bias, NB * NR); // padded for whole-vector loads
        }

        @Override public int block() { return NR; }

        @Override public void run(float[] x, int xOff, int batch, float[] y, int yOff, int o0, int o1) {
            int b = 0;
            // four images at a time: each weight vector loaded once for four FMAs
            for (; b + 4 <= batch; b += 4) {
                for (int nb = o0 / NR; nb * NR < o1; nb++) {
                    FloatVector z = FloatVector.zero(FS), a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
                    int base = nb * in * NR, xa = xOff + b * in, xb = xa + in, xc = xb + in, xd = xc + in;
                    for (int i = 0; i < in; i++) {
                        FloatVector w0 = FloatVector.fromArray(FS, wp, base + i * NR), w1 = FloatVector.fromArray(FS, wp, base + i * NR + L);
                        FloatVector v = FloatVector.broadcast(FS, x[xa + i]);
                        a0 = w0.fma(v, a0); a1 = w1.fma(v, a1);
                        v = FloatVector.broadcast(FS, x[xb + i]);
                        b0 = w0.fma(v, b0); b1 = w1.fma(v, b1);
                        v = FloatVector.broadcast(FS, x[xc + i]);
                        c0 = w0.fma(v, c0); c1 = w1.fma(v, c1);
                        v = FloatVector.broadcast(FS, x[xd + i]);
                        d0 = w0.fma(v, d0); d1 = w1.fma(v, d1);
                    }
                    // raw sums out (vectors never cross a call: C2 would box them), then bias and activation in place
                    int o = nb * NR, n = Math.min(NR, o1 - o), yo = yOff + b * out + o;
                    VectorMask<Float> m0 = FS.indexInRange(0, n), m1 = FS.indexInRange(L, n);
                    a0.intoArray(y, yo, m0); a1.intoArray(y, yo + L, m1);
                    b0.intoArray(y, yo + out, m0); b1.intoArray(y, yo + out + L, m1);
                    c0.intoArray(y, yo + 2 * out, m0); c1.intoArray(y, yo + 2 * out + L, m1);
                    d0.intoArray(y, yo + 3 * out, m0); d1.intoArray(y, yo + 3 * out + L, m1);
                    for (int q = 0; q < 4; q++) finish(y, yo + q * out, o, n);
                }
            }
            for (; b < batch; b++) {
                for (int nb = o0 / NR; nb * NR < o1; nb++) {
                    FloatVector c0 = FloatVector.zero(FS), c1 = c0;
                    int base = nb * in * NR, xo = xOff + b * in;
                    for (int i = 0; i < in; i++) {
                        FloatVector w = FloatVector.broadcast(FS, x[xo + i]);
                        c0 = FloatVector.fromArray(FS, wp, base + i * NR).fma(w, c0);
                        c1 = FloatVector.fromArray(FS, wp, base + i * NR + L).fma(w, c1);
                    }
                    int o = nb * NR, n = Math.min(NR, o1 - o), yo = yOff + b * out + o;
                    c0.intoArray(y, yo, FS.indexInRange(0, n));
                    c1.intoArray(y, yo + L, FS.indexInRange(L, n));
                    finish(y, yo, o, n);
                }
            }
        }

        /** {@code y[yo .. yo+n) = act(y + bias[o ..])}: one block of one image's features. */
        private void finish(float[] y, int yo, int o, int n) {
            for (int j = 0; j < n; j += L) {
                VectorMask<Float> m = FS.indexInRange(j, n);
                FloatVector v = FloatVector.fromArray(FS, y, yo + j, m).add(FloatVector.fromArray(FS, bias, o + j));
                if (actKind == 1) v = v.max(0f);
                else if (actKind == 2) v = v.blend(v.mul(alpha), v.lt(0f));
                else if (actKind == 3) v = v.max(0f).min(6f);
                else if (actKind == 4) v = v.mul(v.add(3f).max(0f).min(6f)).div(6f);
                v.intoArray(y, yo + j, m);
            }
        }
    }

    // ---- memory-bound ops ---------------------------------------------------------------------------

    @Override public void activate(Activation act, float[] x, int off, int n) {
        if (act.kind() == Activation.Kind.NONE) return;
        FloatVector zero = FloatVector.zero(FS), three = FloatVector.broadcast(FS, 3f), six = FloatVector.broadcast(FS, 6f);
        int kind = act.kind().ordinal();
        float alpha = act.alpha();
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector v = FloatVector.fromArray(FS, x, off + j);
            if (kind == 1) v = v.max(zero);
            else if (kind == 2) v = v.blend(v.mul(alpha), v.lt(zero));
            else if (kind == 3) v = v.max(zero).min(six);
            else v = v.mul(v.add(three).max(zero).min(six)).div(six);
            v.intoArray(x, off + j);
        }
        for (; j < n; j++) x[off + j] = act.apply(x[off + j]);
    }

    @Override public void add(Activation act, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        FloatVector zero = FloatVector.zero(FS), three = FloatVector.broadcast(FS, 3f), six = FloatVector.broadcast(FS, 6f);
        int kind = act.kind().ordinal();
        float alpha = act.alpha();
        int j = 0;
        for (; j <= n - L; j += L) {
            FloatVector v = FloatVector.fromArray(FS, a, aOff + j).add(FloatVector.fromArray(FS, b, bOff + j));
            if (kind == 1) v = v.max(zero);
            else if (kind == 2) v = v.blend(v.mul(alpha), v.lt(zero));
            else if (kind == 3) v = v.max(zero).min(six);
            else if (kind == 4) v = v.mul(v.add(three).max(zero).min(six)).div(six);
            v.intoArray(out, outOff + j);
        }
        for (; j < n; j++) out[outOff + j] = act.apply(a[aOff + j] + b[bOff + j]);
    }

    /** Lane i of the even (odd) shuffle picks element 2i (2i + 1) of two concatenated vectors. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(FS, i -> 2 * i), ODD = VectorShuffle.fromOp(FS, i -> 2 * i + 1);
    /** The second vector of an even selection needs only its first L − 1 lanes. */
    private static final VectorMask<Float> ODD_LAST = FS.indexInRange(0, L - 1);

    @Override public void maxPool(PoolSpec s, float[] in, int inOff, float[] out, int outOff, int planes) {
        if (s.kernel() != 2 || s.stride() != 2 || s.padding() != 0) {
            FloatKernels.loops().maxPool(s, in, inOff, out, outOff, planes);
            return;
        }
        // 2×2 stride 2: max of two rows, then of even and odd columns; L outputs from 2L inputs per row pair
        int W = s.width(), OH = s.outHeight(), OW = s.outWidth(), H = s.height(), full = OW / L * L, rem = OW - full;
        // the partial block's masks, once (a mask per vector costs more than the max)
        VectorMask<Float> t0 = FS.indexInRange(0, 2 * rem), t1 = FS.indexInRange(L, 2 * rem), to = FS.indexInRange(0, rem);
        for (int c = 0; c < planes; c++) {
            int src = inOff + c * H * W, dst = outOff + c * OH * OW;
            for (int y = 0; y < OH; y++) {
                int r0 = src + 2 * y * W, r1 = r0 + W, o = dst + y * OW;
                for (int x = 0; x < full; x += L) {
                    int i0 = r0 + 2 * x, i1 = r1 + 2 * x;
                    FloatVector lo = FloatVector.fromArray(FS, in, i0).max(FloatVector.fromArray(FS, in, i1));
                    FloatVector hi = FloatVector.fromArray(FS, in, i0 + L).max(FloatVector.fromArray(FS, in, i1 + L));
                    lo.rearrange(EVEN, hi).max(lo.rearrange(ODD, hi)).intoArray(out, o + x);
                }
                if (rem > 0) {
                    int i0 = r0 + 2 * full, i1 = r1 + 2 * full;
                    FloatVector lo = FloatVector.fromArray(FS, in, i0, t0).max(FloatVector.fromArray(FS, in, i1, t0));
                    FloatVector hi = FloatVector.fromArray(FS, in, i0 + L, t1).max(FloatVector.fromArray(FS, in, i1 + L, t1));
                    lo.rearrange(EVEN, hi).max(lo.rearrange(ODD, hi)).intoArray(out, o + full, to);
                }
            }
        }
    }

    @Override public void avgPool(PoolSpec s, float[] in, int inOff, float[] out, int outOff, int planes) {
        FloatKernels.loops().avgPool(s, in, inOff, out, outOff, planes);
    }

    @Override public void globalAvgPool(int size, float[] in, int inOff, float[] out, int outOff, int planes) {
        for (int c = 0; c < planes; c++) {
            int src = inOff + c * size;
            FloatVector acc = FloatVector.zero(FS);
            int j = 0;
            for (; j + L <= size; j += L) acc = acc.add(FloatVector.fromArray(FS, in, src + j));
            float sum = acc.reduceLanes(VectorOperators.ADD);
            for (; j < size; j++) sum += in[src + j];
            out[outOff + c] = sum / size;
        }
    }
}
