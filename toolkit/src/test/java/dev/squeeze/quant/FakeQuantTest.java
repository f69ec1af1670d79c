package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.squeeze.Environment;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The straight-through estimator and the fake-quant forward value, on libtorch. */
class FakeQuantTest {

    @BeforeAll
    static void env() { Environment.ensure(); }

    @Test
    void steGradientPassesInsideTheLearnedRangeAndIsBlockedOutside() {
        ActivationQuantizer q = new ActivationQuantizer(0, "test", QScheme.PER_TENSOR_AFFINE, new MovingAverageMinMaxObserver());
        q.setMode(ActivationQuantizer.Mode.QAT);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            // Training pass: the observer learns the range [0, 1] from this batch.
            q.apply(m.create(new float[] {0f, 0.25f, 0.5f, 1f}), true);
            QuantParams p = q.params();
            assertEquals(0f, p.minRepresentable(), 1e-6);
            assertEquals(1f, p.maxRepresentable(), 1e-6);

            NDArray x = m.create(new float[] {-1f, 0.3f, 0.7f, 2f});
            x.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = q.apply(x, false).mul(m.create(new float[] {1f, 2f, 3f, 4f}));
                gc.backward(y.sum());
            }
            float[] grad = x.getGradient().toFloatArray();
            assertArrayEquals(new float[] {0f, 2f, 3f, 0f}, grad, 1e-6f, "identity inside [0, 1], zero where clipped");
            float[] out = q.apply(x, false).toFloatArray();
            assertEquals(0f, out[0]);
            assertEquals(1f, out[3], 1e-6);
            assertEquals(p.fakeQuantize(0.3f), out[1], 1e-6);
            assertEquals(p.fakeQuantize(0.7f), out[2], 1e-6);
        }
    }

    @Test
    void forwardValuesMatchTheJavaQuantizerOnEveryCode() {
        QuantParams p = QuantParams.fromRange(-1.7f, 3.1f, QScheme.PER_TENSOR_AFFINE);
        float[] xs = new float[4001];
        for (int i = 0; i < xs.length; i++) xs[i] = -2.5f + i * 0.0015f;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            float[] got = ActivationQuantizer.fakeQuantize(m.create(xs), p).toFloatArray();
            for (int i = 0; i < xs.length; i++) assertEquals(p.fakeQuantize(xs[i]), got[i], 1e-6f, "x = " + xs[i]);
        }
    }

    @Test
    void convertingWithoutCalibrationNamesTheLayerAndTheCall() {
        ActivationQuantizer q = new ActivationQuantizer(3, "op 3: conv 16→32 5×5 + relu", QScheme.PER_TENSOR_AFFINE, new MinMaxObserver());
        IllegalStateException e = assertThrows(IllegalStateException.class, q::params);
        assertTrue(e.getMessage().contains("op 3") && e.getMessage().contains("calibrate"), e.getMessage());
    }
}
