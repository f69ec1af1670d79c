package dev.squeeze.measure;

import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Accuracy, size and latency measurements shared by notebooks, the CLI and benchmarks. */
public final class Measure {
    private Measure() {}

    /**
     * Runs {@code work} {@code warmup} times unmeasured, then {@code repeats} times measured.
     * Medians, not means: shared machines have heavy-tailed noise.
     */
    public static Latency latency(Runnable work, int batch, int warmup, int repeats) {
        if (warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException("latency needs warmup ≥ 0 and repeats ≥ 1, got " + warmup + " and " + repeats);
        }
        for (int i = 0; i < warmup; i++) work.run();
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            work.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return new Latency(ms[repeats / 2], ms[0], ms[repeats - 1], ms[Math.min(repeats - 1, (int) Math.ceil(repeats * 0.9) - 1)],
                batch, repeats);
    }

    /** Latency of {@code net} on the first {@code batch} images of {@code data}. */
    public static Latency latency(Network net, ImageSet data, Preprocessing prep, int batch, int warmup, int repeats) {
        int b = Math.min(batch, data.size());
        float[] x = new BatchMaker(data, prep.withAugmentation(0, false)).batch(0, b);
        return latency(() -> net.logits(x, b), b, warmup, repeats);
    }

    public static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the size of " + p + ": " + e.getMessage(), e);
        }
    }
}
