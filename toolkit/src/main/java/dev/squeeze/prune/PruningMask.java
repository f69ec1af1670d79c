package dev.squeeze.prune;

import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.train.TensorMask;
import dev.squeeze.train.TrainingHook;
import dev.squeeze.train.TrainingState;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * One 0/1 mask per pruned weight, keyed by parameter path name ({@code layer3.0.conv1.weight}).
 * Immutable. Because masks are keyed by node name, not by position, the same mask applies to the
 * float network, its QAT copy (whose fused convolutions keep the node names) and a fine-tuned copy.
 *
 * <p>Keeping pruned weights at exactly zero while training takes two edits per step: the gradient
 * is masked before the optimizer step (else Adam's moments, built from non-zero gradients, would move
 * a pruned weight) and the weight after it (weight decay and momentum cannot revive it either).
 * {@link #hook()} does both.
 */
public final class PruningMask {
    private final Map<String, TensorMask> masks;

    private PruningMask(Map<String, TensorMask> masks) { this.masks = masks; }

    /** A mask from name → factors (copied); every factor must be 0 or 1. */
    public static PruningMask of(Map<String, TensorMask> masks) {
        if (masks.isEmpty()) throw new IllegalArgumentException("a pruning mask needs at least one tensor");
        Map<String, TensorMask> copy = new LinkedHashMap<>();
        for (Map.Entry<String, TensorMask> e : masks.entrySet()) {
            for (float f : e.getValue().factors()) {
                if (f != 0f && f != 1f) throw new IllegalArgumentException("mask of '" + e.getKey() + "' has factor " + f + "; pruning masks hold 0 or 1");
            }
            copy.put(e.getKey(), e.getValue());
        }
        return new PruningMask(Collections.unmodifiableMap(copy));
    }

    /**
     * One mask from several over different tensors (e.g. per-layer amounts: fc1 92 %, fc2 91 %, fc3 74 %,
     * as Han et al. prune LeNet-300-100); a tensor in two of them is an error.
     */
    public static PruningMask combine(PruningMask... parts) {
        Map<String, TensorMask> all = new LinkedHashMap<>();
        for (PruningMask p : parts) {
            for (Map.Entry<String, TensorMask> e : p.masks.entrySet()) {
                if (all.put(e.getKey(), e.getValue()) != null) {
                    throw new IllegalArgumentException("'" + e.getKey() + "' is masked by two of the masks combined; prune each tensor once");
                }
            }
        }
        return of(all);
    }

    /** Masked parameter names, in network order. */
    public List<String> names() { return List.copyOf(masks.keySet()); }

    public TensorMask mask(String name) {
        TensorMask m = masks.get(name);
        if (m == null) throw new IllegalArgumentException("no mask for '" + name + "'; masked tensors: " + masks.keySet());
        return m;
    }

    public Map<String, TensorMask> masks() { return masks; }

    /** Number of masked weights. */
    public long size() { return masks.values().stream().mapToLong(TensorMask::size).sum(); }

    /** Number of pruned (zero) factors. */
    public long pruned() {
        long z = 0;
        for (TensorMask m : masks.values()) z += Math.round(m.sparsity() * m.size());
        return z;
    }

    /** Pruned fraction over every masked weight. */
    public double sparsity() { return (double) pruned() / size(); }

    /** Zeroes the pruned weights of {@code net} in place (PyTorch's {@code prune.remove}: the mask folded into the weight). */
    public void applyTo(Network net) {
        for (Map.Entry<String, TensorMask> e : masks.entrySet()) {
            NamedTensor t = net.parameter(e.getKey());
            float[] f = e.getValue().factors();
            if (f.length != t.values().length) {
                throw new IllegalArgumentException("mask of '" + e.getKey() + "' has " + f.length + " factors but " + net.architecture().name()
                        + "'s tensor has " + t.values().length + " (shape " + t.shapeString() + "); was the mask made for another model?");
            }
            float[] v = t.values();
            for (int i = 0; i < v.length; i++) if (f[i] == 0f) v[i] = 0f; // exactly +0, never −0
            net.setParameter(e.getKey(), v);
        }
    }

    /**
     * Keeps the pruned weights at exactly zero during {@code Training.fit}: masks them before the first
     * step, masks each step's gradients before the optimizer applies them and the weights after.
     */
    public TrainingHook hook() {
        PruningMask self = this;
        return new TrainingHook() {
            @Override public void epochStarted(TrainingState s) {
                if (s.epoch() == 0) for (var e : masks.entrySet()) s.multiplyWeight(e.getKey(), e.getValue());
            }
            @Override public void beforeStep(TrainingState s) {
                for (var e : masks.entrySet()) s.multiplyGradient(e.getKey(), e.getValue());
            }
            @Override public void afterStep(TrainingState s) {
                for (var e : masks.entrySet()) s.multiplyWeight(e.getKey(), e.getValue());
            }
            @Override public String toString() { return "mask hook: " + self; }
        };
    }

    /**
     * Saves {@code net} (fp32) with this mask in one model file ({@code .sqz}, format version 2);
     * {@link #readFrom} gives the mask back, {@code ModelFile.load} the network.
     */
    public void saveWith(Network net, java.nio.file.Path path) {
        Map<String, boolean[]> keep = new LinkedHashMap<>();
        for (Map.Entry<String, TensorMask> e : masks.entrySet()) {
            float[] f = e.getValue().factors();
            boolean[] k = new boolean[f.length];
            for (int i = 0; i < f.length; i++) k[i] = f[i] != 0f;
            keep.put(e.getKey(), k);
        }
        dev.squeeze.model.ModelFile.save(net, path, dev.squeeze.model.ModelFile.Storage.FP32, keep);
    }

    /** The mask saved in a model file by {@link #saveWith}; an error when the file holds none. */
    public static PruningMask readFrom(java.nio.file.Path path) {
        Map<String, boolean[]> keep = dev.squeeze.model.ModelFile.readMasks(path);
        if (keep.isEmpty()) {
            throw new IllegalArgumentException("Model file " + path + " holds no pruning mask; save it with PruningMask.saveWith(net, path)");
        }
        Map<String, TensorMask> m = new LinkedHashMap<>();
        for (Map.Entry<String, boolean[]> e : keep.entrySet()) m.put(e.getKey(), TensorMask.keep(e.getValue()));
        return of(m);
    }

    /** Number of weights this mask prunes that are not exactly zero in {@code net} (0 after {@link #applyTo} and any masked training). */
    public long violations(Network net) {
        long bad = 0;
        for (Map.Entry<String, TensorMask> e : masks.entrySet()) {
            float[] v = net.parameter(e.getKey()).values(), f = e.getValue().factors();
            for (int i = 0; i < v.length; i++) if (f[i] == 0f && v[i] != 0f) bad++;
        }
        return bad;
    }

    /** Fraction of exactly-zero values of each masked weight in {@code net} (what the file will hold). */
    public static Map<String, Double> measuredSparsity(Network net, List<String> names) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String n : names) {
            float[] v = net.parameter(n).values();
            long z = 0;
            for (float x : v) if (x == 0f) z++;
            out.put(n, (double) z / v.length);
        }
        return out;
    }

    /** Per tensor: node, shape, weights, kept, sparsity; a last row for the total. */
    public Table table() {
        StringColumn node = StringColumn.create("node");
        IntColumn size = IntColumn.create("weights"), kept = IntColumn.create("kept");
        DoubleColumn sp = DoubleColumn.create("sparsity");
        for (Map.Entry<String, TensorMask> e : masks.entrySet()) {
            TensorMask m = e.getValue();
            int z = (int) Math.round(m.sparsity() * m.size());
            node.append(e.getKey().replaceFirst("\\.weight$", ""));
            size.append(m.size());
            kept.append(m.size() - z);
            sp.append(m.sparsity());
        }
        node.append("total");
        size.append((int) size());
        kept.append((int) (size() - pruned()));
        sp.append(sparsity());
        return Table.create("pruning mask", node, size, kept, sp);
    }

    @Override public boolean equals(Object o) { return o instanceof PruningMask p && masks.equals(p.masks); }

    @Override public int hashCode() { return masks.hashCode(); }

    @Override public String toString() {
        return String.format(java.util.Locale.ROOT, "PruningMask(%d tensors, %,d weights, sparsity %.4f)", masks.size(), size(), sparsity());
    }

    static float[] zerosWhere(boolean[] pruned) {
        float[] f = new float[pruned.length];
        Arrays.fill(f, 1f);
        for (int i = 0; i < pruned.length; i++) if (pruned[i]) f[i] = 0f;
        return f;
    }
}
