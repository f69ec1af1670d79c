package dev.squeeze.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes of an {@link Architecture} whose outputs can be recorded during a forward pass
 * ({@link Network#recordFeatures}), by their torchvision-style path names, with each one's per-image
 * output shape. Feature-based distillation (FitNets hints, FSP matrices, relational terms on features)
 * names the layers it compares this way.
 *
 * <p>The tappable nodes, in forward order:
 * <ul>
 *   <li>every convolution, batch norm and linear layer, by its {@link NodeNames} name ({@code conv1},
 *       {@code bn1}, {@code layer2.0.conv1}, {@code layer2.0.downsample.0}, {@code fc}): the layer's own
 *       output, before any activation that follows it;</li>
 *   <li>every residual block ({@code layer2.0}): the sum of body and shortcut, taken after the ReLU that
 *       directly follows the block when there is one, as torchvision's {@code BasicBlock} ends in its ReLU;</li>
 *   <li>every stage ({@code layer2}): the output of its last block, as above.</li>
 * </ul>
 * Activations, pooling and flatten have no name of their own. Layers inside a residual block that
 * is itself a shortcut are not tappable.
 *
 * <p>Shapes are per image: {@code [C, H, W]} for feature maps, {@code [features]} after a flatten.
 */
public final class FeatureTaps {
    private final String network;
    /** Position key (see {@link #key}) → node names whose output is the output of the layer at that position. */
    private final Map<String, List<String>> namesAt = new LinkedHashMap<>();
    /** Node name → per-image output shape, in forward order. */
    private final Map<String, int[]> shapes = new LinkedHashMap<>();
    /** Position key → convolution and linear nodes that read the tensor entering the layer at that position. */
    private final Map<String, List<String>> inputsAt = new LinkedHashMap<>();
    /** Convolution or linear node name → per-image shape of its input, in forward order. */
    private final Map<String, int[]> inputShapes = new LinkedHashMap<>();

    private FeatureTaps(Architecture a) {
        this.network = a.name();
        plan(a.layers(), "", "", a.inputShape());
    }

    /** The tappable nodes of {@code architecture}. */
    public static FeatureTaps of(Architecture architecture) { return new FeatureTaps(architecture); }

    /** Every tappable node name, in forward order. */
    public List<String> names() { return List.copyOf(shapes.keySet()); }

    /**
     * One node's per-image output shape ({@code [C, H, W]} or {@code [features]}).
     *
     * @throws IllegalArgumentException naming the valid nodes when {@code node} is not one of them
     */
    public int[] shape(String node) {
        int[] s = shapes.get(node);
        if (s == null) throw unknown(node);
        return s.clone();
    }

    /**
     * The convolution and linear nodes whose <em>inputs</em> can be recorded ({@link Network#recordInputs}),
     * in forward order: every one that is tappable, e.g. {@code layer1.0.conv2}, whose input is the ReLU after {@code layer1.0.bn1}.
     */
    public List<String> inputNames() { return List.copyOf(inputShapes.keySet()); }

    /**
     * Per-image shape of one convolution or linear node's input ({@code [C, H, W]}, or {@code [features]} after a flatten).
     *
     * @throws IllegalArgumentException naming the valid nodes when {@code node} is not one of them
     */
    public int[] inputShape(String node) {
        int[] s = inputShapes.get(node);
        if (s == null) {
            throw new IllegalArgumentException("No convolution or linear node named '" + node + "' in " + network
                    + " whose input can be recorded; those are " + inputShapes.keySet());
        }
        return s.clone();
    }

    /** The nodes whose input is the tensor entering the layer at {@code key}; empty if none. */
    List<String> inputsAt(String key) { return inputsAt.getOrDefault(key, List.of()); }

    IllegalArgumentException unknown(String node) {
        return new IllegalArgumentException("No node named '" + node + "' in " + network + "; the nodes whose outputs can be"
                + " tapped are " + shapes.keySet());
    }

    /** The node names recorded after the layer at {@code key}; empty if none. */
    List<String> namesAt(String key) { return namesAt.getOrDefault(key, List.of()); }

    /**
     * A layer's position: its index in its list, prefixed by the path of enclosing residual blocks
     * ({@code "3.b.1"}: second layer of the body of top-level layer 3; {@code ".s."} for a shortcut).
     */
    static String key(String path, int index) { return path + index; }

    /** Mirrors {@link NodeNames}' counting so that tap names and parameter names agree. */
    private int[] plan(List<Layer> layers, String prefix, String path, int[] in) {
        long linears = layers.stream().filter(l -> l instanceof Layer.Linear).count();
        int conv = 0, bn = 0, fc = 0, stage = 0, block = 0, concatStage = 0, concatUnit = 0;
        int[] s = in;
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String key = key(path, i);
            switch (l) {
                case Layer.Conv2d c -> {
                    addInput(key, prefix + "conv" + (conv + 1), s);
                    add(key, prefix + "conv" + (++conv), s = shapeAfter(s, l));
                }
                case Layer.BatchNorm b -> add(key, prefix + "bn" + (++bn), s = shapeAfter(s, l));
                case Layer.Linear f -> {
                    String name = prefix + (linears == 1 ? "fc" : "fc" + (++fc));
                    addInput(key, name, s);
                    add(key, name, s = shapeAfter(s, l));
                }
                case Layer.Concat c -> {
                    // A ShuffleNetV2 unit is tapped whole, after its channel shuffle when one follows
                    // (torchvision's unit returns the shuffled tensor); layers inside branches are not tapped.
                    boolean splits = c.branches().stream().anyMatch(b -> !b.isEmpty() && b.get(0) instanceof Layer.ChannelSlice);
                    if (concatStage == 0 || !splits) { concatStage++; concatUnit = 0; }
                    s = shapeAfter(s, l);
                    String at = i + 1 < layers.size() && layers.get(i + 1) instanceof Layer.ChannelShuffle ? key(path, i + 1) : key;
                    add(at, prefix + "stage" + (concatStage + 1) + "." + (concatUnit++), s);
                }
                case Layer.Residual r -> {
                    if (stage == 0 || !r.shortcut().isEmpty()) { stage++; block = 0; }
                    String blockName = prefix + "layer" + stage + "." + (block++);
                    int[] out = plan(r.body(), blockName + ".", key + ".b.", s);
                    int[] shortcut = s;
                    for (int k = 0; k < r.shortcut().size(); k++) {
                        Layer x = r.shortcut().get(k);
                        if (x instanceof Layer.Conv2d || x instanceof Layer.Linear) addInput(key(key + ".s.", k), blockName + ".downsample." + k, shortcut);
                        shortcut = shapeAfter(shortcut, x);
                        if (x instanceof Layer.Conv2d || x instanceof Layer.Linear || x instanceof Layer.BatchNorm) {
                            add(key(key + ".s.", k), blockName + ".downsample." + k, shortcut);
                        }
                    }
                    s = out;
                    // torchvision's BasicBlock returns relu(body + shortcut): take the block after its ReLU.
                    String at = i + 1 < layers.size() && layers.get(i + 1) instanceof Layer.Relu ? key(path, i + 1) : key;
                    add(at, blockName, s);
                    if (lastOfStage(layers, i)) add(at, prefix + "layer" + stage, s);
                }
                default -> s = shapeAfter(s, l);
            }
        }
        return s;
    }

    /** Whether no later residual block of this list continues the stage of the block at {@code i}. */
    private static boolean lastOfStage(List<Layer> layers, int i) {
        for (int j = i + 1; j < layers.size(); j++) {
            if (layers.get(j) instanceof Layer.Residual r) return !r.shortcut().isEmpty();
        }
        return true;
    }

    private int[] shapeAfter(int[] s, Layer l) { return Architecture.outputShape(s, List.of(l), network); }

    private void addInput(String key, String name, int[] shape) {
        inputsAt.computeIfAbsent(key, k -> new ArrayList<>()).add(name);
        inputShapes.put(name, shape.clone());
    }

    private void add(String key, String name, int[] shape) {
        namesAt.computeIfAbsent(key, k -> new ArrayList<>()).add(name);
        shapes.put(name, shape.clone());
    }

    @Override public String toString() {
        List<String> rows = new ArrayList<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) rows.add(e.getKey() + " " + Arrays.toString(e.getValue()));
        return network + " feature nodes: " + Collections.unmodifiableList(rows);
    }
}
