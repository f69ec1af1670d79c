package dev.squeeze.quant;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.model.Network;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The quantization flows, one call each:
 *
 * <pre>{@code
 * QuantizedNetwork q = Quantization.prepareQat(net, QConfig.x86());    // QAT
 * Training.fit(q.network(), train, test, config);                       //   train as usual
 * Int8Model m = q.convert();
 *
 * Int8Model s = Quantization.calibrate(net, calib, prep, QConfig.x86()).convert();   // static PTQ
 * QuantizedNetwork d = Quantization.quantizeDynamic(net);                            // dynamic PTQ
 * }</pre>
 *
 * The source network is never modified: each flow fuses a copy (BatchNorm folded, activations fused).
 */
public final class Quantization {
    private Quantization() {}

    /**
     * Inserts fake quantization for QAT: weights per {@code config} on every forward pass, activations
     * observed with a moving-average min/max while training (PyTorch's QAT default) and fake-quantized.
     */
    public static QuantizedNetwork prepareQat(Network net, QConfig config) {
        return prepareQat(net, config, true);
    }

    /**
     * As {@link #prepareQat(Network, QConfig)}; with {@code quantizeInput} false the model input is
     * left in float — the seed's commented-out {@code self.quant(x)} — and the first layer cannot run
     * on integer kernels.
     */
    public static QuantizedNetwork prepareQat(Network net, QConfig config, boolean quantizeInput) {
        QuantizedNetwork q = build(net, config, quantizeInput, "qat",
                c -> RangeObserver.create(CalibrationMethod.MOVING_AVERAGE_MIN_MAX, c.percentile(), c.averagingConstant()));
        q.setMode(ActivationQuantizer.Mode.QAT);
        return q;
    }

    /**
     * Static post-training quantization: runs {@code calibration} through the float model, observing
     * each activation with {@code config.calibration()}'s method, and freezes the ranges.
     *
     * @param calibration a seeded subset of training images ({@code train.subset(n, seed, true)})
     */
    public static QuantizedNetwork calibrate(Network net, ImageSet calibration, Preprocessing prep, QConfig config) {
        QuantizedNetwork q = build(net, config, true, "static-" + config.calibration().name().toLowerCase(java.util.Locale.ROOT),
                RangeObserver::forActivations);
        q.observe(calibration, prep, 128);
        return q;
    }

    /** Static PTQ with the x86 preset and the given calibration method. */
    public static QuantizedNetwork calibrate(Network net, ImageSet calibration, Preprocessing prep, CalibrationMethod method) {
        return calibrate(net, calibration, prep, QConfig.x86().toBuilder().optCalibration(method).build());
    }

    /**
     * Dynamic quantization: weights int8 ahead of time; each activation's range is computed from the
     * batch at run time, so no calibration data is needed.
     */
    public static QuantizedNetwork quantizeDynamic(Network net) {
        return quantizeDynamic(net, QConfig.x86());
    }

    public static QuantizedNetwork quantizeDynamic(Network net, QConfig config) {
        QuantizedNetwork q = build(net, config, true, "dynamic", c -> new MinMaxObserver());
        q.setMode(ActivationQuantizer.Mode.DYNAMIC);
        return q;
    }

    private static QuantizedNetwork build(Network net, QConfig config, boolean quantizeInput, String method,
            java.util.function.Function<QConfig, RangeObserver> observers) {
        FusedGraph g = Fusion.of(net);
        config.checkNodes(g);
        Map<Integer, ActivationQuantizer> qs = new LinkedHashMap<>();
        if (quantizeInput) qs.put(-1, new ActivationQuantizer(-1, "input", config.activationScheme(), observers.apply(config)));
        for (FusedOp op : g.flatOps()) {
            if (op.producesNewRange()) {
                // Each output with its node's settings (QConfig.withActivationOverride), the whole model's otherwise.
                QConfig out = config.forNodeOutput(g.nodeName(op.id()));
                qs.put(op.id(), new ActivationQuantizer(op.id(), "op " + op.id() + ": " + g.nodeName(op.id()) + " " + op.describe(),
                        out.activationScheme(), observers.apply(out)));
            }
        }
        WeightQuantizer wq = new WeightQuantizer(config, g);
        Network qnet = Network.wrap(g.toArchitecture(), QatBlocks.build(g, wq, qs::get, quantizeInput));
        try {
            copyFusedWeights(g, qnet);
        } catch (RuntimeException e) {
            qnet.close();
            throw e;
        }
        qnet.provenance().putAll(net.provenance());
        qnet.provenance().put("quantization", method);
        return new QuantizedNetwork(qnet, config, qs, wq, quantizeInput, method);
    }

    static void copyFusedWeights(FusedGraph g, Network qnet) {
        var params = qnet.parameters();
        int k = 0;
        for (FusedOp op : g.flatOps()) {
            float[] w, b;
            if (op instanceof FusedOp.Conv c) { w = c.weight(); b = c.bias(); }
            else if (op instanceof FusedOp.Dense d) { w = d.weight(); b = d.bias(); }
            else continue;
            qnet.setParameter(params.get(k++).name(), w);
            qnet.setParameter(params.get(k++).name(), b);
        }
        if (k != params.size()) {
            throw new IllegalStateException("Fused graph has " + k + " weight tensors but the QAT network has " + params.size());
        }
    }

}
