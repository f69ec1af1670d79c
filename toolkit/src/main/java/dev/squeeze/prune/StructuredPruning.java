package dev.squeeze.prune;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.model.NodeNames;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Structured pruning: whole channels removed from every member of a {@link ChannelGroups} group, so
 * the result is a smaller dense model that runs faster on any dense kernel, not just a sparser file.
 *
 * <pre>{@code
 * ChannelGroups groups = ChannelGroups.of(net.architecture());
 * StructuredPruning.Plan plan = StructuredPruning.uniform(net, groups, 0.5, StructuredPruning.Criterion.L2, 8);
 * Network small = StructuredPruning.apply(net, plan);     // a new, smaller network; net is unchanged
 * }</pre>
 */
public final class StructuredPruning {
    private StructuredPruning() {}

    /**
     * Channel importance within a group. Each member's per-channel scores are divided by their mean
     * first, so a wide consumer does not drown the producer, then averaged over members (Torch-Pruning's
     * group importance with mean reduction).
     */
    public enum Criterion {
        /** Σ|w| over the channel's slice of each member. */
        L1,
        /** Σw² over the channel's slice of each member. */
        L2,
        /** |γ| of the group's BatchNorms (network slimming); groups without BatchNorm fall back to L1. */
        BN_SCALE,
        /**
         * First-order Taylor Σ|w · ∂L/∂w| over the channel's slice of each member: producer rows and bias,
         * BatchNorm γ and β, consumer input slices (Molchanov et al. 2019; Torch-Pruning's TaylorImportance).
         * Needs gradients: pass {@link #taylorScores} to the {@code uniform}/{@code global} overloads that take scores.
         */
        TAYLOR
    }

    /**
     * Which channels each group keeps.
     *
     * @param keep group id → kept channel indices, ascending; groups not listed keep every channel
     */
    public record Plan(ChannelGroups groups, Map<Integer, int[]> keep, String describe) {
        public Plan {
            Map<Integer, int[]> copy = new LinkedHashMap<>();
            keep.forEach((k, v) -> copy.put(k, v.clone()));
            keep = java.util.Collections.unmodifiableMap(copy);
        }

        /** Kept channels of group {@code id} (all when the plan does not touch it). */
        public int[] kept(int id) {
            int[] k = keep.get(id);
            if (k != null) return k.clone();
            int[] all = new int[groups.groups().get(id).channels()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }

        /**
         * The kept channels of a node's input or output that spans {@code segments} (several groups when it
         * reads a concat or a shuffle), as indices into its channels before pruning, ascending.
         */
        public int[] kept(List<ChannelGroups.Segment> segments) {
            List<Integer> out = new ArrayList<>();
            for (ChannelGroups.Segment s : segments) {
                for (int c : kept(s.group().id())) if (s.position(c) >= 0) out.add(s.position(c));
            }
            return out.stream().mapToInt(Integer::intValue).sorted().toArray();
        }

        /** Per group: channels before and after, and its members. */
        public Table table() {
            IntColumn id = IntColumn.create("group"), before = IntColumn.create("channels"), after = IntColumn.create("kept");
            StringColumn nodes = StringColumn.create("nodes");
            for (ChannelGroups.Group g : groups.groups()) {
                if (!g.prunable()) continue;
                id.append(g.id());
                before.append(g.channels());
                after.append(kept(g.id()).length);
                nodes.append(String.join(", ", g.nodes()));
            }
            return Table.create("structured pruning plan: " + describe, id, before, after, nodes);
        }
    }

    /** Every prunable group loses {@code ratio} of its channels, the kept count rounded to a multiple of {@code roundTo} (≥ roundTo). */
    public static Plan uniform(Network net, ChannelGroups groups, double ratio, Criterion criterion, int roundTo) {
        return uniform(net, groups, ratio, criterion, roundTo, null);
    }

