package dev.squeeze.prune;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NodeNames;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The channels that must be removed together, found by following the model's edges (Torch-Pruning's
 * DepGraph idea) rather than by rules written per model. Every tensor between layers carries a
 * <em>channel space</em>; layers connect spaces:
 * <ul>
 *   <li>a convolution or linear layer consumes its input space (input channels / features) and opens a
 *       new output space (its output channels, its bias);</li>
 *   <li>BatchNorm, activations and pooling pass their input space through (BatchNorm's γ, β and running
 *       statistics are members of it);</li>
 *   <li>a depthwise convolution ties its output channels to its input channels: one space;</li>
 *   <li>a residual add ties the body's output, the shortcut's output (the block's input for an identity
 *       shortcut) and everything after the add into one space;</li>
 *   <li>flatten keeps the space, each channel becoming {@code H·W} consecutive features.</li>
 * </ul>
 * A space is a <em>group</em>: removing channel {@code c} of a group removes output channel {@code c}
 * of every producer, entry {@code c} of every BatchNorm and input channel {@code c} of every consumer.
 * The model's input and output (logits) spaces are fixed, and so is any space touched by an op the
 * walker cannot prune through (a grouped, non-depthwise convolution): such a group is marked
 * unprunable with the reason, never mis-pruned.
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
     */
    public record Member(String node, Role role, Layer layer, int featuresPerChannel) {}

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
    private final Map<String, Integer> outputGroup; // node → group of its output channels
    private final Map<String, Integer> inputGroup;  // node → group of its input channels

    private ChannelGroups(Architecture architecture, List<Group> groups, Map<String, Integer> outputGroup, Map<String, Integer> inputGroup) {
        this.architecture = architecture;
        this.groups = groups;
        this.outputGroup = outputGroup;
        this.inputGroup = inputGroup;
    }

    /** Walks {@code arch} and returns its groups, in order of first appearance. */
    public static ChannelGroups of(Architecture arch) {
        Walker w = new Walker(NodeNames.weightedNodes(arch).iterator());
        int in = w.space(arch.inputShape()[0]);
        w.fix(in, "the model's input (image channels)");
        int out = w.walk(arch.layers(), in, arch.inputShape());
        w.fix(out, "the model's output (class logits)");
        return w.finish(arch);
    }

    public Architecture architecture() { return architecture; }

    public List<Group> groups() { return groups; }

    /** The prunable groups. */
    public List<Group> prunable() { return groups.stream().filter(Group::prunable).toList(); }

    /** The group holding {@code node}'s output channels (a conv, linear or BatchNorm name). */
    public Group outputGroupOf(String node) {
        Integer g = outputGroup.get(node);
        if (g == null) throw new IllegalArgumentException("no conv, linear or BatchNorm node named '" + node + "'; nodes: " + outputGroup.keySet());
        return groups.get(g);
    }

    /** The group holding {@code node}'s input channels (a conv or linear name). */
    public Group inputGroupOf(String node) {
        Integer g = inputGroup.get(node);
        if (g == null) throw new IllegalArgumentException("no conv or linear node named '" + node + "'; nodes: " + inputGroup.keySet());
        return groups.get(g);
    }

    /** One row per group: id, channels, prunable, members (node:role), reason. */
    public Table table() {
        IntColumn id = IntColumn.create("group"), ch = IntColumn.create("channels");
        StringColumn prunable = StringColumn.create("prunable"), members = StringColumn.create("members"), reason = StringColumn.create("reason");
        for (Group g : groups) {
            id.append(g.id());
            ch.append(g.channels());
            prunable.append(g.prunable() ? "yes" : "no");
            members.append(String.join(", ", g.members().stream().map(m -> m.node() + ":" + m.role().name().toLowerCase(java.util.Locale.ROOT)).toList()));
            reason.append(g.reason());
        }
        return Table.create("channel groups of " + architecture.name(), id, ch, prunable, members, reason);
    }

    @Override public String toString() {
        return "ChannelGroups(" + architecture.name() + ": " + groups.size() + " groups, " + prunable().size() + " prunable)";
    }

    /** Union-find over channel spaces, collecting members as the layers are walked in parameter order. */
    private static final class Walker {
        final Iterator<NodeNames.Node> names;
        final List<Integer> parent = new ArrayList<>(), channels = new ArrayList<>();
        final List<String> fixedReason = new ArrayList<>();
        final List<List<Member>> members = new ArrayList<>();
        final Map<String, Integer> outSpace = new LinkedHashMap<>(), inSpace = new LinkedHashMap<>();

        Walker(Iterator<NodeNames.Node> names) { this.names = names; }

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

        String next(Layer expected) {
            NodeNames.Node n = names.next();
            if (n.layer() != expected) throw new IllegalStateException("node order differs from NodeNames at " + n.name());
            return n.name();
        }

        /** The per-image shape after the last {@link #walk}. */
        int[] shape;

        /** Walks a layer list from space {@code in} with per-image input shape {@code shapeIn}; returns the output space. */
        int walk(List<Layer> layers, int in, int[] shapeIn) {
            int cur = in;
            int[] s = shapeIn;
            for (Layer l : layers) {
                switch (l) {
                    case Layer.Conv2d c -> {
                        String name = next(l);
                        boolean depthwise = c.groups() > 1 && c.groups() == c.in() && c.groups() == c.out();
                        inSpace.put(name, cur);
                        if (depthwise) {
                            members.get(find(cur)).add(new Member(name, Role.DEPTHWISE, l, 1));
                            outSpace.put(name, cur);
                        } else {
                            members.get(find(cur)).add(new Member(name, Role.CONSUMER, l, 1));
                            int o = space(c.out());
                            members.get(o).add(new Member(name, Role.PRODUCER, l, 1));
                            if (c.groups() > 1) {
                                fix(cur, name + " is a grouped convolution (" + c.groups() + " groups): its channels cannot be removed independently");
                                fix(o, name + " is a grouped convolution (" + c.groups() + " groups): its channels cannot be removed independently");
                            }
                            outSpace.put(name, o);
                            cur = o;
                        }
                        s = new int[] {c.out(), (s[1] + 2 * c.padding() - c.kernel()) / c.stride() + 1,
                                (s[2] + 2 * c.padding() - c.kernel()) / c.stride() + 1};
                    }
                    case Layer.Linear f -> {
                        String name = next(l);
                        int perChannel = f.in() / channels.get(find(cur));
                        members.get(find(cur)).add(new Member(name, Role.CONSUMER, l, perChannel));
                        inSpace.put(name, cur);
                        int o = space(f.out());
                        members.get(o).add(new Member(name, Role.PRODUCER, l, 1));
                        outSpace.put(name, o);
                        cur = o;
                        s = new int[] {f.out()};
                    }
                    case Layer.BatchNorm b -> {
                        String name = next(l);
                        members.get(find(cur)).add(new Member(name, Role.BATCH_NORM, l, 1));
                        outSpace.put(name, cur);
                    }
                    case Layer.MaxPool p -> s = new int[] {s[0], (s[1] + 2 * p.padding() - p.kernel()) / p.stride() + 1,
                            (s[2] + 2 * p.padding() - p.kernel()) / p.stride() + 1};
                    case Layer.AvgPool p -> s = new int[] {s[0], (s[1] + 2 * p.padding() - p.kernel()) / p.stride() + 1,
                            (s[2] + 2 * p.padding() - p.kernel()) / p.stride() + 1};
                    case Layer.GlobalAvgPool g -> s = new int[] {s[0], 1, 1};
                    case Layer.Flatten f -> {
                        int n = 1;
                        for (int d : s) n *= d;
                        s = new int[] {n}; // the space stays: channel c becomes features c·HW … c·HW + HW − 1
                    }
                    case Layer.Residual r -> {
                        int body = walk(r.body(), cur, s);
                        int[] after = shape;
                        int shortcut = walk(r.shortcut(), cur, s);
                        union(body, shortcut);
                        cur = find(body);
                        s = after;
                    }
                    case Layer.Concat c -> {
                        // Concat offsets are not followed yet: every channel on either side of a concat
                        // stays (named in the group's reason), never a silently mis-pruned one.
                        int total = 0;
                        int[] after = null;
                        for (List<Layer> b : c.branches()) {
                            int out = walk(b, cur, s);
                            fix(out, "feeds a concat (channel offsets through concat are not followed yet)");
                            total += shape[0];
                            if (after == null) after = shape;
                        }
                        fix(cur, "feeds a concat's branches (channel offsets through concat are not followed yet)");
                        int o = space(total);
                        fix(o, "is a concat's output (channel offsets through concat are not followed yet)");
                        cur = o;
                        s = new int[] {total, after[1], after[2]};
                    }
                    case Layer.ChannelSlice c -> {
                        fix(cur, "is split by channel position (" + c.describe() + ")");
                        int o = space(c.channels());
                        fix(o, "comes from a channel split (" + c.describe() + ")");
                        cur = o;
                        s = new int[] {c.channels(), s[1], s[2]};
                    }
                    case Layer.ChannelShuffle c -> {
                        fix(cur, "goes through a channel shuffle (" + c.groups() + " groups), which ties channels by position");
                    }
                    case Layer.Relu x -> { }
                    case Layer.LeakyRelu x -> { }
                    case Layer.Relu6 x -> { }
                    case Layer.HardSwish x -> { }
                }
            }
            shape = s;
            return cur;
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
            Map<String, Integer> out = new LinkedHashMap<>(), in = new LinkedHashMap<>();
            outSpace.forEach((n, s) -> out.put(n, ids.get(find(s))));
            inSpace.forEach((n, s) -> in.put(n, ids.get(find(s))));
            return new ChannelGroups(arch, Collections.unmodifiableList(groups), out, in);
        }
    }
}
