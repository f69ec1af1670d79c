package dev.squeeze.data;

/**
 * A data set could not be read: a file is missing, truncated, corrupt or inconsistent.
 *
 * <p>Unchecked so that notebook cells and CLI commands can call the loaders without ceremony. Every
 * message names the file, the offending offset or value, and how to fix it, because the person who
 * sees it usually cannot attach a debugger to a notebook kernel.
 */
public class SqueezeDataException extends RuntimeException {
    public SqueezeDataException(String message) {
        super(message);
    }

    public SqueezeDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
