package dev.squeeze.exec.panama;

import static dev.squeeze.exec.panama.Int16PairKernel.IS;
import static dev.squeeze.exec.panama.Int16PairKernel.L;
import static dev.squeeze.exec.panama.Int16PairKernel.MR;
import static dev.squeeze.exec.panama.Int16PairKernel.NR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.LSHL;

import dev.squeeze.exec.CodeType;
import dev.squeeze.exec.ConvSpec;
import dev.squeeze.exec.Int8KernelSupport;
import dev.squeeze.exec.OutputStage;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;

/**
 * Convolution as an int16-pair GEMM ({@link Int16PairKernel#gemm4}) over <em>pair planes</em>, with no im2col in
 * the common case.
 *
 * <h2>Layout</h2>
 * Phase 0 turns each image's input into pair planes: for every group, pair of input channels
 * {@code (2cp, 2cp+1)} of the group and stride phase {@code (py, px)}, an int plane {@code [Hph][Wph]} holding
 * {@code pair(x_s[2cp][y][x], x_s[2cp+1][y][x])} at padded position {@code (y, x) = (yy·s + py, xx·s + px)},
 * with {@code x_s = x − off} and the padding holding {@code zp_s = zp − off}. An odd last channel is paired
 * with itself one row down ({@code pair(x_s[c][y][x], x_s[c][y+1][x])}, stride 1: ⌈k/2⌉·k pairs instead of
 * k·k) or, at stride 2, with zeros. Reduction pairs: for every tap {@code (ky, kx)} the channel pairs, then
 * the odd channel's pairs; weights are packed once as {@code [group][channel block of 4][kp][4]} pairs
 * (pixels as lanes) and as {@code [group][channel block of NRL][kp][NRL]} (channels as lanes).
 *
 * <p>With the planes so arranged, the input of tap {@code (ky, kx, cp)} for output {@code (oy, ox)} is
 * plane {@code (cp, ky mod s, kx mod s)} at {@code (oy + ky/s)·Wph + ox + kx/s}: for a fixed tap it is
 * <em>contiguous</em> in the "wide" pixel index {@code n' = oy·Wph + ox}. So:
 * <ul>
 *   <li><b>direct</b> mode runs the micro-kernel straight on the planes with one offset per tap,
 *       computing {@code OH·Wph} wide pixels of which {@code Wph − OW} per row are discarded — no
 *       packing at all, at the price of those junk columns;</li>
 *   <li><b>packed</b> mode copies the exact pixels of {@code NR} outputs — across image boundaries, so a
 *       batch of 4×4 maps fills whole tiles — into a panel {@code [kp][NR]}, each tap row being a few
 *       contiguous runs;</li>
 *   <li><b>lanes</b> mode (small maps with many channels) turns the tile around: output channels are the
 *       lanes ({@link Int16PairKernel#gemmT4}, {@link Int16PairKernel#gemmT8}) and four (eight) exact pixels are broadcast straight
 *       from the planes through the tap offsets — no panel and no junk columns.</li>
 * </ul>
 * A cost model fitted to forced-mode measurements picks the mode per layer and batch. Every product is
 * exact in int16 and accumulation is int32; the bias absorbs {@code −zp_s·Σw} and the epilogue requantizes
 * ({@link Int16PairKernel.Stage}) and stores bytes. {@link #withMaxPool2x2()} gives the same layer with a 2×2 stride-2
 * max pool fused: the max of each window's accumulators is requantized once. Workers split images (phase 0)
 * and tiles (phase 1).
 */
final class PanamaConv implements Int8KernelSupport.ConvKernel, Cloneable {
    /** Force a mode for tests: {@code direct}, {@code packed}, {@code lanes} or (default) {@code auto}. */
    static final String MODE_PROPERTY = "squeeze.exec.convMode";

