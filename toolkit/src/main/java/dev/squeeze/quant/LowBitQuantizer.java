package dev.squeeze.quant;

/**
 * 1-bit and 2-bit weight quantizers with one scale per output channel (axis 0 of an {@code [out, ...]}
 * weight, so channel {@code c} is the contiguous block {@code [c·n, (c+1)·n)}, {@code n =
 * length/channels}). Pass {@code channels = 1} for a single per-tensor scale.
 *
 * <p>Sums are accumulated in double in index order, so results are deterministic.
 */
public final class LowBitQuantizer {
    private LowBitQuantizer() {}

    /** TWN's threshold factor: Δ = 0.7 · mean|w| approximates the optimal threshold for Gaussian or uniform weights. */
    public static final float TWN_THRESHOLD_FACTOR = 0.7f;

    /**
     * Binary weights, XNOR-Net style: {@code ŵ = α_c · sign(w)} with {@code α_c = mean_i |w_i|} over
     * the channel, the α that minimises {@code ‖w − α·sign(w)‖²}. {@code sign(0) = +1} so every
     * code is ±1 (a true 1-bit code); an all-zero channel gets α = 0.
     */
    public static LowBitWeights binarize(float[] weights, int channels) {
        int n = channelLength("binarize", weights, channels);
        byte[] codes = new byte[weights.length];
        float[] alphas = new float[channels];
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int i = c * n; i < (c + 1) * n; i++) {
                sum += Math.abs(weights[i]);
                codes[i] = (byte) (weights[i] >= 0 ? 1 : -1); // -0.0f >= 0 is true: +1
            }
            alphas[c] = (float) (sum / n);
        }
        return new LowBitWeights(1, codes, alphas, new float[channels], channels);
    }

    /** Ternary weights with TWN's threshold factor 0.7; see {@link #ternarize(float[], int, float)}. */
    public static LowBitWeights ternarize(float[] weights, int channels) {
        return ternarize(weights, channels, TWN_THRESHOLD_FACTOR);
    }

    /**
     * Ternary weights (Ternary Weight Networks, Li &amp; Liu 2016), per channel:
     * <pre>
     *   Δ_c = thresholdFactor · mean_i |w_i|
     *   code_i = +1 if w_i &gt; Δ_c, −1 if w_i &lt; −Δ_c, else 0
     *   α_c = mean of |w_i| over {i : |w_i| &gt; Δ_c}   (0 if that set is empty)
     * </pre>
     * α_c is the least-squares scale for the chosen support. An all-zero channel gives all-zero codes and α = 0.
     *
     * @param thresholdFactor in [0, 1); 0.7 in TWN
     */
    public static LowBitWeights ternarize(float[] weights, int channels, float thresholdFactor) {
        if (!(thresholdFactor >= 0f && thresholdFactor < 1f)) {
            throw new IllegalArgumentException("LowBitQuantizer.ternarize: thresholdFactor must be in [0, 1), got "
                    + thresholdFactor);
        }
        int n = channelLength("ternarize", weights, channels);
        byte[] codes = new byte[weights.length];
        float[] alphas = new float[channels];
        float[] deltas = new float[channels];
        for (int c = 0; c < channels; c++) {
            double sumAbs = 0;
            for (int i = c * n; i < (c + 1) * n; i++) sumAbs += Math.abs(weights[i]);
            float delta = (float) (thresholdFactor * (sumAbs / n));
            double kept = 0;
            int count = 0;
            for (int i = c * n; i < (c + 1) * n; i++) {
                float w = weights[i];
                if (w > delta) {
                    codes[i] = 1;
                } else if (w < -delta) {
                    codes[i] = -1;
                } else {
                    continue;
                }
                kept += Math.abs(w);
                count++;
            }
            deltas[c] = delta;
            alphas[c] = count == 0 ? 0f : (float) (kept / count);
        }
        return new LowBitWeights(2, codes, alphas, deltas, channels);
    }

    private static int channelLength(String op, float[] weights, int channels) {
        if (channels <= 0 || weights.length == 0 || weights.length % channels != 0) {
            throw new IllegalArgumentException("LowBitQuantizer." + op + ": " + weights.length
                    + " weights do not split into " + channels + " channels");
        }
        for (int i = 0; i < weights.length; i++) {
            if (!Float.isFinite(weights[i])) {
                throw new IllegalArgumentException("LowBitQuantizer." + op + ": non-finite weight " + weights[i]
                        + " at index " + i);
            }
        }
        return weights.length / channels;
    }
}
