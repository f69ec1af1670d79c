package dev.squeeze.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The top-level block of every {@link Network#create} network: a plain {@link SequentialBlock} (same
 * children, same parameters, same results) that, while a {@link FeatureRecording} is open, runs its
 * children one at a time and keeps the outputs of the requested nodes. It records inside any forward
 * pass, whoever drives it (DJL's trainer with its parameter store, {@link Network#logits}, a teacher's
 * no-grad pass), so the recorded arrays carry exactly the gradients of that pass.
 */
final class TapBlock extends SequentialBlock {
    private final List<Layer> layers;
    private final FeatureTaps taps;
    private volatile Set<String> requested;
    /** Whether the recording holds the requested nodes' inputs rather than their outputs. */
    private volatile boolean inputs;
    private volatile Map<String, NDArray> recorded = Map.of();

    TapBlock(Architecture architecture) {
        this.layers = architecture.layers();
        this.taps = FeatureTaps.of(architecture);
    }

    FeatureTaps taps() { return taps; }

    void start(Set<String> nodes, boolean inputs) {
        if (requested != null) {
            throw new IllegalStateException("this network is already recording " + requested + "; close that FeatureRecording first");
        }
        recorded = Map.of();
        this.inputs = inputs;
        requested = nodes;
    }

    void stop() { requested = null; recorded = Map.of(); }

    Map<String, NDArray> recorded() { return recorded; }

    @Override protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        Set<String> wanted = requested;
        if (wanted == null) return super.forwardInternal(store, inputs, training, params);
        Map<String, NDArray> out = new LinkedHashMap<>();
        NDArray y = run(layers, getChildren().values(), inputs.singletonOrThrow(), "", new Pass(store, training, wanted, this.inputs, out));
        recorded = out;
        return new NDList(y);
    }

    private record Pass(ParameterStore store, boolean training, Set<String> wanted, boolean inputs, Map<String, NDArray> out) {}

    /** SequentialBlock's and ParallelBlock's forward, unrolled: the same child calls in the same order. */
    private NDArray run(List<Layer> layers, List<Block> children, NDArray x, String path, Pass p) {
        if (children.size() != layers.size()) {
            throw new IllegalStateException("block has " + children.size() + " children for " + layers.size() + " layers");
        }
        for (int i = 0; i < layers.size(); i++) {
            String key = FeatureTaps.key(path, i);
            if (p.inputs()) for (String name : taps.inputsAt(key)) if (p.wanted().contains(name)) p.out().put(name, x);
            if (layers.get(i) instanceof Layer.Residual r) {
                List<Block> branches = ((ParallelBlock) children.get(i)).getChildren().values();
                NDArray body = run(r.body(), branches.get(0).getChildren().values(), x, key + ".b.", p);
                NDArray shortcut = r.shortcut().isEmpty() ? x : run(r.shortcut(), branches.get(1).getChildren().values(), x, key + ".s.", p);
                x = body.add(shortcut);
            } else {
                x = children.get(i).forward(p.store(), new NDList(x), p.training()).singletonOrThrow();
            }
            if (!p.inputs()) for (String name : taps.namesAt(key)) if (p.wanted().contains(name)) p.out().put(name, x);
        }
        return x;
    }
}