    private final int C, M, k, s, G, H, W, OH, OW, Cg, Mg, CPg, CPf, P;
    /** The odd channel of a group is paired with itself one row down (stride 1 only) instead of with zeros. */
    private final boolean vertical;
    private final int pad, Hph, Wph, nPh, planeSize, groupInts, imageInts;
    private final int[] phaseIndex; // py·s + px → phase plane index, −1 when no tap uses it
    private final int KP2, MB, NBL, NRL;
    /** A fused 2×2 stride-2 max pool after the output stage (set only on a clone, before it is published). */
    private boolean pooled;
    private int POH, POW, PP;
    /** Plane offset (within an image's group planes) of each output pixel, and of each pooling window's top-left pixel. */
    private final int[] pixOff;
    private int[] winOff;
    private final int[] a, bw, tap, biasEff;
    private final Int16PairKernel.Stage stage;
    private final boolean uint8;
    private final int forced; // 0 auto, 1 direct, 2 packed
    private final int off, padPair;
    private final int blocksPerImage, slack;

    PanamaConv(ConvSpec spec, CodeType inType, int zp, int[] w, int[] bias, OutputStage out) {
        C = spec.inChannels();
        M = spec.outChannels();
        k = spec.kernel();
        s = spec.stride();
        pad = spec.padding();
        G = spec.groups();
        H = spec.inHeight();
        W = spec.inWidth();
        OH = spec.outHeight();
        OW = spec.outWidth();
        P = OH * OW;
        Cg = spec.groupInChannels();
        Mg = spec.groupOutChannels();
        CPf = Cg / 2;
        vertical = s == 1 && k > 1 && (Cg & 1) == 1;
        CPg = (Cg + 1) / 2; // pair planes per group (the last one vertical or zero-paired when Cg is odd)
        uint8 = inType == CodeType.UINT8;
        off = uint8 ? 127 : -1;
        int zps = zp - off;
        padPair = Int16PairKernel.pair(zps, zps);

        int Hp = H + 2 * pad, Wp = W + 2 * pad;
        Hph = (Hp + s - 1) / s;
        Wph = (Wp + s - 1) / s;
        planeSize = Hph * Wph;
        phaseIndex = new int[s * s];
        java.util.Arrays.fill(phaseIndex, -1);
        int phases = 0;
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                int idx = (ky % s) * s + kx % s;
                if (phaseIndex[idx] < 0) phaseIndex[idx] = phases++;
            }
        }
        nPh = phases;
        groupInts = CPg * nPh * planeSize;
        imageInts = G * groupInts;

        // Reduction pairs: for every tap (ky, kx) the full channel pairs (2cp, 2cp+1), then for an odd channel
        // count either its zero-paired taps or — vertical — pairs of rows (ky, ky+1) of that channel, which
        // need ⌈k/2⌉·k pairs instead of k·k (the 3-channel stem: 40 pairs instead of 50 at 5×5).
        int kp = k * k * CPf + ((Cg & 1) == 0 ? 0 : vertical ? (k + 1) / 2 * k : k * k);
        KP2 = kp + (kp & 1);
        MB = (Mg + MR - 1) / MR;
        int K = spec.reduction();
        tap = new int[KP2];
        int[] wi0 = new int[KP2], wi1 = new int[KP2]; // reduction indices of each pair's two weights, −1 for none
        java.util.Arrays.fill(wi0, -1);
        java.util.Arrays.fill(wi1, -1);
        int t = 0;
        for (int ky = 0; ky < k; ky++) {
            for (int kx = 0; kx < k; kx++) {
                int ph = phaseIndex[(ky % s) * s + kx % s];
                int cps = (Cg & 1) == 1 && !vertical ? CPg : CPf;
                for (int cp = 0; cp < cps; cp++, t++) {
                    tap[t] = (cp * nPh + ph) * planeSize + (ky / s) * Wph + kx / s;
                    wi0[t] = ((2 * cp) * k + ky) * k + kx;
                    if (2 * cp + 1 < Cg) wi1[t] = ((2 * cp + 1) * k + ky) * k + kx;
                }
            }
        }
        if (vertical) {
            for (int ky = 0; ky < k; ky += 2) {
                for (int kx = 0; kx < k; kx++, t++) {
                    tap[t] = CPf * planeSize + ky * Wph + kx; // stride 1: one phase
                    wi0[t] = ((Cg - 1) * k + ky) * k + kx;
                    if (ky + 1 < k) wi1[t] = ((Cg - 1) * k + ky + 1) * k + kx;
                }
            }
        }
        if (t != kp) throw new AssertionError("pair count " + t + " != " + kp);
        if (KP2 > kp) tap[KP2 - 1] = tap[0];
        // Weights: [g][mb][kp][MR] pairs; rows ≥ Mg, missing partners and the padding pair kp = KP2−1 are 0, so
        // whatever the B side holds there contributes nothing.
        a = new int[G * MB * KP2 * MR];
        biasEff = new int[M + NR]; // padded: "lanes" mode requantizes whole channel blocks
        for (int g = 0; g < G; g++) {
            for (int c = 0; c < Mg; c++) {
                int o = g * Mg + c;
                long sum = 0;
                for (int i = 0; i < K; i++) sum += w[o * K + i];
                biasEff[o] = bias[o] - zps * (int) sum; // int32 wrap-around, like the accumulator
                int mb = c / MR, r = c % MR;
                for (int q = 0; q < KP2; q++) {
                    int w0 = wi0[q] < 0 ? 0 : w[o * K + wi0[q]], w1 = wi1[q] < 0 ? 0 : w[o * K + wi1[q]];
                    a[((g * MB + mb) * KP2 + q) * MR + r] = Int16PairKernel.pair(w0, w1);
                }
            }
        }
        stage = new Int16PairKernel.Stage(out, M + NR);
        // "lanes" mode: the same pairs as B panels over output channels, [g][channel block of NRL][kp][NRL], with
        // blocks of one vector (L) when a group has at most L output channels, else two (NR).
        NRL = Mg <= L ? L : NR;
        NBL = (Mg + NRL - 1) / NRL;
        bw = new int[G * NBL * KP2 * NRL];
        for (int g = 0; g < G; g++) {
            for (int c = 0; c < Mg; c++) {
                for (int q = 0; q < KP2; q++) {
                    bw[((g * NBL + c / NRL) * KP2 + q) * NRL + c % NRL] = a[((g * MB + c / MR) * KP2 + q) * MR + c % MR];
                }
            }
        }

        pixOff = new int[P];
        for (int n = 0; n < P; n++) pixOff[n] = n / OW * Wph + n % OW;
        blocksPerImage = (OH * Wph + NR - 1) / NR;
        int maxTap = 0;
        for (int tp : tap) maxTap = Math.max(maxTap, tp);
        slack = maxTap + blocksPerImage * NR + L;

        String mode = System.getProperty(MODE_PROPERTY, "auto");
        forced = switch (mode) {
            case "direct" -> 1;
            case "packed" -> 2;
            case "lanes" -> 3;
            default -> 0;
        };
    }

    private static final int DIRECT = 1, PACKED = 2, LANES = 3;

    /**
     * Direct, packed or lanes for this batch. Cost model in micro-kernel columns × rows, fitted to
     * forced-mode measurements of the seed-CNN and ResNet18 layers:
     * <ul>
     *   <li>direct computes {@code batch · blocksPerImage · NR} wide pixels with the offset-table kernel
     *       (×1.1) for {@code MB·MR} channel rows;</li>
     *   <li>packed computes the exact pixels rounded up to whole tiles across images (a last block of at
     *       most L pixels as a half tile), plus the panel copy, which costs more the shorter the rows it
     *       copies: {@code (8 + 8·NR/min(OW, NR)) / Mpad} of the multiply work per column;</li>
     *   <li>lanes computes the exact pixels (in fours) for {@code NBL·NR} channel lanes, plus its per-pixel
     *       epilogue (a requantization per channel block and a byte scatter): {@code 24/KP2} of the work.</li>
     * </ul>
     */
    private int mode(int batch) {
        if (forced != 0) return forced;
        double directCost = 1.1 * batch * blocksPerImage * NR * (MB * MR);
        double packFactor = (8 + 8.0 * NR / Math.min(OW, NR)) / (MB * MR);
        int n = batch * P, rest = n % NR;
        double columns = n - rest + (rest == 0 ? 0 : rest <= L ? L : NR); // a last block of ≤ L pixels runs the half tile
        double packedCost = columns * (1 + packFactor) * (MB * MR);
        double lanesCost = 1.1 * ((n + 3) / 4 * 4) * (NBL * NRL) * (1 + 24.0 / KP2);
        if (lanesCost < directCost && lanesCost < packedCost) return LANES;
        return directCost < packedCost ? DIRECT : PACKED;
    }

    private boolean direct(int batch) { return mode(batch) == DIRECT; }

    @Override public long sharedInts(int batch) { return (long) batch * imageInts + slack; }

    @Override public long localInts(int batch) {
        // tile accumulators (MR·NR, also the lanes tile 4·NR), runs (4 ints each, at most NR), and the packed panel;
        // pooled direct mode: instead of the panel, MR channel rows of one image's wide accumulators and a pooled vector
        long base = MR * NR + 4L * NR;
        return base + Math.max((long) KP2 * NR, pooled ? (long) MR * blocksPerImage * NR + 2L * L + (PP + 2L * L) : 0);
    }

    @Override public long localBytes(int batch) { return Math.max(MR * NR, pooled ? PP + L : 0); }

    @Override public int phases() { return 2; }

    @Override public String path() {
        String tile = " " + MR + "×" + NR, lanesTile = NRL == NR ? " 4×" + NR : " 8×" + L;
        String first = name(mode(1));
        String firstTile = first.equals("lanes") ? lanesTile : tile;
        String pool = pooled ? " + max-pool 2" : "";
        for (int b = 2; b <= 256; b++) {
            String m = name(mode(b));
            if (!m.equals(first)) return "panama " + first + firstTile + ", " + m + " from batch " + b + pool;
        }
        return "panama " + first + firstTile + pool;
    }

    /**
     * This convolution followed by a 2×2 stride-2 max pool, in one pass: the max of each window's four int32
     * accumulators is requantized once. Exact because requantization is monotone non-decreasing in the
     * accumulator when there is one multiplier (ReLU or none); null otherwise (LeakyReLU's two branches) or
     * when the output is smaller than a window.
     */
    @Override public Int8KernelSupport.ConvKernel withMaxPool2x2() {
        if (!stage.single || OH < 2 || OW < 2 || pooled) return null;
        try {
            PanamaConv c = (PanamaConv) clone();
            c.pooled = true;
            c.POH = OH / 2;
            c.POW = OW / 2;
            c.PP = c.POH * c.POW;
            c.winOff = new int[c.PP];
            for (int wi = 0; wi < c.PP; wi++) c.winOff[wi] = 2 * (wi / c.POW) * Wph + 2 * (wi % c.POW);
            return c;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    private static String name(int mode) { return mode == DIRECT ? "direct" : mode == PACKED ? "packed" : "lanes"; }

    @Override public void run(int phase, byte[] in, int inOff, int batch, byte[] out, int outOff, int[] planes, int[] local,
            byte[] tile, int worker, int workers) {
        if (phase == 0) {
            int from = (int) ((long) batch * worker / workers), to = (int) ((long) batch * (worker + 1) / workers);
            for (int b = from; b < to; b++) buildPlanes(in, inOff + b * C * H * W, planes, b * imageInts);
            return;
        }
        int mode = mode(batch);
        if (pooled && mode != LANES) {
            pooledDirect(batch, planes, local, tile, out, outOff, worker, workers);
        } else if (mode == LANES) {
            lanes(batch, planes, local, tile, out, outOff, worker, workers);
        } else if (mode == DIRECT) {
            int units = batch * G * blocksPerImage;
            int from = (int) ((long) units * worker / workers), to = (int) ((long) units * (worker + 1) / workers);
            for (int u = from; u < to; u++) {
                int nb = u % blocksPerImage, bg = u / blocksPerImage, g = bg % G, b = bg / G;
                int runs = directRuns(b, nb, local);
                if (runs == 0) continue; // only junk columns in this block
                tiles(g, planes, b * imageInts + g * groupInts + nb * NR, false, runs, local, tile, out, outOff);
            }
        } else {
            int N = batch * P, blocks = (N + NR - 1) / NR, units = G * blocks;
            int from = (int) ((long) units * worker / workers), to = (int) ((long) units * (worker + 1) / workers);
            int panel = MR * NR + 4 * NR;
            for (int u = from; u < to; u++) {
                int g = u / blocks, nb = u % blocks;
                int runs = packedRuns(nb, N, local);
                fillPanel(planes, g * groupInts, runs, local, panel);
                tiles(g, local, panel, true, runs, local, tile, out, outOff);
            }
        }
    }

    /**
     * Lanes mode: tiles of four exact pixels (consecutive across the batch) × NR output channels on
     * {@link Int16PairKernel#gemmT4}; each pixel's NR accumulators are requantized with per-lane channel parameters
     * and scattered to the channel planes. Workers split (group, channel block, pixel quad) units, pixel
     * quads innermost so that a channel block's weights stay in cache.
     */
    private void lanes(int batch, int[] planes, int[] local, byte[] tile, byte[] out, int outOff, int worker, int workers) {
        int per = NRL == NR ? 4 : 8; // pixels per micro-kernel call
        if (pooled) {
            pooledLanes(batch, per / 4, planes, local, tile, out, outOff, worker, workers);
            return;
        }
        // Units (g, channel block, group of `per` pixels), pixel groups innermost; one division per channel
        // block, then the pixel cursor (image b, pixel rem) advances by additions (divisions per call cost
        // as much as a short reduction).
        int N = batch * P, groups = (N + per - 1) / per, units = G * NBL * groups;
        int from = (int) ((long) units * worker / workers), to = (int) ((long) units * (worker + 1) / workers);
        int[] po = local; // pixel plane offsets at local[PO ..], output offsets at local[PO + 8 ..]
        for (int u = from; u < to; ) {
            int q = u % groups, gn = u / groups, nb = gn % NBL, g = gn / NBL;
            int qEnd = Math.min(groups, q + (to - u));
            u += qEnd - q;
            int wOff = (g * NBL + nb) * KP2 * NRL, c0 = g * Mg + nb * NRL, chans = Math.min(NRL, Mg - nb * NRL);
            int n = q * per, b = n / P, rem = n % P;
            for (; q < qEnd; q++) {
                int cnt = Math.min(per, N - q * per);
                for (int i = 0; i < per; i++) {
                    if (i < cnt) {
                        po[PO + i] = b * imageInts + g * groupInts + pixOff[rem];
                        po[PO + 8 + i] = outOff + b * M * P + c0 * P + rem;
                        if (++rem == P) {
                            rem = 0;
                            b++;
                        }
                    } else {
                        po[PO + i] = po[PO];
                    }
                }
                if (per == 4) {
                    Int16PairKernel.gemmT4(bw, wOff, planes, po[PO], po[PO + 1], po[PO + 2], po[PO + 3], tap, KP2, local, 0);
                } else {
                    Int16PairKernel.gemmT8(bw, wOff, planes, po[PO], po[PO + 1], po[PO + 2], po[PO + 3], po[PO + 4], po[PO + 5], po[PO + 6], po[PO + 7],
                            tap, KP2, local, 0);
                }
                for (int i = 0; i < cnt; i++) {
                    stage.lanes(local, i * NRL, NRL, c0, biasEff, tile, 0);
                    int dst = po[PO + 8 + i];
                    for (int j = 0; j < chans; j++) out[dst + j * P] = tile[j];
                }
            }
        }
    }

    /**
     * Direct or packed mode with the fused max pool (both run as direct here): per image, group and block of
     * MR channels, the wide accumulator rows of the whole image go to the local ints, then each pair of rows
     * is pooled 2×2 on vectors ({@link Int16PairKernel#pool2x2}) and requantized once per window.
     */
    private void pooledDirect(int batch, int[] planes, int[] local, byte[] tile, byte[] out, int outOff, int worker, int workers) {
        int units = batch * G * MB, stride = blocksPerImage * NR, T = MR * NR + 4 * NR, PV = T + MR * stride + 2 * L;
        int from = (int) ((long) units * worker / workers), to = (int) ((long) units * (worker + 1) / workers);
        int pp = (PP + L - 1) / L * L;
        for (int u = from; u < to; u++) {
            int mb = u % MB, bg = u / MB, g = bg % G, b = bg / G;
            int base = b * imageInts + g * groupInts, aOff = (g * MB + mb) * KP2 * MR;
            for (int nb = 0; nb < blocksPerImage; nb++) Int16PairKernel.gemm4(a, aOff, planes, base + nb * NR, tap, KP2, local, T + nb * NR, stride);
            int rows = Math.min(MR, Mg - mb * MR);
            for (int r = 0; r < rows; r++) {
                int ch = g * Mg + mb * MR + r;
                // pooled plane [POH][POW] at PV (each chunk may spill up to L − 1 values into the next row, rewritten next)
                for (int py = 0; py < POH; py++) {
                    int r0 = T + r * stride + 2 * py * Wph;
                    for (int x0 = 0; x0 < POW; x0 += L) Int16PairKernel.pool2x2(local, r0 + 2 * x0, r0 + Wph + 2 * x0, local, PV + py * POW + x0);
                }
                stage.row(local, PV, pp, ch, biasEff[ch], tile, 0);
                System.arraycopy(tile, 0, out, outOff + b * M * PP + ch * PP, PP);
            }
        }
    }

    /** Where the lanes modes keep per-call pixel offsets in the local ints: after the accumulators (4·NR ints). */
    private static final int PO = MR * NR;

    /**
     * Lanes mode with the fused max pool: each call takes whole 2×2 windows (one with 4×NR tiles, two with
     * 8×L), reduces each window's four accumulator vectors with a lane-wise max, requantizes the result
     * once and scatters it to the pooled planes {@code [batch, M, OH/2, OW/2]}.
     */
    private void pooledLanes(int batch, int wpc, int[] planes, int[] local, byte[] tile, byte[] out, int outOff, int worker, int workers) {
        int Nw = batch * PP, groups = (Nw + wpc - 1) / wpc, units = G * NBL * groups;
        int from = (int) ((long) units * worker / workers), to = (int) ((long) units * (worker + 1) / workers);
        for (int u = from; u < to; ) {
            int q = u % groups, gn = u / groups, nb = gn % NBL, g = gn / NBL;
            int qEnd = Math.min(groups, q + (to - u));
            u += qEnd - q;
            int wOff = (g * NBL + nb) * KP2 * NRL, c0 = g * Mg + nb * NRL, chans = Math.min(NRL, Mg - nb * NRL);
            int w = q * wpc, b = w / PP, rem = w % PP;
            for (; q < qEnd; q++) {
                int cnt = Math.min(wpc, Nw - q * wpc);
                int p0 = b * imageInts + g * groupInts + winOff[rem], d0 = outOff + b * M * PP + c0 * PP + rem;
                if (++rem == PP) {
                    rem = 0;
                    b++;
                }
                int p4 = p0, d1 = d0;
                if (cnt > 1) {
                    p4 = b * imageInts + g * groupInts + winOff[rem];
                    d1 = outOff + b * M * PP + c0 * PP + rem;
                    if (++rem == PP) {
                        rem = 0;
                        b++;
                    }
                }
                if (wpc == 1) {
                    Int16PairKernel.gemmT4(bw, wOff, planes, p0, p0 + 1, p0 + Wph, p0 + Wph + 1, tap, KP2, local, 0);
                } else {
                    Int16PairKernel.gemmT8(bw, wOff, planes, p0, p0 + 1, p0 + Wph, p0 + Wph + 1, p4, p4 + 1, p4 + Wph, p4 + Wph + 1, tap, KP2, local, 0);
                }
                for (int i = 0; i < cnt; i++) {
                    int acc = i * 4 * NRL, dst = i == 0 ? d0 : d1;
                    Int16PairKernel.max4(local, acc, NRL, NRL);
                    stage.lanes(local, acc, NRL, c0, biasEff, tile, 0);
                    for (int j = 0; j < chans; j++) out[dst + j * PP] = tile[j];
                }
            }
        }
    }

    // ---- phase 0: pair planes ----------------------------------------------------------------------

    private void buildPlanes(byte[] in, int img, int[] planes, int base) {
        int HW = H * W;
        for (int g = 0; g < G; g++) {
            for (int cp = 0; cp < CPg; cp++) {
                int c0 = g * Cg + 2 * cp;
                if (vertical && cp == CPf) {
                    verticalPlane(in, img + c0 * HW, planes, base + g * groupInts + cp * planeSize);
                    continue;
                }
                boolean two = 2 * cp + 1 < Cg;
                int src0 = img + c0 * HW, src1 = src0 + HW;
                for (int py = 0; py < s; py++) {
                    for (int px = 0; px < s; px++) {
                        int ph = phaseIndex[py * s + px];
                        if (ph < 0) continue;
                        int dst = base + g * groupInts + (cp * nPh + ph) * planeSize;
                        for (int yy = 0; yy < Hph; yy++) {
                            int iy = yy * s + py - pad;
                            int row = dst + yy * Wph;
                            if (iy < 0 || iy >= H) {
                                java.util.Arrays.fill(planes, row, row + Wph, padPair);
                                continue;
                            }
                            int r0 = src0 + iy * W, r1 = src1 + iy * W;
                            int xx = 0;
                            // left padding
                            for (; xx < Wph && xx * s + px - pad < 0; xx++) planes[row + xx] = padPair;
                            if (s == 1 && two) {
                                // interior, L at a time: widen both channels' bytes, shift into [-127, 128], pair up
                                for (; xx + L <= Wph && xx - pad + L <= W; xx += L) {
                                    int ix = xx - pad;
                                    IntVector lo = (IntVector) ByteVector.fromArray(Int16PairKernel.BS, in, r0 + ix).convertShape(B2I, IS, 0);
                                    IntVector hi = (IntVector) ByteVector.fromArray(Int16PairKernel.BS, in, r1 + ix).convertShape(B2I, IS, 0);
                                    if (uint8) {
                                        lo = lo.and(0xFF);
                                        hi = hi.and(0xFF);
                                    }
                                    lo.sub(off).and(0xFFFF).or(hi.sub(off).lanewise(LSHL, 16)).intoArray(planes, row + xx);
                                }
                            }
                            for (; xx < Wph; xx++) {
                                int ix = xx * s + px - pad;
                                if (ix >= W) break;
                                int v0 = (uint8 ? in[r0 + ix] & 0xFF : in[r0 + ix]) - off;
                                int v1 = two ? (uint8 ? in[r1 + ix] & 0xFF : in[r1 + ix]) - off : 0;
                                planes[row + xx] = Int16PairKernel.pair(v0, v1);
                            }
                            for (; xx < Wph; xx++) planes[row + xx] = padPair;
                        }
                    }
                }
            }
        }
    }

    /**
     * Stride 1, the odd channel at {@code src}: the plane {@code [Hp][Wp]} of {@code pair(x_s[y][x], x_s[y+1][x])}
     * over the padded input (padding and the row past the last holding {@code zp_s}).
     */
    private void verticalPlane(byte[] in, int src, int[] planes, int dst) {
        int zps = (short) padPair;
        for (int yy = 0; yy < Hph; yy++) {
            int y0 = yy - pad, y1 = y0 + 1;
            boolean in0 = y0 >= 0 && y0 < H, in1 = y1 >= 0 && y1 < H;
            int row = dst + yy * Wph;
            for (int xx = 0; xx < Wph; xx++) {
                int ix = xx - pad;
                boolean col = ix >= 0 && ix < W;
                int v0 = col && in0 ? (uint8 ? in[src + y0 * W + ix] & 0xFF : in[src + y0 * W + ix]) - off : zps;
                int v1 = col && in1 ? (uint8 ? in[src + y1 * W + ix] & 0xFF : in[src + y1 * W + ix]) - off : zps;
                planes[row + xx] = Int16PairKernel.pair(v0, v1);
            }
        }
    }

    // ---- phase 1: tiles ----------------------------------------------------------------------------

    // Runs live in local[MR·NR ..]: per run 4 ints (source offset for packing, tile column, length, output offset
    // without the channel term).
    private static final int RUNS = MR * NR;

    /** Runs of valid outputs among wide pixels {@code nb·NR ..} of image b (direct mode). */
    private int directRuns(int b, int nb, int[] local) {
        int runs = 0;
        int n0 = nb * NR, n1 = Math.min(n0 + NR, OH * Wph);
        int n = n0;
        while (n < n1) {
            int oy = n / Wph, ox = n % Wph;
            if (ox >= OW) {
                n += Wph - ox;
                continue;
            }
            int len = Math.min(OW - ox, n1 - n);
            int r = RUNS + 4 * runs++;
            local[r] = 0;
            local[r + 1] = n - n0;
            local[r + 2] = len;
            local[r + 3] = b * M * P + oy * OW + ox;
            n += len;
        }
        return runs;
    }

    /** Runs of exact pixels {@code nb·NR ..} of the batch (packed mode), with their plane offsets. */
    private int packedRuns(int nb, int N, int[] local) {
        int runs = 0;
        int n0 = nb * NR, n1 = Math.min(n0 + NR, N);
        int n = n0;
        while (n < n1) {
            int b = n / P, rem = n % P, oy = rem / OW, ox = rem % OW;
            int len = Math.min(OW - ox, n1 - n);
            int r = RUNS + 4 * runs++;
            local[r] = b * imageInts + oy * Wph + ox;
            local[r + 1] = n - n0;
            local[r + 2] = len;
            local[r + 3] = b * M * P + oy * OW + ox;
            n += len;
        }
        return runs;
    }

    /** Copies each tap's runs into the panel {@code local[panel + kp·NR ..]}; columns past the batch keep stale values. */
    private void fillPanel(int[] planes, int groupBase, int runs, int[] local, int panel) {
        for (int t = 0; t < KP2; t++) {
            int dst = panel + t * NR, tapBase = groupBase + tap[t];
            for (int r = 0; r < runs; r++) {
                int q = RUNS + 4 * r;
                int src = tapBase + local[q], d = dst + local[q + 1], len = local[q + 2];
                for (int i = 0; i < len; i++) local[d + i] = planes[src + i];
            }
        }
    }

    /** All channel blocks of group g for one pixel block: micro-kernel, requantization, byte stores. */
    private void tiles(int g, int[] b, int bBase, boolean packed, int runs, int[] local, byte[] tile, byte[] out, int outOff) {
        boolean whole = runs == 1 && local[RUNS + 2] == NR;
        int last = RUNS + 4 * (runs - 1);
        boolean half = packed && local[last + 1] + local[last + 2] <= L; // only the first L columns hold pixels
        int cols = half ? L : NR;
        int dst0 = outOff + local[RUNS + 3];
        for (int mb = 0; mb < MB; mb++) {
            if (half) Int16PairKernel.gemm4h(a, (g * MB + mb) * KP2 * MR, b, bBase, KP2, local, 0);
            else if (packed) Int16PairKernel.gemm4(a, (g * MB + mb) * KP2 * MR, b, bBase, KP2, local, 0);
            else Int16PairKernel.gemm4(a, (g * MB + mb) * KP2 * MR, b, bBase, tap, KP2, local, 0, NR);
            int rows = Math.min(MR, Mg - mb * MR);
            for (int r = 0; r < rows; r++) {
                int ch = g * Mg + mb * MR + r;
                if (whole) {
                    stage.row(local, r * NR, NR, ch, biasEff[ch], out, dst0 + ch * P);
                } else {
                    stage.row(local, r * NR, cols, ch, biasEff[ch], tile, r * NR);
                    for (int q = 0; q < runs; q++) {
                        int ri = RUNS + 4 * q;
                        System.arraycopy(tile, r * NR + local[ri + 1], out, outOff + local[ri + 3] + ch * P, local[ri + 2]);
                    }
                }
            }
        }
    }
}
