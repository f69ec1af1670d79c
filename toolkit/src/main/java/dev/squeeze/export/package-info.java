/**
 * Export to ONNX: {@link dev.squeeze.export.OnnxExport#fp32} writes a float network,
 * {@link dev.squeeze.export.OnnxExport#int8Qdq} an {@link dev.squeeze.quant.Int8Model} in QDQ form
 * (QuantizeLinear / DequantizeLinear around float ops, which ONNX Runtime and other runtimes fuse into
 * integer kernels), {@link dev.squeeze.export.OnnxExport#exportBoth} both side by side.
 *
 * <p>The protobuf encoding is hand-written ({@code ProtoWriter}, {@code Onnx}): the toolkit has no ONNX
 * or protobuf dependency. ONNX Runtime is used by the tests only, to check that the files run and
 * compute what Squeeze computes.
 */
package dev.squeeze.export;
