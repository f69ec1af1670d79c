package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class FloatFormatsTest {

    private static void half(int expectedBits, float x) {
        assertEquals(expectedBits, FloatFormats.toHalfBits(x) & 0xFFFF,
                () -> x + " → 0x" + Integer.toHexString(FloatFormats.toHalfBits(x) & 0xFFFF));
    }

    private static void bf16(int expectedBits, float x) {
        assertEquals(expectedBits, FloatFormats.toBfloat16Bits(x) & 0xFFFF,
                () -> x + " → 0x" + Integer.toHexString(FloatFormats.toBfloat16Bits(x) & 0xFFFF));
    }

    @Test
    void halfKnownBitPatterns() { // checked against numpy's float32 → float16 cast
        half(0x3C00, 1f);
        half(0xC000, -2f);
        half(0x7BFF, 65504f);
        half(0x7BFF, 65519.99f);
        half(0x7C00, 65520f); // tie between 65504 and 2^16 → even → overflow to Infinity
        half(0x0001, 0x1.0p-24f); // smallest subnormal
        half(0x0000, 0x1.0p-25f); // tie → even (0)
        half(0x0001, 0x1.8p-25f);
        half(0x2E66, 0.1f);
        half(0x3555, 1f / 3f);
        half(0x0400, 0x1.0p-14f); // smallest normal
        half(0x3C00, 1f + 0x1.0p-11f); // tie → even 1.0
        half(0x3C02, 1f + 3 * 0x1.0p-11f); // tie → even mantissa 2
        half(0x8000, -0f);
        half(0x7C00, Float.POSITIVE_INFINITY);
        assertTrue(Float.isNaN(FloatFormats.roundToHalf(Float.NaN)));
        assertEquals(65504f, FloatFormats.fromHalfBits((short) 0x7BFF));
        assertEquals(0.0999755859375f, FloatFormats.roundToHalf(0.1f));
    }

    @Test
    void bfloat16KnownBitPatterns() {
        bf16(0x3F80, 1f);
        bf16(0x4049, (float) Math.PI); // 0x40490FDB: low half < 0x8000
        bf16(0x3F80, 1f + 0x1.0p-8f); // 0x3F808000: tie, 0x3F80 even
        bf16(0x3F82, 1f + 3 * 0x1.0p-8f); // 0x3F818000: tie, 0x3F81 odd → up
        bf16(0x3EAB, 1f / 3f); // 0x3EAAAAAB
        bf16(0x8000, -0f);
        bf16(0x7F80, Float.MAX_VALUE); // rounds up into Infinity
        bf16(0xFF80, -Float.MAX_VALUE);
        bf16(0x7F7F, Float.intBitsToFloat(0x7F7F7FFF));
        bf16(0x7F80, Float.POSITIVE_INFINITY);
        bf16(0x0000, Float.MIN_VALUE);
        bf16(0x0000, Float.intBitsToFloat(0x00008000)); // subnormal tie → even
        bf16(0x0002, Float.intBitsToFloat(0x00018000));
        float nan = FloatFormats.roundToBfloat16(Float.intBitsToFloat(0x7F800001)); // NaN with low payload only
        assertTrue(Float.isNaN(nan));
        assertTrue(Float.isNaN(FloatFormats.roundToBfloat16(Float.NaN)));
        assertEquals(1f, FloatFormats.fromBfloat16Bits((short) 0x3F80));
        assertEquals(-2f, FloatFormats.fromBfloat16Bits((short) 0xC000));
    }

    @Test
    void roundingIsNearestOnRandomValues() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            float x = Float.intBitsToFloat(rnd.nextInt(0x7F000000)) * (rnd.nextBoolean() ? 1 : -1);
            float b = FloatFormats.roundToBfloat16(x);
            int hi = Float.floatToRawIntBits(x) & 0xFFFF0000;
            float down = Float.intBitsToFloat(hi);
            float up = Float.intBitsToFloat(hi + 0x10000);
            assertTrue(b == down || b == up, () -> "bf16 of " + x);
            assertTrue(Math.abs((double) b - x) <= Math.abs((double) (b == down ? up : down) - x), () -> "bf16 of " + x);
            if (Math.abs(x) < 65000f) {
                short hb = FloatFormats.toHalfBits(x);
                double err = Math.abs((double) FloatFormats.fromHalfBits(hb) - x);
                for (int d : new int[] {-1, 1}) { // neighbouring fp16 values are no closer
                    int nb = (hb & 0x7FFF) + d;
                    if (nb < 0 || nb > 0x7BFF) continue;
                    float other = FloatFormats.fromHalfBits((short) ((hb & 0x8000) | nb));
                    assertTrue(err <= Math.abs((double) other - x), () -> "fp16 of " + x);
                }
            }
        }
        float[] xs = {1.1f, -3.3f};
        assertArrayEquals(new float[] {FloatFormats.roundToHalf(1.1f), FloatFormats.roundToHalf(-3.3f)},
                FloatFormats.fromHalfBits(FloatFormats.toHalfBits(xs)));
        assertArrayEquals(FloatFormats.roundToBfloat16(xs), FloatFormats.fromBfloat16Bits(FloatFormats.toBfloat16Bits(xs)));
    }
}
