package dev.squeeze.model;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Turns libtorch's NNPACK path off on CPUs where NNPACK cannot run, so libtorch stops printing
 * "Could not initialize NNPACK! Reason: Unsupported hardware." for every convolution.
 *
 * <p>Why it prints: for an inference convolution that oneDNN does not take (batch 1, a 3×3 kernel,
 * a small input: the Keras models' convs during the batch-1 latency runs), libtorch 2.7's
 * {@code ConvParams::use_nnpack} asks {@code at::_nnpack_available()}, which calls
 * {@code nnp_initialize()} and logs that warning every time it fails, about 240 lines per Keras
 * train or eval. The check is guarded by {@code at::globalContext().userEnabledNNPACK()}
 * ({@code torch.backends.nnpack.set_flags(False)} in Python), which DJL's JNI does not expose and no
 * environment variable sets. So, once per JVM after DJL has loaded libtorch, this asks NNPACK itself
 * ({@code nnp_initialize()}, which does not log and is idempotent) and, only when it reports failure,
 * calls {@code at::Context::setUserEnabledNNPACK(false)} through the foreign-function API. Where
 * NNPACK works nothing changes; where it does not, libtorch falls back to the convolution it used
 * anyway after the failed check, so results are unchanged.
 *
 * <p>The foreign-function API is final from Java 22 but a preview in 21, which this module compiles
 * for, so it is called reflectively. Anything unexpected (no Linux {@code /proc/self/maps}, symbols
 * missing in another libtorch build, native access denied) leaves libtorch as it is: the cost is
 * only the noise this removes.
 */
final class Nnpack {
    private static volatile boolean done;

    private Nnpack() {}

    /** Call after the PyTorch engine has loaded (libtorch_cpu is mapped). */
    static synchronized void disableWhereUnsupported() {
        if (done) return;
        done = true;
        try {
            Path lib = mappedLibTorch();
            if (lib == null) return;
            Ffm ffm = new Ffm(lib);
            int status = (int) ffm.function("nnp_initialize", ffm.layout("JAVA_INT")).invoke();
            if (status == 0) return; // nnp_status_success: NNPACK runs here, leave it on
            Object context = ffm.function("_ZN2at13globalContextEv", ffm.layout("ADDRESS")).invoke();
            ffm.function("_ZN2at7Context20setUserEnabledNNPACKEb", null, ffm.layout("ADDRESS"), ffm.layout("JAVA_BOOLEAN"))
                    .invoke(context, false);
        } catch (Throwable e) {
            if (System.getenv("SQUEEZE_DEBUG") != null) {
                System.err.println("Squeeze: could not switch NNPACK off (" + e + "); libtorch may print NNPACK warnings");
            }
        }
    }

    /** The libtorch_cpu.so this process has mapped (the one DJL loaded), from /proc/self/maps. */
    private static Path mappedLibTorch() throws java.io.IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return null;
        for (String line : Files.readAllLines(maps)) {
            int at = line.indexOf('/');
            if (at >= 0 && line.endsWith("/libtorch_cpu.so")) return Path.of(line.substring(at));
        }
        return null;
    }

    /** The few java.lang.foreign calls needed, by reflection (see the class comment). */
    private static final class Ffm {
        private final Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
        private final Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
        private final Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
        private final Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
        private final Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
        private final Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
        private final Class<?> lookupClass = Class.forName("java.lang.foreign.SymbolLookup");
        private final Object lookup;

        Ffm(Path lib) throws ReflectiveOperationException {
            Class<?> arenaClass = Class.forName("java.lang.foreign.Arena");
            // dlopen of an already-loaded library returns that library: the same globalContext() as DJL's.
            lookup = lookupClass.getMethod("libraryLookup", Path.class, arenaClass)
                    .invoke(null, lib, arenaClass.getMethod("global").invoke(null));
        }

        Object layout(String name) throws ReflectiveOperationException {
            return Class.forName("java.lang.foreign.ValueLayout").getField(name).get(null);
        }

        /** A handle on the exported C symbol {@code name}; {@code result} null for void. */
        MethodHandle function(String name, Object result, Object... args) throws ReflectiveOperationException {
            Optional<?> symbol = (Optional<?>) lookupClass.getMethod("find", String.class).invoke(lookup, name);
            if (symbol.isEmpty()) throw new IllegalStateException("libtorch_cpu has no symbol " + name);
            Object argArray = Array.newInstance(layoutClass, args.length);
            for (int i = 0; i < args.length; i++) Array.set(argArray, i, args[i]);
            Object descriptor = result == null
                    ? descriptorClass.getMethod("ofVoid", argArray.getClass()).invoke(null, argArray)
                    : descriptorClass.getMethod("of", layoutClass, argArray.getClass()).invoke(null, result, argArray);
            return (MethodHandle) linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass, optionClass.arrayType())
                    .invoke(linker, symbol.get(), descriptor, Array.newInstance(optionClass, 0));
        }
    }
}
