package dev.squeeze.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.quant.IntegerReference;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** An ONNX Runtime session on an exported file, for tests: floats in, flat floats out. */
final class Ort implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    /**
     * @param optimizedModel where ORT writes the graph it actually runs (after its fusions), or null
     */
    Ort(Path model, OrtSession.SessionOptions.OptLevel level, Path optimizedModel) throws OrtException {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(level);
            o.setIntraOpNumThreads(1); // the test machine has 2 shared cores
            o.setInterOpNumThreads(1);
            if (optimizedModel != null) o.setOptimizedModelFilePath(optimizedModel.toString());
            session = env.createSession(model.toString(), o);
        }
    }

    Ort(Path model) throws OrtException { this(model, OrtSession.SessionOptions.OptLevel.ALL_OPT, null); }

    /**
     * @param x {@code [batch, C, H, W]} floats
     * @return the {@code logits} output, flattened row-major
     */
    float[] run(float[] x, int batch, int c, int h, int w) throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x, 0, batch * c * h * w), new long[] {batch, c, h, w});
             OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, t))) {
            OnnxTensor out = (OnnxTensor) r.get(OnnxExport.OUTPUT).orElseThrow();
            FloatBuffer fb = out.getFloatBuffer();
            float[] v = new float[fb.remaining()];
            fb.get(v);
            return v;
        }
    }

    @Override public void close() throws OrtException { session.close(); }

    /**
     * One op's output codes in ORT against {@link IntegerReference}'s.
     *
     * @param tensor the quantized tensor's name in the file ({@code input.q}, {@code op<id>.q})
     * @param differ how many codes differ
     * @param maxDiff largest difference in codes
     */
    record TapDiff(String tensor, String description, int values, int differ, int maxDiff) {
        @Override public String toString() {
            return String.format("%-8s %-26s %9d codes, %6d differ (%.4f %%), by at most %d", tensor, description, values, differ,
                    100.0 * differ / values, maxDiff);
        }
    }

    /**
     * Exports {@code m} with every quantized activation as an extra graph output, runs it in ORT (all
     * optimizations) and compares each op's codes with {@link IntegerReference#runWithTaps}.
     */
    static List<TapDiff> compareTaps(Int8Model m, float[] x, int batch, Path dir) throws Exception {
        Path f = Files.write(dir.resolve(m.name() + ".taps.onnx"), OnnxExport.int8QdqBytes(m, true));
        var s = m.inputShape();
        List<TapDiff> out = new ArrayList<>();
        try (Ort ort = new Ort(f);
             OnnxTensor t = OnnxTensor.createTensor(ort.env, FloatBuffer.wrap(x, 0, batch * s.size()),
                     new long[] {batch, s.channels(), s.height(), s.width()});
             OrtSession.Result r = ort.session.run(Map.of(OnnxExport.INPUT, t))) {
            for (IntegerReference.Tap tap : IntegerReference.runWithTaps(m, x, batch)) {
                String name = tap.opId() == -1 ? "input.q" : "op" + tap.opId() + ".q";
                ByteBuffer b = ((OnnxTensor) r.get(name).orElseThrow(() -> new AssertionError("no output " + name))).getByteBuffer();
                boolean unsigned = tap.params().qmin() >= 0;
                int[] want = tap.codes();
                int differ = 0, max = 0;
                for (int i = 0; i < want.length; i++) {
                    int got = unsigned ? b.get(i) & 0xFF : b.get(i);
                    if (got != want[i]) {
                        differ++;
                        max = Math.max(max, Math.abs(got - want[i]));
                    }
                }
                out.add(new TapDiff(name, tap.description(), want.length, differ, max));
            }
        }
        return out;
    }
}
