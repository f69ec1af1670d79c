package dev.squeeze.bench;

import dev.squeeze.Environment;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.model.Network;
import dev.squeeze.report.Charts;
import dev.squeeze.report.Tables;
import dev.squeeze.util.Json;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tech.tablesaw.api.Table;

/**
 * The side-by-side benchmark: every runtime runs the same weights on the same inputs in one JVM.
 *
 * <p>Per model: each {@link RuntimeFactory} makes a {@link Runtime}; then every runtime classifies
 * the same real test images (seeded, class-stratified CIFAR-10 test subset) and its top-1 classes are
 * compared with the reference runtime's ({@code top1_agreement}). Then per (batch, threads) case:
 * each runtime is prepared and warmed up, and the measured calls run in <em>interleaved rounds</em> —
 * one call of every runtime per round, the starting runtime rotating from round to round — so that
 * machine noise (other processes, thermal or frequency changes) falls on all runtimes alike instead
 * of on whichever happened to run during a burst. Rounds continue until {@code minRepeats} are done
 * and {@code secondsPerCase} has passed, or {@code maxRepeats} are done. Medians, not means: shared
 * machines have heavy-tailed noise.
 *
 * <p>Everything runs on the calling thread: some engines (libtorch's OpenMP build) keep their thread
 * count per calling thread, so {@code prepare} and {@code run} must share it.
 *
 * <p>A runtime that fails to build, prepare or run gives rows with {@code NaN} times and the error in
 * {@code note}; the others carry on.
 */
public final class Bench {
    private final BenchConfig config;
    private final List<RuntimeFactory> factories;
    private final PrintStream log;
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /**
     * @param factories runtimes to compare, in table order (filtered by {@link BenchConfig#runtimes()})
     * @param log progress lines (one per case)
     */
    public Bench(BenchConfig config, List<RuntimeFactory> factories, PrintStream log) {
        this.config = config;
        List<RuntimeFactory> chosen = new ArrayList<>();
        for (RuntimeFactory f : factories) if (config.runtimes().isEmpty() || config.runtimes().contains(f.name())) chosen.add(f);
        for (String wanted : config.runtimes()) {
            if (chosen.stream().noneMatch(f -> f.name().equals(wanted))) {
                throw new IllegalArgumentException("No runtime named '" + wanted + "'; registered: "
                        + factories.stream().map(RuntimeFactory::name).toList() + ". Register a RuntimeFactory (see Runtimes)");
            }
        }
        if (chosen.isEmpty()) throw new IllegalArgumentException("No runtimes to benchmark; registered: " + factories.stream().map(RuntimeFactory::name).toList());
        this.factories = List.copyOf(chosen);
        this.log = log;
    }

    /**
     * Benchmarks every model.
     *
     * @param models the weights to run (the caller keeps ownership of the networks)
     * @param testSet real labelled test images ({@code N × C × H × W} bytes); the agreement images are a
     *     seeded, class-stratified subset of it
     */
    public BenchReport run(List<BenchModel> models, ImageSet testSet) {
        double loadBefore = loadAverage();
        List<BenchRow> rows = new ArrayList<>();
        List<BenchReport.ModelInfo> infos = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        ImageSet images = testSet.subset(config.agreementImages(), config.seed() + 2, true);
        if (factories.stream().noneMatch(f -> f.name().equals(config.reference()))) {
            notes.add("Reference runtime '" + config.reference() + "' is not among the runtimes run; speed-up and agreement are empty.");
        }
        for (BenchModel m : models) {
            int n = agreementCount(images.size());
            infos.add(new BenchReport.ModelInfo(m.name(), m.network().architecture().trainableParameters(), m.testAccuracy(),
                    m.provenance(), n));
            rows.addAll(runModel(m, images, notes));
        }
        double loadAfter = loadAverage();
        int cores = java.lang.Runtime.getRuntime().availableProcessors();
        if (Math.max(loadBefore, loadAfter) > cores) {
            notes.add(String.format(Locale.ROOT, "Load average %.1f → %.1f on %d cores: other processes competed for the CPU; "
                    + "times are inflated and noisy, ratios between runtimes less so (interleaved rounds).", loadBefore, loadAfter, cores));
        }
        return new BenchReport(Environment.machine(), Environment.cpuName(), isa(), new double[] {loadBefore, loadAfter}, environment(), config,
                infos, rows, notes);
    }

