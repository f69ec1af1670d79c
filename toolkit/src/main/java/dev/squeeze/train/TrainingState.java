package dev.squeeze.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.squeeze.model.Network;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a {@link TrainingHook} is called from: the network, the position in the run, and in-place
 * access to its named weights and (before the optimizer step) their gradients. Names are the
 * network's path names ({@link Network#parameterNames()}, e.g. {@code layer1.0.conv1.weight}).
 *
 * <p>Masks are applied on the native tensors without copying the weights through Java: a
 * {@link TensorMask} is uploaded once per run and multiplied in place at every step.
 */
public final class TrainingState implements AutoCloseable {
    private final Network network;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final NDManager manager;
    private final Map<TensorMask, NDArray> uploaded = new IdentityHashMap<>();
    private final int epochs, stepsPerEpoch;
    private int epoch, step;
    private boolean gradientsReady;

    TrainingState(Network network, int epochs, int stepsPerEpoch) {
        this.network = network;
        this.epochs = epochs;
        this.stepsPerEpoch = stepsPerEpoch;
        // Keyed by path name (layer1.0.conv1.weight) so masks and criteria say which node they mean.
        var names = network.parameterNames().iterator();
        for (Pair<String, Parameter> p : network.djlModel().getBlock().getParameters()) parameters.put(names.next(), p.getValue());
        this.manager = network.djlModel().getNDManager().newSubManager();
    }

    void at(int epoch, int step, boolean gradientsReady) {
        this.epoch = epoch;
        this.step = step;
        this.gradientsReady = gradientsReady;
    }

    public Network network() { return network; }

    /** 0-based epoch. */
    public int epoch() { return epoch; }

    /** 0-based optimizer step over the whole run: the step about to be taken (before) or just taken (after). */
    public int step() { return step; }

    public int epochs() { return epochs; }

    public int stepsPerEpoch() { return stepsPerEpoch; }

    public int totalSteps() { return epochs * stepsPerEpoch; }

    /** Names of the parameters the optimizer updates, in the network's order. */
    public List<String> trainableNames() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) if (e.getValue().requiresGradient()) out.add(e.getKey());
        return Collections.unmodifiableList(out);
    }

    /** The shape of parameter {@code name}. */
    public long[] shape(String name) { return parameter(name).getArray().getShape().getShape(); }

    /** A copy of the weight's values. */
    public float[] weight(String name) { return parameter(name).getArray().toFloatArray(); }

    /** A copy of the weight's gradient for this batch; only in {@link TrainingHook#beforeStep}. */
    public float[] gradient(String name) { return gradientArray(name).toFloatArray(); }

    /** Multiplies the weight by {@code mask} element-wise, in place. */
    public void multiplyWeight(String name, TensorMask mask) {
        NDArray w = parameter(name).getArray();
        w.muli(upload(name, w, mask));
    }

    /** Multiplies this batch's gradient of the weight by {@code mask}, in place; only in {@link TrainingHook#beforeStep}. */
    public void multiplyGradient(String name, TensorMask mask) {
        NDArray g = gradientArray(name);
        g.muli(upload(name, g, mask));
    }

    /**
     * Adds the gradient of {@code l1·Σ|w| + l2·Σw²} to this batch's gradient of the weight, in place
     * (sparsity regularisation as a hook rather than a loss term, so it works under any objective);
     * only in {@link TrainingHook#beforeStep}. The L1 subgradient at exactly 0 is 0.
     */
    public void addPenaltyGradient(String name, float l1, float l2) {
        NDArray g = gradientArray(name);
        NDArray w = parameter(name).getArray();
        if (l1 != 0f) g.addi(w.sign().muli(l1));
        if (l2 != 0f) g.addi(w.mul(2f * l2));
    }

    private NDArray gradientArray(String name) {
        if (!gradientsReady) {
            throw new IllegalStateException("gradients of '" + name + "' exist only in TrainingHook.beforeStep (between the"
                    + " backward pass and the optimizer step); this call came from another hook method");
        }
        Parameter p = parameter(name);
        if (!p.requiresGradient()) throw new IllegalArgumentException("parameter '" + name + "' is not trained (" + p.getType() + "): it has no gradient");
        return p.getArray().getGradient();
    }

    private NDArray upload(String name, NDArray target, TensorMask mask) {
        if (mask.size() != target.getShape().size()) {
            throw new IllegalArgumentException("mask of " + mask.size() + " factors for '" + name + "' of shape " + target.getShape()
                    + " (" + target.getShape().size() + " values); build the mask from this parameter's shape");
        }
        NDArray m = uploaded.get(mask);
        if (m == null || !m.getShape().equals(target.getShape())) {
            if (m != null) m.close();
            m = manager.create(FloatBuffer.wrap(mask.values()), target.getShape());
            uploaded.put(mask, m);
        }
        return m;
    }

    private Parameter parameter(String name) {
        Parameter p = parameters.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named '" + name + "' in " + network.architecture().name()
                    + "; its parameters are " + parameters.keySet());
        }
        return p;
    }

    /** Frees the uploaded masks (called by {@link Training#fit} when the run ends). */
    @Override public void close() { manager.close(); }
}
