package dev.squeeze;

import java.util.Locale;

/**
 * Sets what DJL and libtorch need before the engine loads, once per JVM.
 *
 * <p>Why each setting: {@code DJL_OFFLINE} stops DJL from looking for native libraries online (the
 * PyTorch native jar is on the classpath); {@code OPT_OUT_TRACKING} stops DJL calling a cloud
 * metadata address at start-up; {@code OMP_WAIT_POLICY=PASSIVE} must be an environment variable (libgomp
 * reads it before Java can act) — without it OpenMP threads spin and throughput collapses on a shared
 * 2-core machine, so we warn once when it is missing. {@code ONEDNN_MAX_CPU_ISA} is the same kind: oneDNN
 * reads it when libtorch loads, and on some AVX-512 CPUs libtorch computes wrong convolution gradients
 * without a cap ({@link dev.squeeze.train.ConvGradientCheck}); we warn when it is missing unless this
 * machine's cached probe verdict says the gradients are exact.
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
        String isaWarning = onednnWarning(System.getenv(dev.squeeze.train.ConvGradientCheck.ISA_VARIABLE),
                dev.squeeze.train.ConvGradientCheck.cachedVerdict());
        if (isaWarning != null) System.err.println(isaWarning);
    }

    /**
     * The one-line warning for a missing oneDNN cap, or {@code null}: none when the variable is set (the
     * caller decided) or when this machine's probe verdict is {@code exact}.
     */
    static String onednnWarning(String isaCap, String verdict) {
        if (isaCap != null || "exact".equals(verdict)) return null;
        String fix = "start Java with ONEDNN_MAX_CPU_ISA=" + dev.squeeze.train.ConvGradientCheck.CAP + " or AVX2 (./squeeze, the tests and the notebook kernels set it through "
                + "toolkit/scripts/onednn-env.sh where needed)";
        if ("wrong".equals(verdict)) {
            return "Squeeze: ONEDNN_MAX_CPU_ISA is not set and this CPU is one where libtorch computes wrong convolution "
                    + "gradients (oneDNN's AVX-512 kernels; cached probe verdict): training here is unsound; " + fix + ".";
        }
        return "Squeeze: ONEDNN_MAX_CPU_ISA is not set and this machine was never checked for libtorch's wrong convolution "
                + "gradients on some AVX-512 CPUs: run bash toolkit/scripts/onednn-env.sh once to probe it (./squeeze does on first use), or " + fix + ".";
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
