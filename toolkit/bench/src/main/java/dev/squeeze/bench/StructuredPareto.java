package dev.squeeze.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.squeeze.Environment;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.data.Split;
import dev.squeeze.exec.FloatExecutor;
import dev.squeeze.exec.Int8Executor;
import dev.squeeze.export.OnnxExport;
import dev.squeeze.export.Pretrained;
import dev.squeeze.measure.FastEvaluation;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.Network;
import dev.squeeze.onnx.proto.ModelProto;
import dev.squeeze.onnx.proto.NodeProto;
import dev.squeeze.prune.ChannelGroups;
import dev.squeeze.prune.StructuredPruning;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.quant.Fusion;
import dev.squeeze.report.Charts;
import dev.squeeze.report.StructuredStudy;
import dev.squeeze.report.Tables;
import dev.squeeze.train.Training;
import dev.squeeze.util.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.Table;

/**
 * {@code ./squeeze bench --structured}: structured pruning's speed against ONNX Runtime. The pretrained
 * CIFAR-10 ResNet18 ({@link Pretrained#resnet18Cifar10()}), structured-pruned copies (uniform plan, L2
 * criterion, kept channels rounded to multiples of 8, BatchNorm statistics re-estimated on training
 * images, as {@link StructuredStudy} does) and optionally fine-tuned pruned models from {@code .sqz}
 * files are each run by five runtimes: Squeeze's int8 and fp32 executors, ONNX Runtime int8 and fp32,
 * and DJL/libtorch fp32.
 *
 * <p>Per model: parameters, MACs, file sizes, and each runtime's top-1 accuracy on the same seeded,
 * class-stratified subset of the CIFAR-10 test set; the int8 runtimes also compare logits (ONNX Runtime
 * runs the QDQ file {@link OnnxExport#int8Qdq} writes from the very {@link Int8Model} Squeeze's executor
 * runs, so they should agree up to ONNX Runtime's float requantization). ONNX Runtime's own static
 * quantizer is a Python tool ({@code onnxruntime.quantization}) with no Java API, so it is not used.
 *
 * <p>Latency: per batch size, ONE interleaved run over every model and runtime at one thread: each
 * round calls every (model, runtime) once, the first one rotating from round to round, so machine noise
 * falls on all alike. Then the Pareto verdict: the dense model on ONNX Runtime int8 is the line to beat,
 * and the fastest Squeeze int8 model whose accuracy is at least that line's is compared with it as a
 * ratio, whichever way it falls (see {@link #verdicts}).
 */
public final class StructuredPareto {
    private StructuredPareto() {}

    static final String USAGE = """
            usage: ./squeeze bench --structured [--ratios 0.3,0.5] [--finetuned RATIO=FILE.sqz,...] [--batches 1,64]
                                   [--test-images 1000] [--recalibrate 1024] [--calibrate 128] [--round-to 8]
                                   [--rounds MIN-MAX] [--seconds-per-batch S] [--warmup-seconds S] [--seed S] [--out DIR]

            Structured pruning of the pretrained CIFAR-10 ResNet18 against ONNX Runtime: for the dense model, each
            uniform L2 ratio (BatchNorm re-estimated) and each fine-tuned model file, parameters, MACs, file sizes,
            accuracy on each runtime (squeeze-int8, squeeze-fp32, ort-int8, ort-fp32, djl-fp32), and one-thread
            latency per batch size in one interleaved run over all models and runtimes. Writes DIR/structured-pareto.json
            and DIR/structured-pareto-b<batch>.png (DIR defaults to out/bench-structured). Defaults: rounds 10-400,
            30 s per batch, 1.5 s warm-up per runtime and batch.
            """;

    /** The runtimes timed, in table order. */
    public static final List<String> RUNTIMES = List.of(SqueezeRuntimes.INT8, SqueezeRuntimes.FP32, OrtRuntime.INT8, OrtRuntime.FP32,
            DjlRuntime.NAME);

