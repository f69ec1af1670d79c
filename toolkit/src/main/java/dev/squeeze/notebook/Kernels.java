package dev.squeeze.notebook;

/** Which notebook kernel, if any, this JVM runs in — detected by class presence, no compile-time dependency. */
public final class Kernels {
    private Kernels() {}

    /** {@code "rapaio"}, {@code "ijava"} or {@code "none"}. */
    public static String current() {
        if (present("org.rapaio.jupyter.kernel.core.RapaioKernel")) return "rapaio";
        if (present("io.github.spencerpark.ijava.IJava")) return "ijava";
        return "none";
    }

    private static boolean present(String name) {
        try {
            Class.forName(name, false, Thread.currentThread().getContextClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            try {
                Class.forName(name, false, ClassLoader.getSystemClassLoader());
                return true;
            } catch (ClassNotFoundException | LinkageError e2) {
                return false;
            }
        }
    }
}
