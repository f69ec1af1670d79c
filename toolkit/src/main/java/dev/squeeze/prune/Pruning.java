package dev.squeeze.prune;

import dev.squeeze.model.Network;
import dev.squeeze.train.TensorMask;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unstructured pruning, one call each; every call returns a {@link PruningMask} and leaves the network
 * as it was (apply with {@link PruningMask#applyTo}):
 *
 * <pre>{@code
 * PruningMask m = Pruning.global(net, Scope.convAndLinear(), 0.8, Importance.l1());  // PyTorch's global_unstructured
 * m.applyTo(net);
 * Training.fit(net, train, test, config.toBuilder().addHook(m.hook()).build());      // fine-tune, zeros kept
 * }</pre>
 *
 * <p>Counts are exact: {@code amount · n} rounded half to even (Python's {@code round}, as PyTorch's
 * {@code _compute_nparams_toprune}) of the {@code n} weights in scope are pruned; among equal scores the
 * one earlier in network order goes first, so results never depend on a sort's whims.
 */
public final class Pruning {
    private Pruning() {}

    /** Global magnitude pruning of every conv and linear weight: the seed's {@code global_unstructured(L1Unstructured)}. */
    public static PruningMask globalL1(Network net, double amount) {
        return global(net, Scope.convAndLinear(), amount, Importance.l1());
    }

    /**
     * Prunes the {@code amount} fraction of lowest-scored weights across every tensor in {@code scope}
     * together: layers with many small weights lose more (see {@link PruningMask#table()}).
     */
    public static PruningMask global(Network net, Scope scope, double amount, Importance importance) {
        checkAmount(amount);
        List<String> names = scope.weightNames(net);
        Map<String, float[]> scores = importance.scores(net, names);
        long total = 0;
        for (String n : names) total += scores.get(n).length;
        long k = count(amount, total);
        boolean[][] pruned = lowest(names.stream().map(scores::get).toList(), k);
        Map<String, TensorMask> masks = new LinkedHashMap<>();
        for (int t = 0; t < names.size(); t++) masks.put(names.get(t), TensorMask.of(PruningMask.zerosWhere(pruned[t])));
        return PruningMask.of(masks);
    }

    /** Prunes {@code amount} of each tensor in {@code scope} separately (PyTorch's per-module {@code l1_unstructured}). */
    public static PruningMask layerWise(Network net, Scope scope, double amount, Importance importance) {
        checkAmount(amount);
        List<String> names = scope.weightNames(net);
        Map<String, float[]> scores = importance.scores(net, names);
        Map<String, TensorMask> masks = new LinkedHashMap<>();
        for (String n : names) {
            float[] s = scores.get(n);
            boolean[] pruned = lowest(List.of(s), count(amount, s.length))[0];
            masks.put(n, TensorMask.of(PruningMask.zerosWhere(pruned)));
        }
        return PruningMask.of(masks);
    }

    /** Prunes every weight in {@code scope} with |w| < {@code threshold} (the seed's threshold pruning). */
    public static PruningMask threshold(Network net, Scope scope, double threshold) {
        if (!(threshold >= 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("threshold must be a finite number ≥ 0, got " + threshold);
        }
        Map<String, TensorMask> masks = new LinkedHashMap<>();
        for (String n : scope.weightNames(net)) {
            float[] v = net.parameter(n).values();
            boolean[] pruned = new boolean[v.length];
            for (int i = 0; i < v.length; i++) pruned[i] = Math.abs(v[i]) < threshold;
            masks.put(n, TensorMask.of(PruningMask.zerosWhere(pruned)));
        }
        return PruningMask.of(masks);
    }

    /** Number of weights to prune: {@code amount · n} rounded half to even, as Python's {@code round}. */
    static long count(double amount, long n) {
        return (long) Math.rint(amount * n);
    }

    private static void checkAmount(double amount) {
        if (!(amount >= 0 && amount <= 1)) {
            throw new IllegalArgumentException("amount (the fraction of weights to prune) must be in [0, 1], got " + amount
                    + "; for 80 % pass 0.8");
        }
    }

    /**
     * Marks the {@code k} lowest scores across {@code tensors} (concatenated in order). Keys pack an
     * order-preserving int of the float score with the global index, so one primitive sort ranks
     * 11 M weights in about a second and ties fall to the lower index.
     */
    static boolean[][] lowest(List<float[]> tensors, long k) {
        long total = 0;
        for (float[] t : tensors) total += t.length;
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("more than 2^31 weights in one pruning call");
        long[] keys = new long[(int) total];
        int g = 0;
        for (float[] t : tensors) {
            for (float s : t) {
                if (Float.isNaN(s)) throw new IllegalArgumentException("importance score NaN at weight " + g + "; the criterion's inputs are not finite");
                int bits = Float.floatToIntBits(s == 0f ? 0f : s); // −0 ranks with +0
                int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
                keys[g] = ((long) sortable << 32) | (g & 0xffffffffL);
                g++;
            }
        }
        // Only the ranking of the k lowest matters; a full sort of ≤ 11 M longs is fast enough and exact.
        Arrays.sort(keys);
        boolean[][] out = new boolean[tensors.size()][];
        int[] offsets = new int[tensors.size()];
        int off = 0;
        for (int t = 0; t < tensors.size(); t++) { out[t] = new boolean[tensors.get(t).length]; offsets[t] = off; off += tensors.get(t).length; }
        for (int i = 0; i < k; i++) {
            int idx = (int) (keys[i] & 0xffffffffL);
            int t = Arrays.binarySearch(offsets, idx);
            if (t < 0) t = -t - 2;
            while (t + 1 < offsets.length && offsets[t + 1] == idx && out[t].length == 0) t++;
            out[t][idx - offsets[t]] = true;
        }
        return out;
    }
}
