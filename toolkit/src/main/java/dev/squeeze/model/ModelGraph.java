package dev.squeeze.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * An {@link Architecture} as a directed acyclic graph: one {@link GraphNode} per op, each with a
 * stable name and the names of the nodes it reads, in topological order (the order the float model
 * runs them). The {@link Layer} list nests residual blocks and concat units; this view flattens them
 * into explicit edges, so a residual add lists both its inputs and a concat its branches' outputs in
 * order, and code that follows channels (structured pruning's {@code ChannelGroups}) walks edges with
 * one rule per op kind instead of one walker per construct.
 *
 * <pre>{@code
 * ModelGraph g = ModelGraph.of(Zoo.resnet18(new int[] {3, 32, 32}, 10));   // or net.graph()
 * g.node("layer1.0").inputs();        // [layer1.0.bn2, relu1]: the body's last op and the identity shortcut
 * g.consumers("layer1.0.relu1");      // [layer1.0.conv2]
 * g.table();                          // node, op, inputs, output shape, layer: one row per node
 * }</pre>
 *
 * <h2>Node names</h2>
 * The graph's input is {@code input}. Convolutions, batch norms and linear layers carry their
 * {@link NodeNames} path names ({@code layer3.0.conv1}, {@code layer2.0.downsample.0}, {@code fc}); a
 * residual add is named after its block ({@code layer1.0}) and a concat after its unit ({@code stage2.0}),
 * as {@code FusedGraph} names them. Every other op is {@code <level><op><k>}: the level is the enclosing
 * block's body ({@code layer1.0.}), its shortcut ({@code layer1.0.downsample.}), a concat branch
 * ({@code stage2.0.branch2.}) or nothing at the top, and {@code k} counts that op kind at that level from 1
 * ({@code relu1}, {@code layer1.0.relu2}, {@code stage3.1.branch1.slice1}). Unlike {@code FusedGraph}, which
 * names only the activations it could not fuse, every activation is a node here.
 *
 * <h2>Shapes</h2>
 * {@link GraphNode#outputShape()} is per image: {@code [C, H, W]} for feature maps, {@code [features]} after
 * {@code flatten} and {@code linear}. The input node's shape is {@link Architecture#inputShape()}, the last
 * node's is {@code [classes]}.
 */
public final class ModelGraph {

    /** The graph's input node: the image batch, {@code [C, H, W]} per image. */
    public static final String INPUT = "input";
    public static final String CONV = "conv", LINEAR = "linear", BATCH_NORM = "bn";
    public static final String RELU = "relu", LEAKY_RELU = "leaky_relu", RELU6 = "relu6", HARD_SWISH = "hardswish";
    public static final String MAX_POOL = "maxpool", AVG_POOL = "avgpool", GLOBAL_AVG_POOL = "globalavgpool", FLATTEN = "flatten";
    /** A residual join: {@code inputs().get(0) + inputs().get(1)} (body, then shortcut), same shapes. */
    public static final String ADD = "add";
    /** Channel concatenation of its inputs in order (same height and width). */
    public static final String CONCAT = "concat";
    /** Channels {@code [from, to)} of its input ({@link Layer.ChannelSlice}). */
    public static final String SLICE = "slice";
    /** ShuffleNet's channel shuffle ({@link Layer.ChannelShuffle}). */
    public static final String SHUFFLE = "shuffle";

    /**
     * One op of the graph.
     *
     * @param name unique, stable path name (see the class comment)
     * @param op the op kind: one of this class's constants ({@link #CONV}, {@link #ADD}, …)
     * @param inputs names of the nodes it reads, in argument order (an add: body, shortcut; a concat: its
     *     branches in order); empty for the input node; a name may repeat (a concat of two identity branches)
     * @param outputShape per image: {@code [C, H, W]} or {@code [features]}
     * @param layer the layer it runs: for an add the whole {@link Layer.Residual}, for a concat the whole
     *     {@link Layer.Concat}; {@code null} for the input node
     */
    public record GraphNode(String name, String op, List<String> inputs, int[] outputShape, Layer layer) {
        public GraphNode {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(op, "op");
            inputs = List.copyOf(inputs);
            outputShape = outputShape.clone();
        }

        @Override public int[] outputShape() { return outputShape.clone(); }

        /** Channels of the output ({@code C} of {@code [C, H, W]}), or its features after a flatten. */
        public int channels() { return outputShape[0]; }

        @Override public boolean equals(Object o) {
            return o instanceof GraphNode n && name.equals(n.name) && op.equals(n.op) && inputs.equals(n.inputs)
                    && Arrays.equals(outputShape, n.outputShape) && Objects.equals(layer, n.layer);
        }
        @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(outputShape); }
        @Override public String toString() { return name + " = " + op + inputs + " → " + Arrays.toString(outputShape); }
    }

    private final Architecture architecture;
    private final List<GraphNode> nodes;
    private final Map<String, GraphNode> byName = new LinkedHashMap<>();
    private final Map<String, List<GraphNode>> consumers = new HashMap<>();

    private ModelGraph(Architecture architecture, List<GraphNode> nodes) {
        this.architecture = architecture;
        this.nodes = Collections.unmodifiableList(nodes);
        for (GraphNode n : nodes) {
            for (String in : n.inputs()) {
                if (!byName.containsKey(in)) {
                    throw new IllegalArgumentException("Graph of " + architecture.name() + ": node '" + n.name() + "' reads '" + in
                            + "', which is not among the nodes before it " + byName.keySet() + "; list nodes in topological order");
                }
            }
            if (byName.put(n.name(), n) != null) {
                throw new IllegalArgumentException("Graph of " + architecture.name() + ": two nodes are named '" + n.name() + "'");
            }
            consumers.put(n.name(), new ArrayList<>());
            for (String in : n.inputs().stream().distinct().toList()) consumers.get(in).add(n);
        }
    }

    /** The graph of {@code architecture}, nodes in topological order. */
    public static ModelGraph of(Architecture architecture) {
        Builder b = new Builder(architecture);
        int[] in = architecture.inputShape();
        b.nodes.add(new GraphNode(INPUT, INPUT, List.of(), in, null));
        b.build(architecture.layers(), "", INPUT, in);
        return new ModelGraph(architecture, b.nodes);
    }

    /**
     * A graph built by hand, for ops no {@link Layer} describes (yet): code that walks graphs must
     * handle an op kind it does not know ({@code ChannelGroups} keeps every channel such an op touches).
     *
     * @param nodes in topological order, the first the input ({@link #INPUT}), the last the output
     * @throws IllegalArgumentException when a node reads one that does not come before it, or two share a name
     */
    public static ModelGraph of(Architecture architecture, List<GraphNode> nodes) {
        if (nodes.isEmpty() || !nodes.get(0).op().equals(INPUT)) {
            throw new IllegalArgumentException("Graph of " + architecture.name() + ": the first node must be the '" + INPUT + "' op, got "
                    + (nodes.isEmpty() ? "no nodes" : nodes.get(0)));
        }
        return new ModelGraph(architecture, new ArrayList<>(nodes));
    }

    public Architecture architecture() { return architecture; }

    /** Every node in topological order, the input first and the logits last. */
    public List<GraphNode> nodes() { return nodes; }

    /** The input node ({@link #INPUT}). */
    public GraphNode input() { return nodes.get(0); }

    /** The last node: the model's output ({@code [classes]} for a classifier). */
    public GraphNode output() { return nodes.get(nodes.size() - 1); }

    /**
     * One node by name.
     *
     * @throws IllegalArgumentException naming the valid nodes when there is none of that name
     */
    public GraphNode node(String name) {
        GraphNode n = byName.get(name);
        if (n == null) {
            throw new IllegalArgumentException("No node named '" + name + "' in the graph of " + architecture.name()
                    + "; its nodes are " + byName.keySet());
        }
        return n;
    }

    /** The nodes {@code name} reads, each once, in argument order. */
    public List<GraphNode> producers(String name) {
        return node(name).inputs().stream().distinct().map(byName::get).toList();
    }

    /** The nodes that read {@code name}'s output, each once, in topological order. */
    public List<GraphNode> consumers(String name) {
        node(name);
        return List.copyOf(consumers.get(name));
    }

    /** One row per node: node, op, inputs, output shape (per image), layer. */
    public Table table() {
        StringColumn name = StringColumn.create("node"), op = StringColumn.create("op"), inputs = StringColumn.create("inputs"),
                shape = StringColumn.create("output shape"), layer = StringColumn.create("layer");
        for (GraphNode n : nodes) {
            name.append(n.name());
            op.append(n.op());
            inputs.append(String.join(", ", n.inputs()));
            shape.append(Arrays.toString(n.outputShape));
            layer.append(n.layer() == null ? "" : n.layer().describe());
        }
        return Table.create("graph of " + architecture.name(), name, op, inputs, shape, layer);
    }

    @Override public String toString() {
        return "ModelGraph(" + architecture.name() + ": " + nodes.size() + " nodes)";
    }

    /** Walks the layer tree in the order {@link NodeNames} and {@code FusedGraph} do, so their names line up. */
    private static final class Builder {
        final String where;
        final List<GraphNode> nodes = new ArrayList<>();
        final NodeNames.Cursor weighted, blocks;
        int[] shape; // per-image shape after the last build()

        Builder(Architecture arch) {
            where = arch.name();
            weighted = new NodeNames.Cursor(NodeNames.weightedNodes(arch));
            blocks = new NodeNames.Cursor(NodeNames.blocks(arch));
        }

        private String weightedName(Layer l) {
            String n = weighted.take(l);
            if (n == null) {
                throw new IllegalStateException(where + ": " + l.describe() + " has no NodeNames name at this position"
                        + " (a weighted layer nested where NodeNames does not name it)");
            }
            return n;
        }

        private String blockName(Layer l) { return blocks.take(l); }

        /** Adds the nodes of {@code layers} reading {@code in} (per-image shape {@code s}); returns the last node's name. */
        String build(List<Layer> layers, String level, String in, int[] s) {
            Map<String, Integer> counts = new HashMap<>();
            String cur = in;
            for (Layer l : layers) {
                switch (l) {
                    case Layer.Conv2d c -> cur = add(weightedName(l), CONV, List.of(cur), s = after(s, l), l);
                    case Layer.Linear f -> cur = add(weightedName(l), LINEAR, List.of(cur), s = after(s, l), l);
                    case Layer.BatchNorm b -> cur = add(weightedName(l), BATCH_NORM, List.of(cur), s = after(s, l), l);
                    case Layer.Residual r -> {
                        String block = blockName(l);
                        if (block == null) block = generic(level, ADD, counts);
                        String body = build(r.body(), block + ".", cur, s);
                        int[] out = shape;
                        String shortcut = build(r.shortcut(), block + ".downsample.", cur, s);
                        cur = add(block, ADD, List.of(body, shortcut), s = out, l);
                    }
                    case Layer.Concat c -> {
                        String unit = blockName(l);
                        if (unit == null) unit = generic(level, CONCAT, counts);
                        List<String> outs = new ArrayList<>();
                        for (int b = 0; b < c.branches().size(); b++) outs.add(build(c.branches().get(b), unit + ".branch" + (b + 1) + ".", cur, s));
                        cur = add(unit, CONCAT, outs, s = after(s, l), l);
                    }
                    default -> {
                        String op = switch (l) {
                            case Layer.Relu x -> RELU;
                            case Layer.LeakyRelu x -> LEAKY_RELU;
                            case Layer.Relu6 x -> RELU6;
                            case Layer.HardSwish x -> HARD_SWISH;
                            case Layer.MaxPool x -> MAX_POOL;
                            case Layer.AvgPool x -> AVG_POOL;
                            case Layer.GlobalAvgPool x -> GLOBAL_AVG_POOL;
                            case Layer.Flatten x -> FLATTEN;
                            case Layer.ChannelSlice x -> SLICE;
                            case Layer.ChannelShuffle x -> SHUFFLE;
                            default -> throw new IllegalStateException("unhandled layer " + l);
                        };
                        cur = add(generic(level, op, counts), op, List.of(cur), s = after(s, l), l);
                    }
                }
            }
            shape = s;
            return cur;
        }

        private static String generic(String level, String op, Map<String, Integer> counts) {
            return level + op + counts.merge(op, 1, Integer::sum);
        }

        private int[] after(int[] s, Layer l) { return Architecture.outputShape(s, List.of(l), where); }

        private String add(String name, String op, List<String> inputs, int[] shape, Layer l) {
            nodes.add(new GraphNode(name, op, inputs, shape, l));
            return name;
        }
    }
}
