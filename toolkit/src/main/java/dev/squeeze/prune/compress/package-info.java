/**
 * Storage for sparse networks and Han et al.'s Deep Compression (ICLR 2016): prune, share weights, Huffman-code.
 *
 * <ul>
 *   <li>{@link dev.squeeze.prune.compress.SparseSizes}: what a set of (pruned) tensors takes as dense fp32, bitmask,
 *       relative indices, gzip and int8 — honest byte counts instead of a sparsity percentage.</li>
 *   <li>{@link dev.squeeze.prune.compress.SparseTensorFile}: the on-disk format (magic, version, per-tensor name,
 *       shape, encoding, length and CRC32), written atomically; damage is reported with the file, tensor and fix.</li>
 *   <li>{@link dev.squeeze.prune.compress.RelativeIndices}: fixed-width index gaps with an escape symbol.</li>
 *   <li>{@link dev.squeeze.prune.compress.WeightSharing}: per-layer k-means with linear initialisation;
 *       {@link dev.squeeze.prune.compress.CentroidFineTuning} trains the centroids with summed gradients.</li>
 *   <li>{@link dev.squeeze.prune.compress.Huffman}: canonical codes whose length tables are stored in the file.</li>
 *   <li>{@link dev.squeeze.prune.compress.DeepCompression}: writes, reads and measures every stage as a file.</li>
 * </ul>
 * Masks during retraining are plain {@link dev.squeeze.train.TensorMask}s applied from a
 * {@link dev.squeeze.train.TrainingHook} (gradients before the step, weights after it).
 */
package dev.squeeze.prune.compress;
