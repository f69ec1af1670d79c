package dev.squeeze.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.squeeze.export.OnnxExport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * ONNX Runtime (CPU execution provider) on the files Squeeze exports: the fp32 model, or the int8
 * model in QDQ form, which ORT fuses into its integer kernels (QLinearConv, QGemm; VNNI where the CPU
 * has it). The session is rebuilt when the thread count changes, since ORT fixes threads per session.
 * Timed per call: tensor creation from the input array, {@code run}, and copying the logits out.
 */
public final class OrtRuntime implements Runtime {
    public static final String FP32 = "ort-fp32";
    public static final String INT8 = "ort-int8";

    private final String name;
    private final Path file;
    private final long[] shape;
    private final int classes;
    private OrtSession session;
    private int threads = -1;

    private OrtRuntime(String name, Path file, int[] inputShape, int classes) {
        this.name = name;
        this.file = file;
        this.shape = new long[] {1, inputShape[0], inputShape[1], inputShape[2]};
        this.classes = classes;
    }

    public static RuntimeFactory fp32Factory() {
        return new RuntimeFactory() {
            @Override public String name() { return FP32; }
            @Override public Runtime create(BenchModel m) {
                Path f = OnnxExport.fp32(m.network(), temp(m, "fp32.onnx"));
                return new OrtRuntime(FP32, f, m.inputShape(), m.classes());
            }
        };
    }

    public static RuntimeFactory int8Factory() {
        return new RuntimeFactory() {
            @Override public String name() { return INT8; }
            @Override public Runtime create(BenchModel m) {
                Path f = OnnxExport.int8Qdq(Int8Models.of(m), temp(m, "int8-qdq.onnx"));
                return new OrtRuntime(INT8, f, m.inputShape(), m.classes());
            }
        };
    }

    private static Path temp(BenchModel m, String suffix) {
        try {
            Path dir = Files.createTempDirectory("squeeze-bench-onnx");
            dir.toFile().deleteOnExit();
            Path f = dir.resolve(m.name() + "-" + suffix);
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary folder for the ONNX export: " + e.getMessage(), e);
        }
    }

    @Override public String name() { return name; }

    @Override public void prepare(int batch, int threads) {
        if (threads == this.threads && session != null) return;
        closeSession();
        try {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = OrtEnvironment.getEnvironment().createSession(file.toString(), o);
            this.threads = threads;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load " + file + ": " + e.getMessage(), e);
        }
    }

    @Override public float[] run(float[] input, int batch) {
        long[] s = shape.clone();
        s[0] = batch;
        try (OnnxTensor t = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
                FloatBuffer.wrap(input, 0, (int) (batch * s[1] * s[2] * s[3])), s);
                OrtSession.Result r = session.run(Map.of("input", t))) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] logits = new float[batch * classes];
            out.get(logits);
            return logits;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + file + ": " + e.getMessage(), e);
        }
    }

    @Override public String note() { return "ORT " + OrtEnvironment.getEnvironment().getVersion() + ", " + threads + " intra-op threads"; }

    private void closeSession() {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                // Closing a session we no longer use; nothing to recover.
            }
            session = null;
        }
    }

    @Override public void close() { closeSession(); }
}
