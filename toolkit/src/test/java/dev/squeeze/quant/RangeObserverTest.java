package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.ir.PerChannelQuantParams;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import org.junit.jupiter.api.Test;

class RangeObserverTest {

    @Test
    void minMaxTracksExtremesAcrossBatches() {
        MinMaxObserver o = new MinMaxObserver();
        o.observe(new float[] {0.5f, -1f, 2f});
        o.observe(new float[] {9f, 9f, -3f, 9f, 9f}, 2, 2); // only -3, 9
        assertArrayEquals(new float[] {-3f, 9f}, o.range());
        assertEquals(5, o.count());
        assertEquals(QuantParams.fromRange(-3f, 9f, QScheme.PER_TENSOR_AFFINE), o.params(QScheme.PER_TENSOR_AFFINE));
        assertEquals(9f / 127.5f, o.params(QScheme.PER_TENSOR_SYMMETRIC).scale());
        o.reset();
        assertEquals(0, o.count());
        IllegalStateException e = assertThrows(IllegalStateException.class, o::range);
        assertTrue(e.getMessage().contains("MinMaxObserver"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> o.params(QScheme.PER_CHANNEL_SYMMETRIC));
    }

    @Test
    void minMaxRangeIsUnclippedButParamsContainZero() {
        MinMaxObserver o = new MinMaxObserver();
        o.observe(new float[] {2f, 3f, 5f});
        assertArrayEquals(new float[] {2f, 5f}, o.range());
        QuantParams p = o.params(QScheme.PER_TENSOR_AFFINE);
        assertEquals(0, p.zeroPoint());
        assertEquals(5f / 255f, p.scale());
    }

    @Test
    void nonFiniteValuesFailNamingObserverAndValue() {
        for (RangeObserver o : new RangeObserver[] {new MinMaxObserver(), new MovingAverageMinMaxObserver(),
                new PercentileObserver(), new HistogramObserver(CalibrationMethod.ENTROPY_KL),
                new PerChannelMinMaxObserver(2)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> o.observe(new float[] {1f, 2f, Float.NaN, 4f}));
            assertTrue(e.getMessage().contains(o.name()) && e.getMessage().contains("NaN")
                    && e.getMessage().contains("index 2"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> o.observe(new float[] {Float.NEGATIVE_INFINITY, 0f}));
            assertTrue(e.getMessage().contains("-Infinity"), e.getMessage());
            assertEquals(0, o.count()); // nothing was recorded from the bad batches
        }
        assertTrue(new HistogramObserver(CalibrationMethod.MSE).name().contains("MSE"));
    }

    @Test
    void movingAverageFollowsPyTorchUpdate() {
        MovingAverageMinMaxObserver o = new MovingAverageMinMaxObserver();
        assertEquals(0.01f, o.averagingConstant());
        o.observe(new float[] {0f, 1f});
        assertArrayEquals(new float[] {0f, 1f}, o.range()); // first batch sets the range
        o.observe(new float[] {-1f, 3f});
        float min = 0f + 0.01f * (-1f - 0f), max = 1f + 0.01f * (3f - 1f);
        assertArrayEquals(new float[] {min, max}, o.range());
        o.observe(new float[] {-10f, 10f, 5f, 0f}, 0, 2);
        min = min + 0.01f * (-10f - min);
        max = max + 0.01f * (10f - max);
        assertArrayEquals(new float[] {min, max}, o.range());
        assertEquals(3, o.batches());
        MovingAverageMinMaxObserver fast = new MovingAverageMinMaxObserver(1f);
        fast.observe(new float[] {0f, 1f});
        fast.observe(new float[] {-2f, 0.5f});
        assertArrayEquals(new float[] {-2f, 0.5f}, fast.range()); // c = 1: latest batch only
        assertThrows(IllegalArgumentException.class, () -> new MovingAverageMinMaxObserver(0f));
    }

    @Test
    void perChannelScalesPerOutputChannel() {
        // weight [3 out, 4 in]
        float[] w = {
            0.1f, -0.2f, 0.3f, -0.4f,
            1f, 2f, 3f, 4f,
            0f, 0f, 0f, 0f};
        PerChannelMinMaxObserver o = new PerChannelMinMaxObserver(3);
        o.observe(w);
        assertArrayEquals(new float[] {-0.4f, 1f, 0f}, o.channelMins());
        assertArrayEquals(new float[] {0.3f, 4f, 0f}, o.channelMaxs());
        PerChannelQuantParams p = o.channelParams(QScheme.PER_CHANNEL_SYMMETRIC);
        assertEquals(0.4f / 127.5f, p.scale(0));
        assertEquals(4f / 127.5f, p.scale(1));
        assertEquals(1f, p.scale(2)); // all-zero channel
        assertEquals(0, p.axis());
        // per-tensor params over all channels
        assertEquals(4f / 127.5f, o.params(QScheme.PER_TENSOR_SYMMETRIC).scale());
        assertThrows(IllegalArgumentException.class, () -> o.params(QScheme.PER_CHANNEL_SYMMETRIC));
        // fake-quantizing the weight per channel keeps the small channel precise
        float[] fq = p.fakeQuantize(w);
        for (int i = 0; i < 4; i++) assertEquals(w[i], fq[i], p.scale(0) / 2 + 1e-7f);
        assertThrows(IllegalArgumentException.class, () -> o.observe(new float[] {1f, 2f}));
        // a second batch updates each channel
        o.observe(new float[] {-9f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 5f});
        assertArrayEquals(new float[] {-9f, 0f, 0f}, o.channelMins());
        assertArrayEquals(new float[] {0.3f, 4f, 5f}, o.channelMaxs());
    }

    @Test
    void percentileLandsNearGaussianQuantiles() {
        float[] x = Data.gaussianWithOutliers(400_000, 11);
        PercentileObserver p999 = new PercentileObserver(99.9);
        for (int b = 0; b < 4; b++) p999.observe(x, b * 100_000, b == 3 ? x.length - 300_000 : 100_000);
        float[] sym = p999.clippingRange(QScheme.PER_TENSOR_SYMMETRIC);
        assertEquals(3.2905, sym[1], 0.06); // P(|Z| ≤ 3.2905) = 0.999
        assertEquals(-sym[1], sym[0]);
        float[] aff = p999.clippingRange(QScheme.PER_TENSOR_AFFINE);
        assertEquals(-3.0902, aff[0], 0.06); // Φ^-1(0.001)
        assertEquals(3.0902, aff[1], 0.06);
        assertEquals(sym[1] / 127.5f, p999.params(QScheme.PER_TENSOR_SYMMETRIC).scale(), 1e-6f);

        PercentileObserver p9999 = new PercentileObserver(99.99);
        p9999.observe(x);
        assertEquals(3.8906, p9999.clippingRange(QScheme.PER_TENSOR_SYMMETRIC)[1], 0.15);

        PercentileObserver all = new PercentileObserver(100);
        all.observe(x);
        assertArrayEquals(new float[] {-42f, 42f}, all.clippingRange(QScheme.PER_TENSOR_SYMMETRIC));
        assertArrayEquals(new float[] {-42f, 41f}, all.clippingRange(QScheme.PER_TENSOR_AFFINE));
        assertThrows(IllegalArgumentException.class, () -> new PercentileObserver(50));
        assertThrows(IllegalArgumentException.class, () -> new PercentileObserver(100.5));
    }

    @Test
    void factoryBuildsTheRightObservers() {
        assertInstanceOf(MinMaxObserver.class, RangeObserver.create(CalibrationMethod.MIN_MAX));
        assertInstanceOf(MovingAverageMinMaxObserver.class, RangeObserver.create(CalibrationMethod.MOVING_AVERAGE_MIN_MAX));
        RangeObserver pct = RangeObserver.create(CalibrationMethod.PERCENTILE, 99.5, 0.01f);
        assertEquals(99.5, ((PercentileObserver) pct).percentile());
        assertEquals(99.99, ((PercentileObserver) RangeObserver.create(CalibrationMethod.PERCENTILE)).percentile());
        for (CalibrationMethod m : new CalibrationMethod[] {CalibrationMethod.ENTROPY_KL, CalibrationMethod.SYMMETRIC_KL,
                CalibrationMethod.JENSEN_SHANNON, CalibrationMethod.MSE}) {
            assertEquals(m, ((HistogramObserver) RangeObserver.create(m)).method());
        }
        assertThrows(IllegalArgumentException.class, () -> new HistogramObserver(CalibrationMethod.MIN_MAX));
        assertInstanceOf(HistogramObserver.class, RangeObserver.forActivations(QConfig.tensorrtEntropy()));
        assertInstanceOf(PerChannelMinMaxObserver.class, RangeObserver.forWeights(QConfig.x86(), 16));
        assertInstanceOf(MinMaxObserver.class, RangeObserver.forWeights(QConfig.qnnpack(), 16));
        RangeObserver ma = RangeObserver.forActivations(QConfig.builder()
                .optCalibration(CalibrationMethod.MOVING_AVERAGE_MIN_MAX).optAveragingConstant(0.1f).build());
        assertEquals(0.1f, ((MovingAverageMinMaxObserver) ma).averagingConstant());
    }
}
