package dev.squeeze.prune;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.ModelGraph;
import dev.squeeze.model.ModelGraph.GraphNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The channels that must be removed together, found by following the edges of the model's
 * {@link ModelGraph} (Torch-Pruning's DepGraph idea) with one rule per op kind, never per model.
 * Every tensor between nodes is a sequence of <em>channel spaces</em>, one after another (a single
 * space almost everywhere; several after a concat); the op rules connect spaces:
 * <ul>
 *   <li>{@code conv} and {@code linear} consume their input's spaces (input channels / features) and open
 *       a new output space (their output channels, their bias);</li>
 *   <li>{@code bn}, activations, pooling and {@code flatten} pass their input's spaces through (BatchNorm's
 *       γ, β and running statistics are members of them; after flatten each channel is {@code H·W}
 *       consecutive features);</li>
 *   <li>a depthwise {@code conv} ties its output channels to its input channels: the same spaces;</li>
 *   <li>{@code add} ties its two inputs space by space into one (the body's output, the shortcut's output
 *       or the block's input, and everything after the add);</li>
 *   <li>{@code concat} lays its inputs' spaces end to end: a consumer of the concat is a member of every
 *       branch's space, at that space's channel offset ({@link Member#offset()});</li>
 *   <li>{@code slice} and {@code shuffle} address channels by position, so the spaces they read are fixed
 *       and their output is a new, fixed space;</li>
 *   <li>a grouped (not depthwise) convolution fixes its input and output spaces.</li>
 * </ul>
 * A space is a <em>group</em>: removing channel {@code c} of a group removes output channel {@code c}
 * of every producer, channel {@code offset + c} of every BatchNorm and depthwise conv and input channel
 * {@code offset + c} of every consumer ({@code offset} is 0 except after a concat). The model's input and output (logits) spaces are fixed. A fixed group is marked unprunable
 * with the reason, never mis-pruned; an op kind without a rule here fixes every space it touches and
 * says so.
 */
public final class ChannelGroups {

    /** How a node takes part in a group. */
    public enum Role {
        /** Output channels of a conv / output features of a linear layer (weight rows, bias). */
        PRODUCER,
        /** γ, β and running statistics of a BatchNorm. */
        BATCH_NORM,
        /** Input channels of a conv / input features of a linear layer (weight columns). */
        CONSUMER,
        /** A depthwise conv: its output channel c is its input channel c. */
        DEPTHWISE
    }

    /**
     * One node in one group.
     *
     * @param featuresPerChannel for a linear consumer after flatten, the {@code H·W} features each channel became; else 1
     * @param offset where the group's channel 0 sits among the node's channels (its input channels for a
     *     consumer, its channels for a BatchNorm or depthwise conv): 0 unless the node reads a concat
     */
    public record Member(String node, Role role, Layer layer, int featuresPerChannel, int offset) {}

    /** One group's channels inside a node's input or output, starting at channel {@code offset}. */
    public record Segment(Group group, int offset) {}

    /** One set of tied channels. */
    public record Group(int id, int channels, List<Member> members, boolean prunable, String reason) {
        public Group { members = List.copyOf(members); }

        /** Nodes of the group, each once, in model order. */
        public List<String> nodes() {
            List<String> out = new ArrayList<>();
            for (Member m : members) if (!out.contains(m.node())) out.add(m.node());
            return out;
        }
    }

    private final Architecture architecture;
    private final List<Group> groups;
    private final Map<String, List<Segment>> outputSegments; // conv, linear, BatchNorm → its output channels' groups
    private final Map<String, List<Segment>> inputSegments;  // conv, linear → its input channels' groups

    private ChannelGroups(Architecture architecture, List<Group> groups, Map<String, List<Segment>> outputSegments,
            Map<String, List<Segment>> inputSegments) {
        this.architecture = architecture;
        this.groups = groups;
        this.outputSegments = outputSegments;
        this.inputSegments = inputSegments;
    }

    /** The groups of {@code arch}, in order of first appearance. */
    public static ChannelGroups of(Architecture arch) { return of(ModelGraph.of(arch)); }

    /** Walks {@code graph}'s nodes in topological order, applying each op kind's rule; groups in order of first appearance. */
    public static ChannelGroups of(ModelGraph graph) {
        Spaces s = new Spaces();
        Map<String, List<Integer>> spacesOf = new HashMap<>();
        for (GraphNode n : graph.nodes()) {
            List<List<Integer>> in = n.inputs().stream().map(spacesOf::get).toList();
            spacesOf.put(n.name(), s.visit(n, in));
        }
        for (int out : spacesOf.get(graph.output().name())) s.fix(out, "the model's output (class logits)");
        return s.finish(graph.architecture());
    }

    public Architecture architecture() { return architecture; }

    public List<Group> groups() { return groups; }

    /** The prunable groups. */
    public List<Group> prunable() { return groups.stream().filter(Group::prunable).toList(); }

    /**
     * The group holding {@code node}'s output channels (a conv, linear or BatchNorm name).
     *
     * @throws IllegalArgumentException for another name, or a node whose channels span several groups (use {@link #outputSegmentsOf})
     */
    public Group outputGroupOf(String node) { return single(node, outputSegmentsOf(node), "output"); }

    /**
     * The group holding {@code node}'s input channels (a conv or linear name).
     *
     * @throws IllegalArgumentException for another name, or a node reading several groups (use {@link #inputSegmentsOf})
     */
    public Group inputGroupOf(String node) { return single(node, inputSegmentsOf(node), "input"); }

    /** The groups of {@code node}'s output channels in channel order (one, unless a BatchNorm or depthwise conv follows a concat). */
    public List<Segment> outputSegmentsOf(String node) {
        List<Segment> s = outputSegments.get(node);
        if (s == null) throw new IllegalArgumentException("no conv, linear or BatchNorm node named '" + node + "'; nodes: " + outputSegments.keySet());
        return s;
    }

    /** The groups of {@code node}'s input channels in channel order (several when it reads a concat). */
    public List<Segment> inputSegmentsOf(String node) {
        List<Segment> s = inputSegments.get(node);
        if (s == null) throw new IllegalArgumentException("no conv or linear node named '" + node + "'; nodes: " + inputSegments.keySet());
        return s;
    }

    private static Group single(String node, List<Segment> segments, String side) {
        if (segments.size() != 1) {
            throw new IllegalArgumentException(node + "'s " + side + " channels span " + segments.size() + " groups (it reads a concat): "
                    + segments.stream().map(x -> "group " + x.group().id() + " at " + x.offset()).toList() + "; use " + side + "SegmentsOf");
        }
        return segments.get(0).group();
    }

    /** One row per group: id, channels, prunable, members (node:role), reason. */
    public Table table() {
        IntColumn id = IntColumn.create("group"), ch = IntColumn.create("channels");
        StringColumn prunable = StringColumn.create("prunable"), members = StringColumn.create("members"), reason = StringColumn.create("reason");
        for (Group g : groups) {
            id.append(g.id());
            ch.append(g.channels());
            prunable.append(g.prunable() ? "yes" : "no");
            members.append(String.join(", ", g.members().stream().map(m -> m.node() + ":" + m.role().name().toLowerCase(java.util.Locale.ROOT)
                    + (m.offset() != 0 ? "@" + m.offset() : "")).toList()));
            reason.append(g.reason());
        }
        return Table.create("channel groups of " + architecture.name(), id, ch, prunable, members, reason);
    }

    @Override public String toString() {
        return "ChannelGroups(" + architecture.name() + ": " + groups.size() + " groups, " + prunable().size() + " prunable)";
    }

    /**
     * Union-find over channel spaces, collecting members as the graph's nodes are visited. A tensor is
     * the list of its spaces in channel order; a space's channel count is fixed when it is opened.
     */
    private static final class Spaces {
        final List<Integer> parent = new ArrayList<>(), channels = new ArrayList<>();
        final List<String> fixedReason = new ArrayList<>();
        final List<List<Member>> members = new ArrayList<>();
        final Map<String, List<Integer>> outSpaces = new LinkedHashMap<>(), inSpaces = new LinkedHashMap<>();

        int space(int c) {
            parent.add(parent.size());
            channels.add(c);
            fixedReason.add(null);
            members.add(new ArrayList<>());
            return parent.size() - 1;
        }

        int find(int s) {
            while (parent.get(s) != s) s = parent.get(s);
            return s;
        }

        void union(int a, int b) {
            int ra = find(a), rb = find(b);
            if (ra == rb) return;
            if (!channels.get(ra).equals(channels.get(rb))) {
                throw new IllegalStateException("tying spaces of " + channels.get(ra) + " and " + channels.get(rb) + " channels");
            }
            int keep = Math.min(ra, rb), drop = Math.max(ra, rb);
            parent.set(drop, keep);
            members.get(keep).addAll(members.get(drop));
            members.get(drop).clear();
            if (fixedReason.get(keep) == null) fixedReason.set(keep, fixedReason.get(drop));
        }

        void fix(int s, String reason) {
            int r = find(s);
            if (fixedReason.get(r) == null) fixedReason.set(r, reason);
        }

        void fixAll(List<Integer> spaces, String reason) { for (int s : spaces) fix(s, reason); }

        int total(List<Integer> spaces) { return spaces.stream().mapToInt(s -> channels.get(find(s))).sum(); }

        /** Adds {@code node} to every space of {@code spaces}, each at its channel offset. */
        void join(List<Integer> spaces, String node, Role role, Layer layer, int featuresPerChannel) {
            int offset = 0;
            for (int s : spaces) {
                members.get(find(s)).add(new Member(node, role, layer, featuresPerChannel, offset));
                offset += channels.get(find(s));
            }
        }

        /** Applies the rule of {@code n}'s op kind to its inputs' spaces; returns its output's spaces. */
        List<Integer> visit(GraphNode n, List<List<Integer>> inputs) {
            List<Integer> in = inputs.isEmpty() ? List.of() : inputs.get(0);
            String name = n.name();
            switch (n.op()) {
                case ModelGraph.INPUT -> {
                    int s = space(n.channels());
                    fix(s, "the model's input (image channels)");
                    return List.of(s);
                }
                case ModelGraph.CONV -> {
                    Layer.Conv2d c = (Layer.Conv2d) n.layer();
                    inSpaces.put(name, in);
                    if (c.groups() > 1 && c.groups() == c.in() && c.groups() == c.out()) { // depthwise: channel c in, channel c out
                        join(in, name, Role.DEPTHWISE, c, 1);
                        outSpaces.put(name, in);
                        return in;
                    }
                    join(in, name, Role.CONSUMER, c, 1);
                    int o = space(c.out());
                    join(List.of(o), name, Role.PRODUCER, c, 1);
                    if (c.groups() > 1) {
                        String why = name + " is a grouped convolution (" + c.groups() + " groups): its channels cannot be removed independently";
                        fixAll(in, why);
                        fix(o, why);
                    }
                    outSpaces.put(name, List.of(o));
                    return List.of(o);
                }
                case ModelGraph.LINEAR -> {
                    Layer.Linear f = (Layer.Linear) n.layer();
                    join(in, name, Role.CONSUMER, f, f.in() / total(in));
                    inSpaces.put(name, in);
                    int o = space(f.out());
                    join(List.of(o), name, Role.PRODUCER, f, 1);
                    outSpaces.put(name, List.of(o));
                    return List.of(o);
                }
                case ModelGraph.BATCH_NORM -> {
                    join(in, name, Role.BATCH_NORM, n.layer(), 1);
                    outSpaces.put(name, in);
                    return in;
                }
                case ModelGraph.RELU, ModelGraph.LEAKY_RELU, ModelGraph.RELU6, ModelGraph.HARD_SWISH,
                        ModelGraph.MAX_POOL, ModelGraph.AVG_POOL, ModelGraph.GLOBAL_AVG_POOL, ModelGraph.FLATTEN -> {
                    return in;
                }
                case ModelGraph.ADD -> {
                    List<Integer> body = inputs.get(0), shortcut = inputs.get(1);
                    if (body.size() == shortcut.size()) {
                        boolean aligned = true;
                        for (int i = 0; i < body.size(); i++) aligned &= channels.get(find(body.get(i))).equals(channels.get(find(shortcut.get(i))));
                        if (aligned) {
                            for (int i = 0; i < body.size(); i++) union(body.get(i), shortcut.get(i));
                            return body;
                        }
                    }
                    String why = "meets " + name + ", an add whose inputs are concatenated from groups of different widths";
                    fixAll(body, why);
                    fixAll(shortcut, why);
                    return body;
                }
                case ModelGraph.CONCAT -> {
                    List<Integer> out = new ArrayList<>();
                    for (List<Integer> b : inputs) out.addAll(b);
                    return out;
                }
                case ModelGraph.SLICE -> {
                    String what = n.layer().describe();
                    fixAll(in, "is split by channel position (" + what + ")");
                    int o = space(n.channels());
                    fix(o, "comes from a channel split (" + what + ")");
                    return List.of(o);
                }
                case ModelGraph.SHUFFLE -> {
                    int groups = ((Layer.ChannelShuffle) n.layer()).groups();
                    fixAll(in, "goes through a channel shuffle (" + groups + " groups), which ties channels by position");
                    int o = space(n.channels());
                    fix(o, "comes out of a channel shuffle (" + groups + " groups), which moves channels by position");
                    return List.of(o);
                }
                default -> {
                    // An op kind without a rule: keep every channel it touches rather than guess.
                    String why = name + " is a '" + n.op() + "' op, for which ChannelGroups has no channel rule";
                    for (List<Integer> i : inputs) fixAll(i, why);
                    int o = space(n.channels());
                    fix(o, why);
                    return List.of(o);
                }
            }
        }

        ChannelGroups finish(Architecture arch) {
            Map<Integer, Integer> ids = new LinkedHashMap<>();
            List<Group> groups = new ArrayList<>();
            for (int s = 0; s < parent.size(); s++) {
                int r = find(s);
                if (ids.containsKey(r) || members.get(r).isEmpty()) continue;
                ids.put(r, groups.size());
                String reason = fixedReason.get(r);
                groups.add(new Group(groups.size(), channels.get(r), members.get(r), reason == null, reason == null ? "" : reason));
            }
            return new ChannelGroups(arch, Collections.unmodifiableList(groups), segments(outSpaces, ids, groups), segments(inSpaces, ids, groups));
        }

        private Map<String, List<Segment>> segments(Map<String, List<Integer>> spaces, Map<Integer, Integer> ids, List<Group> groups) {
            Map<String, List<Segment>> out = new LinkedHashMap<>();
            spaces.forEach((node, list) -> {
                List<Segment> segs = new ArrayList<>();
                int offset = 0;
                for (int s : list) {
                    Group g = groups.get(ids.get(find(s)));
                    segs.add(new Segment(g, offset));
                    offset += g.channels();
                }
                out.put(node, List.copyOf(segs));
            });
            return Collections.unmodifiableMap(out);
        }
    }
}
