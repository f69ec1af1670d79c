/**
 * The int8 CPU executor: integer kernels with the exact fixed-point requantization of
 * {@link dev.squeeze.ir.Requantizer}, and an {@link dev.squeeze.exec.Int8Executor} that runs a graph of
 * them on planned buffers.
 *
 * <p>It reads the data types of {@code dev.squeeze.ir} (an {@link dev.squeeze.ir.Int8Model}, a
 * {@link dev.squeeze.ir.FusedGraph}) and nothing of {@code dev.squeeze.quant} or DJL, so a model can run
 * without the engine; {@code PackageDependencyTest} keeps it so.
 *
 * <h2>Layers</h2>
 * <ul>
 *   <li>{@link dev.squeeze.exec.Int8Kernels}: the public facade. Checks arguments, packs weights once
 *       ({@link dev.squeeze.exec.Int8Conv2d}, {@link dev.squeeze.exec.Int8Linear}) and runs pooling,
 *       residual add, stand-alone activation and requantization. Documents the exact arithmetic.</li>
 *   <li>{@link dev.squeeze.exec.Int8KernelSupport}: the internal interface with two implementations,
 *       Lucene-style: the package-private scalar one (plain loops, the default) and the Panama one in
 *       {@code dev.squeeze.exec.panama} — the only code in Squeeze that imports
 *       {@code jdk.incubator.vector}, loaded by name only when the module is in the boot layer. Without
 *       {@code --add-modules jdk.incubator.vector} the scalar kernels run and one warning per JVM names
 *       the flag; {@code -Dsqueeze.exec.scalar=true} forces them. {@link dev.squeeze.exec.Int8Kernels#kernels()}
 *       says which run.</li>
 *   <li>{@link dev.squeeze.exec.ExecOp} and {@link dev.squeeze.exec.Int8Executor}: a graph of packed ops,
 *       activations in one liveness-planned byte arena, kernel {@link dev.squeeze.exec.Scratch} reserved
 *       once, intra-op worker threads; {@code run} allocates nothing once planned;
 *       {@link dev.squeeze.exec.Int8Executor#profile} reports per-op time, GOP/s and percent of
 *       {@link dev.squeeze.exec.Int8Kernels#peakGops()}.</li>
 * </ul>
 *
 * <h2>Data</h2>
 * Activations are 8-bit codes in {@code byte[]}, NCHW, batch-major; {@link dev.squeeze.exec.CodeType}
 * says whether a tensor's bytes are uint8 or int8. Weights are given as {@code w − zp_w} (int), packed
 * at load. Accumulators are int32 in the order {@code bias + Σ (x − zp_x)·w}; every implementation
 * produces the same codes bit for bit as the {@code IntegerReference} oracle of {@code Int8Model}
 * (tested on over 10,000 random layer configurations per implementation, and on converted models).
 *
 * <h2>Why the Panama kernels look the way they do</h2>
 * The Vector API has no int8 dot product, so products are formed in int16 lanes: an activation shifted
 * into [−127, 128] times a weight in [−128, 127], two such products summed per lane exactly in int16,
 * then widened into int32 accumulators — see {@code dev.squeeze.exec.panama.Vec}. Measured on the
 * 2-core AVX-512 EPYC this runs at about the speed of a register-blocked float32 FMA kernel, and the
 * int8 layers beat an equally engineered float32 FloatVector convolution by 1.04–1.8× on the seed-CNN
 * and ResNet18 layer shapes (the benchmark {@code dev.squeeze.exec.KernelBenchmark} in the test sources
 * prints the current numbers).
 */
package dev.squeeze.exec;
