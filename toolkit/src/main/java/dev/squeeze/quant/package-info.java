/**
 * Quantization: calibration, fake quantization during training (QAT) and conversion to an int8 model. The
 * observers and quantizers work on {@code float[]}/{@code int[]}; the DJL-facing parts are the QAT blocks,
 * {@link dev.squeeze.quant.Quantization} / {@link dev.squeeze.quant.QuantizedNetwork} and
 * {@link dev.squeeze.quant.Fusion#of(dev.squeeze.model.Network)}. What they produce — the fused graph, the
 * int8 ops, grids and requantizers — is data in {@code dev.squeeze.ir}, which the executors and the exporter
 * read without depending on this package or on DJL.
 *
 * <ul>
 *   <li>Grids: {@link dev.squeeze.ir.QScheme} (bits, symmetric/affine, signed/unsigned,
 *       per-tensor/per-channel, narrow range) and the parameters derived from a float range,
 *       {@link dev.squeeze.ir.QuantParams} / {@link dev.squeeze.ir.PerChannelQuantParams}
 *       (PyTorch's formulas and float32 arithmetic, round half to even); these types live in {@code ir}.</li>
 *   <li>Calibration: {@link dev.squeeze.quant.RangeObserver} implementations selected by
 *       {@link dev.squeeze.quant.CalibrationMethod}: min-max, moving average, percentile, and the
 *       histogram searches (KL / symmetric KL / Jensen–Shannon / MSE) of
 *       {@link dev.squeeze.quant.HistogramObserver} over a {@link dev.squeeze.quant.GrowingHistogram}.</li>
 *   <li>Integer inference: {@link dev.squeeze.ir.Requantizer}, the TFLite fixed-point multiplier
 *       with a single rounding, the int32 → int8 rescaling that every executor must reproduce bit for bit (in
 *       {@code ir}), and {@link dev.squeeze.quant.IntegerReference}, the scalar oracle that runs an int8 model.</li>
 *   <li>Low-bit and reduced-precision weights: {@link dev.squeeze.quant.LowBitQuantizer} (binary,
 *       ternary) and {@link dev.squeeze.quant.FloatFormats} (fp16, bf16).</li>
 *   <li>Configuration: {@link dev.squeeze.quant.QConfig} with presets (x86, qnnpack, TensorRT
 *       entropy, int4, ternary, binary) and per-node overrides of weights and activations.</li>
 * </ul>
 * Nothing here is thread-safe; observers are meant to be fed by one thread per tensor.
 */
package dev.squeeze.quant;
