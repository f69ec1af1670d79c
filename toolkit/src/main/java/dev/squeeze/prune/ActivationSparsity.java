package dev.squeeze.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Network;
import dev.squeeze.model.NodeNames;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * How many activations are exactly zero after each ReLU (and ReLU6, hard-swish), per layer (seed 002's activation pruning):
 * the sparsity a zero-skipping kernel could exploit, and a sign of dead channels that structured pruning
 * can remove outright. Runs the network's own libtorch blocks one at a time, in inference mode.
 */
public final class ActivationSparsity {
    private ActivationSparsity() {}

    /**
     * One activation.
     *
     * @param after the weighted node (or residual block) the ReLU follows, e.g. {@code layer1.0.bn1} or {@code layer1.0 (add)}
     * @param elements activations counted (images × channels × height × width)
     * @param zeroFraction exactly-zero fraction
     */
    public record Row(String after, long elements, double zeroFraction) {}

    /** Zero fractions after every ReLU, ReLU6 and hard-swish for the first {@code images} images of {@code data}, unaugmented. */
    public static List<Row> measure(Network net, ImageSet data, Preprocessing preprocessing, int images) {
        int n = Math.min(images, data.size());
        if (n <= 0) throw new IllegalArgumentException("measure at least one image, got " + images + " of " + data.size());
        int[] in = net.architecture().inputShape();
        float[] x = new BatchMaker(data, preprocessing.withAugmentation(0, false)).batch(0, n);
        List<Row> rows = new ArrayList<>();
        try (NDManager m = net.djlModel().getNDManager().newSubManager()) {
            NDArray input = m.create(FloatBuffer.wrap(x, 0, n * in[0] * in[1] * in[2]), new Shape(n, in[0], in[1], in[2]));
            Walk w = new Walk(new ParameterStore(m, false), NodeNames.weightedNodes(net.architecture()).iterator(), rows);
            w.sequence(net.architecture().layers(), (SequentialBlock) net.djlModel().getBlock(), input, "");
        }
        return rows;
    }

    /** The rows as a table. */
    public static Table table(List<Row> rows, String title) {
        StringColumn after = StringColumn.create("after");
        LongColumn elements = LongColumn.create("activations");
        DoubleColumn zero = DoubleColumn.create("zero fraction");
        for (Row r : rows) { after.append(r.after()); elements.append(r.elements()); zero.append(r.zeroFraction()); }
        return Table.create(title, after, elements, zero);
    }

    private static final class Walk {
        final ParameterStore store;
        final Iterator<NodeNames.Node> names;
        final List<Row> rows;
        String lastNode = "input";
        int blocks;

        Walk(ParameterStore store, Iterator<NodeNames.Node> names, List<Row> rows) {
            this.store = store;
            this.names = names;
            this.rows = rows;
        }

        NDArray sequence(List<Layer> layers, SequentialBlock block, NDArray x, String prefix) {
            List<Block> children = block.getChildren().values();
            if (children.size() != layers.size()) throw new IllegalStateException("block has " + children.size() + " children for " + layers.size() + " layers");
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                Block b = children.get(i);
                switch (l) {
                    case Layer.Conv2d c -> { lastNode = names.next().name(); x = forward(b, x); }
                    case Layer.Linear f -> { lastNode = names.next().name(); x = forward(b, x); }
                    case Layer.BatchNorm bn -> { lastNode = names.next().name(); x = forward(b, x); }
                    case Layer.Concat c -> {
                        List<Block> branches = ((ParallelBlock) b).getChildren().values();
                        NDList parts = new NDList();
                        for (int k = 0; k < c.branches().size(); k++) {
                            List<Layer> branch = c.branches().get(k);
                            parts.add(branch.isEmpty() ? x : sequence(branch, (SequentialBlock) branches.get(k), x, prefix));
                        }
                        x = NDArrays.concat(parts, 1);
                        String node = lastNode;
                        int unit = node.indexOf(".branch");
                        lastNode = (unit >= 0 ? node.substring(0, unit) : node) + " (concat)";
                    }
                    case Layer.Residual r -> {
                        List<Block> branches = ((ParallelBlock) b).getChildren().values();
                        NDArray body = sequence(r.body(), (SequentialBlock) branches.get(0), x, prefix);
                        NDArray shortcut = r.shortcut().isEmpty() ? x : sequence(r.shortcut(), (SequentialBlock) branches.get(1), x, prefix);
                        x = body.add(shortcut);
                        String node = lastNode;
                        lastNode = node.contains(".") ? node.substring(0, node.indexOf('.', node.indexOf('.') + 1)) + " (add)" : node + " (add)";
                    }
                    case Layer.Relu relu -> x = counted(b, x);
                    case Layer.Relu6 relu6 -> x = counted(b, x);
                    // Hard-swish is exactly zero for x ≤ −3: the same zero-skipping opportunity.
                    case Layer.HardSwish hardSwish -> x = counted(b, x);
                    default -> x = forward(b, x);
                }
            }
            return x;
        }

        /** Runs an activation and records its exactly-zero fraction under the node it follows. */
        NDArray counted(Block b, NDArray x) {
            NDArray y = forward(b, x);
            long total = y.getShape().size();
            long zeros = total - y.countNonzero().getLong();
            rows.add(new Row(lastNode, total, (double) zeros / total));
            return y;
        }

        NDArray forward(Block b, NDArray x) { return b.forward(store, new NDList(x), false).singletonOrThrow(); }
    }
}
