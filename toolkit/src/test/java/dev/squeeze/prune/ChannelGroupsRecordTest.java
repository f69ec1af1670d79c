package dev.squeeze.prune;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Zoo;
import dev.squeeze.quant.Int8Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The channel groups of every zoo model as the tree walker found them before {@link ChannelGroups}
 * read them from the model graph's edges ({@code channel-groups-tree-walker.txt}, written by the tree
 * walker before the graph-based rules replaced it): the graph-based rules must find the same groups,
 * member by member, with the same channel counts, prunable flags and reasons.
 *
 * <p>ShuffleNetV2 is left out of the comparison on purpose: the tree walker fixed every channel next to
 * a concat ("not followed yet"), while the graph's rules now follow concats, channel splits and shuffles,
 * so almost all of its groups changed (its 37 prunable groups are checked in
 * {@code StructuredPruningTest.shuffleNetV2IsPrunedThroughItsChannelShufflesAndSplits}). Every other
 * model must match the record line for line.
 */
class ChannelGroupsRecordTest {
    static final String RECORD = "channel-groups-tree-walker.txt";

    static List<Architecture> models() {
        List<Architecture> out = new ArrayList<>();
        for (String name : Zoo.NAMES) {
            boolean gray = name.startsWith("keras") || name.startsWith("lenet");
            out.add(Zoo.get(name, gray ? new int[] {1, 28, 28} : new int[] {3, 32, 32}, 10));
        }
        out.add(Int8Fixtures.tinyResNet(1, new Layer.AvgPool(2, 2, 0)));
        out.add(renamed(Int8Fixtures.tinyResNet(8, new Layer.AvgPool(2, 2, 0)), "tiny-resnet-depthwise"));
        return out;
    }

    static Architecture renamed(Architecture a, String name) { return new Architecture(name, a.inputShape(), a.layers()); }

    /** One line per group (id, channels, prunable, reason, members as node:role:featuresPerChannel) and per node's output and input group. */
    static List<String> describe(ChannelGroups g) {
        List<String> lines = new ArrayList<>();
        String m = g.architecture().name();
        for (ChannelGroups.Group group : g.groups()) {
            List<String> members = group.members().stream()
                    .map(x -> x.node() + ":" + x.role().name().toLowerCase(java.util.Locale.ROOT) + ":" + x.featuresPerChannel()).toList();
            lines.add(m + "\tgroup " + group.id() + "\t" + group.channels() + "\t" + (group.prunable() ? "prunable" : "fixed")
                    + "\t" + group.reason() + "\t" + String.join(", ", members));
        }
        for (String node : dev.squeeze.model.NodeNames.convAndLinear(g.architecture()).keySet()) {
            lines.add(m + "\tnode " + node + "\tin " + g.inputGroupOf(node).id() + "\tout " + g.outputGroupOf(node).id());
        }
        return lines;
    }

    static List<String> recorded() throws IOException {
        try (InputStream in = ChannelGroupsRecordTest.class.getResourceAsStream(RECORD)) {
            if (in == null) return null;
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** The record without ShuffleNetV2's lines (see the class comment). */
    static List<String> intended(List<String> recorded) {
        return recorded.stream().filter(line -> !line.startsWith("shufflenetv2\t")).toList();
    }

    @Test
    void everyZooModelHasTheRecordedGroups() throws IOException {
        List<String> now = new ArrayList<>();
        for (Architecture a : models()) if (!a.name().equals("shufflenetv2")) now.addAll(describe(ChannelGroups.of(a)));
        List<String> before = recorded();
        if (before == null) {
            Path p = Path.of("target", RECORD);
            Files.write(p, now);
            fail("no " + RECORD + " among the test resources; wrote today's groups to " + p.toAbsolutePath()
                    + ": check it and copy it to src/test/resources/dev/squeeze/prune/");
        }
        List<String> want = intended(before);
        assertTrue(want.size() < before.size() && want.size() > 100, "the record holds ShuffleNetV2 and the other models: " + want.size() + " of " + before.size());
        assertEquals(String.join("\n", want), String.join("\n", now));
    }
}
