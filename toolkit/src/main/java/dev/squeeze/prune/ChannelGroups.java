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
 *       branch's space, at that space's channel offset ({@link Member#positions()});</li>
 *   <li>{@code slice} and {@code shuffle} move channels without changing them: a slice's output is channels
 *       {@code [from, to)} of its input's, a shuffle's is its input's in another order, and a consumer
 *       after them is a member of each group at the channels where that group's channels ended up
 *       ({@link Member#positions()}: scattered after a shuffle, partial after a split). Pruning then
 *       moves the slice's bounds and turns the shuffle into a permutation of the survivors;</li>
 *   <li>a grouped (not depthwise) convolution fixes its input and output spaces.</li>
 * </ul>
 * A space is a <em>group</em>: removing channel {@code c} of a group removes output channel {@code c}
 * of every producer, channel {@code position(c)} of every BatchNorm and depthwise conv and input channel
 * {@code position(c)} of every consumer ({@code c} itself unless a concat, slice or shuffle lies between). The model's input and output (logits) spaces are fixed. A fixed group is marked unprunable
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
     * @param positions for each channel {@code c} of the group, the node's channel that holds it (its input
     *     channel for a consumer, its channel for a BatchNorm or depthwise conv), or −1 when the node does not
     *     see it: {@code offset + c} for a node reading a concat, scattered after a channel shuffle, partial
     *     after a channel slice
     */
    public record Member(String node, Role role, Layer layer, int featuresPerChannel, int[] positions) {
        public Member { positions = positions.clone(); }

        /** The node's channel holding group channel {@code c}, or −1. */
        public int position(int c) { return positions[c]; }

        /** Whether the node sees every channel of the group, at consecutive channels. */
        public boolean contiguous() { return ChannelGroups.contiguous(positions); }

        @Override public int[] positions() { return positions.clone(); }
    }

    /**
     * One occurrence of a group's channels inside a node's input or output: group channel {@code c} is the
     * node's channel {@code position(c)}, or absent (−1). Consecutive ({@code offset + c}) unless a channel
     * slice or shuffle lies between the node and the group's producer.
     */
    public record Segment(Group group, int[] positions) {
        public Segment { positions = positions.clone(); }

        /** The group's channels at {@code offset, offset + 1, …}. */
        public Segment(Group group, int offset) { this(group, java.util.stream.IntStream.range(offset, offset + group.channels()).toArray()); }

        public int position(int c) { return positions[c]; }

        /** How many of the node's channels this segment covers. */
        public int width() { return (int) java.util.Arrays.stream(positions).filter(p -> p >= 0).count(); }

        /** The first node channel it covers. */
        public int offset() { return java.util.Arrays.stream(positions).filter(p -> p >= 0).min().orElse(-1); }

        @Override public int[] positions() { return positions.clone(); }

        @Override public boolean equals(Object o) {
            return o instanceof Segment x && x.group.equals(group) && java.util.Arrays.equals(x.positions, positions);
        }

        @Override public int hashCode() { return 31 * group.id() + java.util.Arrays.hashCode(positions); }

        @Override public String toString() {
            return "Segment[group " + group.id() + (ChannelGroups.contiguous(positions) ? " at " + offset() : " at " + java.util.Arrays.toString(positions)) + "]";
        }
    }

    /** Every entry present and each one more than the last. */
    static boolean contiguous(int[] positions) {
        for (int c = 0; c < positions.length; c++) if (positions[c] < 0 || (c > 0 && positions[c] != positions[c - 1] + 1)) return false;
        return true;
    }

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
    private final Map<String, List<Segment>> inputSegments;  // conv, linear, slice, shuffle → its input channels' groups
    private final List<String> positional;                   // slice and shuffle nodes, in model order
    private final List<String> warnings;

    private ChannelGroups(Architecture architecture, List<Group> groups, Map<String, List<Segment>> outputSegments,
            Map<String, List<Segment>> inputSegments, List<String> positional, List<String> warnings) {
        this.architecture = architecture;
        this.groups = groups;
        this.outputSegments = outputSegments;
        this.inputSegments = inputSegments;
        this.positional = List.copyOf(positional);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * One line per node whose op kind has no channel rule: its channels were kept rather than guessed.
     * {@link #of} also prints each on stderr, so a model that prunes less than expected says why.
     */
    public List<String> warnings() { return warnings; }

    /**
     * The channel slices and shuffles, in model order (the order of their layers in the architecture):
     * they address channels by position, so pruning moves a slice's bounds and turns a shuffle into an
     * explicit permutation of the surviving channels. {@link #inputSegmentsOf} gives what each one reads.
     */
    public List<String> positionalNodes() { return positional; }

    /** The groups of {@code arch}, in order of first appearance. */
    public static ChannelGroups of(Architecture arch) { return of(ModelGraph.of(arch)); }

    /** Walks {@code graph}'s nodes in topological order, applying each op kind's rule; groups in order of first appearance. */
    public static ChannelGroups of(ModelGraph graph) {
        Spaces s = new Spaces();
        Map<String, Layout> layoutOf = new HashMap<>();
        for (GraphNode n : graph.nodes()) {
            List<Layout> in = n.inputs().stream().map(layoutOf::get).toList();
            layoutOf.put(n.name(), s.visit(n, in));
        }
        s.fixAll(layoutOf.get(graph.output().name()), "the model's output (class logits)");
        ChannelGroups groups = s.finish(graph.architecture());
        for (String w : groups.warnings()) System.err.println("Squeeze: warning: " + graph.architecture().name() + ": " + w);
        return groups;
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

    /**
     * The groups of {@code node}'s input channels (a conv, linear, slice or shuffle node), one segment per
     * occurrence of a group (several when it reads a concat or a shuffle's output).
     */
    public List<Segment> inputSegmentsOf(String node) {
        List<Segment> s = inputSegments.get(node);
        if (s == null) throw new IllegalArgumentException("no conv, linear, slice or shuffle node named '" + node + "'; nodes: " + inputSegments.keySet());
        return s;
    }

    private static Group single(String node, List<Segment> segments, String side) {
        if (segments.size() != 1) {
            throw new IllegalArgumentException(node + "'s " + side + " channels span " + segments.size() + " groups (it reads a concat or a shuffle): "
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
                    + placement(m.positions())).toList()));
            reason.append(g.reason());
        }
        return Table.create("channel groups of " + architecture.name(), id, ch, prunable, members, reason);
    }

    /** "" at channel 0, "@k" from channel k, "@scattered" / "@partial" after a shuffle or a slice. */
    private static String placement(int[] positions) {
        if (contiguous(positions)) return positions.length == 0 || positions[0] == 0 ? "" : "@" + positions[0];
        return java.util.Arrays.stream(positions).anyMatch(p -> p < 0) ? "@partial" : "@scattered";
    }

    @Override public String toString() {
        return "ChannelGroups(" + architecture.name() + ": " + groups.size() + " groups, " + prunable().size() + " prunable)";
    }

    /**
     * A tensor's channels in order: channel {@code p} is channel {@code channel[p]} of space {@code space[p]}.
     * Concats, slices and shuffles rearrange these references and open no space.
     */
    private record Layout(int[] space, int[] channel) {
        static Layout whole(int space, int width) {
            int[] s = new int[width], c = new int[width];
            java.util.Arrays.fill(s, space);
            for (int i = 0; i < width; i++) c[i] = i;
            return new Layout(s, c);
        }

        int width() { return space.length; }

        Layout slice(int from, int to) {
            return new Layout(java.util.Arrays.copyOfRange(space, from, to), java.util.Arrays.copyOfRange(channel, from, to));
        }

        Layout permuted(int[] sources) {
            int[] s = new int[sources.length], c = new int[sources.length];
            for (int j = 0; j < sources.length; j++) {
                s[j] = space[sources[j]];
                c[j] = channel[sources[j]];
            }
            return new Layout(s, c);
        }

        static Layout concat(List<Layout> parts) {
            int n = parts.stream().mapToInt(Layout::width).sum(), at = 0;
            int[] s = new int[n], c = new int[n];
            for (Layout l : parts) {
                System.arraycopy(l.space, 0, s, at, l.width());
                System.arraycopy(l.channel, 0, c, at, l.width());
                at += l.width();
            }
            return new Layout(s, c);
        }
    }

    /**
     * Union-find over channel spaces, collecting members as the graph's nodes are visited. A space is a
     * set of channels opened by a producer (a conv's or linear layer's outputs, the model's input); tied
     * spaces have the same width and channel {@code c} of one is channel {@code c} of the other. A tensor
     * is a {@link Layout} over spaces.
     */
    private static final class Spaces {
        final List<Integer> parent = new ArrayList<>(), channels = new ArrayList<>();
        final List<String> fixedReason = new ArrayList<>();
        final List<List<Member>> members = new ArrayList<>();
        final Map<String, Layout> outSpaces = new LinkedHashMap<>(), inSpaces = new LinkedHashMap<>();
        final List<String> positional = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();

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

        void fixAll(Layout t, String reason) { for (int s : t.space()) fix(s, reason); }

        /**
         * For each occurrence of a space in {@code t}, in order of first appearance: the space and, per
         * channel of it, the tensor channel holding it (−1 where the tensor lacks it). A channel that appears
         * twice (a tensor concatenated with itself) opens a second occurrence.
         */
        List<Map.Entry<Integer, int[]>> occurrences(Layout t) {
            List<Map.Entry<Integer, int[]>> out = new ArrayList<>();
            for (int p = 0; p < t.width(); p++) {
                int r = find(t.space()[p]), c = t.channel()[p];
                int[] at = null;
                for (Map.Entry<Integer, int[]> e : out) {
                    if (e.getKey() == r && e.getValue()[c] < 0) { at = e.getValue(); break; }
                }
                if (at == null) {
                    at = new int[channels.get(r)];
                    java.util.Arrays.fill(at, -1);
                    out.add(Map.entry(r, at));
                }
                at[c] = p;
            }
            return out;
        }

        /** Adds {@code node} to every space {@code t} holds, with the channels where it holds them. */
        void join(Layout t, String node, Role role, Layer layer, int featuresPerChannel) {
            for (Map.Entry<Integer, int[]> e : occurrences(t)) {
                members.get(e.getKey()).add(new Member(node, role, layer, featuresPerChannel, e.getValue()));
            }
        }

        /** Applies the rule of {@code n}'s op kind to its inputs' layouts; returns its output's layout. */
        Layout visit(GraphNode n, List<Layout> inputs) {
            Layout in = inputs.isEmpty() ? null : inputs.get(0);
            String name = n.name();
            switch (n.op()) {
                case ModelGraph.INPUT -> {
                    int s = space(n.channels());
                    fix(s, "the model's input (image channels)");
                    return Layout.whole(s, n.channels());
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
                    Layout out = Layout.whole(o, c.out());
                    join(out, name, Role.PRODUCER, c, 1);
                    if (c.groups() > 1) {
                        String why = name + " is a grouped convolution (" + c.groups() + " groups): its channels cannot be removed independently";
                        fixAll(in, why);
                        fix(o, why);
                    }
                    outSpaces.put(name, out);
                    return out;
                }
                case ModelGraph.LINEAR -> {
                    Layer.Linear f = (Layer.Linear) n.layer();
                    join(in, name, Role.CONSUMER, f, f.in() / in.width());
                    inSpaces.put(name, in);
                    int o = space(f.out());
                    Layout out = Layout.whole(o, f.out());
                    join(out, name, Role.PRODUCER, f, 1);
                    outSpaces.put(name, out);
                    return out;
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
                    Layout body = inputs.get(0), shortcut = inputs.get(1);
                    boolean aligned = body.width() == shortcut.width();
                    for (int p = 0; aligned && p < body.width(); p++) {
                        aligned = body.channel()[p] == shortcut.channel()[p]
                                && channels.get(find(body.space()[p])).equals(channels.get(find(shortcut.space()[p])));
                    }
                    if (aligned) {
                        for (int p = 0; p < body.width(); p++) union(body.space()[p], shortcut.space()[p]);
                        return body;
                    }
                    String why = "meets " + name + ", an add whose two inputs do not hold the same channels of equally wide groups at each position";
                    fixAll(body, why);
                    fixAll(shortcut, why);
                    return body;
                }
                case ModelGraph.CONCAT -> {
                    return Layout.concat(inputs);
                }
                case ModelGraph.SLICE -> {
                    // Channels [from, to) of the input: the same channels, fewer of them. Pruning moves the bounds.
                    Layer.ChannelSlice c = (Layer.ChannelSlice) n.layer();
                    inSpaces.put(name, in);
                    positional.add(name);
                    return in.slice(c.from(), c.to());
                }
                case ModelGraph.SHUFFLE -> {
                    // The same channels in another order; pruning turns it into a permutation of the survivors.
                    Layer.ChannelShuffle c = (Layer.ChannelShuffle) n.layer();
                    inSpaces.put(name, in);
                    positional.add(name);
                    return in.permuted(c.sources(in.width()));
                }
                default -> {
                    // An op kind without a rule: keep every channel it touches rather than guess, and say so.
                    String why = name + " is a '" + n.op() + "' op, for which ChannelGroups has no channel rule";
                    warnings.add(why + "; every channel it reads or writes is kept");
                    for (Layout i : inputs) fixAll(i, why);
                    int o = space(n.channels());
                    fix(o, why);
                    return Layout.whole(o, n.channels());
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
            return new ChannelGroups(arch, Collections.unmodifiableList(groups), segments(outSpaces, ids, groups),
                    segments(inSpaces, ids, groups), positional, warnings);
        }

        private Map<String, List<Segment>> segments(Map<String, Layout> layouts, Map<Integer, Integer> ids, List<Group> groups) {
            Map<String, List<Segment>> out = new LinkedHashMap<>();
            layouts.forEach((node, layout) -> {
                List<Segment> segs = new ArrayList<>();
                for (Map.Entry<Integer, int[]> e : occurrences(layout)) {
                    Integer id = ids.get(e.getKey());
                    if (id == null) { // a space nobody joined (the model's input read only by a slice): a group of no members
                        throw new IllegalStateException(node + " reads channels that belong to no group");
                    }
                    segs.add(new Segment(groups.get(id), e.getValue()));
                }
                out.put(node, List.copyOf(segs));
            });
            return Collections.unmodifiableMap(out);
        }
    }
}
