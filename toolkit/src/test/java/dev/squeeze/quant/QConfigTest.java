package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.WeightMethod;
import org.junit.jupiter.api.Test;

class QConfigTest {

    private static void fails(QConfig.Builder b, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' lacks '" + f + "'");
    }

    @Test
    void buildValidatesNamingTheField() {
        fails(QConfig.builder().optWeightBits(9), "weightBits", "[1, 8]", "9");
        fails(QConfig.builder().optWeightBits(0), "weightBits", "[1, 8]");
        fails(QConfig.builder().optActivationBits(12), "activationBits", "[1, 8]", "12");
        fails(QConfig.builder().optPercentile(40), "percentile", "(50, 100]", "40");
        fails(QConfig.builder().optPercentile(100.01), "percentile", "(50, 100]");
        fails(QConfig.builder().optAveragingConstant(0f), "averagingConstant", "(0, 1]");
        fails(QConfig.builder().optAveragingConstant(1.5f), "averagingConstant", "(0, 1]");
        fails(QConfig.builder().optWeightMethod(WeightMethod.TERNARY), "weightBits", "2", "TERNARY");
        fails(QConfig.builder().optWeightMethod(WeightMethod.BINARY).optWeightBits(2), "weightBits", "1", "BINARY");
        fails(QConfig.builder().optActivationScheme(QScheme.PER_CHANNEL_AFFINE), "activationScheme", "per-tensor");
        fails(QConfig.builder().optCalibration(null), "calibration");
        fails(QConfig.builder().optWeightScheme(QScheme.PER_CHANNEL_SYMMETRIC.withNarrowRange(true)).optWeightBits(1),
                "weightBits", "narrow");
    }

    @Test
    void builderDefaultsAndOverrides() {
        QConfig d = QConfig.builder().build();
        assertEquals(QConfig.x86(), d);
        QConfig c = QConfig.builder()
                .optWeightBits(4)
                .optWeightScheme(QScheme.PER_TENSOR_SYMMETRIC) // bits and granularity come from the opt* calls
                .optPerChannelWeights(true)
                .optActivationBits(6)
                .optActivationScheme(QScheme.symmetric(8, false))
                .optCalibration(CalibrationMethod.PERCENTILE)
                .optPercentile(99.9)
                .build();
        assertEquals(4, c.weightBits());
        assertTrue(c.perChannelWeights());
        assertTrue(c.weightScheme().symmetric());
        assertEquals(6, c.activationBits());
        assertEquals(32, c.activationScheme().symmetricZeroPoint());
        assertEquals(CalibrationMethod.PERCENTILE, c.calibration());
        assertEquals(99.9, c.percentile());
        assertEquals(c, c.toBuilder().build());
        assertEquals(CalibrationMethod.MSE, c.toBuilder().optCalibration(CalibrationMethod.MSE).build().calibration());
        assertEquals(8, QConfig.builder().optWeightScheme(QScheme.PER_TENSOR_SYMMETRIC).build().weightBits());
        assertFalse(QConfig.builder().optWeightScheme(QScheme.PER_TENSOR_SYMMETRIC).build().perChannelWeights());
    }

    @Test
    void presets() {
        QConfig x86 = QConfig.x86();
        assertEquals(QScheme.PER_CHANNEL_SYMMETRIC, x86.weightScheme());
        assertEquals(QScheme.PER_TENSOR_AFFINE, x86.activationScheme());
        assertEquals(CalibrationMethod.MSE, x86.calibration());
        assertEquals(WeightMethod.UNIFORM, x86.weightMethod());

        QConfig qnn = QConfig.qnnpack();
        assertFalse(qnn.perChannelWeights());
        assertFalse(qnn.activationScheme().symmetric());

        QConfig trt = QConfig.tensorrtEntropy();
        assertTrue(trt.weightScheme().symmetric() && trt.activationScheme().symmetric());
        assertEquals(-127, trt.activationScheme().qmin());
        assertEquals(-127, trt.weightScheme().qmin());
        assertEquals(CalibrationMethod.ENTROPY_KL, trt.calibration());

        assertEquals(4, QConfig.int4Weights().weightBits());
        assertEquals(-8, QConfig.int4Weights().weightScheme().qmin());
        QConfig ter = QConfig.ternaryWeights();
        assertEquals(WeightMethod.TERNARY, ter.weightMethod());
        assertEquals(-1, ter.weightScheme().qmin());
        assertEquals(1, ter.weightScheme().qmax());
        QConfig bin = QConfig.binaryWeights();
        assertEquals(WeightMethod.BINARY, bin.weightMethod());
        assertEquals(1, bin.weightBits());
        assertTrue(bin.perChannelWeights());
        assertTrue(QConfig.tensorrtEntropy().toString().contains("ENTROPY_KL"));
    }
}
