package dev.squeeze.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.FusedOp;
import dev.squeeze.ir.PerChannelQuantParams;
import dev.squeeze.ir.QScheme;
import dev.squeeze.ir.QuantParams;

/**
 * Fake-quantizes a weight tensor {@code [out, ...]} on every forward pass, with a straight-through
 * gradient, so QAT learns weights that survive rounding. Per-channel scales come from the current
 * weights' per-output-channel range, computed with the same {@link PerChannelQuantParams} math the
 * int8 converter uses, so QAT and the converted model agree on every scale.
 */
final class WeightQuantizer {
    private final QConfig config;
    boolean enabled = true;

    private final java.util.Map<Integer, QConfig> perOp = new java.util.HashMap<>();

    WeightQuantizer(QConfig config) { this.config = config; }

    /** With {@code config}'s per-node overrides resolved to {@code graph}'s conv and dense op ids. */
    WeightQuantizer(QConfig config, FusedGraph graph) {
        this.config = config;
        for (FusedOp op : graph.flatOps()) {
            if (op instanceof FusedOp.Conv || op instanceof FusedOp.Dense) perOp.put(op.id(), config.forNode(graph.nodeName(op.id())));
        }
    }

    /** Op {@code opId}'s weights, with its node's settings when it has an override. */
    NDArray apply(NDArray w, ai.djl.ndarray.NDManager batch, int opId) { return apply(w, batch, perOp.getOrDefault(opId, config)); }

    /**
     * @param w the parameter array (lives as long as the model)
     * @param batch the manager of the current batch: every temporary must die with it. DJL attaches an
     *     op's result to its left operand's manager, so working on the parameter as it is would pile
     *     every step's temporaries onto the model's manager (gigabytes over a QAT run). Attaching the
     *     parameter temporarily to the batch scope sends the temporaries there; the parameter itself
     *     returns to its model when the batch scope closes.
     */
    NDArray apply(NDArray w, ai.djl.ndarray.NDManager batch) { return apply(w, batch, config); }

    /** As {@link #apply(NDArray, ai.djl.ndarray.NDManager)} with one node's settings ({@link QConfig#forNode}). */
    NDArray apply(NDArray w, ai.djl.ndarray.NDManager batch, QConfig config) {
        if (!enabled) return w;
        w.tempAttach(batch);
        NDArray q = switch (config.weightMethod()) {
            case UNIFORM -> uniform(w, config);
            case TERNARY -> ternary(w);
            case BINARY -> binary(w);
        };
        return w.add(q.sub(w).stopGradient());
    }

    private static NDArray uniform(NDArray w, QConfig config) {
        long out = w.getShape().get(0);
        QScheme scheme = config.weightScheme();
        NDArray flat = w.reshape(out, -1);
        if (!scheme.perChannel()) {
            QuantParams p = QuantParams.fromRange(w.min().getFloat(), w.max().getFloat(), scheme);
            return ActivationQuantizer.fakeQuantize(w, p);
        }
        float[] mins = flat.min(new int[] {1}).toFloatArray();
        float[] maxs = flat.max(new int[] {1}).toFloatArray();
        PerChannelQuantParams p = PerChannelQuantParams.fromRanges(mins, maxs, scheme, 0);
        Shape bcast = broadcastShape(w);
        // Multiply by the float32 reciprocal, as PerChannelQuantParams.quantize (and PyTorch) do: w/s and
        // w·(1/s) round differently on a few weights, and the int8 converter must see the same codes.
        float[] scales = p.scales();
        float[] inv = new float[scales.length];
        for (int i = 0; i < inv.length; i++) inv[i] = 1f / scales[i];
        NDArray s = w.getManager().create(scales).reshape(bcast);
        NDArray invS = w.getManager().create(inv).reshape(bcast);
        float[] zpf = new float[(int) out];
        int[] zps = p.zeroPoints();
        for (int i = 0; i < zpf.length; i++) zpf[i] = zps[i];
        NDArray zp = w.getManager().create(zpf).reshape(bcast);
        return w.mul(invS).round().add(zp).clip(p.qmin(), p.qmax()).sub(zp).mul(s);
    }

    /** Binary (XNOR-Net): sign(w)·α with α = mean|w| per output channel. */
    private static NDArray binary(NDArray w) {
        long out = w.getShape().get(0);
        NDArray alpha = w.abs().reshape(out, -1).mean(new int[] {1}).reshape(broadcastShape(w));
        // sign(0) is 0; a zero weight maps to +α, as the int8 converter's binarize does.
        NDArray sign = w.gte(0).toType(w.getDataType(), false).mul(2).sub(1);
        return sign.mul(alpha);
    }

    /** Ternary (TWN): Δ = 0.7·mean|w|; α = mean of |w| above Δ; w ↦ α·sign(w) where |w| > Δ, else 0. */
    private static NDArray ternary(NDArray w) {
        long out = w.getShape().get(0);
        Shape b = broadcastShape(w);
        NDArray abs = w.abs();
        NDArray delta = abs.reshape(out, -1).mean(new int[] {1}).mul(LowBitQuantizer.TWN_THRESHOLD_FACTOR).reshape(b);
        NDArray mask = abs.gt(delta).toType(w.getDataType(), false);
        NDArray kept = mask.reshape(out, -1).sum(new int[] {1}).maximum(1f);
        NDArray alpha = abs.mul(mask).reshape(out, -1).sum(new int[] {1}).div(kept).reshape(b);
        return w.sign().mul(mask).mul(alpha);
    }

    private static Shape broadcastShape(NDArray w) {
        long[] dims = new long[w.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = w.getShape().get(0);
        return new Shape(dims);
    }
}
