package dev.squeeze.data;

import java.nio.file.Path;
import java.util.List;

/**
 * No copy of a data set was found in any searched location. The message lists every path that was
 * searched and the two ways to get the data; {@link #searched()} gives the same paths to code.
 */
public class DataNotFoundException extends SqueezeDataException {
    private final String dataset;
    private final List<Path> searched;

    public DataNotFoundException(String dataset, List<Path> searched, String message) {
        super(message);
        this.dataset = dataset;
        this.searched = List.copyOf(searched);
    }

    /** The data set's name as {@link Datasets#load} takes it, e.g. {@code "cifar10"}. */
    public String dataset() { return dataset; }

    /** Every location that was looked at, in search order. */
    public List<Path> searched() { return searched; }
}
