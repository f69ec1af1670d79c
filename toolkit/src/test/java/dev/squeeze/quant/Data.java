package dev.squeeze.quant;

import dev.squeeze.ir.QuantParams;
import java.util.SplittableRandom;

/** Seeded test distributions. */
final class Data {
    private Data() {}

    /** The four outliers appended by {@link #gaussianWithOutliers}. */
    static final float[] OUTLIERS = {38f, 41f, -39f, -42f};

    /** Standard normal samples (Box–Muller on a seeded SplittableRandom). */
    static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble(), v = r.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v));
        }
        return x;
    }

    /** n standard normal samples followed by {@link #OUTLIERS}. */
    static float[] gaussianWithOutliers(int n, long seed) {
        float[] g = gaussian(n, seed);
        float[] x = java.util.Arrays.copyOf(g, n + OUTLIERS.length);
        System.arraycopy(OUTLIERS, 0, x, n, OUTLIERS.length);
        return x;
    }

    static float[] relu(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.max(0f, x[i]);
        return y;
    }

    /** Mean squared error of fake-quantizing x with p. */
    static double mse(float[] x, QuantParams p) {
        double s = 0;
        for (float v : x) {
            double d = p.fakeQuantize(v) - v;
            s += d * d;
        }
        return s / x.length;
    }
}
