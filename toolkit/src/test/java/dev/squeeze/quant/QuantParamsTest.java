package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.ir.PerChannelQuantParams;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantParamsTest {

    @Test
    void schemeRanges() {
        assertEquals(-128, QScheme.PER_TENSOR_SYMMETRIC.qmin());
        assertEquals(127, QScheme.PER_TENSOR_SYMMETRIC.qmax());
        assertEquals(0, QScheme.PER_TENSOR_AFFINE.qmin());
        assertEquals(255, QScheme.PER_TENSOR_AFFINE.qmax());
        assertEquals(-127, QScheme.PER_TENSOR_SYMMETRIC.withNarrowRange(true).qmin());
        assertEquals(-8, QScheme.symmetric(4, true).qmin());
        assertEquals(7, QScheme.symmetric(4, true).qmax());
        assertEquals(15, QScheme.affine(4, false).qmax());
        assertEquals(-1, QScheme.symmetric(1, true).qmin());
        assertEquals(0, QScheme.symmetric(1, true).qmax());
        assertEquals(-1, new QScheme(2, true, true, false, true).qmin()); // ternary grid
        assertEquals(1, new QScheme(2, true, true, false, true).qmax());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QScheme.affine(9, false));
        assertTrue(e.getMessage().contains("bits") && e.getMessage().contains("[1, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new QScheme(1, true, true, false, true));
    }

    @Test
    void symmetricSignedAndUnsigned() {
        QuantParams s = QuantParams.symmetric(-1f, 2f, 8, true);
        assertEquals(2f / 127.5f, s.scale());
        assertEquals(0, s.zeroPoint());
        QuantParams u = QuantParams.symmetric(-1f, 2f, 8, false);
        assertEquals(2f / 127.5f, u.scale());
        assertEquals(128, u.zeroPoint()); // PyTorch's quint8 symmetric zero point
        assertEquals(0, u.qmin());
        assertEquals(255, u.qmax());
        // unsigned symmetric grid is the signed grid shifted by 128
        for (float x : new float[] {-1.7f, -0.3f, 0f, 0.01f, 1.99f}) {
            assertEquals(s.quantize(x) + 128, u.quantize(x));
            assertEquals(s.fakeQuantize(x), u.fakeQuantize(x));
        }
        QuantParams narrow = QuantParams.fromRange(-3f, 1f, QScheme.PER_TENSOR_SYMMETRIC.withNarrowRange(true));
        assertEquals(3f / 127f, narrow.scale()); // TensorRT / TFLite: amax / 127
        assertEquals(-127, narrow.quantize(-3f));
        assertEquals(-127, narrow.quantize(-100f));
    }

    @Test
    void asymmetricMatchesPyTorchFormula() {
        QuantParams p = QuantParams.asymmetric(-1f, 2f, 8, false);
        float scale = 3f / 255f;
        assertEquals(scale, p.scale());
        assertEquals(85, p.zeroPoint());
        assertEquals(0f, p.dequantize(p.quantize(0f))); // zero exactly representable
        assertEquals(0, p.quantize(-1f));
        assertEquals(255, p.quantize(2f));
        QuantParams signed = QuantParams.asymmetric(-1f, 2f, 8, true);
        assertEquals(-43, signed.zeroPoint()); // -128 + 85
    }

    @Test
    void allZeroTensorGivesScaleOne() {
        for (QScheme s : new QScheme[] {QScheme.PER_TENSOR_AFFINE, QScheme.PER_TENSOR_SYMMETRIC,
                QScheme.symmetric(8, false), QScheme.affine(8, true), QScheme.affine(4, false)}) {
            QuantParams p = QuantParams.fromRange(0f, 0f, s);
            assertEquals(1f, p.scale(), s.toString());
            assertEquals(0f, p.fakeQuantize(0f), s.toString());
            assertEquals(p.zeroPoint(), p.quantize(0f));
        }
        assertEquals(0, QuantParams.fromRange(0f, 0f, QScheme.PER_TENSOR_AFFINE).zeroPoint());
        assertEquals(-128, QuantParams.fromRange(0f, 0f, QScheme.affine(8, true)).zeroPoint());
        assertEquals(128, QuantParams.fromRange(0f, 0f, QScheme.symmetric(8, false)).zeroPoint());
        assertEquals(0, QuantParams.fromRange(0f, 0f, QScheme.PER_TENSOR_SYMMETRIC).zeroPoint());
    }

    @Test
    void constantTensorIncludesZero() {
        QuantParams p = QuantParams.fromRange(3f, 3f, QScheme.PER_TENSOR_AFFINE);
        assertEquals(3f / 255f, p.scale());
        assertEquals(0, p.zeroPoint());
        assertEquals(255, p.quantize(3f));
        assertEquals(3f, p.fakeQuantize(3f), p.scale() / 2);
        QuantParams n = QuantParams.fromRange(-2f, -2f, QScheme.PER_TENSOR_SYMMETRIC);
        assertEquals(2f / 127.5f, n.scale());
        assertEquals(-2f, n.fakeQuantize(-2f), n.scale() / 2);
    }

    @Test
    void negativeOnlyRange() {
        QuantParams p = QuantParams.fromRange(-4f, -1f, QScheme.PER_TENSOR_AFFINE);
        assertEquals(4f / 255f, p.scale());
        assertEquals(255, p.zeroPoint()); // zero at the top of the range
        assertEquals(0, p.quantize(-4f));
        assertEquals(0f, p.fakeQuantize(0f));
        assertEquals(-4f, p.minRepresentable(), 1e-6f);
        QuantParams s = QuantParams.fromRange(-4f, -1f, QScheme.affine(8, true));
        assertEquals(127, s.zeroPoint());
    }

    @Test
    void tinyRangesClampToEps() {
        QuantParams a = QuantParams.fromRange(0f, 1e-10f, QScheme.PER_TENSOR_AFFINE);
        assertEquals(QuantParams.EPS, a.scale());
        assertEquals(0, a.zeroPoint());
        QuantParams s = QuantParams.fromRange(-1e-12f, 1e-12f, QScheme.PER_TENSOR_SYMMETRIC);
        assertEquals(QuantParams.EPS, s.scale());
        assertEquals(0x1.0p-23f, QuantParams.EPS);
        // A range just above the clamp is not clamped
        QuantParams big = QuantParams.fromRange(0f, 1e-3f, QScheme.PER_TENSOR_AFFINE);
        assertEquals(1e-3f / 255f, big.scale());
    }

    @Test
    void invalidRangesAndParams() {
        assertThrows(IllegalArgumentException.class, () -> QuantParams.fromRange(2f, 1f, QScheme.PER_TENSOR_AFFINE));
        assertThrows(IllegalArgumentException.class, () -> QuantParams.fromRange(Float.NaN, 1f, QScheme.PER_TENSOR_AFFINE));
        assertThrows(IllegalArgumentException.class,
                () -> QuantParams.fromRange(0f, Float.POSITIVE_INFINITY, QScheme.PER_TENSOR_AFFINE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QuantParams(0f, 0, 0, 255));
        assertTrue(e.getMessage().contains("scale"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new QuantParams(1f, 300, 0, 255));
        assertTrue(e.getMessage().contains("zeroPoint"), e.getMessage());
    }

    @Test
    void roundsHalfToEvenLikeNearbyint() {
        QuantParams p = new QuantParams(1f, 0, -128, 127);
        assertEquals(0, p.quantize(0.5f));
        assertEquals(2, p.quantize(1.5f));
        assertEquals(2, p.quantize(2.5f));
        assertEquals(4, p.quantize(3.5f));
        assertEquals(0, p.quantize(-0.5f));
        assertEquals(-2, p.quantize(-1.5f));
        assertEquals(-2, p.quantize(-2.5f));
        assertEquals(3, p.quantize(2.5000002f)); // just above the tie
        QuantParams z = new QuantParams(0.5f, 10, 0, 255);
        assertEquals(10 + 2, z.quantize(1.25f)); // 2.5 → 2
        assertEquals(10 + 4, z.quantize(1.75f)); // 3.5 → 4
    }

    @Test
    void saturatesAndRejectsNaN() {
        QuantParams p = QuantParams.fromRange(-1f, 1f, QScheme.PER_TENSOR_AFFINE);
        assertEquals(255, p.quantize(1e30f));
        assertEquals(255, p.quantize(Float.POSITIVE_INFINITY));
        assertEquals(0, p.quantize(Float.NEGATIVE_INFINITY));
        assertEquals(0, p.quantize(-5f));
        assertThrows(IllegalArgumentException.class, () -> p.quantize(Float.NaN));
    }

    @Test
    void fakeQuantRoundTripWithinHalfScale() {
        SplittableRandom rnd = new SplittableRandom(7);
        int checked = 0;
        for (int t = 0; t < 300; t++) {
            int bits = 2 + rnd.nextInt(7);
            QScheme scheme = new QScheme(bits, rnd.nextBoolean(), rnd.nextBoolean(), false, false);
            float a = (float) (rnd.nextDouble() * 20 - 10), b = (float) (rnd.nextDouble() * 20 - 10);
            QuantParams p = QuantParams.fromRange(Math.min(a, b), Math.max(a, b), scheme);
            float lo = p.minRepresentable(), hi = p.maxRepresentable();
            float[] xs = new float[200];
            for (int i = 0; i < xs.length; i++) xs[i] = (float) (lo + rnd.nextDouble() * (hi - lo));
            float[] fq = p.fakeQuantize(xs);
            for (int i = 0; i < xs.length; i++) {
                float err = Math.abs(fq[i] - xs[i]);
                // scale/2 plus float32 rounding of x·(1/scale) and of the dequantized value
                assertTrue(err <= p.scale() / 2 * (1 + 1e-5f) + Math.ulp(Math.abs(xs[i])) * 2,
                        () -> p + " x=" + xs[checkedIndex(xs, fq)] + " err=" + err);
                assertEquals(p.fakeQuantize(xs[i]), fq[i]);
                checked++;
            }
            // The original range is covered to within half a step (the zero point is rounded).
            assertTrue(lo <= Math.min(Math.min(a, b), 0) + p.scale() / 2 + 1e-5f, p.toString());
            assertTrue(hi >= Math.max(Math.max(a, b), 0) - p.scale() / 2 - 1e-5f, p.toString());
        }
        assertEquals(300 * 200, checked);
    }

    private static int checkedIndex(float[] xs, float[] fq) {
        int worst = 0;
        for (int i = 1; i < xs.length; i++) {
            if (Math.abs(fq[i] - xs[i]) > Math.abs(fq[worst] - xs[worst])) worst = i;
        }
        return worst;
    }

    @Test
    void arraysRoundTrip() {
        QuantParams p = QuantParams.fromRange(-2f, 6f, QScheme.PER_TENSOR_AFFINE);
        float[] x = {-2f, -0.7f, 0f, 1.3f, 6f, 9f};
        int[] q = p.quantize(x);
        float[] d = p.dequantize(q);
        for (int i = 0; i < x.length; i++) {
            assertEquals(p.quantize(x[i]), q[i]);
            assertEquals(p.dequantize(q[i]), d[i]);
        }
        assertEquals(255, q[5]);
    }

    @Test
    void perChannelParamsArePerChannel() {
        float[] mins = {-1f, 0f, -4f, 0f};
        float[] maxs = {1f, 2f, -1f, 0f};
        PerChannelQuantParams pc = PerChannelQuantParams.fromRanges(mins, maxs, QScheme.PER_CHANNEL_SYMMETRIC, 0);
        assertEquals(4, pc.channels());
        assertEquals(1f / 127.5f, pc.scale(0));
        assertEquals(2f / 127.5f, pc.scale(1));
        assertEquals(4f / 127.5f, pc.scale(2));
        assertEquals(1f, pc.scale(3)); // pruned channel
        for (int c = 0; c < 4; c++) {
            assertEquals(QuantParams.fromRange(mins[c], maxs[c], QScheme.PER_CHANNEL_SYMMETRIC), pc.channel(c));
        }
        // [2 channels, 3] weight: each block uses its channel's scale
        float[] w = {0.5f, -0.9f, 1f, 2f, 0f, 1f};
        PerChannelQuantParams two = PerChannelQuantParams.fromRanges(new float[] {-1f, 0f}, new float[] {1f, 2f},
                QScheme.PER_CHANNEL_SYMMETRIC, 0);
        int[] q = two.quantize(w);
        assertArrayEquals(new int[] {64, -115, 127, 127, 0, 64}, q);
        // axis 1 of a [2, 2] tensor: columns are channels
        PerChannelQuantParams ax1 = new PerChannelQuantParams(new float[] {1f, 0.5f}, new int[] {0, 0}, 1, -128, 127);
        assertArrayEquals(new int[] {3, 6, 1, 2}, ax1.quantize(new float[] {3f, 3f, 1f, 1f}, new int[] {2, 2}));
        assertThrows(IllegalArgumentException.class, () -> ax1.quantize(new float[] {1f, 2f, 3f}, new int[] {3, 1}));
    }
}
