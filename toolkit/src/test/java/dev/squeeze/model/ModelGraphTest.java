package dev.squeeze.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.model.ModelGraph.GraphNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

class ModelGraphTest {
    static final int[] CIFAR = {3, 32, 32};
    static final int[] MNIST = {1, 28, 28};

    static Architecture zoo(String name) {
        boolean gray = name.startsWith("keras") || name.startsWith("lenet");
        return Zoo.get(name, gray ? MNIST : CIFAR, 10);
    }

    static List<String> names(List<GraphNode> nodes) { return nodes.stream().map(GraphNode::name).toList(); }

    @Test
    void everyZooGraphIsTopologicalWithNodeNamesNamesAndTheArchitecturesShapes() {
        for (String model : Zoo.NAMES) {
            Architecture a = zoo(model);
            ModelGraph g = ModelGraph.of(a);
            Set<String> seen = new HashSet<>();
            for (GraphNode n : g.nodes()) {
                for (String in : n.inputs()) assertTrue(seen.contains(in), model + ": " + n + " reads " + in + " before it exists");
                assertTrue(seen.add(n.name()), model + ": duplicate " + n.name());
            }
            assertEquals(ModelGraph.INPUT, g.nodes().get(0).name());
            assertArrayEquals(a.inputShape(), g.input().outputShape());
            assertArrayEquals(a.outputShape(), g.output().outputShape(), model);
            // Weighted nodes carry exactly NodeNames' names, in parameter order; joins carry the block names.
            List<String> weighted = new ArrayList<>(), joins = new ArrayList<>();
            for (GraphNode n : g.nodes()) {
                if (List.of(ModelGraph.CONV, ModelGraph.LINEAR, ModelGraph.BATCH_NORM).contains(n.op())) weighted.add(n.name());
                if (List.of(ModelGraph.ADD, ModelGraph.CONCAT).contains(n.op())) joins.add(n.name());
            }
            assertEquals(NodeNames.weightedNodes(a).stream().map(NodeNames.Node::name).toList(), weighted, model);
            assertEquals(NodeNames.blocks(a).stream().map(NodeNames.Node::name).sorted().toList(), joins.stream().sorted().toList(), model);
            // Every layer of the flattened architecture is one node (plus the input).
            assertEquals(a.flatLayers().size() + 1, g.nodes().size(), model);
            // Each node's shape is what the architecture computes for its layer on its first input's shape.
            for (GraphNode n : g.nodes()) {
                if (n.layer() == null) continue;
                int[] in = g.node(n.inputs().get(0)).outputShape();
                if (n.op().equals(ModelGraph.ADD)) {
                    assertArrayEquals(n.outputShape(), g.node(n.inputs().get(1)).outputShape(), "both sides of " + n.name());
                } else if (!n.op().equals(ModelGraph.CONCAT)) {
                    assertArrayEquals(Architecture.outputShape(in, List.of(n.layer()), model), n.outputShape(), n.name());
                }
            }
        }
    }

    @Test
    void resnet18JoinsListBodyAndShortcut() {
        ModelGraph g = ModelGraph.of(Zoo.resnet18(CIFAR, 10));
        assertEquals(List.of("conv1"), g.node("bn1").inputs());
        assertEquals(List.of("layer1.0.bn2", "relu1"), g.node("layer1.0").inputs(), "identity shortcut: the block's input");
        assertEquals(List.of("layer2.0.bn2", "layer2.0.downsample.1"), g.node("layer2.0").inputs());
        assertEquals(List.of("relu3"), g.node("layer2.0.downsample.0").inputs());
        assertEquals(ModelGraph.ADD, g.node("layer2.0").op());
        assertArrayEquals(new int[] {128, 16, 16}, g.node("layer2.0").outputShape());
        assertEquals(128, g.node("layer2.0").channels());
        assertEquals(List.of("layer1.0.conv2"), names(g.consumers("layer1.0.relu1")));
        // The stem's ReLU feeds the first block's body and its identity shortcut (the add).
        assertEquals(List.of("layer1.0.conv1", "layer1.0"), names(g.consumers("relu1")));
        assertEquals(List.of("layer1.0.bn2", "relu1"), names(g.producers("layer1.0")));
        assertEquals("fc", g.output().name());
        assertEquals(List.of("flatten1"), g.output().inputs());
        assertArrayEquals(new int[] {512}, g.node("flatten1").outputShape());
        assertTrue(g.consumers("fc").isEmpty());
    }

    @Test
    void shuffleNetV2ConcatsListTheirBranchesInOrderAndSplitsReadTheShuffle() {
        ModelGraph g = ModelGraph.of(zoo("shufflenetv2"));
        assertEquals(List.of("stage2.0.branch1.relu1", "stage2.0.branch2.relu2"), g.node("stage2.0").inputs());
        assertEquals(List.of("stage2.0"), g.node("shuffle1").inputs());
        assertEquals(List.of("stage2.1.branch1.slice1", "stage2.1.branch2.slice1"), names(g.consumers("shuffle1")));
        assertEquals(List.of("stage2.1.branch1.slice1", "stage2.1.branch2.relu2"), g.node("stage2.1").inputs());
        assertEquals(new Layer.ChannelSlice(58, 116), g.node("stage2.1.branch2.slice1").layer());
        assertArrayEquals(new int[] {58, 16, 16}, g.node("stage2.1.branch2.slice1").outputShape());
        assertArrayEquals(new int[] {116, 16, 16}, g.node("stage2.1").outputShape());
        assertEquals(ModelGraph.SHUFFLE, g.node("shuffle2").op());
        // Both first-unit branches read the stem's ReLU.
        assertEquals(List.of("stage2.0.branch1.conv1", "stage2.0.branch2.conv1"), names(g.consumers("relu1")));
    }

    @Test
    void aConcatOfIdentityBranchesReadsItsInputTwice() {
        Architecture a = new Architecture("twice", new int[] {8, 4, 4}, List.of(
                new Layer.Concat(List.of(List.of(), List.of())), new Layer.GlobalAvgPool(), new Layer.Flatten(), new Layer.Linear(16, 2, true)));
        ModelGraph g = ModelGraph.of(a);
        assertEquals(List.of("input", "input"), g.node("stage2.0").inputs());
        assertEquals(List.of("input"), names(g.producers("stage2.0")));
        assertEquals(List.of("stage2.0"), names(g.consumers("input")));
        assertArrayEquals(new int[] {16, 4, 4}, g.node("stage2.0").outputShape());
    }

    @Test
    void anUnknownNodeNamesTheValidOnes() {
        ModelGraph g = ModelGraph.of(zoo("seed-cnn"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.node("layer9.conv1"));
        assertTrue(e.getMessage().contains("layer9.conv1") && e.getMessage().contains("fc3") && e.getMessage().contains("maxpool2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> g.consumers("nope"));
    }

    @Test
    void tableHasOneRowPerNode() {
        ModelGraph g = ModelGraph.of(zoo("seed-cnn"));
        Table t = g.table();
        assertEquals(List.of("node", "op", "inputs", "output shape", "layer"), t.columnNames());
        assertEquals(g.nodes().size(), t.rowCount());
        assertEquals(List.of("input", "conv1", "relu1", "maxpool1", "conv2", "relu2", "maxpool2", "flatten1", "fc1", "relu3", "fc2", "relu4", "fc3"),
                t.stringColumn("node").asList());
        assertEquals("[16, 28, 28]", t.stringColumn("output shape").get(1));
        assertEquals("conv1", t.stringColumn("inputs").get(2));
    }
}
