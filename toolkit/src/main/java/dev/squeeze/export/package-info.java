/**
 * ONNX files: {@link dev.squeeze.export.OnnxExport#fp32} writes a float network,
 * {@link dev.squeeze.export.OnnxExport#int8Qdq} an {@link dev.squeeze.ir.Int8Model} in QDQ form
 * (QuantizeLinear / DequantizeLinear around float ops, which ONNX Runtime and other runtimes fuse into
 * integer kernels), {@link dev.squeeze.export.OnnxExport#exportBoth} both side by side;
 * {@link dev.squeeze.export.OnnxFile#read} parses any {@code .onnx} file into a
 * {@link dev.squeeze.onnx.proto.ModelProto} and refuses one that is not ONNX with the file and the reason;
 * {@link dev.squeeze.export.OnnxImport#load} imports an fp32 ONNX model into a trainable
 * {@link dev.squeeze.model.Network} (BatchNorm kept, weights bound by the graph's node inputs, metadata as
 * provenance), and {@link dev.squeeze.export.Pretrained#resnet18Cifar10()} loads the pretrained CIFAR-10
 * ResNet18 from the data home with its preprocessing and reference figures (here, not in {@code model},
 * because the model package does not depend on export).
 *
 * <p>Files are read and written with protobuf-java through the classes that protoc generates at build time
 * from {@code toolkit/src/main/proto/onnx.proto} (package {@code dev.squeeze.onnx.proto}): the subset of the
 * official ONNX schema Squeeze uses, with its field numbers. The toolkit has no ONNX library dependency;
 * ONNX Runtime is used by the tests only, to check that the files run and compute what Squeeze computes.
 *
 * <p>The int8 export reads only the data types of {@code dev.squeeze.ir}, never {@code dev.squeeze.quant}
 * ({@code PackageDependencyTest} checks it). The fp32 side does touch DJL, on purpose: export reads a trainable
 * {@link dev.squeeze.model.Network}'s weights, and import must build one and write its DJL parameters.
 */
package dev.squeeze.export;
