package dev.squeeze.bench;

import dev.squeeze.exec.Int8Executor;
import dev.squeeze.exec.FloatExecutor;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.quant.Fusion;

/**
 * Squeeze's own CPU executors as benchmark runtimes:
 * <ul>
 *   <li>{@value #INT8}: {@link Int8Executor} over the one int8 model of {@link Int8Models} (the same weights,
 *       scales and zero points that {@code ort-int8} runs);</li>
 *   <li>{@value #FP32}: {@link FloatExecutor} over {@code Fusion.of(network)} (BatchNorm folded,
 *       activations fused; the same float weights as {@code djl-fp32} and {@code ort-fp32}).</li>
 * </ul>
 * Each plans its buffers and starts its worker threads in {@link Runtime#prepare}, rebuilding the
 * executor only when the batch or thread count changes, so timed runs allocate only the returned logits.
 */
public final class SqueezeRuntimes {
    public static final String INT8 = "squeeze-int8";
    public static final String FP32 = "squeeze-fp32";

    private SqueezeRuntimes() {}

    public static RuntimeFactory int8Factory() {
        return new RuntimeFactory() {
            @Override public String name() { return INT8; }
            @Override public Runtime create(BenchModel m) { return new Int8(m); }
        };
    }

    public static RuntimeFactory fp32Factory() {
        return new RuntimeFactory() {
            @Override public String name() { return FP32; }
            @Override public Runtime create(BenchModel m) { return new Fp32(m); }
        };
    }

    /** Int8: the model is converted (or taken from the shared cache) once, in {@code create}. */
    private static final class Int8 implements Runtime {
        private final dev.squeeze.ir.Int8Model model;
        private Int8Executor exec;
        private int batch, threads;

        Int8(BenchModel m) { model = Int8Models.of(m); }

        @Override public String name() { return INT8; }

        @Override public void prepare(int b, int t) {
            if (exec != null && b == batch && t == threads) return;
            close();
            exec = Int8Executor.of(model, new Int8Executor.Options(t, b));
            batch = b;
            threads = t;
        }

        @Override public float[] run(float[] input, int b) { return ready(exec, INT8).run(input, b); }

        @Override public String note() { return exec == null ? "" : threads + " thread(s), " + exec.kernels().name(); }

        @Override public void close() {
            if (exec != null) exec.close();
            exec = null;
        }
    }

    /** Fp32: the graph is fused once, in {@code create}. */
    private static final class Fp32 implements Runtime {
        private final FusedGraph graph;
        private FloatExecutor exec;
        private int batch, threads;

        Fp32(BenchModel m) { graph = Fusion.of(m.network()); }

        @Override public String name() { return FP32; }

        @Override public void prepare(int b, int t) {
            if (exec != null && b == batch && t == threads) return;
            close();
            exec = FloatExecutor.of(graph, new Int8Executor.Options(t, b));
            batch = b;
            threads = t;
        }

        @Override public float[] run(float[] input, int b) { return ready(exec, FP32).run(input, b); }

        @Override public String note() { return exec == null ? "" : threads + " thread(s), " + exec.kernels().name(); }

        @Override public void close() {
            if (exec != null) exec.close();
            exec = null;
        }
    }

    private static <T> T ready(T exec, String name) {
        if (exec == null) throw new IllegalStateException(name + ": run called before prepare(batch, threads); call prepare first");
        return exec;
    }
}
