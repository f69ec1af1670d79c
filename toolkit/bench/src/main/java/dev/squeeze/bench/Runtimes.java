package dev.squeeze.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The runtimes {@code ./squeeze bench} knows: the built-ins (DJL/libtorch fp32, ND4J fp32) and every
 * {@link RuntimeFactory} registered through {@link ServiceLoader}, i.e. listed one class name per line in
 * {@code META-INF/services/dev.squeeze.bench.RuntimeFactory} of any jar on the classpath (the class needs
 * a public no-argument constructor). That file is how the Squeeze int8/fp32 executors and ONNX Runtime
 * join without editing the harness.
 */
public final class Runtimes {
    private Runtimes() {}

    /** The built-in peers, in table order. */
    public static List<RuntimeFactory> builtIn() {
        return List.of(SqueezeRuntimes.int8Factory(), SqueezeRuntimes.fp32Factory(), OrtRuntime.int8Factory(), OrtRuntime.fp32Factory(),
                DjlRuntime.factory(), Nd4jRuntime.factory());
    }

    /**
     * Every registered runtime factory: service-loaded ones first (Squeeze's own runtimes belong at the
     * top of the table), then the built-ins. A service-loaded factory with a built-in's name replaces it.
     */
    public static List<RuntimeFactory> defaults() {
        Map<String, RuntimeFactory> byName = new LinkedHashMap<>();
        for (RuntimeFactory f : ServiceLoader.load(RuntimeFactory.class)) {
            RuntimeFactory old = byName.putIfAbsent(f.name(), f);
            if (old != null) {
                throw new IllegalStateException("Two runtime factories are named '" + f.name() + "': " + old.getClass().getName() + " and "
                        + f.getClass().getName() + "; give each a unique name()");
            }
        }
        for (RuntimeFactory f : builtIn()) byName.putIfAbsent(f.name(), f);
        return new ArrayList<>(byName.values());
    }
}
