package dev.squeeze.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.Int8Op;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.Evaluation;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The integer model against the DJL fake-quant network it was converted from, on a synthetic task the
 * networks are trained on for a few seconds: top-1 agreement ≥ 98 %, every dequantized logit within 2
 * output steps (observed: 1), mean difference ≤ 0.5 step, for every weight format and preset.
 */
class Int8ConversionTest {

    static final Preprocessing PREP = Preprocessing.unitScale();

    /**
     * A network trained for a few epochs on the synthetic task (so that its logits separate the classes
     * as a real model's do; an untrained network's near-ties make top-1 agreement meaningless), with
     * random BatchNorm statistics so that folding is exercised.
     */
    static Network trained(Architecture a, long seed) {
        Network net = Int8Fixtures.network(a, seed);
        TrainConfig cfg = TrainConfig.builder().setEpochs(6).setOptimizer(OptimizerConfig.adam(3e-3f)).optBatchSize(32)
                .optSeed(seed).optPreprocessing(PREP).optProgress(Progress.silent()).build();
        int[] in = a.inputShape();
        Training.fit(net, Int8Fixtures.images(600, in[0], in[1], in[2], 100 + seed), Int8Fixtures.images(100, in[0], in[1], in[2], 200 + seed), cfg);
        return net;
    }

    private static void checkAgreement(QuantizedNetwork q, ImageSet test, double minAgreement, double maxSteps) {
        Int8Model m = q.convert();
        Evaluation fake = q.evaluate(test, PREP);
        Evaluation integer = IntegerReference.evaluate(m, test, PREP);
        double agreement = integer.agreement(fake);

        int n = 64;
        float[] x = new BatchMaker(test, PREP).batch(0, n);
        float[] fq = q.network().logits(x, n), iq = IntegerReference.logits(m, x, n);
        double[] steps = Int8Fixtures.stepDistance(fq, iq, m.outputParams().scale());
        double worst = steps[0], mean = steps[1];
        // Both logits are dequantized codes of one grid: differences are whole steps up to float32 rounding.
        assertTrue(worst <= maxSteps + 1e-3, q.config() + ": logits differ by up to " + worst + " output steps");
        assertTrue(mean <= 0.5, q.config() + ": mean logit difference " + mean + " output steps");
        assertTrue(agreement >= minAgreement, q.config() + ": integer vs fake-quant top-1 agreement " + agreement);
        assertArrayEquals(IntegerReference.predict(m, x, n), java.util.Arrays.copyOf(integer.predictions(), n));
    }

    @Test
    void seedCnnIntegerModelAgreesWithFakeQuantForEveryWeightFormat() {
        ImageSet calib = Int8Fixtures.images(128, 3, 20, 20, 1), test = Int8Fixtures.images(300, 3, 20, 20, 2);
        try (Network net = trained(Zoo.seedCnn(new int[] {3, 20, 20}, 10), 3)) {
            for (QConfig cfg : List.of(QConfig.x86(), QConfig.qnnpack(), QConfig.tensorrtEntropy(), QConfig.int4Weights(),
                    QConfig.ternaryWeights(), QConfig.binaryWeights())) {
                try (QuantizedNetwork q = Quantization.calibrate(net, calib, PREP, cfg)) {
                    checkAgreement(q, test, 0.98, 2);
                }
            }
        }
    }

    @Test
    void residualModelWithEveryOpAgreesWithFakeQuant() {
        ImageSet calib = Int8Fixtures.images(128, 3, 16, 16, 3), test = Int8Fixtures.images(300, 3, 16, 16, 4);
        try (Network net = trained(Int8Fixtures.trainableTinyResNet(new dev.squeeze.model.Layer.AvgPool(2, 2, 0)), 5)) {
            for (CalibrationMethod method : List.of(CalibrationMethod.MIN_MAX, CalibrationMethod.MSE)) {
                try (QuantizedNetwork q = Quantization.calibrate(net, calib, PREP, method)) {
                    Int8Model m = q.convert();
                    assertTrue(m.flatOps().stream().anyMatch(o -> o instanceof Int8Op.Add a && a.shortcut().isEmpty()));
                    assertTrue(m.flatOps().stream().anyMatch(o -> o instanceof Int8Op.Act));
                    assertTrue(m.flatOps().stream().anyMatch(o -> o instanceof Int8Op.AvgPool));
                    checkAgreement(q, test, 0.98, 2);
                }
            }
        }
    }

    @Test
    void convertRefusesUncalibratedDynamicAndFloatInputNetworks() {
        try (Network net = Int8Fixtures.network(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 3)) {
            try (QuantizedNetwork q = Quantization.prepareQat(net, QConfig.x86(), false)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, q::convert);
                assertTrue(e.getMessage().contains("input is not quantized") && e.getMessage().contains("prepareQat(net, config, true)"),
                        e.getMessage());
            }
            try (QuantizedNetwork q = Quantization.prepareQat(net, QConfig.x86())) {
                IllegalStateException e = assertThrows(IllegalStateException.class, q::convert);
                assertTrue(e.getMessage().contains("op 0 (conv 3→16 5×5 + relu)") && e.getMessage().contains("train the prepareQat"),
                        e.getMessage());
            }
            try (QuantizedNetwork q = Quantization.quantizeDynamic(net)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, q::convert);
                assertTrue(e.getMessage().contains("dynamic") && e.getMessage().contains("Quantization.calibrate"), e.getMessage());
            }
        }
    }

    @Test
    void provenanceRecordsHowTheModelWasMade() {
        ImageSet calib = Int8Fixtures.images(64, 3, 32, 32, 1);
        try (Network net = Int8Fixtures.network(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 3);
             QuantizedNetwork q = Quantization.calibrate(net, calib, PREP, CalibrationMethod.PERCENTILE)) {
            q.network().provenance().put("calibration_data", "synthetic 64");
            Int8Model m = q.convert();
            assertEquals("3", m.provenance().get("init_seed"));
            assertEquals("static-percentile", m.provenance().get("quantization"));
            assertEquals("synthetic 64", m.provenance().get("calibration_data"));
            assertEquals("8", m.provenance().get("weight_bits"));
            assertTrue(m.provenance().get("qconfig").contains("PERCENTILE"), m.provenance().toString());
            assertEquals(Int8Op.INPUT_ID, m.quantizeInput().id());
            assertEquals(q.activationParams().get(-1), m.inputParams());
        }
    }
}
