package dev.squeeze.train;

import java.util.Locale;

/**
 * How much compute a run may spend. Notebooks, the CLI and benchmarks share these, so "quick" means
 * the same thing everywhere: {@link Recipe#of} maps a (model, data set, budget) to data limits and
 * epochs.
 */
public enum Budget {
    /** CI and Binder: a few minutes on 1–2 cores, small seeded stratified subsets. */
    QUICK,
    /** The seed's recipe on full data where a laptop can do it in minutes to an hour. */
    STANDARD,
    /** Full data and the longer published recipes; hours on a laptop. */
    FULL;

    public static Budget parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown budget '" + s + "'; choose quick, standard or full");
        }
    }

    /** {@code SQUEEZE_BUDGET} from the environment (set by the notebook runner), else {@code fallback}. */
    public static Budget fromEnvironment(Budget fallback) {
        String env = System.getenv("SQUEEZE_BUDGET");
        return env == null || env.isBlank() ? fallback : parse(env);
    }

    public String id() { return name().toLowerCase(Locale.ROOT); }
}
