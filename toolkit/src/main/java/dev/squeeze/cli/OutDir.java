package dev.squeeze.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A command's {@code --out} directory: checked before any work starts, and filled all at once at the end.
 *
 * <p>Why the check comes first: {@code train} at the {@code full} budget runs for hours, and an
 * {@code --out} that is a file or not writable used to surface only when the first result was saved.
 *
 * <p>Why staging: a run writes several files that belong together (the model, the JSON that names it
 * and reports its accuracy, the plots). Written straight into {@code --out}, a run that was interrupted
 * or failed part-way left a new model beside the previous run's JSON and plots. So a command writes
 * every output into a staging directory next to {@code --out} (a sibling, so on the same file system and
 * a move is a rename; inside {@code --out} when its parent is not writable), and {@link #commit} moves
 * them into {@code --out} only after the last one is written: first checks that every move can succeed,
 * then renames each file (atomically where the file system allows) with the command's JSON, which
 * names the others, last. Until then {@code --out} holds the previous run's outputs untouched; a run
 * that fails, or is stopped with Ctrl-C (a shutdown hook), deletes its staging directory. Only a killed
 * JVM leaves one behind, a hidden {@code .<out>.staging-*} folder that is safe to delete.
 */
final class OutDir implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String command;
    private final Path out;
    private final Path staging;
    private final Thread cleanup;
    private boolean keep;

    private OutDir(String command, Path out, Path staging) {
        this.command = command;
        this.out = out;
        this.staging = staging;
        this.cleanup = new Thread(() -> deleteTree(staging), "squeeze-staging-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /**
     * Checks {@code --out} and creates the staging directory.
     *
     * @throws Args.UsageException {@code --out} (or a folder above it) is a file, or is not writable
     */
    static OutDir open(String command, Path given) {
        Path out = given.toAbsolutePath().normalize();
        for (Path p = out; p != null; p = p.getParent()) {
            if (!Files.exists(p)) continue;
            if (!Files.isDirectory(p)) {
                throw new Args.UsageException(p.equals(out)
                        ? command + ": --out " + given + " is a file, not a directory; give a directory (it is created when missing)"
                                + " or move the file away"
                        : command + ": --out " + given + " cannot be created: " + p + " is a file; give a directory path");
            }
            if (!Files.isWritable(p)) {
                throw new Args.UsageException(command + ": --out " + given + " is not writable (" + (p.equals(out) ? "" : "it would be created in ")
                        + p + ", which this user may not write to); choose another directory or fix its permissions");
            }
            break;
        }
        try {
            Files.createDirectories(out);
            Path parent = out.getParent();
            Path base = parent != null && Files.isWritable(parent) ? parent : out;
            String name = "." + (out.getFileName() == null ? "out" : out.getFileName()) + ".staging-"
                    + Long.toUnsignedString(RANDOM.nextLong(), 36);
            // createDirectory, not createTempDirectory: the latter's mode 0700 would carry over to
            // sub-folders moved into --out.
            return new OutDir(command, out, Files.createDirectory(base.resolve(name)));
        } catch (IOException e) {
            throw new Args.UsageException(command + ": --out " + given + " is not writable: " + e.getMessage()
                    + "; choose another directory or fix its permissions");
        }
    }

    /** Where an output named {@code name} is written during the run. */
    Path staged(String name) {
        return staging.resolve(name);
    }

    /** Where an output written at {@code stagedPath} will be once the run commits: the path to report. */
    Path target(Path stagedPath) {
        return out.resolve(staging.relativize(stagedPath));
    }

    /** The final path of output {@code name}. */
    Path target(String name) {
        return out.resolve(name);
    }

    /** Moves every staged output into {@code --out} (see the class comment); {@code lastName} goes last. */
    void commit(String lastName) {
        try {
            List<Path> files = new ArrayList<>();
            try (Stream<Path> s = Files.walk(staging)) {
                s.filter(p -> !Files.isDirectory(p)).forEach(files::add);
            }
            // Check everything before moving anything: a failed check leaves --out as it was, and keeps
            // this run's outputs (maybe hours of training) where the message says.
            for (Path f : files) {
                Path t = target(f);
                for (Path p = t; p != null && !p.equals(out); p = p.getParent()) {
                    boolean blocks = p.equals(t) ? Files.isDirectory(p) : Files.exists(p) && !Files.isDirectory(p);
                    if (blocks) {
                        keep = true;
                        throw new IllegalStateException(command + ": cannot put " + out.relativize(t) + " into " + out + ": " + p
                                + " is a " + (Files.isDirectory(p) ? "directory" : "file") + ". Nothing in " + out + " was changed;"
                                + " this run's outputs are in " + staging + ": move " + p + " away, then move them into " + out);
                    }
                }
            }
            files.sort(Comparator.comparing((Path f) -> f.getFileName().toString().equals(lastName)));
            for (Path f : files) {
                Path t = target(f);
                Files.createDirectories(t.getParent());
                try {
                    Files.move(f, t, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(f, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not move the results into " + out + ": " + e.getMessage(), e);
        } finally {
            close();
        }
    }

    /** Deletes the staging directory (whatever a failed run left in it) unless a blocked commit keeps it. */
    @Override
    public void close() {
        if (!keep) deleteTree(staging);
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or about to: it deletes the same directory.
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("squeeze: could not delete the staging folder " + dir + " (" + e.getMessage() + "); delete it by hand");
        }
    }
}
