package dev.squeeze.cli;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --flag} options; unknown options are an error naming the allowed ones. */
final class Args {
    private final String command;
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    Args(String command, String[] argv, int from, List<String> valued, List<String> booleans) {
        this.command = command;
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) throw new UsageException(command + ": unexpected argument '" + a + "'; options start with --");
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq > 0) { inline = name.substring(eq + 1); name = name.substring(0, eq); }
            if (valued.contains(name)) {
                if (inline == null) {
                    if (i + 1 >= argv.length) throw new UsageException(command + ": --" + name + " needs a value");
                    inline = argv[++i];
                }
                values.put(name, inline);
            } else if (booleans.contains(name)) {
                flags.add(name);
            } else {
                throw new UsageException(command + ": unknown option --" + name + "; allowed: --" + String.join(", --", valued)
                        + (booleans.isEmpty() ? "" : ", --" + String.join(", --", booleans)));
            }
        }
    }

    String get(String name, String fallback) { return values.getOrDefault(name, fallback); }

    String require(String name, String hint) {
        String v = values.get(name);
        if (v == null) throw new UsageException(command + ": --" + name + " is required (" + hint + ")");
        return v;
    }

    boolean has(String name) { return values.containsKey(name); }
    boolean flag(String name) { return flags.contains(name); }

    /** As {@link #intValue} but 0 is allowed (e.g. {@code --finetune-epochs 0}: none). */
    int nonNegativeInt(String name, int fallback) { return atLeast(name, fallback, 0); }

    int intValue(String name, int fallback) { return atLeast(name, fallback, 1); }

    private int atLeast(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            int n = Integer.parseInt(v.replace("_", ""));
            if (n < min) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a whole number ≥ " + min + ", got '" + v + "'");
        }
    }

    long longValue(String name, long fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, got '" + v + "'");
        }
    }

    float floatValue(String name, float fallback) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            return Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a number, got '" + v + "'");
        }
    }

    /**
     * A number > 0 (learning rates): the message names the option, where the library's own check
     * ("learningRate must be > 0") would not.
     */
    float positiveFloat(String name, float fallback) {
        float f = floatValue(name, fallback);
        if (!(f > 0) || Float.isInfinite(f)) {
            throw new UsageException(command + ": --" + name + " must be a number > 0, got '" + values.get(name) + "'");
        }
        return f;
    }

    /**
     * {@code parse} applied to option {@code name}'s value (or {@code fallback} when it is absent). A
     * bad value is a usage error (exit 2) naming the option, whatever the parser throws: the parsers
     * (Budget.parse, Datasets.key, Zoo.get) are library code that does not know it serves an option.
     */
    <T> T parsed(String name, String fallback, java.util.function.Function<String, T> parse) {
        String v = values.getOrDefault(name, fallback);
        try {
            return parse.apply(v);
        } catch (RuntimeException e) {
            throw new UsageException(command + ": --" + name + " " + v + ": " + e.getMessage(), e);
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String m) { super(m); }
        UsageException(String m, Throwable cause) { super(m, cause); }
    }
}
