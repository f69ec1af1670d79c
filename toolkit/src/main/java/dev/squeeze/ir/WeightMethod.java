package dev.squeeze.ir;

/** How weights are quantized. */
public enum WeightMethod {
    /** A uniform integer grid from {@link QuantParams} / {@link PerChannelQuantParams} (1–8 bits). */
    UNIFORM,
    /** Ternary Weight Networks, codes {-1, 0, +1} times α per channel ({@link dev.squeeze.quant.LowBitQuantizer#ternarize}); 2 bits. */
    TERNARY,
    /** XNOR-Net binary weights, codes ±1 times α = mean|w| per channel ({@link dev.squeeze.quant.LowBitQuantizer#binarize}); 1 bit. */
    BINARY
}