    /**
     * {@link #uniform(Network, ChannelGroups, double, Criterion, int)} with per-element scores for
     * {@link Criterion#TAYLOR}, from {@link #taylorScores} on {@code net}; null for the other criteria.
     */
    public static Plan uniform(Network net, ChannelGroups groups, double ratio, Criterion criterion, int roundTo, Map<String, float[]> elementScores) {
        checkRatio(ratio);
        Map<Integer, Integer> same = new LinkedHashMap<>();
        for (ChannelGroups.Group g : groups.prunable()) same.put(g.id(), g.channels());
        return uniformPlan(net, groups, same, ratio, criterion, roundTo, elementScores,
                String.format(Locale.ROOT, "uniform %.2f, %s, round to %d", ratio, criterion, roundTo));
    }

    /**
     * Each prunable group of {@code groups} keeps the count a one-shot uniform plan at {@code ratio} would keep
     * of its {@code original} channel count (group id → channels), the best by {@code criterion} on {@code net}.
     */
    private static Plan uniformPlan(Network net, ChannelGroups groups, Map<Integer, Integer> original, double ratio, Criterion criterion,
            int roundTo, Map<String, float[]> elementScores, String describe) {
        if (roundTo < 1) throw new IllegalArgumentException("roundTo must be ≥ 1, got " + roundTo);
        checkScores(net, groups, criterion, elementScores);
        Map<Integer, int[]> keep = new LinkedHashMap<>();
        for (ChannelGroups.Group g : groups.prunable()) {
            double[] score = scores(net, g, criterion, elementScores);
            int c0 = original.get(g.id());
            int n = Math.min(g.channels(), rounded(c0 - (int) Math.round(ratio * c0), c0, roundTo));
            keep.put(g.id(), topIndices(score, n));
        }
        return new Plan(groups, keep, describe);
    }

    /**
     * Removes the {@code ratio} fraction of all prunable channels with the lowest scores across groups
     * (each group's scores divided by their mean, so groups compare), keeping at least {@code floor} of
     * every group; kept counts rounded to multiples of {@code roundTo}.
     */
    public static Plan global(Network net, ChannelGroups groups, double ratio, Criterion criterion, double floor, int roundTo) {
        return global(net, groups, ratio, criterion, floor, roundTo, null);
    }

    /**
     * {@link #global(Network, ChannelGroups, double, Criterion, double, int)} with per-element scores for
     * {@link Criterion#TAYLOR}, from {@link #taylorScores} on {@code net}; null for the other criteria.
     */
    public static Plan global(Network net, ChannelGroups groups, double ratio, Criterion criterion, double floor, int roundTo,
            Map<String, float[]> elementScores) {
        checkRatio(ratio);
        checkFloor(floor);
        List<ChannelGroups.Group> gs = groups.prunable();
        int total = gs.stream().mapToInt(ChannelGroups.Group::channels).sum();
        int[] min = new int[gs.size()];
        for (int gi = 0; gi < gs.size(); gi++) min[gi] = (int) Math.ceil(floor * gs.get(gi).channels());
        return globalPlan(net, groups, Math.round(ratio * total), min, criterion, roundTo, elementScores,
                String.format(Locale.ROOT, "global %.2f (floor %.2f), %s, round to %d", ratio, floor, criterion, roundTo));
    }

    /** Removes {@code target} of the lowest-scoring channels across groups, group {@code gi} keeping at least {@code min[gi]}. */
    private static Plan globalPlan(Network net, ChannelGroups groups, long target, int[] min, Criterion criterion, int roundTo,
            Map<String, float[]> elementScores, String describe) {
        if (roundTo < 1) throw new IllegalArgumentException("roundTo must be ≥ 1, got " + roundTo);
        checkScores(net, groups, criterion, elementScores);
        List<ChannelGroups.Group> gs = groups.prunable();
        List<double[]> scores = new ArrayList<>();
        int total = 0;
        for (ChannelGroups.Group g : gs) {
            scores.add(normalised(scores(net, g, criterion, elementScores)));
            total += g.channels();
        }
        int[] drop = new int[gs.size()];
        long[] keys = new long[total];
        int k = 0;
        for (int gi = 0; gi < gs.size(); gi++) {
            for (int c = 0; c < gs.get(gi).channels(); c++) {
                keys[k++] = ((long) Float.floatToIntBits((float) scores.get(gi)[c]) << 32) | ((long) gi << 16) | c;
            }
        }
        Arrays.sort(keys);
        long removed = 0;
        for (int i = 0; i < keys.length && removed < target; i++) {
            int gi = (int) ((keys[i] >>> 16) & 0xffff);
            if (gs.get(gi).channels() - drop[gi] - 1 < min[gi]) continue;
            drop[gi]++;
            removed++;
        }
        Map<Integer, int[]> keep = new LinkedHashMap<>();
        for (int gi = 0; gi < gs.size(); gi++) {
            ChannelGroups.Group g = gs.get(gi);
            keep.put(g.id(), topIndices(scores.get(gi), rounded(g.channels() - drop[gi], g.channels(), roundTo)));
        }
        return new Plan(groups, keep, describe);
    }

