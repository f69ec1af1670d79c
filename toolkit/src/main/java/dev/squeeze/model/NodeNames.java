package dev.squeeze.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stable path names for the nodes that hold weights, as PyTorch names the same modules, so that a
 * mask, a feature tap or an ONNX initializer can say {@code layer3.0.conv1} instead of a position.
 *
 * <p>The rule reproduces torchvision's ResNet and the PyTorch tutorials' sequential nets:
 * <ul>
 *   <li>at each level, convolutions, batch norms and linear layers are counted separately from 1:
 *       {@code conv1, bn1, conv2, …, fc1, fc2}; a level with a single linear layer calls it {@code fc};</li>
 *   <li>residual blocks are grouped into stages: the first block opens {@code layer1}, and every block
 *       with a projection shortcut opens the next stage; blocks are numbered from 0 within a stage
 *       ({@code layer2.0}, {@code layer2.1});</li>
 *   <li>inside a block the body's layers are counted as above and the shortcut's are
 *       {@code downsample.<index in the shortcut>};</li>
 *   <li>concat units (ShuffleNetV2) are {@code stage<k>.<unit>.branch<b>.}, {@code k} from 2 as in
 *       torchvision; a unit without a channel split opens the next stage.</li>
 * </ul>
 * Parameter names add PyTorch's suffixes: {@code weight}, {@code bias}, and for BatchNorm
 * {@code weight} (γ), {@code bias} (β), {@code running_mean}, {@code running_var}. The list is in
 * DJL's parameter order, so position {@code i} names {@code Network.parameters().get(i)}.
 */
public final class NodeNames {
    private NodeNames() {}

    /** A node that holds weights, with its path name. */
    public record Node(String name, Layer layer) {}

    /**
     * Hands out {@code nodes}' names to a walk that visits the same layer objects in the same order (fusing,
     * the graph view): {@link #take} names a layer only when it is that very object (identity, since equal
     * records recur), then moves on.
     */
    public static final class Cursor {
        private final java.util.Iterator<Node> rest;
        private Node next;

        public Cursor(List<Node> nodes) {
            rest = nodes.iterator();
            next = rest.hasNext() ? rest.next() : null;
        }

        /** The name of {@code layer} if it is the next node, else null (the cursor stays). */
        public String take(Layer layer) {
            if (next == null || next.layer() != layer) return null;
            String n = next.name();
            next = rest.hasNext() ? rest.next() : null;
            return n;
        }
    }

    /** Every weighted node (conv, linear, batch norm) in parameter order. */
    public static List<Node> weightedNodes(Architecture arch) {
        List<Node> out = new ArrayList<>();
        walk(arch.layers(), "", out, new ArrayList<>());
        return Collections.unmodifiableList(out);
    }

    /**
     * Every residual block ({@code layer1.0}) and concat unit ({@code stage2.0}), named by the rule above
     * without the trailing dot, in pre-order: a block comes before the blocks nested in it. Quantization
     * names a block's add / concat op after it.
     */
    public static List<Node> blocks(Architecture arch) {
        List<Node> blocks = new ArrayList<>();
        walk(arch.layers(), "", new ArrayList<>(), blocks);
        return Collections.unmodifiableList(blocks);
    }

    /** Every parameter's path name ({@code layer1.0.bn1.running_var}), in DJL parameter order. */
    public static List<String> parameterNames(Architecture arch) {
        List<String> out = new ArrayList<>();
        for (Node n : weightedNodes(arch)) {
            switch (n.layer()) {
                case Layer.Conv2d c -> { out.add(n.name() + ".weight"); if (c.bias()) out.add(n.name() + ".bias"); }
                case Layer.Linear l -> { out.add(n.name() + ".weight"); if (l.bias()) out.add(n.name() + ".bias"); }
                case Layer.BatchNorm b -> {
                    out.add(n.name() + ".weight"); out.add(n.name() + ".bias");
                    out.add(n.name() + ".running_mean"); out.add(n.name() + ".running_var");
                }
                default -> throw new IllegalStateException("not a weighted layer: " + n.layer());
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** Conv and linear nodes only (what pruning and quantization act on), name → layer, in order. */
    public static Map<String, Layer> convAndLinear(Architecture arch) {
        Map<String, Layer> out = new LinkedHashMap<>();
        for (Node n : weightedNodes(arch)) {
            if (n.layer() instanceof Layer.Conv2d || n.layer() instanceof Layer.Linear) out.put(n.name(), n.layer());
        }
        return Collections.unmodifiableMap(out);
    }

    private static void walk(List<Layer> layers, String prefix, List<Node> out, List<Node> blocks) {
        long linears = layers.stream().filter(l -> l instanceof Layer.Linear).count();
        int conv = 0, bn = 0, fc = 0, stage = 0, block = 0, concatStage = 0, concatUnit = 0;
        for (Layer l : layers) {
            switch (l) {
                case Layer.Conv2d c -> out.add(new Node(prefix + "conv" + (++conv), l));
                case Layer.BatchNorm b -> out.add(new Node(prefix + "bn" + (++bn), l));
                case Layer.Linear f -> out.add(new Node(prefix + (linears == 1 ? "fc" : "fc" + (++fc)), l));
                case Layer.Concat c -> {
                    // ShuffleNetV2's units, named as torchvision names them: a unit whose branches all
                    // start with a weighted layer (no channel split) downsamples and opens the next stage,
                    // numbered from 2 as torchvision's stage2 … stage4 (its stage 1 is the stem).
                    boolean splits = c.branches().stream().anyMatch(b -> !b.isEmpty() && b.get(0) instanceof Layer.ChannelSlice);
                    if (concatStage == 0 || !splits) { concatStage++; concatUnit = 0; }
                    String unitName = prefix + "stage" + (concatStage + 1) + "." + (concatUnit++) + ".";
                    blocks.add(new Node(unitName.substring(0, unitName.length() - 1), l));
                    for (int b = 0; b < c.branches().size(); b++) walk(c.branches().get(b), unitName + "branch" + (b + 1) + ".", out, blocks);
                }
                case Layer.Residual r -> {
                    if (stage == 0 || !r.shortcut().isEmpty()) { stage++; block = 0; }
                    String blockName = prefix + "layer" + stage + "." + (block++) + ".";
                    blocks.add(new Node(blockName.substring(0, blockName.length() - 1), l));
                    walk(r.body(), blockName, out, blocks);
                    for (int i = 0; i < r.shortcut().size(); i++) {
                        Layer s = r.shortcut().get(i);
                        if (s instanceof Layer.Residual) {
                            walk(List.of(s), blockName + "downsample." + i + ".", out, blocks);
                        } else if (s instanceof Layer.Conv2d || s instanceof Layer.Linear || s instanceof Layer.BatchNorm) {
                            out.add(new Node(blockName + "downsample." + i, s));
                        }
                    }
                }
                default -> { } // no weights
            }
        }
    }
}
