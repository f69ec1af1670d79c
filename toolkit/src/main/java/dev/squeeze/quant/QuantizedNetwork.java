package dev.squeeze.quant;

import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.ir.Activation;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.ir.QuantParams;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.train.Evaluation;
import dev.squeeze.train.Training;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A float network with fake quantization inserted: what {@code prepareQat}, {@code calibrate} and
 * {@code quantizeDynamic} return. Train it with {@code Training.fit(q.network(), ...)} (QAT),
 * evaluate it (simulated int8 accuracy), then {@link #convert()} it to an {@link Int8Model} that runs
 * with real integer arithmetic.
 */
public final class QuantizedNetwork implements AutoCloseable {
    private final Network network;
    private final QConfig config;
    private final Map<Integer, ActivationQuantizer> quantizers;
    private final WeightQuantizer weightQuantizer;
    private final boolean quantizeInput;
    private final String method;

    QuantizedNetwork(Network network, QConfig config, Map<Integer, ActivationQuantizer> quantizers, WeightQuantizer wq,
            boolean quantizeInput, String method) {
        this.network = network;
        this.config = config;
        this.quantizers = quantizers;
        this.weightQuantizer = wq;
        this.quantizeInput = quantizeInput;
        this.method = method;
    }

    /** The trainable fake-quant network (fused architecture: BatchNorm folded, activations fused). */
    public Network network() { return network; }
    public QConfig config() { return config; }
    /** How it was made: {@code qat}, {@code static-<calibration>}, {@code dynamic}. */
    public String method() { return method; }
    public boolean quantizesInput() { return quantizeInput; }

    /** Every activation quantizer, the input's first (op id -1 when the input is quantized). */
    public List<ActivationQuantizer> activationQuantizers() { return new ArrayList<>(quantizers.values()); }

    public ActivationQuantizer quantizer(int opId) {
        ActivationQuantizer q = quantizers.get(opId);
        if (q == null) throw new IllegalArgumentException("No activation quantizer for op " + opId + "; ids: " + quantizers.keySet());
        return q;
    }

    /** The fused graph with the network's current (possibly QAT-trained) float weights. */
    public FusedGraph fusedGraph() {
        List<NamedTensor> params = network.parameters();
        return FusedGraph.of(network.architecture(), params);
    }

    void setMode(ActivationQuantizer.Mode mode) {
        for (ActivationQuantizer q : quantizers.values()) q.setMode(mode);
    }

    /** Runs {@code data} through the network in observe mode, then freezes every range. */
    void observe(ImageSet data, Preprocessing prep, int batch) {
        setMode(ActivationQuantizer.Mode.OBSERVE);
        weightQuantizer.enabled = false; // calibrate activations of the float model, as PyTorch's prepare/calibrate does
        BatchMaker maker = new BatchMaker(data, prep.withAugmentation(0, false));
        for (int from = 0; from < data.size(); from += batch) {
            int n = Math.min(batch, data.size() - from);
            network.logits(maker.batch(from, n), n);
        }
        weightQuantizer.enabled = true;
        for (ActivationQuantizer q : quantizers.values()) q.freeze();
    }

    /** Simulated-quantization accuracy (float arithmetic on quantized values). */
    public Evaluation evaluate(ImageSet data, Preprocessing prep) {
        return Training.evaluate(network, data, prep);
    }

    /** Freezes observed ranges (end of QAT): later forward passes no longer update them. */
    public QuantizedNetwork freeze() {
        for (ActivationQuantizer q : quantizers.values()) {
            if (q.mode() != ActivationQuantizer.Mode.DYNAMIC) q.freeze();
        }
        return this;
    }

    /** Activation parameters per op id (input: -1), for conversion and reports. */
    public Map<Integer, QuantParams> activationParams() {
        Map<Integer, QuantParams> out = new LinkedHashMap<>();
        for (ActivationQuantizer q : quantizers.values()) out.put(q.opId(), q.params());
        return out;
    }

    /**
     * The integer model: {@link Int8Converter#convert} of {@link #fusedGraph()} (the current, possibly
     * QAT-trained, weights) with every calibrated activation grid, {@link #config()}, and the network's
     * provenance plus {@code qconfig}. Put further facts into {@code network().provenance()} before
     * calling to record them in the model.
     *
     * <p>Not available for dynamic quantization ({@link Quantization#quantizeDynamic}): its activation
     * grids are computed from each batch at run time, so there is no fixed integer graph to export; the
     * dynamic network is evaluated in simulation with {@link #evaluate}.
     *
     * @throws IllegalStateException for a dynamic network, when the model input is not quantized, or when
     *     an activation was never calibrated (naming the op and the call to make)
     */
    public Int8Model convert() {
        if (method.equals("dynamic")) {
            throw new IllegalStateException("Cannot convert a dynamically quantized network to an Int8Model: dynamic"
                    + " quantization computes each activation's scale from the batch at run time, so there are no fixed"
                    + " activation grids to export. For an integer model use static quantization,"
                    + " Quantization.calibrate(net, calibrationImages, prep, config).convert(); to measure dynamic"
                    + " quantization, evaluate this network with evaluate(...)");
        }
        FusedGraph graph = fusedGraph();
        Map<Integer, QuantParams> params = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (ActivationQuantizer q : quantizers.values()) {
            if (q.calibrated()) {
                params.put(q.opId(), q.params());
            } else {
                missing.add(q.opId() == -1 ? "the model input (id -1)" : describe(graph, q.opId()));
            }
        }
        // Without an input quantizer the converter's own error (float input, use quantizeInput=true) comes first.
        if (quantizeInput && !missing.isEmpty()) {
            throw new IllegalStateException("Cannot convert to int8: " + missing.size() + " activation range"
                    + (missing.size() == 1 ? " was" : "s were") + " never observed — "
                    + String.join(", ", missing.subList(0, Math.min(4, missing.size()))) + (missing.size() > 4 ? ", ..." : "")
                    + "; call Quantization.calibrate(...) with calibration data, or train the prepareQat network first");
        }
        Map<String, String> prov = new LinkedHashMap<>(network.provenance());
        prov.put("qconfig", config.toString());
        return Int8Converter.convert(graph, params, config, prov);
    }

    private static String describe(FusedGraph g, int opId) {
        for (FusedOp op : g.flatOps()) if (op.id() == opId) return "op " + opId + " (" + op.describe() + ")";
        return "op " + opId;
    }

    @Override public void close() { network.close(); }
}