    /**
     * One model of the study.
     *
     * @param kind {@code dense}, {@code pruned} (one-shot, BatchNorm re-estimated) or {@code fine-tuned} (from a file)
     * @param ratio fraction of channels removed per group (0 for dense; as given for a fine-tuned file)
     * @param macs multiply-accumulates per image, as Squeeze's fp32 executor counts them
     * @param sqzBytes the fp32 {@code .sqz} file; {@code int8OnnxBytes} and {@code fp32OnnxBytes} the ONNX files ONNX Runtime loads
     * @param oneShotAccuracy before BatchNorm re-estimation (NaN for dense and fine-tuned)
     * @param maskedMaxRelDiff pruned vs masked dense logits, max |Δ| / max |logit| (NaN for dense and fine-tuned)
     * @param int8Top1Agreement ort-int8's top-1 class equals squeeze-int8's, fraction of the test images
     * @param int8LogitsEqual fraction of logits where ort-int8 and squeeze-int8 give the same output code
     * @param int8MaxDiffSteps largest |ort-int8 − squeeze-int8| logit difference, in output quantization steps
     * @param fp32MaxRelDiff largest |ort-fp32 or djl-fp32 − squeeze-fp32| logit difference over the largest |logit|
     * @param ortInt8Ops op types in ONNX Runtime's optimized int8 graph with their counts (which integer kernels it runs)
     */
    public record ModelRow(String model, String kind, double ratio, long params, long macs, double macsRatio, long sqzBytes,
            long int8OnnxBytes, long fp32OnnxBytes, double oneShotAccuracy, double maskedMaxRelDiff, double squeezeInt8Accuracy,
            double squeezeFp32Accuracy, double ortInt8Accuracy, double ortFp32Accuracy, double djlFp32Accuracy, double int8Top1Agreement,
            double int8LogitsEqual, double int8MaxDiffSteps, double fp32MaxRelDiff, String ortInt8Ops) {}

    /**
     * One model on one runtime at one batch size.
     *
     * @param accuracy this runtime's top-1 accuracy on the test images
     * @param vsDenseOrtInt8 dense ort-int8 median / this median (&gt; 1: faster than the line to beat)
     * @param vsSameModelOrtInt8 this model's ort-int8 median / this median (the same accuracy up to rounding)
     * @param gmacsPerSecond the model's multiply-accumulates per image × batch / median (how well the runtime uses the core)
     * @param cpuPerWall process CPU time / wall time during this runtime's calls (≈ busy cores; ≈ 1 at one thread)
     */
    public record LatencyRow(String model, String runtime, int batch, double accuracy, double medianMs, double minMs, double maxMs,
            double imagesPerSecond, double vsDenseOrtInt8, double vsSameModelOrtInt8, double gmacsPerSecond, double cpuPerWall, int rounds, String note) {}

    /**
     * Squeeze pruned + int8 against dense ONNX Runtime int8 at one batch size.
     *
     * @param squeezeModel the fastest model on squeeze-int8 whose accuracy is at least the dense ort-int8 accuracy
     *     (the dense model itself when no pruned one reaches it)
     * @param speedRatio {@code denseOrtInt8Ms / squeezeInt8Ms}: &gt; 1 means Squeeze is that many times faster
     * @param prunedReachesAccuracy whether {@code squeezeModel} is a pruned (or fine-tuned) one
     * @param statement the verdict in words, with the best pruned model's trade-off when none reaches the accuracy
     */
    public record Verdict(int batch, double denseOrtInt8Ms, double denseOrtInt8Accuracy, String squeezeModel, double squeezeInt8Ms,
            double squeezeInt8Accuracy, double speedRatio, boolean prunedReachesAccuracy, String statement) {}

    /** Everything one run measured; {@code structured-pareto.json} is this record. */
    public record Report(String machine, String cpu, String isa, double[] loadAverage, Map<String, String> environment,
            Map<String, Object> config, List<ModelRow> models, List<LatencyRow> latency, List<Verdict> verdicts, List<String> notes) {}

    /** A model file fine-tuned elsewhere (e.g. {@code ./squeeze prune --structured} with fine-tuning), at the ratio it was pruned to. */
    record Finetuned(double ratio, Path file) {}

