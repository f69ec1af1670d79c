package dev.squeeze.bench;

/**
 * Makes a {@link Runtime} for one model. The benchmark's extension point: {@link Runtimes#defaults()}
 * lists the built-in factories and every factory named in
 * {@code META-INF/services/dev.squeeze.bench.RuntimeFactory} on the classpath, so a new engine (the
 * Squeeze int8 executor, ONNX Runtime) is added by writing a factory and registering it there or by
 * passing it to {@link BenchMain#run(String[], java.util.List)} — the harness is not edited.
 */
public interface RuntimeFactory {

    /** The name of the runtimes this factory makes (the same as {@link Runtime#name()}). */
    String name();

    /**
     * Whether this factory can run {@code model} at all (an int8 runtime may need calibration data, an
     * exporter may not support every layer). Unsupported pairs are skipped with a note, not failed.
     */
    default boolean supports(BenchModel model) { return true; }

    /**
     * A runtime for {@code model}, built from its weights. The factory may read
     * {@link BenchModel#calibration()} (e.g. to quantize) but must not modify the network.
     */
    Runtime create(BenchModel model);
}
