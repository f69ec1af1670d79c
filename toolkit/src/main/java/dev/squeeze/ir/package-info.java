/**
 * The intermediate representation between quantization and execution: data only, no engine, no training.
 *
 * <ul>
 *   <li>The fused fp32 graph: {@link dev.squeeze.ir.FusedGraph} of {@link dev.squeeze.ir.FusedOp}s (BatchNorm
 *       folded, activations fused, node names), made from a DJL network by {@code dev.squeeze.quant.Fusion} and
 *       run by {@code dev.squeeze.exec.FloatExecutor}.</li>
 *   <li>The int8 model: {@link dev.squeeze.ir.Int8Model} of {@link dev.squeeze.ir.Int8Op}s with their
 *       {@link dev.squeeze.ir.Int8Weights}, {@link dev.squeeze.ir.TensorShape}s and the {@code .sqz8} file
 *       format; made by {@code dev.squeeze.quant} (calibration, QAT, conversion), run by {@code dev.squeeze.exec},
 *       written as ONNX by {@code dev.squeeze.export}.</li>
 *   <li>The quantization parameters they carry: {@link dev.squeeze.ir.QScheme}, {@link dev.squeeze.ir.QuantParams},
 *       {@link dev.squeeze.ir.PerChannelQuantParams}, and the fixed-point arithmetic every executor must reproduce
 *       bit for bit, {@link dev.squeeze.ir.Requantizer} / {@link dev.squeeze.ir.Requantization}.</li>
 * </ul>
 *
 * <h2>Why a package of its own</h2>
 * These types used to live in {@code quant}, which also holds the DJL-based QAT blocks and the calibration that
 * runs a DJL network; so the executors and the exporter, which only read the ops, depended on DJL through it. Here
 * they depend on nothing but the JDK, Gson (the {@code .sqz8} header) and the DJL-free description of layers in
 * {@code dev.squeeze.model} ({@code Layer}, {@code Architecture}, {@code NodeNames}, {@code NamedTensor}). The
 * direction is one way: {@code quant}, {@code exec} and {@code export} import {@code ir}; {@code ir} imports none
 * of them, nor {@code prune}, {@code distill} or {@code train}. {@code PackageDependencyTest} checks it.
 */
package dev.squeeze.ir;
