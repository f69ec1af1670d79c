package dev.squeeze.bench;

import ai.djl.pytorch.jni.JniUtils;
import dev.squeeze.model.Network;

/**
 * DJL with the PyTorch engine (libtorch, fp32): {@link Network#logits}, exactly the call Squeeze's
 * training and evaluation use, including its per-call NDArray copy in and out.
 *
 * <p>Threads. {@code dev.squeeze.Environment} fixes libtorch's intra-op thread count once per JVM,
 * before the engine loads, through the system property {@code ai.djl.pytorch.num_threads}
 * ({@code SQUEEZE_THREADS}, else all cores). To time 1 and 2 threads in one JVM, {@link #prepare}
 * additionally calls {@code JniUtils.setNumThreads(n)}, i.e. libtorch's {@code at::set_num_threads}.
 * With the OpenMP build that Maven's {@code pytorch-native-cpu} ships this sets the OpenMP thread
 * count of the calling thread, which is why {@link Bench} calls {@code prepare} and {@code run} on
 * the same thread. {@code prepare} reads the count back and fails if libtorch did not take it. The
 * measured CPU-time/wall-time ratio in each row is the independent check that the count took effect.
 * To rule out any doubt, run one JVM per count: {@code SQUEEZE_THREADS=1 ./squeeze bench --threads 1}.
 */
public final class DjlRuntime implements Runtime {
    public static final String NAME = "djl-fp32";

    private final Network network;
    private int threads;

    public DjlRuntime(Network network) { this.network = network; }

    /** Factory for {@link Runtimes}. */
    public static RuntimeFactory factory() {
        return new RuntimeFactory() {
            @Override public String name() { return NAME; }
            @Override public Runtime create(BenchModel model) { return new DjlRuntime(model.network()); }
        };
    }

    @Override public String name() { return NAME; }

    @Override public void prepare(int batch, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        JniUtils.setNumThreads(threads);
        int actual = JniUtils.getNumThreads();
        if (actual != threads) {
            throw new IllegalStateException("libtorch runs " + actual + " intra-op threads after at::set_num_threads(" + threads
                    + "); run one JVM per thread count instead: SQUEEZE_THREADS=" + threads + " ./squeeze bench --threads " + threads);
        }
        this.threads = actual;
    }

    @Override public float[] run(float[] input, int batch) { return network.logits(input, batch); }

    @Override public String note() { return "libtorch " + threads + " intra-op, 1 inter-op"; }

    @Override public void close() {
        // The network belongs to the harness; nothing native is held here.
    }
}
