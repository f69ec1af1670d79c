package dev.squeeze;

import java.util.Locale;

/**
 * Sets what DJL and libtorch need before the engine loads, once per JVM.
 *
 * <p>Why each setting: {@code DJL_OFFLINE} stops DJL from looking for native libraries online (the
 * PyTorch native jar is on the classpath); {@code OPT_OUT_TRACKING} stops DJL calling a cloud
 * metadata address at start-up; {@code OMP_WAIT_POLICY=PASSIVE} must be an environment variable (libgomp
 * reads it before Java can act) — without it OpenMP threads spin and throughput collapses on a shared
 * 2-core machine, so we warn once when it is missing.
 */
public final class Environment {
    private static volatile boolean done;

    private Environment() {}

    public static synchronized void ensure() {
        if (done) return;
        done = true;
        setIfAbsent("DJL_OFFLINE", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        String threads = System.getenv("SQUEEZE_THREADS");
        int n = threads != null ? Integer.parseInt(threads.trim()) : Runtime.getRuntime().availableProcessors();
        setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(n));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        // DJL probes for CUDA on every start and warns when there is none; on a CPU-only machine that is noise.
        setIfAbsent("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        if (System.getenv("OMP_WAIT_POLICY") == null) {
            System.err.println("Squeeze: OMP_WAIT_POLICY is not set; set OMP_WAIT_POLICY=PASSIVE before starting Java "
                    + "(./squeeze and the notebook kernels do) or libtorch's threads spin and slow everything on small machines.");
        }
    }

    /** Threads libtorch uses for one op. */
    public static int torchThreads() {
        ensure();
        return Integer.parseInt(System.getProperty("ai.djl.pytorch.num_threads"));
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null && System.getenv(key) == null) System.setProperty(key, value);
    }

    /** One line naming the JDK, OS and CPU, for provenance and benchmark notes. */
    public static String machine() {
        return "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + "), "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, " + cpuName();
    }

    public static String cpuName() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.toLowerCase(Locale.ROOT).startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (Exception ignored) {
            // Not Linux: the name is a nicety, not a requirement.
        }
        return System.getProperty("os.arch");
    }
}