    /**
     * Per-element first-order Taylor scores |w · ∂L/∂w| of every parameter a prunable group's channels
     * live in (conv and linear weights and biases, BatchNorm γ and β), for {@link Criterion#TAYLOR}. The
     * gradient is the mean over {@code batches} batches of {@code batchSize} images of {@code data}
     * (the first ones: pass a seeded subset), unaugmented, BatchNorm in inference mode ({@link Importance#taylor}).
     * {@code net} is left as it was.
     */
    public static Map<String, float[]> taylorScores(Network net, dev.squeeze.data.ImageSet data, dev.squeeze.data.Preprocessing preprocessing,
            int batches, int batchSize) {
        return Importance.taylor(data, preprocessing, batches, batchSize).scores(net, taylorParameters(ChannelGroups.of(net.architecture())));
    }

    /** The parameters whose elements {@link Criterion#TAYLOR} sums, in group order. */
    static List<String> taylorParameters(ChannelGroups groups) {
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        for (ChannelGroups.Group g : groups.prunable()) {
            for (ChannelGroups.Member m : g.members()) {
                names.add(m.node() + ".weight");
                if (m.role() == ChannelGroups.Role.BATCH_NORM || (m.role() != ChannelGroups.Role.CONSUMER && hasBias(m.layer()))) names.add(m.node() + ".bias");
            }
        }
        return List.copyOf(names);
    }

    /**
     * Cumulative fraction of the original channels removed after each of {@code steps} steps on the way
     * to {@code ratio}: ratio · k / steps (Torch-Pruning's linear iterative schedule).
     */
    public static double[] schedule(double ratio, int steps) {
        checkRatio(ratio);
        checkSteps(steps);
        double[] r = new double[steps];
        for (int k = 1; k <= steps; k++) r[k - 1] = ratio * k / steps;
        return r;
    }

    /**
     * Step {@code step} (1 … {@code steps}) of an iterative uniform prune to {@code ratio}: on {@code current},
     * the model the earlier steps left (importance from its weights now), every group keeps the count a
     * one-shot {@link #uniform} plan at {@link #schedule}'s ratio for this step keeps of the {@code original}
     * model's channels. The last step so keeps exactly the one-shot plan's counts.
     *
     * @param original the groups of the unpruned model
     * @param elementScores {@link #taylorScores} of {@code current} for {@link Criterion#TAYLOR}, else null
     */
    public static Plan uniformStep(Network current, ChannelGroups original, double ratio, int step, int steps, Criterion criterion, int roundTo,
            Map<String, float[]> elementScores) {
        double r = scheduled(ratio, step, steps);
        ChannelGroups groups = ChannelGroups.of(current.architecture());
        Map<Integer, Integer> c0 = originalChannels(original, groups);
        return uniformPlan(current, groups, c0, r, criterion, roundTo, elementScores,
                String.format(Locale.ROOT, "uniform %.2f, %s, round to %d, step %d of %d", ratio, criterion, roundTo, step, steps));
    }

