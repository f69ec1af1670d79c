package dev.squeeze.bench;

import dev.squeeze.train.Budget;
import java.util.List;

/**
 * What one benchmark run measures and how long it may take.
 *
 * @param budget names the training recipe of each model and the defaults below
 * @param models zoo names, e.g. {@code ["seed-cnn", "resnet18", "mobilenetv2", "shufflenetv2"]} (the default)
 * @param batches images per call, e.g. {@code [1, 64]}
 * @param threads compute threads per runtime, e.g. {@code [1, 2]}
 * @param reference runtime name the others are compared with (speed-up and top-1 agreement)
 * @param runtimes runtime names to run; empty = every registered runtime
 * @param warmup unmeasured calls per runtime before each case
 * @param minRepeats measured calls per runtime at least
 * @param maxRepeats measured calls per runtime at most
 * @param secondsPerCase once {@code minRepeats} rounds are done, stop starting new rounds after this
 *     much measured time in a case (all runtimes together)
 * @param agreementImages real CIFAR-10 test images (seeded, class-stratified) on which every runtime's
 *     top-1 predictions are compared with the reference's
 * @param seed drives training, the image subset and the timing batch
 */
public record BenchConfig(Budget budget, List<String> models, List<Integer> batches, List<Integer> threads, String reference,
        List<String> runtimes, int warmup, int minRepeats, int maxRepeats, double secondsPerCase, int agreementImages, long seed) {

    public static final List<String> DEFAULT_MODELS = List.of("seed-cnn", "resnet18", "mobilenetv2", "shufflenetv2");

    public BenchConfig {
        models = List.copyOf(models);
        batches = List.copyOf(batches);
        threads = List.copyOf(threads);
        runtimes = List.copyOf(runtimes);
        if (models.isEmpty() || batches.isEmpty() || threads.isEmpty()) {
            throw new IllegalArgumentException("BenchConfig needs at least one model, batch and thread count; got models " + models
                    + ", batches " + batches + ", threads " + threads);
        }
        for (int b : batches) if (b < 1) throw new IllegalArgumentException("batch must be ≥ 1, got " + b + " in " + batches);
        for (int t : threads) if (t < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + t + " in " + threads);
        if (warmup < 0 || minRepeats < 1 || maxRepeats < minRepeats) {
            throw new IllegalArgumentException("BenchConfig needs warmup ≥ 0 and 1 ≤ minRepeats ≤ maxRepeats, got " + warmup + ", "
                    + minRepeats + ", " + maxRepeats);
        }
        if (agreementImages < 1) throw new IllegalArgumentException("agreementImages must be ≥ 1, got " + agreementImages);
    }

    /**
     * Defaults per budget. {@code quick} (CI): a few minutes in all with training — 2 warm-up calls,
     * 3–15 measured rounds or about 8 s per case, 256 agreement images. {@code standard}: 5 warm-ups,
     * 10–100 rounds or about 60 s per case, 2,000 images. {@code full}: 10 warm-ups, 20–300 rounds or
     * about 180 s per case, all 10,000 test images.
     */
    public static BenchConfig defaults(Budget budget) {
        int cores = java.lang.Runtime.getRuntime().availableProcessors();
        List<Integer> threads = cores > 1 ? List.of(1, cores) : List.of(1);
        return switch (budget) {
            case QUICK -> new BenchConfig(budget, DEFAULT_MODELS, List.of(1, 64), threads, DjlRuntime.NAME, List.of(), 2, 3, 15, 8, 256, 42);
            case STANDARD -> new BenchConfig(budget, DEFAULT_MODELS, List.of(1, 64), threads, DjlRuntime.NAME, List.of(), 5, 10, 100, 60, 2_000, 42);
            case FULL -> new BenchConfig(budget, DEFAULT_MODELS, List.of(1, 64), threads, DjlRuntime.NAME, List.of(), 10, 20, 300, 180, 10_000, 42);
        };
    }

    public BenchConfig withModels(List<String> m) { return new BenchConfig(budget, m, batches, threads, reference, runtimes, warmup, minRepeats, maxRepeats, secondsPerCase, agreementImages, seed); }
    public BenchConfig withBatches(List<Integer> b) { return new BenchConfig(budget, models, b, threads, reference, runtimes, warmup, minRepeats, maxRepeats, secondsPerCase, agreementImages, seed); }
    public BenchConfig withThreads(List<Integer> t) { return new BenchConfig(budget, models, batches, t, reference, runtimes, warmup, minRepeats, maxRepeats, secondsPerCase, agreementImages, seed); }
    public BenchConfig withReference(String r) { return new BenchConfig(budget, models, batches, threads, r, runtimes, warmup, minRepeats, maxRepeats, secondsPerCase, agreementImages, seed); }
    public BenchConfig withRuntimes(List<String> r) { return new BenchConfig(budget, models, batches, threads, reference, r, warmup, minRepeats, maxRepeats, secondsPerCase, agreementImages, seed); }
    public BenchConfig withRepeats(int warm, int min, int max, double seconds) { return new BenchConfig(budget, models, batches, threads, reference, runtimes, warm, min, max, seconds, agreementImages, seed); }
    public BenchConfig withAgreementImages(int n) { return new BenchConfig(budget, models, batches, threads, reference, runtimes, warmup, minRepeats, maxRepeats, secondsPerCase, n, seed); }
    public BenchConfig withSeed(long s) { return new BenchConfig(budget, models, batches, threads, reference, runtimes, warmup, minRepeats, maxRepeats, secondsPerCase, agreementImages, s); }
}
