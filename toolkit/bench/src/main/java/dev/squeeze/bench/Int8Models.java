package dev.squeeze.bench;

import dev.squeeze.quant.CalibrationMethod;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.quant.QConfig;
import dev.squeeze.quant.Quantization;
import dev.squeeze.quant.QuantizedNetwork;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * One int8 model per benchmarked network, shared by every int8 runtime, so Squeeze's executor and
 * ONNX Runtime time exactly the same weights, scales and zero points: static PTQ with the x86 preset
 * and entropy (KL) calibration on the model's calibration images.
 */
final class Int8Models {
    private Int8Models() {}

    private static final Map<BenchModel, Int8Model> CACHE = new IdentityHashMap<>();

    static synchronized Int8Model of(BenchModel model) {
        return CACHE.computeIfAbsent(model, m -> {
            QConfig config = QConfig.x86().toBuilder().optCalibration(CalibrationMethod.ENTROPY_KL).build();
            try (QuantizedNetwork q = Quantization.calibrate(m.network(), m.calibration(), m.preprocessing(), config)) {
                return q.convert();
            }
        });
    }
}