    /**
     * Step {@code step} (1 … {@code steps}) of an iterative global prune to {@code ratio}: on {@code current},
     * removes the lowest-scoring channels until {@link #schedule}'s fraction for this step of the
     * {@code original} model's prunable channels is gone, each group keeping at least {@code floor} of its
     * original channels.
     *
     * @param elementScores {@link #taylorScores} of {@code current} for {@link Criterion#TAYLOR}, else null
     */
    public static Plan globalStep(Network current, ChannelGroups original, double ratio, int step, int steps, Criterion criterion, double floor,
            int roundTo, Map<String, float[]> elementScores) {
        double r = scheduled(ratio, step, steps);
        checkFloor(floor);
        ChannelGroups groups = ChannelGroups.of(current.architecture());
        Map<Integer, Integer> c0 = originalChannels(original, groups);
        List<ChannelGroups.Group> gs = groups.prunable();
        long total0 = 0, now = 0;
        int[] min = new int[gs.size()];
        for (int gi = 0; gi < gs.size(); gi++) {
            int c = c0.get(gs.get(gi).id());
            total0 += c;
            now += gs.get(gi).channels();
            min[gi] = (int) Math.ceil(floor * c);
        }
        long target = Math.max(0, Math.round(r * total0) - (total0 - now));
        return globalPlan(current, groups, target, min, criterion, roundTo, elementScores,
                String.format(Locale.ROOT, "global %.2f (floor %.2f), %s, round to %d, step %d of %d", ratio, floor, criterion, roundTo, step, steps));
    }

    /** Plans one step of {@link #iterative} on the model the earlier steps left. */
    @FunctionalInterface
    public interface StepPlanner {
        /** @param step 1 … steps */
        Plan plan(Network current, int step);
    }

    /** Recovers an intermediate model of {@link #iterative} in place: fine-tuning, BatchNorm re-estimation, or nothing. */
    @FunctionalInterface
    public interface Recovery {
        /** @param step the step (1 … steps − 1) whose pruning made {@code pruned} */
        void recover(Network pruned, int step);
    }

    /**
     * Iterative prune → recover: {@code steps} times, plan on the current model (importance recomputed
     * on its weights), remove the channels ({@link #apply}), and, before every step but the first,
     * let {@code recover} fine-tune the model the step before left. Returns the last step's model,
     * not yet recovered (the caller fine-tunes it with its share of the epochs); intermediate models are
     * closed and {@code net} is unchanged.
     *
     * <pre>{@code
     * ChannelGroups groups = ChannelGroups.of(net.architecture());
     * Network small = StructuredPruning.iterative(net, 3,
     *         (m, k) -> StructuredPruning.uniformStep(m, groups, 0.5, k, 3, Criterion.L2, 8, null),
     *         (m, k) -> Training.fit(m, train, null, recipe.toBuilder().setEpochs(epochs / 3).build()));
     * }</pre>
     */
    public static Network iterative(Network net, int steps, StepPlanner planner, Recovery recover) {
        checkSteps(steps);
        Network current = net;
        try {
            for (int k = 1; k <= steps; k++) {
                if (k > 1) recover.recover(current, k - 1);
                Plan plan = planner.plan(current, k);
                Network next = apply(current, plan);
                if (current != net) current.close();
                current = next;
                System.err.println(String.format(Locale.ROOT, "iterative structured pruning, step %d of %d: %s, %,d parameters",
                        k, steps, plan.describe(), current.trainableParameters()));
            }
            return current;
        } catch (RuntimeException e) {
            if (current != net) current.close();
            throw e;
        }
    }

    /** Step {@code step}'s cumulative ratio of {@link #schedule}. */
    private static double scheduled(double ratio, int step, int steps) {
        double[] s = schedule(ratio, steps);
        if (step < 1 || step > steps) throw new IllegalArgumentException("step must be in 1 … " + steps + ", got " + step);
        return s[step - 1];
    }

    /**
     * Current group id → the channels of the same group in the unpruned model. Groups are matched by their
     * first member's node and role: pruning changes widths, never which nodes a group ties together.
     */
    private static Map<Integer, Integer> originalChannels(ChannelGroups original, ChannelGroups current) {
        Map<Integer, Integer> out = new LinkedHashMap<>();
        for (ChannelGroups.Group g : current.prunable()) {
            ChannelGroups.Member m = g.members().get(0);
            ChannelGroups.Group o;
            try {
                o = m.role() == ChannelGroups.Role.CONSUMER ? original.inputGroupOf(m.node()) : original.outputGroupOf(m.node());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("the original groups are of " + original.architecture().name() + ", which has no node '" + m.node()
                        + "'; pass ChannelGroups.of(the unpruned model's architecture)", e);
            }
            if (o.channels() < g.channels()) {
                throw new IllegalArgumentException("group of " + m.node() + " has " + g.channels() + " channels now but " + o.channels()
                        + " in the 'original' groups; pass ChannelGroups.of(the unpruned model's architecture)");
            }
            out.put(g.id(), o.channels());
        }
        return out;
    }

