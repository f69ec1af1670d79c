package dev.squeeze.quant;

import dev.squeeze.ir.FusedGraph;
import dev.squeeze.model.Network;

/**
 * Fusing a trained DJL {@link Network} into its quantization view, a {@link FusedGraph}. The fusing itself
 * ({@link FusedGraph#of(dev.squeeze.model.Architecture, java.util.List)}) works on plain float arrays and lives
 * with the graph in {@code dev.squeeze.ir}; this entry point stays here because it reads the weights out of the
 * engine, and {@code ir} (and the executors that use it) must not depend on DJL.
 */
public final class Fusion {
    private Fusion() {}

    /** Fuses {@code net}'s current weights (BatchNorm folded, activations fused; see {@link FusedGraph}). */
    public static FusedGraph of(Network net) {
        return FusedGraph.of(net.architecture(), net.parameters());
    }
}
