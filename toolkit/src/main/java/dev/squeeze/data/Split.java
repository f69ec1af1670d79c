package dev.squeeze.data;

import java.util.Locale;

/** Which part of a data set: the official training or test split. */
public enum Split {
    TRAIN,
    TEST;

    /** Lower-case name as used in folder layouts and {@link ImageSet} names: {@code "train"}, {@code "test"}. */
    public String folder() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code "train"} or {@code "test"} (any case); anything else is an error naming the value. */
    public static Split parse(String s) {
        for (Split v : values()) {
            if (v.name().equalsIgnoreCase(s.strip())) return v;
        }
        throw new IllegalArgumentException("Unknown split '" + s + "'; use train or test");
    }
}