    /**
     * Zeroes, in place, every pruned channel's producer rows, biases and BatchNorm γ and β: the masked
     * model whose output the physically pruned one ({@link #apply}) must reproduce.
     */
    public static void mask(Network net, Plan plan) {
        for (ChannelGroups.Group g : plan.groups().prunable()) {
            boolean[] pruned = new boolean[g.channels()];
            Arrays.fill(pruned, true);
            for (int c : plan.kept(g.id())) pruned[c] = false;
            for (ChannelGroups.Member m : g.members()) {
                switch (m.role()) {
                    case PRODUCER, DEPTHWISE -> {
                        zeroRows(net, m.node() + ".weight", m, pruned);
                        if (hasBias(m.layer())) zeroRows(net, m.node() + ".bias", m, pruned);
                    }
                    case BATCH_NORM -> {
                        zeroRows(net, m.node() + ".weight", m, pruned);
                        zeroRows(net, m.node() + ".bias", m, pruned);
                    }
                    case CONSUMER -> { } // receives zeros
                }
            }
        }
    }

    /** A new network with the pruned channels removed from every member; {@code net} is unchanged. */
    public static Network apply(Network net, Plan plan) {
        ChannelGroups groups = plan.groups();
        Architecture old = net.architecture();
        if (!old.equals(groups.architecture())) {
            throw new IllegalArgumentException("the plan was made for " + groups.architecture() + ", not " + old);
        }
        Architecture small = new Architecture(old.name(), old.inputShape(), rebuild(old.layers(), NodeNames.weightedNodes(old).iterator(),
                groups.positionalNodes().iterator(), plan));
        Network out = Network.create(small, 0);
        try {
            List<NodeNames.Node> nodes = NodeNames.weightedNodes(old);
            for (NodeNames.Node n : nodes) copySliced(net, out, n, plan);
            out.provenance().putAll(net.provenance());
            out.provenance().put("structured_pruning", plan.describe());
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private static List<Layer> rebuild(List<Layer> layers, java.util.Iterator<NodeNames.Node> names, java.util.Iterator<String> positional, Plan plan) {
        ChannelGroups g = plan.groups();
        List<Layer> out = new ArrayList<>();
        for (Layer l : layers) {
            switch (l) {
                case Layer.Conv2d c -> {
                    String n = names.next().name();
                    int in = plan.kept(g.inputSegmentsOf(n)).length;
                    int o = plan.kept(g.outputSegmentsOf(n)).length;
                    int groups = c.groups() == 1 ? 1 : (c.groups() == c.in() && c.groups() == c.out() ? in : c.groups());
                    out.add(new Layer.Conv2d(in, o, c.kernel(), c.stride(), c.padding(), groups, c.bias()));
                }
                case Layer.Linear f -> {
                    String n = names.next().name();
                    List<ChannelGroups.Segment> in = g.inputSegmentsOf(n);
                    int per = f.in() / channels(in);
                    out.add(new Layer.Linear(plan.kept(in).length * per, plan.kept(g.outputSegmentsOf(n)).length, f.bias()));
                }
                case Layer.BatchNorm b -> {
                    String n = names.next().name();
                    out.add(new Layer.BatchNorm(plan.kept(g.outputSegmentsOf(n)).length));
                }
                case Layer.ChannelSlice c -> {
                    // The surviving channels of [from, to) are those of the pruned input between the survivors before from and before to.
                    String n = positional.next();
                    int[] kept = plan.kept(g.inputSegmentsOf(n));
                    int from = (int) Arrays.stream(kept).filter(k -> k < c.from()).count(), to = (int) Arrays.stream(kept).filter(k -> k < c.to()).count();
                    if (to == from) {
                        throw new IllegalArgumentException(n + " (" + c.describe() + ") would keep no channel: the plan removes every channel it reads;"
                                + " prune less (a lower ratio or a per-group floor)");
                    }
                    out.add(new Layer.ChannelSlice(from, to));
                }
                case Layer.ChannelShuffle c -> {
                    List<ChannelGroups.Segment> in = g.inputSegmentsOf(positional.next());
                    out.add(prunedShuffle(c, plan.kept(in), channels(in)));
                }
                case Layer.Concat c -> {
                    // A concat's width follows its branches'.
                    List<List<Layer>> branches = new ArrayList<>();
                    for (List<Layer> b : c.branches()) branches.add(rebuild(b, names, positional, plan));
                    out.add(new Layer.Concat(branches));
                }
                case Layer.Residual r -> {
                    List<Layer> body = rebuild(r.body(), names, positional, plan);
                    List<Layer> shortcut = rebuild(r.shortcut(), names, positional, plan);
                    out.add(new Layer.Residual(body, shortcut));
                }
                // Activations, pooling, flatten: no weights, no channel positions.
                default -> out.add(l);
            }
        }
        return out;
    }

    /**
     * The shuffle of a pruned tensor: every surviving channel goes where the shuffle sent it, the others
     * are gone. Output channel {@code j} of the original comes from input channel {@code src[j]}, and it
     * survives when that one does; the new op sends each survivor to its rank among the surviving outputs.
     * That is a g-group shuffle again only when both halves kept the same channels; otherwise an explicit
     * permutation.
     *
     * @param keptIn the shuffle's surviving input channels, ascending (indices before pruning)
     * @param width the shuffle's input channels before pruning
     */
    static Layer.ChannelShuffle prunedShuffle(Layer.ChannelShuffle shuffle, int[] keptIn, int width) {
        int[] src = shuffle.sources(width);
        int[] rank = new int[width];
        Arrays.fill(rank, -1);
        for (int i = 0; i < keptIn.length; i++) rank[keptIn[i]] = i;
        int[] order = new int[keptIn.length];
        int n = 0;
        for (int j = 0; j < width; j++) if (rank[src[j]] >= 0) order[n++] = rank[src[j]];
        if (!shuffle.explicit()) {
            int g = shuffle.groups();
            if (order.length % g == 0 && Arrays.equals(order, new Layer.ChannelShuffle(g).sources(order.length))) return new Layer.ChannelShuffle(g);
        }
        return Layer.ChannelShuffle.permutation(order);
    }

    private static void copySliced(Network from, Network to, NodeNames.Node node, Plan plan) {
        ChannelGroups g = plan.groups();
        String n = node.name();
        switch (node.layer()) {
            case Layer.Conv2d c -> {
                int[] ko = plan.kept(g.outputSegmentsOf(n));
                boolean depthwise = c.groups() > 1 && c.groups() == c.in() && c.groups() == c.out();
                int inPer = c.in() / c.groups(), kk = c.kernel() * c.kernel();
                // Depthwise: one input per output. Other grouped convs sit in unprunable groups: whole weight.
                int[] ki = depthwise ? new int[] {0} : c.groups() > 1 ? java.util.stream.IntStream.range(0, inPer).toArray()
                        : plan.kept(g.inputSegmentsOf(n));
                float[] w = from.parameter(n + ".weight").values();
                float[] nw = new float[ko.length * ki.length * kk];
                for (int o = 0; o < ko.length; o++) {
                    for (int i = 0; i < ki.length; i++) {
                        System.arraycopy(w, (ko[o] * inPer + ki[i]) * kk, nw, (o * ki.length + i) * kk, kk);
                    }
                }
                to.setParameter(n + ".weight", nw);
                if (c.bias()) to.setParameter(n + ".bias", pick(from.parameter(n + ".bias").values(), ko, 1));
            }
            case Layer.Linear f -> {
                List<ChannelGroups.Segment> in = g.inputSegmentsOf(n);
                int per = f.in() / channels(in);
                int[] ko = plan.kept(g.outputSegmentsOf(n)), kc = plan.kept(in);
                float[] w = from.parameter(n + ".weight").values();
                int newIn = kc.length * per;
                float[] nw = new float[ko.length * newIn];
                for (int o = 0; o < ko.length; o++) {
                    for (int i = 0; i < kc.length; i++) System.arraycopy(w, ko[o] * f.in() + kc[i] * per, nw, o * newIn + i * per, per);
                }
                to.setParameter(n + ".weight", nw);
                if (f.bias()) to.setParameter(n + ".bias", pick(from.parameter(n + ".bias").values(), ko, 1));
            }
            case Layer.BatchNorm b -> {
                int[] ko = plan.kept(g.outputSegmentsOf(n));
                for (String p : List.of(".weight", ".bias", ".running_mean", ".running_var")) {
                    to.setParameter(n + p, pick(from.parameter(n + p).values(), ko, 1));
                }
            }
            default -> throw new IllegalStateException("not a weighted node: " + node);
        }
    }

    private static float[] pick(float[] v, int[] idx, int per) {
        float[] out = new float[idx.length * per];
        for (int i = 0; i < idx.length; i++) System.arraycopy(v, idx[i] * per, out, i * per, per);
        return out;
    }

    /** Per-channel importance of one group: each member's scores over their mean, averaged over members. */
    static double[] scores(Network net, ChannelGroups.Group g, Criterion criterion) { return scores(net, g, criterion, null); }

    /**
     * {@link #scores(Network, ChannelGroups.Group, Criterion)}; for {@link Criterion#TAYLOR} the element
     * values summed are {@code elementScores}' (|w · ∂L/∂w|, from {@link #taylorScores}) instead of |w|.
     */
    static double[] scores(Network net, ChannelGroups.Group g, Criterion criterion, Map<String, float[]> elementScores) {
        double[] total = new double[g.channels()];
        boolean bnOnly = criterion == Criterion.BN_SCALE && g.members().stream().anyMatch(m -> m.role() == ChannelGroups.Role.BATCH_NORM);
        boolean taylor = criterion == Criterion.TAYLOR;
        java.util.function.Function<String, float[]> values = taylor ? elementScores::get : p -> net.parameter(p).values();
        int[] counted = new int[g.channels()];
        for (ChannelGroups.Member m : g.members()) {
            if (bnOnly && m.role() != ChannelGroups.Role.BATCH_NORM) continue;
            boolean square = criterion == Criterion.L2;
            double[] s = new double[g.channels()];
            switch (m.role()) {
                case BATCH_NORM -> {
                    float[] gamma = values.apply(m.node() + ".weight");
                    float[] beta = taylor ? values.apply(m.node() + ".bias") : null; // Torch-Pruning scores a BatchNorm channel by weight and bias
                    for (int c = 0; c < s.length; c++) {
                        int p = m.position(c);
                        if (p < 0) continue;
                        s[c] = norm(gamma[p], square);
                        if (beta != null) s[c] += Math.abs(beta[p]);
                    }
                }
                case PRODUCER, DEPTHWISE -> {
                    float[] w = values.apply(m.node() + ".weight");
                    int per = w.length / rows(m.layer());
                    float[] b = taylor && hasBias(m.layer()) ? values.apply(m.node() + ".bias") : null;
                    for (int c = 0; c < s.length; c++) {
                        int p = m.position(c);
                        if (p < 0) continue;
                        for (int i = 0; i < per; i++) s[c] += norm(w[p * per + i], square);
                        if (b != null) s[c] += Math.abs(b[p]);
                    }
                }
                case CONSUMER -> {
                    float[] w = values.apply(m.node() + ".weight");
                    if (m.layer() instanceof Layer.Conv2d conv) {
                        int kk = conv.kernel() * conv.kernel(), inPer = conv.in() / conv.groups();
                        for (int o = 0; o < conv.out(); o++) {
                            for (int c = 0; c < s.length; c++) {
                                int p = m.position(c);
                                if (p >= 0) for (int t = 0; t < kk; t++) s[c] += norm(w[(o * inPer + p) * kk + t], square);
                            }
                        }
                    } else if (m.layer() instanceof Layer.Linear lin) {
                        int per = m.featuresPerChannel();
                        for (int o = 0; o < lin.out(); o++) {
                            for (int c = 0; c < s.length; c++) {
                                int p = m.position(c);
                                if (p >= 0) for (int t = 0; t < per; t++) s[c] += norm(w[o * lin.in() + p * per + t], square);
                            }
                        }
                    }
                }
            }
            // Each member's scores over their mean on the channels it sees; a channel's score is the average
            // over the members that see it (after a slice, a consumer sees part of a group).
            double sum = 0;
            int seen = 0;
            for (int c = 0; c < s.length; c++) if (m.position(c) >= 0) { sum += s[c]; seen++; }
            double mean = seen == 0 ? 0 : sum / seen;
            for (int c = 0; c < total.length; c++) {
                if (m.position(c) < 0) continue;
                total[c] += mean > 0 ? s[c] / mean : s[c];
                counted[c]++;
            }
        }
        for (int c = 0; c < total.length; c++) total[c] /= Math.max(1, counted[c]);
        return total;
    }

    private static double norm(float v, boolean square) { return square ? (double) v * v : Math.abs(v); }

    private static double[] normalised(double[] s) {
        double mean = Arrays.stream(s).average().orElse(0);
        double[] out = s.clone();
        if (mean > 0) for (int i = 0; i < out.length; i++) out[i] /= mean;
        return out;
    }

    /** Indices of the {@code n} highest scores, ascending; ties keep the lower index. */
    static int[] topIndices(double[] score, int n) {
        Integer[] idx = new Integer[score.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : Integer.compare(a, b));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = idx[i];
        Arrays.sort(out);
        return out;
    }

    private static int rounded(int keep, int channels, int roundTo) {
        int r = (int) Math.round((double) keep / roundTo) * roundTo;
        return Math.max(Math.min(roundTo, channels), Math.min(channels, r));
    }

    /** Zeroes the rows of {@code member}'s parameter that hold the pruned channels of its group (from its offset on). */
    private static void zeroRows(Network net, String param, ChannelGroups.Member member, boolean[] pruned) {
        NamedTensor t = net.parameter(param);
        float[] v = t.values();
        int per = v.length / rows(member.layer());
        for (int c = 0; c < pruned.length; c++) {
            int at = member.position(c);
            if (pruned[c] && at >= 0) Arrays.fill(v, at * per, (at + 1) * per, 0f);
        }
        net.setParameter(param, v);
    }

    /** Output channels (conv), output features (linear) or channels (BatchNorm): the rows of its weight. */
    private static int rows(Layer l) {
        return switch (l) {
            case Layer.Conv2d c -> c.out();
            case Layer.Linear f -> f.out();
            case Layer.BatchNorm b -> b.channels();
            default -> throw new IllegalStateException("not a weighted layer: " + l);
        };
    }

    private static int channels(List<ChannelGroups.Segment> segments) {
        return segments.stream().mapToInt(ChannelGroups.Segment::width).sum();
    }

    private static boolean hasBias(Layer l) {
        return l instanceof Layer.Conv2d c ? c.bias() : l instanceof Layer.Linear f && f.bias();
    }

    /** TAYLOR needs scores for every parameter its groups sum over, of the right length; the other criteria take none. */
    private static void checkScores(Network net, ChannelGroups groups, Criterion criterion, Map<String, float[]> elementScores) {
        if (criterion != Criterion.TAYLOR) {
            if (elementScores != null) {
                throw new IllegalArgumentException("element scores are only read by Criterion.TAYLOR, not " + criterion + "; pass null");
            }
            return;
        }
        if (elementScores == null) {
            throw new IllegalArgumentException("Criterion.TAYLOR needs gradients: pass StructuredPruning.taylorScores(net, data, preprocessing,"
                    + " batches, batchSize) to uniform(...)/global(...)");
        }
        for (String p : taylorParameters(groups)) {
            float[] v = elementScores.get(p);
            int n = net.parameter(p).values().length;
            if (v == null || v.length != n) {
                throw new IllegalArgumentException("the Taylor scores " + (v == null ? "lack '" + p + "'" : "of '" + p + "' have " + v.length
                        + " values, the parameter " + n) + "; compute them with StructuredPruning.taylorScores on this network");
            }
        }
    }

    private static void checkFloor(double floor) {
        if (!(floor > 0 && floor <= 1)) throw new IllegalArgumentException("floor must be in (0, 1], got " + floor);
    }

    private static void checkSteps(int steps) {
        if (steps < 1) throw new IllegalArgumentException("steps must be ≥ 1 (1: one-shot), got " + steps);
    }

    private static void checkRatio(double ratio) {
        if (!(ratio >= 0 && ratio < 1)) throw new IllegalArgumentException("ratio (the fraction of channels to remove) must be in [0, 1), got " + ratio);
    }
}