    private List<BenchRow> runModel(BenchModel m, ImageSet images, List<String> notes) {
        List<BenchRow> rows = new ArrayList<>();
        Map<String, Runtime> runtimes = new LinkedHashMap<>();
        Map<String, String> broken = new LinkedHashMap<>();
        for (RuntimeFactory f : factories) {
            if (!f.supports(m)) { broken.put(f.name(), f.name() + " does not support " + m.name()); continue; }
            try {
                runtimes.put(f.name(), f.create(m));
            } catch (RuntimeException e) {
                broken.put(f.name(), "create failed: " + e);
                notes.add(m.name() + " / " + f.name() + ": could not be built: " + e.getMessage());
            }
        }
        try {
            BatchMaker maker = new BatchMaker(images, m.preprocessing().withAugmentation(0, false));
            Map<String, double[]> quality = agreement(m, runtimes, broken, maker, images, notes);
            for (int batch : config.batches()) {
                float[] x = timingBatch(maker, images.size(), batch);
                for (int threads : config.threads()) {
                    rows.addAll(measureCase(m, runtimes, broken, quality, x, batch, threads));
                }
            }
        } finally {
            for (Runtime r : runtimes.values()) {
                try { r.close(); } catch (RuntimeException e) { log.println("bench: closing " + r.name() + " failed: " + e); }
            }
        }
        return rows;
    }

    /** Images per agreement call; the agreement set is cut to a multiple so every call has the same batch. */
    private static int chunk(int n) { return Math.min(64, n); }

    private static int agreementCount(int available) {
        int c = chunk(available);
        return available / c * c;
    }

