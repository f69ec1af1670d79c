package dev.squeeze.quant;

import java.util.Arrays;

/**
 * A weight tensor stored as sign codes times one scale per channel: {@code ŵ[i] = codes[i] ·
 * alphas[c]} with {@code c = i / (codes.length / channels)} (channel = axis 0, contiguous blocks).
 * Produced by {@link LowBitQuantizer}.
 *
 * @param bits 1 (binary, codes ∈ {-1, +1}) or 2 (ternary, codes ∈ {-1, 0, +1})
 * @param codes one code per weight, same layout as the float weight
 * @param alphas per-channel scale α_c ≥ 0
 * @param thresholds per-channel threshold Δ_c below which a weight became 0 (ternary); all 0 for binary
 * @param channels number of channels (length of {@code alphas})
 */
public record LowBitWeights(int bits, byte[] codes, float[] alphas, float[] thresholds, int channels) {

    public LowBitWeights {
        if (bits != 1 && bits != 2) throw new IllegalArgumentException("LowBitWeights.bits must be 1 or 2, got " + bits);
        if (channels <= 0 || alphas.length != channels || thresholds.length != channels
                || codes.length % channels != 0) {
            throw new IllegalArgumentException("LowBitWeights: " + codes.length + " codes, " + alphas.length
                    + " alphas and " + thresholds.length + " thresholds do not fit " + channels + " channels");
        }
        codes = codes.clone();
        alphas = alphas.clone();
        thresholds = thresholds.clone();
    }

    @Override public byte[] codes() { return codes.clone(); }
    @Override public float[] alphas() { return alphas.clone(); }
    @Override public float[] thresholds() { return thresholds.clone(); }

    /** Weights per channel. */
    public int channelLength() { return codes.length / channels; }

    public int code(int i) { return codes[i]; }
    public float alpha(int c) { return alphas[c]; }

    /** {@code codes[i] · alphas[channel(i)]}. */
    public float dequantize(int i) { return codes[i] * alphas[i / channelLength()]; }

    /** The float weight these codes represent, {@code [channels, ...]}. */
    public float[] dequantize() {
        float[] out = new float[codes.length];
        int per = channelLength();
        for (int i = 0; i < codes.length; i++) out[i] = codes[i] * alphas[i / per];
        return out;
    }

    /** Fraction of zero codes (ternary sparsity; 0 for binary). */
    public double sparsity() {
        long z = 0;
        for (byte b : codes) if (b == 0) z++;
        return codes.length == 0 ? 0 : (double) z / codes.length;
    }

    @Override public boolean equals(Object o) {
        return o instanceof LowBitWeights w && bits == w.bits && channels == w.channels
                && Arrays.equals(codes, w.codes) && Arrays.equals(alphas, w.alphas)
                && Arrays.equals(thresholds, w.thresholds);
    }
    @Override public int hashCode() { return (Arrays.hashCode(codes) * 31 + Arrays.hashCode(alphas)) * 31 + bits; }
    @Override public String toString() {
        return "LowBitWeights[" + (bits == 1 ? "binary" : "ternary") + ", " + codes.length + " weights, "
                + channels + " channels, alphas=" + Arrays.toString(alphas) + "]";
    }
}
