package dev.squeeze.notebook;

import dev.squeeze.Environment;
import dev.squeeze.train.Budget;
import java.util.Locale;

/**
 * The notebook's first cell: {@code var env = Squeeze.setup();} prints what this session runs on and
 * returns it. Thin on purpose: notebooks call the same packages as plain Java.
 */
public final class Squeeze {
    private Squeeze() {}

    public static final String VERSION = "0.1.0";

    /**
     * What a notebook session runs with.
     *
     * @param budget from {@code SQUEEZE_BUDGET} (the notebook runner sets {@code quick}), else {@code quick}
     * @param seed from {@code SQUEEZE_SEED}, else 42; drives every shuffle, init and subsample
     */
    public record Setup(String squeeze, String java, String djl, String engine, int torchThreads, int cores, String kernel,
            Budget budget, long seed, String dataHome, String cpu) {}

    public static Setup setup() {
        Environment.ensure();
        Budget budget = Budget.fromEnvironment(Budget.QUICK);
        String seedEnv = System.getenv("SQUEEZE_SEED");
        long seed = seedEnv == null || seedEnv.isBlank() ? 42 : Long.parseLong(seedEnv.trim());
        String engine;
        try {
            ai.djl.engine.Engine e = ai.djl.engine.Engine.getEngine("PyTorch");
            engine = "PyTorch " + e.getVersion();
        } catch (RuntimeException e) {
            engine = "unavailable (" + e.getMessage() + ")";
        }
        String home = System.getenv("SQUEEZE_DATA");
        Setup s = new Setup(VERSION, Runtime.version().toString(), ai.djl.engine.Engine.getDjlVersion(), engine,
                Environment.torchThreads(), Runtime.getRuntime().availableProcessors(), Display.kernel(), budget, seed,
                home != null ? home : System.getProperty("user.home") + "/.squeeze/data", Environment.cpuName());
        System.out.println(String.format(Locale.ROOT,
                "Squeeze %s | Java %s | DJL %s, %s, %d threads | %d cores (%s) | kernel %s | budget %s | seed %d | data %s",
                s.squeeze(), s.java(), s.djl(), s.engine(), s.torchThreads(), s.cores(), s.cpu(), s.kernel(), budget.id(),
                seed, s.dataHome()));
        return s;
    }
}