    /** What to run. */
    record Options(double[] ratios, List<Finetuned> finetuned, List<Integer> batches, int testImages, int recalibrationImages,
            int calibrationImages, int roundTo, int minRounds, int maxRounds, double secondsPerBatch, double warmupSeconds, long seed,
            Path out) {

        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ratios", ratios);
            m.put("plan", "uniform, L2, kept channels rounded to multiples of " + roundTo);
            m.put("finetuned", finetuned.stream().map(f -> f.ratio() + "=" + f.file()).toList());
            m.put("batches", batches);
            m.put("threads", 1);
            m.put("test_images", testImages);
            m.put("batchnorm_recalibration_images", recalibrationImages);
            m.put("int8_calibration_images", calibrationImages);
            m.put("int8", "static PTQ, QConfig.x86 with entropy (KL) calibration (Int8Models), one Int8Model per network shared by squeeze-int8 and ort-int8");
            m.put("rounds", minRounds + "-" + maxRounds);
            m.put("seconds_per_batch", secondsPerBatch);
            m.put("warmup_seconds", warmupSeconds);
            m.put("seed", seed);
            return m;
        }
    }

    /** Runs the study from command-line words. @return the exit code (0 when every runtime gave every row) */
    public static int run(String[] argv) {
        Map<String, String> o = BenchMain.parse(argv, Set.of("ratios", "finetuned", "batches", "test-images", "recalibrate", "calibrate",
                "round-to", "rounds", "seconds-per-batch", "warmup-seconds", "seed", "out"));
        if (o.containsKey("help")) {
            System.out.print(USAGE);
            return 0;
        }
        Options options = options(o);
        Environment.ensure();
        Report report = run(options, System.err);
        List<Path> files = write(report, options.out());
        System.out.println();
        System.out.println(modelTable(report).printAll());
        System.out.println(latencyTable(report).printAll());
        for (Verdict v : report.verdicts()) System.out.println("batch " + v.batch() + ": " + v.statement());
        for (String n : report.notes()) System.out.println("note: " + n);
        System.out.println("CPU: " + report.cpu() + " [" + report.isa() + "], load average " + report.loadAverage()[0] + " → "
                + report.loadAverage()[1]);
        System.out.println("wrote " + files.stream().map(Path::toString).toList());
        return report.latency().stream().anyMatch(r -> Double.isNaN(r.medianMs())) ? 1 : 0;
    }

    static Options options(Map<String, String> o) {
        double[] ratios = BenchMain.words(o.getOrDefault("ratios", "0.3,0.5")).stream().mapToDouble(w -> ratio("ratios", w)).toArray();
        List<Finetuned> finetuned = new ArrayList<>();
        for (String w : BenchMain.words(o.getOrDefault("finetuned", ""))) {
            int eq = w.indexOf('=');
            if (eq < 1) {
                throw new BenchMain.UsageException("--finetuned takes RATIO=FILE.sqz pairs separated by commas (e.g. 0.3=out/ft-0.3.sqz), got '" + w + "'");
            }
            Path f = Path.of(w.substring(eq + 1));
            if (!Files.isRegularFile(f)) throw new BenchMain.UsageException("--finetuned: " + f + " is not a file; give the fine-tuned model's .sqz path");
            finetuned.add(new Finetuned(ratio("finetuned", w.substring(0, eq)), f));
        }
        int minRounds = 10, maxRounds = 400;
        if (o.containsKey("rounds")) {
            List<Integer> r = BenchMain.ints("rounds", o.get("rounds").replace('-', ','));
            minRounds = r.get(0);
            maxRounds = r.get(r.size() - 1);
            if (maxRounds < minRounds) throw new BenchMain.UsageException("--rounds MIN-MAX needs MIN ≤ MAX, got " + o.get("rounds"));
        }
        return new Options(ratios, finetuned, BenchMain.ints("batches", o.getOrDefault("batches", "1,64")),
                BenchMain.ints("test-images", o.getOrDefault("test-images", "1000")).get(0),
                nonNegative("recalibrate", o.getOrDefault("recalibrate", "1024")),
                BenchMain.ints("calibrate", o.getOrDefault("calibrate", "128")).get(0),
                BenchMain.ints("round-to", o.getOrDefault("round-to", "8")).get(0), minRounds, maxRounds,
                seconds("seconds-per-batch", o.getOrDefault("seconds-per-batch", "30")), seconds("warmup-seconds", o.getOrDefault("warmup-seconds", "1.5")),
                Long.parseLong(o.getOrDefault("seed", "0")), Path.of(o.getOrDefault("out", "out/bench-structured")));
    }

    private static double ratio(String option, String w) {
        try {
            double r = Double.parseDouble(w.trim());
            if (r > 0 && r < 1) return r;
        } catch (NumberFormatException e) {
            // fall through to the one message
        }
        throw new BenchMain.UsageException("--" + option + ": '" + w + "' is not a fraction of channels in (0, 1); half is 0.5");
    }

    private static int nonNegative(String option, String w) {
        try {
            int v = Integer.parseInt(w.trim());
            if (v >= 0) return v;
        } catch (NumberFormatException e) {
            // fall through to the one message
        }
        throw new BenchMain.UsageException("--" + option + " takes a whole number ≥ 0 (0: no BatchNorm re-estimation), got '" + w + "'");
    }

    private static double seconds(String option, String w) {
        try {
            double v = Double.parseDouble(w.trim());
            if (v >= 0) return v;
        } catch (NumberFormatException e) {
            // fall through to the one message
        }
        throw new BenchMain.UsageException("--" + option + " takes seconds ≥ 0, e.g. 30, got '" + w + "'");
    }

    // ---- the study -------------------------------------------------------------------------------------

    /** A model under test, open until the end of the run. */
    private record Entry(String name, String kind, double ratio, Network net, double oneShot, double maskedDiff) {}

    /** Builds the models, measures them and computes the verdicts. */
    static Report run(Options o, PrintStream log) {
        double loadBefore = Bench.loadAverage();
        List<String> notes = new ArrayList<>();
        ImageSet allTest = Datasets.cifar10(Split.TEST), train = Datasets.cifar10(Split.TRAIN);
        ImageSet test = allTest.subset(Math.min(o.testImages(), allTest.size()), o.seed() + 2, true);
        ImageSet calibration = train.subset(Math.min(o.calibrationImages(), train.size()), o.seed(), true);
        ImageSet recalibration = o.recalibrationImages() == 0 ? null : train.subset(Math.min(o.recalibrationImages(), train.size()), o.seed() + 1, true);
        List<Entry> entries = new ArrayList<>();
        List<Map<String, Runtime>> runtimes = new ArrayList<>();
        try (Pretrained p = Pretrained.resnet18Cifar10()) {
            Network dense = p.network();
            Preprocessing prep = p.preprocessing();
            log.println("structured pareto: " + p.onnx() + ", " + test.size() + " test images (" + test.name() + "), ratios "
                    + Arrays.toString(o.ratios()) + ", fine-tuned files " + o.finetuned().size() + ", batches " + o.batches() + ", 1 thread");
            entries.add(new Entry("dense", "dense", 0, dense, Double.NaN, Double.NaN));
            ChannelGroups groups = ChannelGroups.of(dense.architecture());
            int checkN = Math.min(8, test.size());
            float[] checkImages = new BatchMaker(test, prep.withAugmentation(0, false)).batch(0, checkN);
            for (double r : o.ratios()) {
                StructuredPruning.Plan plan = StructuredPruning.uniform(dense, groups, r, StructuredPruning.Criterion.L2, o.roundTo());
                Network small = StructuredPruning.apply(dense, plan);
                double diff = StructuredStudy.maskedDifference(dense, small, plan, checkImages, checkN);
                double oneShot = FastEvaluation.evaluate(small, test, prep).accuracy();
                // Pruned channels change what every later BatchNorm sees; its running statistics are stale.
                if (recalibration != null) Training.recalibrateBatchNorm(small, recalibration, prep, 0, 64);
                String name = String.format(Locale.ROOT, "pruned-%.2f", r);
                log.println(String.format(Locale.ROOT, "structured pareto: %s (%s): pruned vs masked %.1e, one-shot accuracy %.4f%s", name,
                        plan.describe(), diff, oneShot, recalibration == null ? "" : ", BatchNorm re-estimated on " + recalibration.size() + " images"));
                entries.add(new Entry(name, "pruned", r, small, oneShot, diff));
            }
            for (Finetuned f : o.finetuned()) {
                Network net = ModelFile.load(f.file());
                if (!Arrays.equals(net.architecture().inputShape(), dense.architecture().inputShape())
                        || net.architecture().numClasses() != dense.architecture().numClasses()) {
                    String got = Arrays.toString(net.architecture().inputShape()) + " → " + net.architecture().numClasses();
                    net.close();
                    throw new IllegalArgumentException("--finetuned " + f.file() + " takes " + got + " classes, but the study's models take "
                            + Arrays.toString(dense.architecture().inputShape()) + " → " + dense.architecture().numClasses()
                            + "; give a CIFAR-10 model pruned from the pretrained ResNet18");
                }
                entries.add(new Entry(String.format(Locale.ROOT, "finetuned-%.2f", f.ratio()), "fine-tuned", f.ratio(), net, Double.NaN, Double.NaN));
            }

            List<BenchModel> models = new ArrayList<>();
            for (Entry e : entries) {
                models.add(new BenchModel(e.name(), e.net(), prep, calibration, Double.NaN, provenance(e, p, recalibration)));
            }
            List<RuntimeFactory> factories = List.of(SqueezeRuntimes.int8Factory(), SqueezeRuntimes.fp32Factory(), OrtRuntime.int8Factory(),
                    OrtRuntime.fp32Factory(), DjlRuntime.factory());
            for (BenchModel m : models) {
                Map<String, Runtime> rs = new LinkedHashMap<>();
                runtimes.add(rs);
                for (RuntimeFactory f : factories) rs.put(f.name(), f.create(m));
            }

            List<ModelRow> modelRows = new ArrayList<>();
            Map<String, Map<String, Double>> accuracy = new LinkedHashMap<>();
            long denseMacs = macs(dense);
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                ModelRow row = measureModel(e, models.get(i), runtimes.get(i), test, prep, denseMacs, log);
                modelRows.add(row);
                accuracy.put(e.name(), Map.of(SqueezeRuntimes.INT8, row.squeezeInt8Accuracy(), SqueezeRuntimes.FP32, row.squeezeFp32Accuracy(),
                        OrtRuntime.INT8, row.ortInt8Accuracy(), OrtRuntime.FP32, row.ortFp32Accuracy(), DjlRuntime.NAME, row.djlFp32Accuracy()));
            }

            List<LatencyRow> latency = new ArrayList<>();
            BatchMaker maker = new BatchMaker(test, prep.withAugmentation(0, false));
            for (int batch : o.batches()) {
                int[] idx = new int[batch];
                for (int i = 0; i < batch; i++) idx[i] = i % test.size(); // real test pixels, repeated if the subset is smaller
                float[] x = new float[batch * test.imageBytes()];
                maker.fill(idx, 0, batch, x, null);
                latency.addAll(timeBatch(entries, runtimes, accuracy, modelRows, x, batch, o, log));
            }
            List<Verdict> verdicts = verdicts(latency, o.batches(), test.size());
            double loadAfter = Bench.loadAverage();
            int cores = java.lang.Runtime.getRuntime().availableProcessors();
            notes.add(String.format(Locale.ROOT, "Accuracy on %d CIFAR-10 test images (seeded, class-stratified): one standard error is about "
                    + "%.1f points at 86 %%, so accuracy differences below about two standard errors (%.1f points) are within noise.", test.size(),
                    100 * Math.sqrt(0.86 * 0.14 / test.size()), 200 * Math.sqrt(0.86 * 0.14 / test.size())));
            notes.add("ort-int8 runs Squeeze's own int8 model exported as QDQ ONNX (OnnxExport.int8Qdq); ort_int8_ops lists the op types of "
                    + "the graph ONNX Runtime optimized it into. ONNX Runtime's own static quantizer is Python-only and was not used.");
            if (Math.max(loadBefore, loadAfter) > cores - 0.5) {
                notes.add(String.format(Locale.ROOT, "Load average %.1f → %.1f on %d cores: other processes competed for the CPU; times are "
                        + "inflated and noisy, ratios between runtimes less so (interleaved rounds).", loadBefore, loadAfter, cores));
            }
            return new Report(Environment.machine(), Environment.cpuName(), Bench.isa(), new double[] {loadBefore, loadAfter},
                    Bench.environment(), o.describe(), modelRows, latency, verdicts, notes);
        } finally {
            for (Map<String, Runtime> rs : runtimes) {
                for (Runtime r : rs.values()) {
                    try { r.close(); } catch (RuntimeException e) { log.println("structured pareto: closing " + r.name() + " failed: " + e); }
                }
            }
            for (int i = 1; i < entries.size(); i++) entries.get(i).net().close(); // entry 0 is the pretrained network, closed with it
        }
    }

    private static String provenance(Entry e, Pretrained p, ImageSet recalibration) {
        return switch (e.kind()) {
            case "dense" -> "pretrained " + p.onnx().getFileName();
            case "pruned" -> "pretrained " + p.onnx().getFileName() + ", uniform L2 structured pruning at " + e.ratio()
                    + (recalibration == null ? ", one-shot" : ", BatchNorm re-estimated on " + recalibration.size() + " training images");
            default -> "fine-tuned model file, pruned at " + e.ratio() + ": " + e.net().provenance();
        };
    }

    private static long macs(Network net) {
        try (FloatExecutor f = FloatExecutor.of(Fusion.of(net), Int8Executor.Options.singleThread(1))) {
            return f.macsPerImage();
        }
    }

    /** Sizes, each runtime's accuracy on {@code test} at one thread, and the int8 and fp32 logit comparisons. */
    private static ModelRow measureModel(Entry e, BenchModel m, Map<String, Runtime> rs, ImageSet test, Preprocessing prep, long denseMacs,
            PrintStream log) {
        int n = test.size(), chunk = Math.min(100, n), classes = m.classes();
        BatchMaker maker = new BatchMaker(test, prep.withAugmentation(0, false));
        Map<String, float[]> logits = new LinkedHashMap<>();
        Map<String, Double> acc = new LinkedHashMap<>();
        for (Runtime r : rs.values()) {
            long t0 = System.nanoTime();
            r.prepare(chunk, 1);
            float[] all = new float[n * classes];
            for (int from = 0; from < n; from += chunk) {
                int b = Math.min(chunk, n - from);
                float[] out = r.run(maker.batch(from, b), b);
                if (out.length != b * classes) {
                    throw new IllegalStateException(r.name() + " returned " + out.length + " logits for batch " + b + "; expected " + b * classes);
                }
                System.arraycopy(out, 0, all, from * classes, b * classes);
            }
            int[] top = Network.argmax(all, n);
            int correct = 0;
            for (int i = 0; i < n; i++) if (top[i] == test.label(i)) correct++;
            logits.put(r.name(), all);
            acc.put(r.name(), (double) correct / n);
            log.println(String.format(Locale.ROOT, "structured pareto: %s on %s: accuracy %.4f on %d images (%.0f s)", e.name(), r.name(),
                    (double) correct / n, n, (System.nanoTime() - t0) / 1e9));
        }
        Int8Model int8 = Int8Models.of(m);
        float step = int8.outputParams().scale();
        float[] sq = logits.get(SqueezeRuntimes.INT8), ort = logits.get(OrtRuntime.INT8);
        int same = 0, equalCodes = 0;
        double maxSteps = 0;
        int[] ts = Network.argmax(sq, n), to = Network.argmax(ort, n);
        for (int i = 0; i < n; i++) if (ts[i] == to[i]) same++;
        for (int i = 0; i < sq.length; i++) {
            double steps = Math.abs(sq[i] - ort[i]) / step;
            if (steps < 0.5) equalCodes++;
            maxSteps = Math.max(maxSteps, steps);
        }
        float[] f = logits.get(SqueezeRuntimes.FP32);
        double fmax = 0, fdiff = 0;
        for (int i = 0; i < f.length; i++) {
            fmax = Math.max(fmax, Math.abs(f[i]));
            fdiff = Math.max(fdiff, Math.max(Math.abs(f[i] - logits.get(OrtRuntime.FP32)[i]), Math.abs(f[i] - logits.get(DjlRuntime.NAME)[i])));
        }
        long macs = macs(e.net());
        long[] onnx = onnxBytes(e.net(), int8);
        return new ModelRow(e.name(), e.kind(), e.ratio(), e.net().trainableParameters(), macs, round((double) denseMacs / macs, 3),
                sqzBytes(e.net()), onnx[0], onnx[1], e.oneShot(), e.maskedDiff(), acc.get(SqueezeRuntimes.INT8), acc.get(SqueezeRuntimes.FP32),
                acc.get(OrtRuntime.INT8), acc.get(OrtRuntime.FP32), acc.get(DjlRuntime.NAME), round((double) same / n, 4),
                round((double) equalCodes / sq.length, 5), round(maxSteps, 2), fmax == 0 ? Double.NaN : fdiff / fmax, ortOptimizedOps(int8));
    }

    /** Bytes of {@code net} as an fp32 {@code .sqz} (temporary file). */
    private static long sqzBytes(Network net) {
        Path dir = tempDir();
        try {
            Path f = dir.resolve("model.sqz");
            ModelFile.save(net, f);
            return Files.size(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot size a temporary model file: " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
        }
    }

    /** {@code [int8 QDQ, fp32]} ONNX file bytes: the files ONNX Runtime loads. */
    private static long[] onnxBytes(Network net, Int8Model int8) {
        Path dir = tempDir();
        try {
            OnnxExport.Exported x = OnnxExport.exportBoth(net, int8, dir);
            return new long[] {Files.size(x.int8Qdq()), Files.size(x.fp32())};
        } catch (IOException e) {
            throw new UncheckedIOException("cannot size the ONNX exports: " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * The op types (with counts, e.g. {@code QLinearConv×20}) of the graph ONNX Runtime actually runs for
     * {@code m}'s QDQ export: the session's optimized model (same options as {@link OrtRuntime}), saved and
     * read back. Shows whether the DQ→op→Q groups became integer kernels or stayed float between Q/DQ pairs.
     */
    static String ortOptimizedOps(Int8Model m) {
        Path dir = tempDir();
        try {
            Path qdq = OnnxExport.int8Qdq(m, dir.resolve("int8-qdq.onnx")), optimized = dir.resolve("optimized.onnx");
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(1);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                o.setOptimizedModelFilePath(optimized.toString());
                OrtEnvironment.getEnvironment().createSession(qdq.toString(), o).close();
            }
            Map<String, Integer> count = new java.util.TreeMap<>();
            for (NodeProto n : ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList()) count.merge(n.getOpType(), 1, Integer::sum);
            StringBuilder s = new StringBuilder();
            count.forEach((op, c) -> s.append(s.isEmpty() ? "" : " ").append(op).append('×').append(c));
            return s.toString();
        } catch (OrtException | IOException e) {
            throw new IllegalStateException("ONNX Runtime could not optimize and save the int8 graph of " + m.name() + ": " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("squeeze-structured-pareto");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder: " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
        } catch (IOException e) {
            // A temporary folder left behind; nothing to recover.
        }
    }

    /**
     * One interleaved run over every (model, runtime) at {@code batch} and one thread: each is prepared,
     * checked and warmed up (by count and time: Squeeze's executors reach C2-compiled code only after
     * many calls), then rounds call each once, the first one rotating per round, until {@code minRounds}
     * are done and {@code secondsPerBatch} has passed, or {@code maxRounds} are done.
     */
    private static List<LatencyRow> timeBatch(List<Entry> entries, List<Map<String, Runtime>> runtimes, Map<String, Map<String, Double>> accuracy,
            List<ModelRow> modelRows, float[] x, int batch, Options o, PrintStream log) {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        List<String> models = new ArrayList<>();
        List<Runtime> active = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            for (Runtime r : runtimes.get(i).values()) {
                r.prepare(batch, 1);
                float[] out = r.run(x, batch);
                if (out.length != batch * 10) throw new IllegalStateException(r.name() + " returned " + out.length + " logits for batch " + batch);
                long until = System.nanoTime() + (long) (o.warmupSeconds() * 1e9);
                for (int k = 1; k < 2 || System.nanoTime() < until; k++) r.run(x, batch);
                models.add(entries.get(i).name());
                active.add(r);
            }
        }
        int n = active.size();
        log.println(String.format(Locale.ROOT, "structured pareto: timing batch %d: %d models × %d runtimes interleaved, 1 thread, %d-%d rounds or %.0f s",
                batch, entries.size(), RUNTIMES.size(), o.minRounds(), o.maxRounds(), o.secondsPerBatch()));
        double[][] ms = new double[n][o.maxRounds()];
        long[] cpuNs = new long[n], wallNs = new long[n];
        int rounds = 0;
        long start = System.nanoTime(), lastLog = start;
        while (rounds < o.maxRounds() && (rounds < o.minRounds() || (System.nanoTime() - start) / 1e9 < o.secondsPerBatch())) {
            for (int k = 0; k < n; k++) {
                int i = (k + rounds) % n; // no runtime always runs right after the same one
                long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                active.get(i).run(x, batch);
                long t1 = System.nanoTime(), c1 = os.getProcessCpuTime();
                ms[i][rounds] = (t1 - t0) / 1e6;
                cpuNs[i] += c1 - c0;
                wallNs[i] += t1 - t0;
            }
            rounds++;
            if (System.nanoTime() - lastLog > 10e9) {
                lastLog = System.nanoTime();
                log.println(String.format(Locale.ROOT, "  batch %d: %d rounds, %.0f s", batch, rounds, (lastLog - start) / 1e9));
            }
        }
        Map<String, Double> ortInt8 = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            if (active.get(i).name().equals(OrtRuntime.INT8)) ortInt8.put(models.get(i), Bench.median(Arrays.copyOf(ms[i], rounds)));
        }
        double refMedian = ortInt8.getOrDefault("dense", Double.NaN);
        Map<String, Long> macs = new LinkedHashMap<>();
        for (ModelRow m : modelRows) macs.put(m.model(), m.macs());
        List<LatencyRow> rows = new ArrayList<>();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "structured pareto: batch %d, %d rounds:", batch, rounds));
        for (int i = 0; i < n; i++) {
            double[] t = Arrays.copyOf(ms[i], rounds);
            Arrays.sort(t);
            double med = Bench.median(t);
            Runtime r = active.get(i);
            rows.add(new LatencyRow(models.get(i), r.name(), batch, accuracy.get(models.get(i)).get(r.name()), round(med, 3), round(t[0], 3),
                    round(t[t.length - 1], 3), round(batch * 1000.0 / med, 1), round(refMedian / med, 3),
                    round(ortInt8.getOrDefault(models.get(i), Double.NaN) / med, 3), round(macs.get(models.get(i)) * batch / (med * 1e6), 1),
                    round((double) cpuNs[i] / wallNs[i], 2),
                    rounds, r.note()));
            line.append(String.format(Locale.ROOT, " %s/%s %.2f ms;", models.get(i), r.name(), med));
        }
        log.println(line);
        return rows;
    }

    // ---- the verdict -----------------------------------------------------------------------------------

    /**
     * Per batch size: the dense model on ort-int8 is the line to beat. Among the squeeze-int8 rows whose
     * accuracy is at least that line's, the fastest is compared with it: {@code speedRatio} = dense
     * ort-int8 ms / its ms, whichever way it falls. When no pruned model reaches the line's accuracy, the
     * comparison at equal accuracy is the dense model on both runtimes, and the statement adds each pruned
     * model's speed ratio and accuracy gap so the trade-off that does exist is stated too.
     *
     * @param testImages the number of images the accuracies come from (for the statement)
     * @throws IllegalArgumentException when a batch has no dense ort-int8 or no squeeze-int8 row
     */
    static List<Verdict> verdicts(List<LatencyRow> rows, List<Integer> batches, int testImages) {
        List<Verdict> out = new ArrayList<>();
        for (int batch : batches) {
            LatencyRow line = rows.stream().filter(r -> r.batch() == batch && r.model().equals("dense") && r.runtime().equals(OrtRuntime.INT8))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("no dense " + OrtRuntime.INT8 + " row at batch " + batch
                            + "; the line to beat needs it"));
            List<LatencyRow> squeeze = rows.stream().filter(r -> r.batch() == batch && r.runtime().equals(SqueezeRuntimes.INT8)
                    && !Double.isNaN(r.medianMs())).toList();
            if (squeeze.isEmpty()) throw new IllegalArgumentException("no " + SqueezeRuntimes.INT8 + " rows at batch " + batch);
            LatencyRow best = squeeze.stream().filter(r -> r.accuracy() >= line.accuracy()).min(Comparator.comparingDouble(LatencyRow::medianMs))
                    .orElse(null);
            boolean pruned = best != null && !best.model().equals("dense");
            StringBuilder s = new StringBuilder();
            if (best == null) {
                // Even the dense int8 model on Squeeze scores below ORT's (both run the same int8 model; rounding differs).
                best = squeeze.stream().filter(r -> r.model().equals("dense")).findFirst().orElse(squeeze.get(0));
                s.append(String.format(Locale.ROOT, "no squeeze-int8 model reaches dense ort-int8's accuracy %.4f on %d test images; ", line.accuracy(),
                        testImages));
            } else if (!pruned) {
                s.append(String.format(Locale.ROOT, "no pruned model reaches dense ort-int8's accuracy %.4f on %d test images, so at equal "
                        + "accuracy the comparison is the dense model on both; ", line.accuracy(), testImages));
            }
            double ratio = line.medianMs() / best.medianMs();
            s.append(String.format(Locale.ROOT, "%s on squeeze-int8 (accuracy %.4f) takes %.3f ms vs dense ort-int8's %.3f ms (accuracy %.4f): %s",
                    best.model(), best.accuracy(), best.medianMs(), line.medianMs(), line.accuracy(), ratioWords(ratio)));
            if (!pruned) {
                for (LatencyRow r : squeeze) {
                    if (r.model().equals("dense")) continue;
                    s.append(String.format(Locale.ROOT, "; %s on squeeze-int8: %s at %+.1f accuracy points", r.model(),
                            ratioWords(line.medianMs() / r.medianMs()), 100 * (r.accuracy() - line.accuracy())));
                }
            }
            out.add(new Verdict(batch, line.medianMs(), line.accuracy(), best.model(), best.medianMs(), best.accuracy(), round(ratio, 3), pruned,
                    s.toString()));
        }
        return out;
    }

    private static String ratioWords(double ratio) {
        return ratio >= 1 ? String.format(Locale.ROOT, "%.2f× faster than dense ort-int8", ratio)
                : String.format(Locale.ROOT, "%.2f× slower than dense ort-int8", 1 / ratio);
    }

    // ---- output ----------------------------------------------------------------------------------------

    public static Table modelTable(Report r) {
        return Tables.fromRecords("structured pruning vs ONNX Runtime: models (" + r.cpu() + ")", r.models());
    }

    public static Table latencyTable(Report r) {
        return Tables.fromRecords("structured pruning vs ONNX Runtime: latency, 1 thread (" + r.cpu() + ")", r.latency())
                .removeColumns("note");
    }

    /**
     * Accuracy against median latency at {@code batch}, one series per runtime (dense, then pruned, then
     * fine-tuned models), with the dense model on ort-int8 drawn as the dashed line to beat: a point below
     * or right of it is worse than the dense model on ONNX Runtime int8. The x axis is logarithmic.
     */
    public static XYChart paretoChart(Report r, int batch) {
        XYChart c = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT)
                .title(String.format(Locale.ROOT, "ResNet18 structured pruning: accuracy vs latency, batch %d, 1 thread", batch))
                .xAxisTitle("median ms per batch (log scale)").yAxisTitle("top-1 accuracy").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setMarkerSize(7);
        double lo = 1, hi = 0;
        LatencyRow line = null;
        for (String rt : RUNTIMES) {
            List<LatencyRow> s = r.latency().stream().filter(x -> x.batch() == batch && x.runtime().equals(rt) && !Double.isNaN(x.medianMs())).toList();
            if (s.isEmpty()) continue;
            double[] xs = s.stream().mapToDouble(LatencyRow::medianMs).toArray(), ys = s.stream().mapToDouble(LatencyRow::accuracy).toArray();
            for (int i = 0; i < xs.length; i++) { hi = Math.max(hi, xs[i]); lo = Math.min(lo, ys[i]); }
            c.addSeries(rt, xs, ys).setMarker(SeriesMarkers.CIRCLE);
            for (LatencyRow x : s) if (x.model().equals("dense") && rt.equals(OrtRuntime.INT8)) line = x;
        }
        if (line != null) {
            c.addSeries("to beat: dense ort-int8", new double[] {line.medianMs(), line.medianMs(), hi * 1.05},
                    new double[] {Math.min(lo, line.accuracy()) - 0.02, line.accuracy(), line.accuracy()})
                    .setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.DASH_DASH).setLineColor(java.awt.Color.BLACK);
        }
        return c;
    }

    /** Writes {@code dir/structured-pareto.json} and {@code dir/structured-pareto-b<batch>.png}. @return the files */
    public static List<Path> write(Report r, Path dir) {
        List<Path> files = new ArrayList<>();
        Path json = dir.resolve("structured-pareto.json");
        Json.write(json, r);
        files.add(json);
        for (int b : r.latency().stream().map(LatencyRow::batch).distinct().toList()) {
            files.add(Charts.savePng(paretoChart(r, b), dir.resolve("structured-pareto-b" + b + ".png")));
        }
        return files;
    }

    private static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return v;
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
