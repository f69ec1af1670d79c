package dev.squeeze.prune;

import dev.squeeze.model.Layer;
import dev.squeeze.model.Network;
import dev.squeeze.model.NodeNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which weights a pruning call may touch, by node name. PyTorch's {@code global_unstructured} takes a
 * list of (module, "weight") pairs; a scope is that list, resolved against the network's named nodes
 * so the same scope works on the float, the QAT and a pruned copy of a model.
 */
public sealed interface Scope {

    /** Parameter path names ({@code layer1.0.conv1.weight}) this scope selects in {@code net}, in network order. */
    List<String> weightNames(Network net);

    /** One word for tables and file names: {@code conv+linear}, {@code linear}, or the node list. */
    String describe();

    /** Every convolution and linear weight: what the seed (and PyTorch's examples) prune. */
    static Scope convAndLinear() { return ByKind.CONV_AND_LINEAR; }

    /** Linear (fully connected) weights only: the seed's "Linear layers only"; on ResNet18 that is the one {@code fc}. */
    static Scope linearOnly() { return ByKind.LINEAR; }

    /** Convolution weights only. */
    static Scope convOnly() { return ByKind.CONV; }

    /**
     * Every BatchNorm's scale γ ({@code layer1.0.bn1.weight}): what network slimming's L1 penalty
     * ({@link SparsityRegularization#batchNormScales}) pushes towards zero, so that
     * {@code StructuredPruning.Criterion.BN_SCALE} finds the channels to remove.
     */
    static Scope batchNormScales() { return BatchNormScales.INSTANCE; }

    /** The named conv/linear nodes ({@code "layer4.1.conv2", "fc"}); an unknown name is an error listing the valid ones. */
    static Scope nodes(String... names) { return new Nodes(List.of(names)); }

    /** {@code conv+linear}, {@code linear}, {@code conv} (the CLI's {@code --scope}). */
    static Scope parse(String word) {
        return switch (word) {
            case "conv+linear", "all" -> convAndLinear();
            case "linear", "linear-only" -> linearOnly();
            case "conv", "conv-only" -> convOnly();
            default -> throw new IllegalArgumentException("unknown pruning scope '" + word + "'; use conv+linear, linear or conv");
        };
    }

    enum ByKind implements Scope {
        CONV_AND_LINEAR("conv+linear"), LINEAR("linear"), CONV("conv");

        private final String word;
        ByKind(String word) { this.word = word; }

        @Override public List<String> weightNames(Network net) {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, Layer> e : NodeNames.convAndLinear(net.architecture()).entrySet()) {
                boolean linear = e.getValue() instanceof Layer.Linear;
                if (this == CONV_AND_LINEAR || (this == LINEAR) == linear) out.add(e.getKey() + ".weight");
            }
            if (out.isEmpty()) throw new IllegalArgumentException(net.architecture().name() + " has no " + word + " layers to prune");
            return out;
        }

        @Override public String describe() { return word; }
    }

    enum BatchNormScales implements Scope {
        INSTANCE;

        @Override public List<String> weightNames(Network net) {
            List<String> out = new ArrayList<>();
            for (NodeNames.Node n : NodeNames.weightedNodes(net.architecture())) {
                if (n.layer() instanceof Layer.BatchNorm) out.add(n.name() + ".weight");
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException(net.architecture().name() + " has no BatchNorm layers, so no BatchNorm scales to regularise or prune");
            }
            return out;
        }

        @Override public String describe() { return "batchnorm-scales"; }
    }

    record Nodes(List<String> names) implements Scope {
        public Nodes {
            names = List.copyOf(names);
            if (names.isEmpty()) throw new IllegalArgumentException("Scope.nodes needs at least one node name");
        }

        @Override public List<String> weightNames(Network net) {
            Map<String, Layer> valid = NodeNames.convAndLinear(net.architecture());
            List<String> out = new ArrayList<>();
            for (String n : names) {
                String node = n.endsWith(".weight") ? n.substring(0, n.length() - ".weight".length()) : n;
                if (!valid.containsKey(node)) {
                    throw new IllegalArgumentException("no conv or linear node named '" + n + "' in " + net.architecture().name()
                            + "; valid names: " + valid.keySet());
                }
                out.add(node + ".weight");
            }
            return out;
        }

        @Override public String describe() { return String.join(",", names); }
    }
}
