package dev.squeeze.export;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.squeeze.onnx.proto.ModelProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads {@code .onnx} files: the whole {@link ModelProto} (graph, initializers with their values,
 * opsets, {@code metadata_props}), parsed by protobuf-java with the classes generated from
 * {@code src/main/proto/onnx.proto}. Fields that schema omits (sparse initializers, functions, training
 * info) are kept as unknown fields, so any ONNX file parses; what a model's ops mean is left to the caller.
 *
 * <p>A file that is not an ONNX model — truncated, another format, arbitrary bytes — is refused with one
 * {@link IllegalArgumentException} that names the file, its size and the problem. Protobuf alone accepts
 * many byte strings that are not ONNX (unknown fields are legal), so a parsed model must also have an IR
 * version, a graph and a default-domain opset, as the ONNX specification requires.
 *
 * <p>Initializers are returned as stored: values in {@code raw_data} or a typed field
 * ({@code float_data}, {@code int64_data}, ...), or, for {@code data_location = EXTERNAL}, only a
 * reference to another file, which the caller must refuse or resolve.
 */
public final class OnnxFile {
    private OnnxFile() {}

    /** The largest message protobuf-java parses (and the largest Java array, near enough). */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    /**
     * Parses the ONNX model in {@code path}.
     *
     * @throws UncheckedIOException when the file cannot be read
     * @throws IllegalArgumentException when it is not an ONNX model
     */
    public static ModelProto read(Path path) {
        byte[] bytes;
        try {
            long size = Files.size(path);
            if (size > MAX_BYTES) {
                throw new IllegalArgumentException("ONNX file " + path + " (" + size + " bytes) is larger than protobuf can parse (2 GiB);"
                        + " ONNX models that large keep their weights in external data files, which Squeeze does not read");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("ONNX file " + path + " does not exist (absolute: " + path.toAbsolutePath() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read ONNX file " + path + ": " + e + "; check the path and its permissions", e);
        }
        return parse(bytes, path.toString());
    }

    /**
     * Parses an ONNX model from its bytes.
     *
     * @param where names the source in error messages (a file name)
     * @throws IllegalArgumentException when the bytes are not an ONNX model
     */
    public static ModelProto parse(byte[] bytes, String where) {
        String what = "ONNX file " + where + " (" + bytes.length + " bytes)";
        if (bytes.length == 0) throw new IllegalArgumentException(what + " is empty: not an ONNX model");
        String other = otherFormat(bytes);
        if (other != null) throw new IllegalArgumentException(what + " is not an ONNX model: " + other);
        ModelProto m;
        try {
            m = ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(what + " is not a valid ONNX model: its protobuf encoding is broken (" + e.getMessage()
                    + "); the file is truncated or not ONNX: export or download it again", e);
        }
        String missing = !m.hasIrVersion() || m.getIrVersion() <= 0 ? "no IR version (ModelProto.ir_version)"
                : !m.hasGraph() ? "no graph (ModelProto.graph)"
                : m.getOpsetImportList().stream().noneMatch(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx"))
                ? "no default-domain opset (ModelProto.opset_import)" : null;
        if (missing != null) {
            throw new IllegalArgumentException(what + " is not an ONNX model: it parses as protobuf but has " + missing
                    + "; the file is truncated or not ONNX: export or download it again");
        }
        return m;
    }

    /** What a file is when its first bytes say it is a known non-ONNX format, else null. */
    private static String otherFormat(byte[] b) {
        String head = new String(b, 0, Math.min(b.length, 8), StandardCharsets.ISO_8859_1);
        if (head.startsWith("SQZFP32")) return "it is a Squeeze fp32 model file (load it with ModelFile.load)";
        if (head.startsWith("SQZINT8")) return "it is a Squeeze int8 model file (read it with Int8Model.read)";
        if (head.startsWith("PK\u0003\u0004")) return "it is a zip archive (a PyTorch .pt/.pth checkpoint?); export the model with torch.onnx.export";
        if (head.startsWith("\u0089HDF")) return "it is an HDF5 file (a Keras .h5 model?); convert it to ONNX first (tf2onnx)";
        if (head.startsWith("ir_versi") || head.startsWith("<")) return "it is text, not the binary protobuf encoding of ONNX";
        return null;
    }
}
