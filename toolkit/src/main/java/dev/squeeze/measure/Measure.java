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

    /**
     * Times several runtimes on the same work side by side: warm-up for each, then {@code rounds}
     * rounds that run every runtime once in turn, so machine noise hits all of them alike. Medians
     * and ranges per runtime; the first runtime is the reference for the speed-up column.
     */
    public static java.util.List<Timing> interleaved(java.util.List<String> names, java.util.List<Runnable> work, int batch,
            int warmup, int rounds) {
        if (names.size() != work.size() || names.isEmpty()) {
            throw new IllegalArgumentException("interleaved needs one name per runtime, got " + names.size() + " names and "
                    + work.size() + " runtimes");
        }
        if (rounds < 1) throw new IllegalArgumentException("interleaved needs rounds ≥ 1, got " + rounds);
        for (Runnable r : work) for (int i = 0; i < warmup; i++) r.run();
        double[][] ms = new double[work.size()][rounds];
        for (int k = 0; k < rounds; k++) {
            for (int i = 0; i < work.size(); i++) {
                long t0 = System.nanoTime();
                work.get(i).run();
                ms[i][k] = (System.nanoTime() - t0) / 1e6;
            }
        }
        java.util.List<Timing> out = new java.util.ArrayList<>();
        double ref = Double.NaN;
        for (int i = 0; i < work.size(); i++) {
            Arrays.sort(ms[i]);
            double med = ms[i][rounds / 2];
            if (i == 0) ref = med;
            out.add(new Timing(names.get(i), batch, med, ms[i][0], ms[i][rounds - 1], batch * 1000.0 / med, ref / med));
        }
        return out;
    }

    public static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the size of " + p + ": " + e.getMessage(), e);
        }
    }
}
