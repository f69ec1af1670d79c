package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class LowBitQuantizerTest {

    @Test
    void binaryIsSignTimesMeanAbsPerChannel() {
        float[] w = {1f, -2f, 3f, -4f, /* ch1 */ 0f, 0f, 0f, 0f, /* ch2 */ 0.5f, -0.5f, 0f, -1.5f};
        LowBitWeights b = LowBitQuantizer.binarize(w, 3);
        assertEquals(1, b.bits());
        assertArrayEquals(new float[] {2.5f, 0f, 0.625f}, b.alphas());
        assertArrayEquals(new byte[] {1, -1, 1, -1, 1, 1, 1, 1, 1, -1, 1, -1}, b.codes()); // sign(0) = +1
        float[] d = b.dequantize();
        assertEquals(-2.5f, d[3]);
        assertEquals(0f, d[5]);
        assertEquals(0.625f, d[10]);
        assertEquals(0.0, b.sparsity());
    }

    @Test
    void binaryAlphaIsLeastSquaresOptimal() {
        float[] w = {0.3f, -1.2f, 0.7f, 2.2f, -0.1f, 0.05f};
        LowBitWeights b = LowBitQuantizer.binarize(w, 1);
        double best = err(w, b.codes(), b.alpha(0));
        assertTrue(best < err(w, b.codes(), b.alpha(0) * 1.01f));
        assertTrue(best < err(w, b.codes(), b.alpha(0) * 0.99f));
    }

    @Test
    void ternaryThresholdAndAlpha() {
        float[] w = {0.1f, -0.2f, 1.0f, -1.5f, 0.05f, 2.0f};
        LowBitWeights t = LowBitQuantizer.ternarize(w, 1);
        assertEquals(2, t.bits());
        assertEquals(0.7 * 4.85 / 6, t.thresholds()[0], 1e-6);
        assertArrayEquals(new byte[] {0, 0, 1, -1, 0, 1}, t.codes());
        assertEquals(1.5f, t.alpha(0), 1e-6f);
        assertEquals(0.5, t.sparsity());
        assertArrayEquals(new float[] {0f, 0f, 1.5f, -1.5f, 0f, 1.5f}, t.dequantize(), 1e-6f);
    }

    @Test
    void ternaryPerChannelAndEdgeCases() {
        float[] w = {0f, 0f, 0f, /* ch1 constant */ -2f, -2f, -2f, /* ch2 */ 0.01f, -3f, 0.02f};
        LowBitWeights t = LowBitQuantizer.ternarize(w, 3);
        assertEquals(0f, t.alpha(0));
        assertArrayEquals(new byte[] {0, 0, 0, -1, -1, -1, 0, -1, 0}, t.codes());
        assertEquals(2f, t.alpha(1));
        assertEquals(3f, t.alpha(2));
        // a different threshold factor changes the support
        LowBitWeights all = LowBitQuantizer.ternarize(w, 3, 0f);
        assertEquals(1, all.code(6));
    }

    @Test
    void rejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LowBitQuantizer.ternarize(new float[] {1f, Float.NaN}, 1));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("index 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LowBitQuantizer.binarize(new float[5], 2));
        assertThrows(IllegalArgumentException.class, () -> LowBitQuantizer.ternarize(new float[4], 2, 1.5f));
    }

    private static double err(float[] w, byte[] codes, float alpha) {
        double s = 0;
        for (int i = 0; i < w.length; i++) s += Math.pow(w[i] - codes[i] * alpha, 2);
        return s;
    }
}
