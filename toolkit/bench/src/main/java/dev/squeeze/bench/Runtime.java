package dev.squeeze.bench;

/**
 * One inference engine running one model, as the benchmark sees it: plain float arrays in and out,
 * so that Squeeze's executor, libtorch, ND4J and ONNX Runtime are timed on exactly the same call.
 *
 * <p>Life cycle, driven by {@link Bench} on a single thread: {@link RuntimeFactory#create} once per
 * model, then for every (batch, threads) case {@link #prepare} once followed by many {@link #run}s,
 * and {@link #close} when the model is done. Implementations may keep per-batch buffers or sessions
 * between {@code prepare} and the next {@code prepare}.
 *
 * <p>Named {@code Runtime} as in "inference runtime"; inside this package {@code java.lang.Runtime}
 * must be written out in full.
 */
public interface Runtime extends AutoCloseable {

    /** Stable id used in tables and {@code bench.json}, e.g. {@code "djl-fp32"}, {@code "ort-int8"}. */
    String name();

    /**
     * Readies the runtime for calls with {@code batch} images using {@code threads} compute threads.
     * Called on the thread that will then call {@link #run} (some engines keep thread settings per
     * calling thread).
     *
     * @throws IllegalStateException when the engine cannot honour {@code threads}; the message says why
     */
    void prepare(int batch, int threads);

    /**
     * Logits for one batch.
     *
     * @param input {@code batch × C × H × W} floats (NCHW, row-major, normalised as the model was
     *     trained); may be longer, extra floats are ignored
     * @return {@code batch × classes} logits, row-major; a fresh array the caller may keep
     */
    float[] run(float[] input, int batch);

    /**
     * A short fact about how this runtime runs the current case (threads actually in use, kernels
     * chosen); shown in the {@code note} column. Empty when there is nothing to say.
     */
    default String note() { return ""; }

    /** Frees native memory. The model's {@code Network} belongs to the caller and stays open. */
    @Override void close();
}
