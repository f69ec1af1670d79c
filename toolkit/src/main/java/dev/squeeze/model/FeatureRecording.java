package dev.squeeze.model;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Intermediate outputs of a {@link Network}, recorded during its forward passes while this is open
 * ({@link Network#recordFeatures}). Each pass replaces the previous pass's values. The arrays are the
 * pass's own: they live in the pass's {@code NDManager} (freed with it) and, in a training pass, carry
 * gradients back into the network. Close it to stop recording; a network records for one caller at a time.
 */
public final class FeatureRecording implements AutoCloseable {
    private final TapBlock block;
    private final Set<String> nodes;

    FeatureRecording(TapBlock block, Set<String> nodes, boolean inputs) {
        this.block = block;
        this.nodes = Set.copyOf(nodes);
        block.start(this.nodes, inputs);
    }

    /** The nodes being recorded. */
    public Set<String> nodes() { return nodes; }

    /**
     * One node's output from the latest forward pass: {@code N × C × H × W}, or {@code N × features} after a flatten.
     *
     * @throws IllegalStateException if no pass has run since recording started
     * @throws IllegalArgumentException if {@code node} is not recorded
     */
    public NDArray get(String node) {
        if (!nodes.contains(node)) throw new IllegalArgumentException("node '" + node + "' is not recorded; this recording holds " + nodes);
        NDArray a = block.recorded().get(node);
        if (a == null) throw new IllegalStateException("no forward pass has run since recording " + nodes + " started");
        return a;
    }

    /** Every recorded node's output from the latest forward pass, by name (a copy of the map; the arrays are shared). */
    public Map<String, NDArray> features() { return new LinkedHashMap<>(block.recorded()); }

    @Override public void close() { block.stop(); }
}
