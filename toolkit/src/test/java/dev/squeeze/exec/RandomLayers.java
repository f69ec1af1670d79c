package dev.squeeze.exec;

import dev.squeeze.ir.Requantizer;
import java.util.SplittableRandom;

/** Random layer parameters that favour the extremes: int8 limits, zero points at the ends, shifts both ways. */
final class RandomLayers {
    private RandomLayers() {}

    static CodeType type(SplittableRandom r) { return r.nextBoolean() ? CodeType.UINT8 : CodeType.INT8; }

    /** A grid inside the type: full, narrow (−127 for int8), or 4-bit. */
    static int[] grid(SplittableRandom r, CodeType t) {
        int mode = r.nextInt(4);
        if (t == CodeType.UINT8) return mode == 3 ? new int[] {0, 15} : new int[] {0, 255};
        return mode == 3 ? new int[] {-8, 7} : mode == 2 ? new int[] {-127, 127} : new int[] {-128, 127};
    }

    static int pick(SplittableRandom r, int lo, int hi) {
        return switch (r.nextInt(6)) {
            case 0 -> lo;
            case 1 -> hi;
            case 2 -> Math.min(hi, lo + 1);
            default -> lo + r.nextInt(hi - lo + 1);
        };
    }

    /** Codes in [lo, hi]: uniform, all at one end, or only the two ends. */
    static byte[] codes(SplittableRandom r, int n, int lo, int hi) {
        byte[] b = new byte[n];
        int mode = r.nextInt(8);
        for (int i = 0; i < n; i++) {
            int v = switch (mode) {
                case 0 -> lo;
                case 1 -> hi;
                case 2 -> r.nextBoolean() ? lo : hi;
                default -> lo + r.nextInt(hi - lo + 1);
            };
            b[i] = (byte) v;
        }
        return b;
    }

    /** Offset weights in [−128, 127]: uniform, the extremes −128/127/−127, all −128, or ternary. */
    static int[] weights(SplittableRandom r, int n) {
        int[] w = new int[n];
        int mode = r.nextInt(6);
        int[] ext = {-128, 127, -127};
        for (int i = 0; i < n; i++) {
            w[i] = switch (mode) {
                case 0 -> -128;
                case 1 -> ext[r.nextInt(3)];
                case 2 -> r.nextInt(3) - 1;
                case 3 -> r.nextInt(4) == 0 ? ext[r.nextInt(3)] : r.nextInt(256) - 128;
                default -> r.nextInt(256) - 128;
            };
        }
        return w;
    }

    static int[] bias(SplittableRandom r, int n) {
        int[] b = new int[n];
        int mode = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            b[i] = switch (mode) {
                case 0 -> 0;
                case 1 -> r.nextInt(1 << 30) * (r.nextBoolean() ? 1 : -1); // far out: exercises saturation and clamps
                case 2 -> r.nextInt(2001) - 1000;
                default -> r.nextInt(1 << 21) - (1 << 20);
            };
        }
        return b;
    }

    /** A real multiplier: log-uniform over [2^-26, 2^4) (right and left shifts), sometimes 0 or below 2^-32. */
    static double multiplier(SplittableRandom r) {
        return switch (r.nextInt(20)) {
            case 0 -> 0;
            case 1 -> 1e-11;
            case 2 -> 1.0;
            case 3 -> 0.5;
            default -> Math.pow(2, -26 + 30 * r.nextDouble());
        };
    }

    /** Output requantizers for {@code channels} channels with a random activation (0 none, 1 ReLU, 2 LeakyReLU). */
    static Oracle.Out out(SplittableRandom r, int channels, int[] grid) {
        int qmin = grid[0], qmax = grid[1];
        int zp = pick(r, qmin, qmax);
        int act = r.nextInt(3);
        Requantizer[] pos = new Requantizer[channels], neg = new Requantizer[channels];
        double shared = multiplier(r);
        boolean perChannel = r.nextBoolean();
        double alpha = r.nextInt(4) == 0 ? 0 : r.nextDouble();
        for (int c = 0; c < channels; c++) {
            double m = perChannel ? multiplier(r) : shared;
            switch (act) {
                case 0 -> pos[c] = neg[c] = Requantizer.of(m, zp, qmin, qmax);
                case 1 -> pos[c] = neg[c] = Requantizer.of(m, zp, zp, qmax);
                default -> {
                    pos[c] = Requantizer.of(m, zp, qmin, qmax);
                    neg[c] = Requantizer.of(m * alpha, zp, qmin, qmax);
                }
            }
        }
        return new Oracle.Out(pos, neg);
    }
}
