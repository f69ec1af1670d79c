package dev.squeeze.prune.compress;

import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.prune.compress.SparseTensorFile.Encoding;
import dev.squeeze.prune.compress.SparseTensorFile.Entry;
import dev.squeeze.report.Tables;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tech.tablesaw.api.Table;

/**
 * Han et al.'s Deep Compression (ICLR 2016) as files: prune → share weights (k-means, trained centroids)
 * → Huffman-code. Every stage is written as a real {@link SparseTensorFile} and its size is the file's
 * size, headers, names, biases and code tables included:
 * <ol>
 *   <li>{@code dense}: every parameter as float32 ({@link Encoding#DENSE_FP32});</li>
 *   <li>{@code pruned}: the pruned weights sparse, each in the smaller of {@link Encoding#BITMASK_FP32} and
 *       {@link Encoding#RELATIVE_FP32}, other parameters dense;</li>
 *   <li>{@code shared}: the weights as fixed-width relative indices plus fixed-width cluster indices into a
 *       float32 centroid table ({@link Encoding#SHARED_FIXED});</li>
 *   <li>{@code huffman}: the same indices and gaps Huffman-coded ({@link Encoding#SHARED_HUFFMAN}).</li>
 * </ol>
 * The training between stages (retraining with masks, {@link CentroidFineTuning}) is the caller's, with
 * {@code Training.fit}; this class writes, reads and measures.
 */
public final class DeepCompression {
    private DeepCompression() {}

    /**
     * One stored stage.
     *
     * @param stage dense, pruned, shared or huffman
     * @param file where it was written
     * @param bytes the file's size
     * @param ratio the dense file's size ÷ this file's size
     */
    public record Stage(String stage, Path file, long bytes, double ratio) {}

    /** The parameters that get pruned and shared: trainable tensors of rank ≥ 2 (weights, not biases). */
    public static List<String> weightNames(Network net) {
        List<String> out = new ArrayList<>();
        for (NamedTensor t : net.parameters()) if (t.trainable() && t.shape().length >= 2) out.add(t.name());
        return out;
    }

    /** Weight sharing of every weight tensor of {@code net} with {@code 2^bits} clusters ({@link WeightSharing#share}). */
    public static Map<String, SharedWeights> share(Network net, int bits) {
        Map<String, SharedWeights> out = new LinkedHashMap<>();
        Set<String> weights = Set.copyOf(weightNames(net));
        for (NamedTensor t : net.parameters()) if (weights.contains(t.name())) out.put(t.name(), WeightSharing.share(t.shape(), t.values(), bits));
        return out;
    }

    /** Writes every parameter as float32; returns the file size. */
    public static long writeDense(Path file, List<NamedTensor> parameters) {
        List<Entry> entries = new ArrayList<>();
        for (NamedTensor t : parameters) entries.add(Entry.of(t.name(), t.shape(), Encoding.DENSE_FP32, t.values()));
        return SparseTensorFile.write(file, entries);
    }

    /** Writes the {@code sparse} parameters in their smaller sparse encoding, the rest dense; returns the file size. */
    public static long writePruned(Path file, List<NamedTensor> parameters, Set<String> sparse) {
        List<Entry> entries = new ArrayList<>();
        for (NamedTensor t : parameters) {
            if (!sparse.contains(t.name())) {
                entries.add(Entry.of(t.name(), t.shape(), Encoding.DENSE_FP32, t.values()));
                continue;
            }
            Entry bitmask = Entry.of(t.name(), t.shape(), Encoding.BITMASK_FP32, t.values());
            Entry relative = Entry.of(t.name(), t.shape(), Encoding.RELATIVE_FP32, t.values());
            entries.add(payloadSize(relative) < payloadSize(bitmask) ? relative : bitmask);
        }
        return SparseTensorFile.write(file, entries);
    }

    /**
     * Writes the shared weights (fixed-width or Huffman-coded indices) and the other parameters of
     * {@code parameters} dense; returns the file size.
     */
    public static long writeShared(Path file, List<NamedTensor> parameters, Map<String, SharedWeights> shared, boolean huffman) {
        List<Entry> entries = new ArrayList<>();
        for (NamedTensor t : parameters) {
            SharedWeights s = shared.get(t.name());
            entries.add(s != null ? Entry.shared(t.name(), s, huffman) : Entry.of(t.name(), t.shape(), Encoding.DENSE_FP32, t.values()));
        }
        for (String name : shared.keySet()) {
            if (parameters.stream().noneMatch(t -> t.name().equals(name))) {
                throw new IllegalArgumentException("shared weights for '" + name + "', which is not among the parameters");
            }
        }
        return SparseTensorFile.write(file, entries);
    }

    /**
     * Writes the four stages into {@code dir} ({@code <prefix>-dense.sqz} … {@code <prefix>-huffman.sqz}).
     *
     * @param dense the trained network's parameters before pruning
     * @param pruned the parameters after pruning and retraining (zeros are pruned weights)
     * @param sharedParameters the parameters of the shared network (its biases may differ after fine-tuning)
     * @param shared the clustering of each weight tensor, after centroid fine-tuning
     */
    public static List<Stage> writeStages(Path dir, String prefix, List<NamedTensor> dense, List<NamedTensor> pruned,
                                          List<NamedTensor> sharedParameters, Map<String, SharedWeights> shared) {
        List<Stage> out = new ArrayList<>();
        Path d = dir.resolve(prefix + "-dense.sqz"), p = dir.resolve(prefix + "-pruned.sqz");
        Path s = dir.resolve(prefix + "-shared.sqz"), h = dir.resolve(prefix + "-huffman.sqz");
        long denseBytes = writeDense(d, dense);
        out.add(new Stage("dense", d, denseBytes, 1.0));
        long prunedBytes = writePruned(p, pruned, shared.keySet());
        out.add(new Stage("pruned", p, prunedBytes, (double) denseBytes / prunedBytes));
        long sharedBytes = writeShared(s, sharedParameters, shared, false);
        out.add(new Stage("shared", s, sharedBytes, (double) denseBytes / sharedBytes));
        long huffmanBytes = writeShared(h, sharedParameters, shared, true);
        out.add(new Stage("huffman", h, huffmanBytes, (double) denseBytes / huffmanBytes));
        return out;
    }

    /** The tensors stored in {@code file}, by name, decoded to float32. */
    public static Map<String, float[]> read(Path file) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Entry e : SparseTensorFile.read(file)) out.put(e.name(), e.values());
        return out;
    }

    /** Loads every tensor of {@code file} into {@code net}'s parameters of the same names. */
    public static void load(Path file, Network net) throws IOException {
        for (Map.Entry<String, float[]> e : read(file).entrySet()) net.setParameter(e.getKey(), e.getValue());
    }

    /** One row per stage: stage, bytes, ratio (file paths left out). */
    public static Table table(String title, List<Stage> stages) {
        return Tables.fromRecords(title, stages).removeColumns("file");
    }

    private static long payloadSize(Entry e) {
        try {
            return SparseTensorFile.payload(e).length;
        } catch (IOException x) {
            throw new java.io.UncheckedIOException(x); // in memory: cannot fail
        }
    }
}
