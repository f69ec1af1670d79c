package dev.squeeze.prune;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.ModelGraph;
import dev.squeeze.model.ModelGraph.GraphNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rules per op kind read from the graph; the recorded zoo groups are {@link ChannelGroupsRecordTest}'s. */
class ChannelGroupsTest {

    static Architecture small() {
        return new Architecture("small", new int[] {8, 4, 4}, List.of(
                new Layer.Conv2d(8, 16, 1, 1, 0, 1, false), new Layer.HardSwish(),
                new Layer.Conv2d(16, 8, 1, 1, 0, 1, false), new Layer.BatchNorm(8), new Layer.Relu(),
                new Layer.Conv2d(8, 8, 1, 1, 0, 1, true), new Layer.GlobalAvgPool(), new Layer.Flatten(), new Layer.Linear(8, 10, true)));
    }

    @Test
    void anOpWithoutARuleKeepsEveryChannelItTouchesAndSaysWhich() {
        Architecture arch = small();
        // The same graph with the hard-swish swapped for an op kind ChannelGroups has no rule for.
        List<GraphNode> nodes = ModelGraph.of(arch).nodes().stream()
                .map(n -> n.op().equals(ModelGraph.HARD_SWISH) ? new GraphNode("gelu1", "gelu", n.inputs(), n.outputShape(), null) : n)
                .map(n -> n.inputs().contains("hardswish1") ? new GraphNode(n.name(), n.op(), List.of("gelu1"), n.outputShape(), n.layer()) : n)
                .toList();
        ChannelGroups g = ChannelGroups.of(ModelGraph.of(arch, nodes));
        assertTrue(ChannelGroups.of(arch).warnings().isEmpty(), "the same model with hard-swish has a rule for every op");
        for (ChannelGroups.Group group : List.of(g.outputGroupOf("conv1"), g.inputGroupOf("conv2"))) {
            assertFalse(group.prunable(), g.table().print());
            assertEquals("gelu1 is a 'gelu' op, for which ChannelGroups has no channel rule", group.reason());
            assertEquals(List.of("gelu1 is a 'gelu' op, for which ChannelGroups has no channel rule; every channel it reads or writes is kept"), g.warnings());
        }
        assertNotEquals(g.outputGroupOf("conv1"), g.inputGroupOf("conv2"), "no channel correspondence is assumed across it");
        // Groups it does not touch keep their rules.
        assertTrue(g.outputGroupOf("conv2").prunable());
        assertEquals(List.of("conv2", "bn1", "conv3"), g.outputGroupOf("conv2").nodes());
        assertTrue(g.outputGroupOf("conv3").prunable());
        // With the known op, conv1's channels pass through the activation into conv2.
        ChannelGroups known = ChannelGroups.of(arch);
        assertEquals(known.outputGroupOf("conv1"), known.inputGroupOf("conv2"));
        assertTrue(known.outputGroupOf("conv1").prunable());
    }

    @Test
    void aHandBuiltGraphMustBeTopological() {
        Architecture arch = small();
        List<GraphNode> nodes = new java.util.ArrayList<>(ModelGraph.of(arch).nodes());
        java.util.Collections.swap(nodes, 1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelGraph.of(arch, nodes));
        assertTrue(e.getMessage().contains("'hardswish1' reads 'conv1'") && e.getMessage().contains("topological"), e.getMessage());
    }
}