    /**
     * Top-1 agreement with the reference and top-1 accuracy, per runtime: {@code [agreement, accuracy]}.
     * Runs at the largest thread count of the config (it is not timed).
     */
    private Map<String, double[]> agreement(BenchModel m, Map<String, Runtime> runtimes, Map<String, String> broken, BatchMaker maker,
            ImageSet images, List<String> notes) {
        int chunk = chunk(images.size()), n = agreementCount(images.size());
        int threads = config.threads().stream().mapToInt(Integer::intValue).max().orElse(1);
        Map<String, int[]> predictions = new LinkedHashMap<>();
        for (Runtime r : runtimes.values()) {
            try {
                r.prepare(chunk, threads);
                int[] p = new int[n];
                for (int from = 0; from < n; from += chunk) {
                    float[] logits = checked(r, r.run(maker.batch(from, chunk), chunk), chunk, m.classes());
                    System.arraycopy(Network.argmax(logits, chunk), 0, p, from, chunk);
                }
                predictions.put(r.name(), p);
            } catch (RuntimeException e) {
                broken.put(r.name(), "agreement run failed: " + e);
                notes.add(m.name() + " / " + r.name() + ": failed on the agreement images: " + e.getMessage());
            }
        }
        int[] ref = predictions.get(config.reference());
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : predictions.entrySet()) {
            int same = 0, correct = 0;
            for (int i = 0; i < n; i++) {
                if (ref != null && e.getValue()[i] == ref[i]) same++;
                if (e.getValue()[i] == images.label(i)) correct++;
            }
            out.put(e.getKey(), new double[] {ref == null ? Double.NaN : (double) same / n, (double) correct / n});
        }
        return out;
    }

    /** The first {@code batch} agreement images (repeated if the set is smaller): real pixels, not noise. */
    private static float[] timingBatch(BatchMaker maker, int available, int batch) {
        int[] idx = new int[batch];
        for (int i = 0; i < batch; i++) idx[i] = i % available;
        float[] x = new float[batch * maker.set().imageBytes()];
        maker.fill(idx, 0, batch, x, null);
        return x;
    }

    /** Minimum warm-up time per runtime and case: 1.5 s at the quick budget, 3 s otherwise. */
    private double warmupSeconds() {
        return config.budget() == dev.squeeze.train.Budget.QUICK ? 1.5 : 3.0;
    }

    private List<BenchRow> measureCase(BenchModel m, Map<String, Runtime> runtimes, Map<String, String> broken, Map<String, double[]> quality,
            float[] x, int batch, int threads) {
        List<Runtime> active = new ArrayList<>();
        Map<String, String> failed = new LinkedHashMap<>(broken);
        for (Runtime r : runtimes.values()) {
            if (failed.containsKey(r.name())) continue;
            try {
                r.prepare(batch, threads);
                checked(r, r.run(x, batch), batch, m.classes());
                // Warm-up by count AND time: JVM-native runtimes (Squeeze's executors) reach C2-compiled code
                // only after thousands of loop iterations, while native peers are fast from the first call.
                // A count-only warm-up of a few calls would time the JIT's interpreter, not the executor.
                long until = System.nanoTime() + (long) (warmupSeconds() * 1e9);
                for (int i = 1; i < config.warmup() || System.nanoTime() < until; i++) r.run(x, batch);
                active.add(r);
            } catch (RuntimeException e) {
                failed.put(r.name(), "prepare/warm-up failed: " + e);
            }
        }
        // Interleaved rounds; prepare() of the last runtime must not undo the others' thread settings,
        // which holds because each engine keeps its own (libtorch, libnd4j/OpenBLAS, ORT sessions).
        int n = active.size();
        double[][] ms = new double[n][config.maxRepeats()];
        long[] cpuNs = new long[n], wallNs = new long[n];
        boolean[] dead = new boolean[n];
        int rounds = 0;
        long start = System.nanoTime();
        while (n > 0 && rounds < config.maxRepeats()
                && (rounds < config.minRepeats() || (System.nanoTime() - start) / 1e9 < config.secondsPerCase())) {
            for (int k = 0; k < n; k++) {
                int i = (k + rounds) % n; // rotate who goes first, so no runtime always runs right after the same one
                if (dead[i]) continue;
                Runtime r = active.get(i);
                try {
                    long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                    r.run(x, batch);
                    long t1 = System.nanoTime(), c1 = os.getProcessCpuTime();
                    ms[i][rounds] = (t1 - t0) / 1e6;
                    cpuNs[i] += c1 - c0;
                    wallNs[i] += t1 - t0;
                } catch (RuntimeException e) {
                    dead[i] = true;
                    failed.put(r.name(), "run failed in round " + rounds + ": " + e);
                }
            }
            rounds++;
        }
        List<BenchRow> rows = new ArrayList<>();
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) index.put(active.get(i).name(), i);
        double refMedian = Double.NaN;
        if (index.containsKey(config.reference()) && !dead[index.get(config.reference())]) {
            refMedian = median(Arrays.copyOf(ms[index.get(config.reference())], rounds));
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "bench: %s batch %d threads %d, %d rounds:", m.name(), batch, threads, rounds));
        for (RuntimeFactory f : factories) {
            String name = f.name();
            Integer i = index.get(name);
            if (i == null || dead[i]) {
                rows.add(BenchRow.failed(m.name(), batch, threads, name, failed.getOrDefault(name, "not run")));
                line.append(' ').append(name).append(" failed;");
                continue;
            }
            double[] t = Arrays.copyOf(ms[i], rounds);
            Arrays.sort(t);
            double med = median(t);
            double[] q = quality.getOrDefault(name, new double[] {Double.NaN, Double.NaN});
            rows.add(new BenchRow(m.name(), batch, threads, name, round(med, 3), round(t[0], 3), round(t[t.length - 1], 3),
                    round(batch * 1000.0 / med, 1), round(q[0], 4), round(refMedian / med, 3), round(q[1], 4),
                    round((double) cpuNs[i] / wallNs[i], 2), rounds, active.get(i).note()));
            line.append(String.format(Locale.ROOT, " %s %.3f ms;", name, med));
        }
        log.println(line);
        return rows;
    }

    private static float[] checked(Runtime r, float[] logits, int batch, int classes) {
        if (logits == null || logits.length != batch * classes) {
            throw new IllegalStateException(r.name() + " returned " + (logits == null ? "null" : logits.length + " floats") + " for batch "
                    + batch + "; expected batch × classes = " + (batch * classes) + " logits");
        }
        return logits;
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        int h = s.length / 2;
        return s.length % 2 == 1 ? s[h] : (s[h - 1] + s[h]) / 2;
    }

    private static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return v;
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** The 1-minute load average, {@code NaN} where {@code /proc/loadavg} does not exist. */
    static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The vector extensions that matter for fp32 and int8 kernels, e.g. {@code "avx2 fma avx512f avx512_vnni"}. */
    static String isa() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (!line.startsWith("flags")) continue;
                List<String> have = Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                return String.join(" ", List.of("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8")
                        .stream().filter(have::contains).toList());
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux: the flags are context for the reader, not needed to run.
        }
        return "";
    }

    /** Thread-related environment at start-up, for the report: these change results and cannot be set from Java. */
    static Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String k : List.of("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT", "MKL_NUM_THREADS",
                "SQUEEZE_THREADS")) {
            String v = System.getenv(k);
            if (v != null) env.put(k, v);
        }
        String p = System.getProperty("ai.djl.pytorch.num_threads");
        if (p != null) env.put("ai.djl.pytorch.num_threads", p);
        return env;
    }

    // ---- output ------------------------------------------------------------------------------------

    /** The rows as a Tablesaw table (snake_case columns, one row per model × batch × threads × runtime). */
    public static Table table(BenchReport report) {
        return Tables.fromRecords("Squeeze bench (" + report.config().budget().id() + ") — " + report.cpu(), report.rows());
    }

    /** The columns worth reading in a terminal, without the long {@code note}. */
    public static Table summary(BenchReport report) {
        return table(report).selectColumns("model", "batch", "threads", "runtime", "median_ms", "min_ms", "max_ms", "images_per_second",
                "top1_agreement", "speedup_vs_reference", "cpu_per_wall");
    }

    /**
     * Writes {@code dir/bench.json} and one bar chart per (model, batch),
     * {@code dir/latency-<model>-b<batch>.png} (median with min–max error bars, one bar per runtime and
     * thread count).
     *
     * @return the files written
     */
    public static List<Path> write(BenchReport report, Path dir) {
        List<Path> files = new ArrayList<>();
        Path json = dir.resolve("bench.json");
        Json.write(json, report);
        files.add(json);
        Map<String, List<BenchRow>> groups = new LinkedHashMap<>();
        for (BenchRow r : report.rows()) groups.computeIfAbsent(r.model() + "\u0000" + r.batch(), k -> new ArrayList<>()).add(r);
        for (List<BenchRow> g : groups.values()) {
            List<BenchRow> ok = g.stream().filter(r -> !Double.isNaN(r.medianMs())).toList();
            if (ok.isEmpty()) continue;
            List<String> labels = ok.stream().map(r -> r.runtime() + " (" + r.threads() + (r.threads() == 1 ? " thread)" : " threads)")).toList();
            double[] med = ok.stream().mapToDouble(BenchRow::medianMs).toArray();
            double[] min = ok.stream().mapToDouble(BenchRow::minMs).toArray();
            double[] max = ok.stream().mapToDouble(BenchRow::maxMs).toArray();
            BenchRow first = ok.get(0);
            String title = first.model() + ", batch " + first.batch() + " — ms per call (" + report.cpu() + ")";
            Path png = dir.resolve("latency-" + first.model() + "-b" + first.batch() + ".png");
            Charts.savePng(Charts.latencyBars(labels, med, min, max, title), png);
            files.add(png);
        }
        return files;
    }
}
