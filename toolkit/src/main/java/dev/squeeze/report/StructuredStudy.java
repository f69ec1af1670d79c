package dev.squeeze.report;

import ai.djl.pytorch.jni.JniUtils;
import dev.squeeze.Environment;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.distill.Distiller;
import dev.squeeze.distill.LogitsDistillation;
import dev.squeeze.exec.FloatExecutor;
import dev.squeeze.exec.Int8Executor;
import dev.squeeze.measure.FastEvaluation;
import dev.squeeze.measure.Measure;
import dev.squeeze.measure.Timing;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.prune.ChannelGroups;
import dev.squeeze.prune.ChannelReconstruction;
import dev.squeeze.prune.StructuredPruning;
import dev.squeeze.ir.FusedGraph;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.quant.Fusion;
import dev.squeeze.quant.IntegerReference;
import dev.squeeze.quant.QConfig;
import dev.squeeze.quant.Quantization;
import dev.squeeze.quant.QuantizedNetwork;
import dev.squeeze.train.Objective;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The study behind the structured-pruning notebook and {@code ./squeeze prune --structured}: for each
 * ratio, plan which channels go ({@link StructuredPruning#uniform} or {@link StructuredPruning#global}),
 * remove them physically ({@link StructuredPruning#apply}), check the smaller model reproduces the
 * masked one, count parameters, MACs and file bytes, score it one-shot and (optionally) fine-tuned,
 * quantize it to int8 with static PTQ, check the int8 executor against {@link IntegerReference} bit for
 * bit, and time it at one thread on Squeeze's int8 and fp32 executors and on DJL/libtorch. The dense
 * model is the point of ratio 0.
 *
 * <p>All latencies of one batch size come from one {@link Measure#interleaved} run over every model and
 * runtime, so machine noise (this runs on shared cores) hits every point alike.
 */
public final class StructuredStudy {
    private StructuredStudy() {}

    /** Runtime names in the latency maps and tables. */
    public static final String INT8 = "squeeze-int8", FP32 = "squeeze-fp32", DJL = "djl-fp32";

    /** How the plan picks channels. */
    public enum PlanKind { UNIFORM, GLOBAL }

    /**
     * One model: the dense one ({@code ratio} 0) or a pruned one.
     *
     * @param macs multiply-accumulates per image, as the fp32 executor counts them
     * @param fileBytes size of the model saved as an fp32 {@code .sqz}
     * @param oneShotAccuracy right after pruning; with {@link Options.Builder#optSteps} &gt; 1, right after the last step
     *     (the earlier steps' models were fine-tuned with their share of the epochs)
     * @param reconstructedAccuracy after least-squares channel reconstruction ({@link Options.Builder#optReconstruction});
     *     NaN when not asked and for the dense point
     * @param recalibratedAccuracy after re-estimating BatchNorm statistics on training images
     *     ({@code Training.recalibrateBatchNorm}); NaN when not asked and for the dense point
     * @param finetunedAccuracy NaN when not fine-tuned (for the dense point: the dense model after the same recipe)
     * @param int8Accuracy accuracy of the static-PTQ int8 model of the final (fine-tuned if any) weights, run by the int8 executor
     * @param maskedMaxRelDiff largest |pruned − masked| logit difference over the largest |masked| logit (0 for the dense point)
     * @param int8BitExact the int8 executor's output codes equal {@link IntegerReference}'s on the checked images
     * @param latency runtime → batch size → timing (one thread)
     */
    public record Point(double ratio, String plan, long params, long macs, long fileBytes, double oneShotAccuracy,
            double reconstructedAccuracy, double recalibratedAccuracy, double finetunedAccuracy, double int8Accuracy, double maskedMaxRelDiff, boolean int8BitExact,
            Map<String, Map<Integer, Timing>> latency) {

        /** Median latency in ms of {@code runtime} at {@code batch} (NaN when not measured). */
        public double medianMs(String runtime, int batch) {
            Map<Integer, Timing> m = latency.get(runtime);
            Timing t = m == null ? null : m.get(batch);
            return t == null ? Double.NaN : t.medianMs();
        }

        /** The accuracy this model runs at on {@code runtime}: int8's for the int8 executor, else fine-tuned when there is one. */
        public double accuracyOn(String runtime) {
            if (runtime.equals(INT8)) return int8Accuracy;
            if (!Double.isNaN(finetunedAccuracy)) return finetunedAccuracy;
            if (!Double.isNaN(recalibratedAccuracy)) return recalibratedAccuracy;
            return Double.isNaN(reconstructedAccuracy) ? oneShotAccuracy : reconstructedAccuracy;
        }
    }

    /**
     * @param dense the unpruned model (ratio 0), measured like every point
     * @param points the pruned models, in the order of the ratios asked for
     * @param cpu the machine the latencies come from
     */
    public record Result(String model, String testData, int testImages, Point dense, List<Point> points, String finetuneRecipe,
            int[] batches, String cpu) {

        /** Dense first, then the pruned points. */
        public List<Point> all() {
            List<Point> l = new ArrayList<>();
            l.add(dense);
            l.addAll(points);
            return l;
        }

        /**
         * One row per model: sizes, accuracies, the checks, and the MACs ratio next to each runtime's speed-up
         * (dense median / pruned median, same runtime and batch; the milliseconds are in {@link #latencyTable()}).
         */
        public Table table() {
            DoubleColumn ratio = DoubleColumn.create("ratio");
            LongColumn params = LongColumn.create("params"), macs = LongColumn.create("MACs"), bytes = LongColumn.create("fp32 bytes");
            DoubleColumn macRatio = DoubleColumn.create("MACs dense/pruned"), one = DoubleColumn.create("one-shot acc"),
                    recon = DoubleColumn.create("reconstructed acc"), rec = DoubleColumn.create("BN-recalibrated acc"),
                    ft = DoubleColumn.create("fine-tuned acc"), int8 = DoubleColumn.create("int8 acc"), diff = DoubleColumn.create("masked max rel diff");
            BooleanColumn exact = BooleanColumn.create("int8 bit-exact");
            for (Point p : all()) {
                ratio.append(p.ratio()); params.append(p.params()); macs.append(p.macs()); macRatio.append(round((double) dense.macs() / p.macs(), 3));
                bytes.append(p.fileBytes()); one.append(p.oneShotAccuracy()); recon.append(p.reconstructedAccuracy()); rec.append(p.recalibratedAccuracy()); ft.append(p.finetunedAccuracy()); int8.append(p.int8Accuracy());
                diff.append(p.maskedMaxRelDiff()); exact.append(p.int8BitExact());
            }
            Table t = Table.create("structured pruning of " + model + " (" + testImages + " test images; " + cpu + ", 1 thread)",
                    ratio, params, macs, macRatio, bytes, one, recon, rec, ft, int8, diff, exact);
            for (String rt : List.of(INT8, FP32, DJL)) {
                for (int b : batches) {
                    if (Double.isNaN(dense.medianMs(rt, b))) continue;
                    DoubleColumn sp = DoubleColumn.create(rt + " b" + b + " speed-up");
                    for (Point p : all()) sp.append(round(dense.medianMs(rt, b) / p.medianMs(rt, b), 3));
                    t.addColumns(sp);
                }
            }
            return t;
        }

        /** One row per model, runtime and batch: median, range, speed-up over the dense model on the same runtime, and the MACs ratio. */
        public Table latencyTable() {
            DoubleColumn ratio = DoubleColumn.create("ratio"), med = DoubleColumn.create("median ms"), min = DoubleColumn.create("min ms"),
                    max = DoubleColumn.create("max ms"), ips = DoubleColumn.create("images/s"), speed = DoubleColumn.create("speed-up vs dense"),
                    macRatio = DoubleColumn.create("MACs dense/pruned"), acc = DoubleColumn.create("accuracy");
            StringColumn runtime = StringColumn.create("runtime");
            IntColumn batch = IntColumn.create("batch");
            for (Point p : all()) {
                for (var e : p.latency().entrySet()) {
                    for (var bt : e.getValue().entrySet()) {
                        Timing t = bt.getValue();
                        ratio.append(p.ratio()); runtime.append(e.getKey()); batch.append(bt.getKey());
                        med.append(round(t.medianMs(), 3)); min.append(round(t.minMs(), 3)); max.append(round(t.maxMs(), 3)); ips.append(round(t.imagesPerSecond(), 1));
                        speed.append(round(dense.medianMs(e.getKey(), bt.getKey()) / t.medianMs(), 3));
                        macRatio.append(round((double) dense.macs() / p.macs(), 3));
                        acc.append(p.accuracyOn(e.getKey()));
                    }
                }
            }
            return Table.create("latency, 1 thread (" + cpu + ")", ratio, runtime, batch, med, min, max, ips, speed, macRatio, acc)
                    .sortOn("batch", "runtime", "ratio");
        }

        /**
         * Accuracy against latency at {@code batch}, one series per runtime (dense to most pruned); the dense
         * model on its fastest runtime is drawn as the line to beat: a point below or right of it is worse
         * than not pruning at all. The x axis is logarithmic (runtimes differ by several times).
         */
        public XYChart paretoChart(int batch) {
            XYChart c = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT)
                    .title(String.format(Locale.ROOT, "%s: accuracy vs latency, batch %d, 1 thread (points: dense, then ratios %s)", model, batch,
                            points.stream().map(p -> String.valueOf(p.ratio())).toList()))
                    .xAxisTitle("median latency per batch (ms, log scale)").yAxisTitle("test accuracy").build();
            c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS); // pruned points sit bottom left, where an inside legend would cover them
            c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
            c.getStyler().setXAxisLogarithmic(true);
            c.getStyler().setMarkerSize(7);
            String fastest = null;
            double fastestMs = Double.POSITIVE_INFINITY, lo = Double.POSITIVE_INFINITY, hi = 0;
            for (String rt : List.of(INT8, FP32, DJL)) {
                if (Double.isNaN(dense.medianMs(rt, batch))) continue;
                double[] x = all().stream().mapToDouble(p -> p.medianMs(rt, batch)).toArray();
                double[] y = all().stream().mapToDouble(p -> p.accuracyOn(rt)).toArray();
                for (int i = 0; i < x.length; i++) { hi = Math.max(hi, x[i]); lo = Math.min(lo, y[i]); }
                c.addSeries(rt, x, y).setMarker(SeriesMarkers.CIRCLE);
                if (dense.medianMs(rt, batch) < fastestMs) { fastestMs = dense.medianMs(rt, batch); fastest = rt; }
            }
            if (fastest != null) {
                double acc = dense.accuracyOn(fastest);
                c.addSeries("line to beat: dense on " + fastest, new double[] {fastestMs, fastestMs, hi * 1.05},
                        new double[] {Math.min(lo, acc) - 0.02, acc, acc}).setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.DASH_DASH);
            }
            return c;
        }
    }

    /** What to run. Build with {@link #builder()}: {@code set*} required, {@code opt*} optional. */
    public record Options(double[] ratios, PlanKind plan, StructuredPruning.Criterion criterion, int roundTo, double floor,
            ImageSet calibration, int equalityImages, int bitExactImages, TrainConfig finetune, ImageSet finetuneData,
            int[] batches, int warmup, int rounds, boolean djl, ImageSet recalibration, double distillTemperature,
            double distillStudentWeight, int steps, ImageSet taylorData, int taylorBatchSize, double batchNormL1, ImageSet reconstruction) {

        /** Whether pruned models recover by distillation from the dense model instead of plain fine-tuning. */
        public boolean distills() { return !Double.isNaN(distillTemperature); }

        public static Builder builder() { return new Builder(); }

        public static final class Builder {
            private double[] ratios;
            private PlanKind plan = PlanKind.UNIFORM;
            private StructuredPruning.Criterion criterion = StructuredPruning.Criterion.L2;
            private int roundTo = 8;
            private double floor = 0.1;
            private ImageSet calibration;
            private int equalityImages = 8, bitExactImages = 2;
            private TrainConfig finetune;
            private ImageSet finetuneData;
            private int[] batches = {1, 64};
            private int warmup = 2, rounds = 5;
            private boolean djl = true;
            private ImageSet recalibration;
            private double distillTemperature = Double.NaN, distillStudentWeight = Double.NaN;
            private int steps = 1;
            private ImageSet taylorData;
            private int taylorBatchSize = 64;
            private double batchNormL1;
            private ImageSet reconstruction;

            /** Fractions of each group's channels to remove, each in (0, 1). */
            public Builder setRatios(double... r) { this.ratios = r.clone(); return this; }
            /** Training images the int8 models are calibrated on (a seeded subset, e.g. 128). */
            public Builder setCalibration(ImageSet images) { this.calibration = images; return this; }
            /** Uniform (every group loses the ratio; the default) or global (lowest scores across groups, at least {@code floor} of each kept). */
            public Builder optPlan(PlanKind kind, double floor) { this.plan = kind; this.floor = floor; return this; }
            public Builder optCriterion(StructuredPruning.Criterion c) { this.criterion = c; return this; }
            /**
             * Kept channel counts rounded to multiples of this (default 8: SIMD-friendly, and libtorch on Zen 5
             * computes some narrow convolutions wrongly, e.g. 10 channels).
             */
            public Builder optRoundTo(int r) { this.roundTo = r; return this; }
            /** Test images the pruned-vs-masked check runs on (default 8) and those the bit-exactness check runs on (default 2: the reference is scalar). */
            public Builder optChecks(int equalityImages, int bitExactImages) { this.equalityImages = equalityImages; this.bitExactImages = bitExactImages; return this; }
            /** Fine-tune every pruned model (and the dense one, as the baseline) with this recipe on these images. */
            public Builder optFinetune(TrainConfig config, ImageSet data) { this.finetune = config; this.finetuneData = data; return this; }
            /**
             * Fine-tune the pruned models by distillation from the dense model as given (Hinton KD: loss =
             * α · cross-entropy + (1 − α) · T² · KL of the T-softened outputs) with the same recipe and data
             * as {@link #optFinetune}, which is required. The dense baseline is still fine-tuned plainly.
             *
             * @param temperature T &gt; 0
             * @param studentLossWeight α in [0, 1]
             */
            public Builder optDistillFromDense(double temperature, double studentLossWeight) {
                this.distillTemperature = temperature; this.distillStudentWeight = studentLossWeight; return this;
            }
            /** Batch sizes timed (default 1 and 64), warm-up runs and interleaved rounds per runtime (default 2 and 5). */
            public Builder optLatency(int[] batches, int warmup, int rounds) { this.batches = batches.clone(); this.warmup = warmup; this.rounds = rounds; return this; }
            /** Re-estimate each pruned model's BatchNorm statistics on these training images before anything else is measured on it. */
            public Builder optRecalibration(ImageSet images) { this.recalibration = images; return this; }
            /**
             * Reach each ratio in {@code steps} prune → fine-tune steps (default 1: one-shot), removing
             * {@link StructuredPruning#schedule} ratio · k / steps of the original channels by step k, with
             * importance recomputed on the model each step left; the fine-tuning epochs are split over the
             * steps (their total unchanged), the last step's share fine-tuning the final model.
             */
            public Builder optSteps(int steps) { this.steps = steps; return this; }
            /**
             * Training images whose gradients {@link StructuredPruning.Criterion#TAYLOR} needs (a seeded subset,
             * e.g. 512), in batches of {@code batchSize}; required with that criterion.
             */
            public Builder optTaylorData(ImageSet images, int batchSize) { this.taylorData = images; this.taylorBatchSize = batchSize; return this; }
            /**
             * Network slimming's L1 penalty {@code lambda · Σ|γ|} on every BatchNorm scale during fine-tuning
             * ({@link dev.squeeze.prune.SparsityRegularization#batchNormScales}); with {@link #optSteps} &gt; 1 it
             * sparsifies γ before the next step's {@code BN_SCALE} ranking. Needs {@link #optFinetune}.
             */
            public Builder optBatchNormL1(double lambda) { this.batchNormL1 = lambda; return this; }
            /**
             * Refit every pruned model's convolutions and linear layers that lost input channels, by least
             * squares on these training images, to reproduce the dense model's outputs
             * ({@link dev.squeeze.prune.ChannelReconstruction}), right after pruning and before BatchNorm
             * re-estimation and fine-tuning (a seeded subset, e.g. 512). Re-estimating BatchNorm after it lowered
             * accuracy on ResNet18 (the refit already moves each mean): leave {@link #optRecalibration} out with it.
             */
            public Builder optReconstruction(ImageSet images) { this.reconstruction = images; return this; }
            /** Time DJL/libtorch too (default true). */
            public Builder optDjl(boolean djl) { this.djl = djl; return this; }

            public Options build() {
                if (ratios == null || ratios.length == 0) throw new IllegalArgumentException("StructuredStudy.Options: ratios are required (setRatios)");
                for (double r : ratios) {
                    if (!(r > 0 && r < 1)) throw new IllegalArgumentException("StructuredStudy.Options: ratio " + r + " is outside (0, 1); pass 0.5 to remove half the channels");
                }
                if (calibration == null) throw new IllegalArgumentException("StructuredStudy.Options: calibration images are required (setCalibration)");
                if ((finetune == null) != (finetuneData == null)) throw new IllegalArgumentException("StructuredStudy.Options: finetune needs both a config and data");
                if (!Double.isNaN(distillTemperature)) {
                    if (finetune == null) throw new IllegalArgumentException("StructuredStudy.Options: distillation from the dense model needs optFinetune (its recipe and data)");
                    if (!(distillTemperature > 0) || Double.isInfinite(distillTemperature)) {
                        throw new IllegalArgumentException("StructuredStudy.Options: distillation temperature must be > 0, got " + distillTemperature);
                    }
                    if (!(distillStudentWeight >= 0 && distillStudentWeight <= 1)) {
                        throw new IllegalArgumentException("StructuredStudy.Options: the student-loss weight α must be in [0, 1], got " + distillStudentWeight);
                    }
                }
                if (equalityImages < 1 || bitExactImages < 1) throw new IllegalArgumentException("StructuredStudy.Options: the checks need ≥ 1 image each");
                if (batches.length == 0 || rounds < 1 || warmup < 0) throw new IllegalArgumentException("StructuredStudy.Options: latency needs batches, rounds ≥ 1, warmup ≥ 0");
                if (steps < 1) throw new IllegalArgumentException("StructuredStudy.Options: steps must be ≥ 1 (1: one-shot), got " + steps + "; pass optSteps(3) for three prune → fine-tune steps");
                if (criterion == StructuredPruning.Criterion.TAYLOR && taylorData == null) {
                    throw new IllegalArgumentException("StructuredStudy.Options: the TAYLOR criterion needs images for its gradients: optTaylorData(train.subset(512, seed, true), 64)");
                }
                if (taylorData != null && taylorBatchSize < 1) throw new IllegalArgumentException("StructuredStudy.Options: the Taylor batch size must be ≥ 1, got " + taylorBatchSize);
                if (!(batchNormL1 >= 0) || Double.isInfinite(batchNormL1)) {
                    throw new IllegalArgumentException("StructuredStudy.Options: the BatchNorm L1 weight must be finite and ≥ 0, got " + batchNormL1 + "; network slimming uses 1e-4");
                }
                if (batchNormL1 > 0 && finetune == null) {
                    throw new IllegalArgumentException("StructuredStudy.Options: the BatchNorm L1 penalty acts during fine-tuning; add optFinetune(config, data)");
                }
                TrainConfig ft = batchNormL1 > 0 ? finetune.toBuilder().addHook(dev.squeeze.prune.SparsityRegularization.batchNormScales(batchNormL1)).build() : finetune;
                return new Options(ratios.clone(), plan, criterion, roundTo, floor, calibration, equalityImages, bitExactImages, ft,
                        finetuneData, batches.clone(), warmup, rounds, djl, recalibration, distillTemperature, distillStudentWeight,
                        steps, taylorData, taylorBatchSize, batchNormL1, reconstruction);
            }
        }
    }

    /** A model being measured: kept open until the interleaved latency run. */
    private record Candidate(double ratio, String plan, Network net, Int8Model int8, long params, long macs, long fileBytes,
            double oneShot, double reconstructed, double recalibrated, double finetuned, double int8Accuracy, double maskedDiff, boolean bitExact) {}

    /** Runs the study; {@code net} ends with the weights it started with (pruned models are new networks). */
    public static Result run(Network net, ImageSet test, Preprocessing preprocessing, Options o) {
        List<NamedTensor> original = net.parameters();
        ChannelGroups groups = ChannelGroups.of(net.architecture());
        System.err.println(String.format(Locale.ROOT, "structured pruning study of %s on %,d test images: %s, ratios %s",
                net.architecture().name(), test.size(), groups, Arrays.toString(o.ratios())));
        float[] checkImages = new BatchMaker(test, preprocessing.withAugmentation(0, false)).batch(0, Math.min(o.equalityImages(), test.size()));
        List<Candidate> candidates = new ArrayList<>();
        try {
            candidates.add(measure(net, null, null, null, 0, "dense", test, preprocessing, o, 0.0, o.finetune()));
            restore(net, original); // fine-tuning the dense baseline changed it; plans start from the given weights
            // The given weights' Taylor scores serve every one-shot plan (the study restores them after each use).
            Map<String, float[]> taylor = o.criterion() == StructuredPruning.Criterion.TAYLOR && o.steps() == 1 ? taylorScores(net, preprocessing, o) : null;
            for (int i = 0; i < o.ratios().length; i++) {
                double ratio = o.ratios()[i];
                if (o.steps() > 1) {
                    candidates.add(iterative(net, groups, ratio, i, checkImages, test, preprocessing, o));
                    continue;
                }
                StructuredPruning.Plan plan = o.plan() == PlanKind.UNIFORM
                        ? StructuredPruning.uniform(net, groups, ratio, o.criterion(), o.roundTo(), taylor)
                        : StructuredPruning.global(net, groups, ratio, o.criterion(), o.floor(), o.roundTo(), taylor);
                Network small = StructuredPruning.apply(net, plan);
                double diff = maskedDifference(net, small, plan, checkImages, Math.min(o.equalityImages(), test.size()));
                System.err.println(String.format(Locale.ROOT, "[%d/%d] %s: pruned vs masked max relative difference %.2e",
                        i + 1, o.ratios().length, plan.describe(), diff));
                candidates.add(measure(small, net, net, plan, ratio, plan.describe(), test, preprocessing, o, diff, o.finetune()));
            }
            Map<Candidate, Map<String, Map<Integer, Timing>>> latency = latencies(candidates, test, preprocessing, o);
            List<Point> points = new ArrayList<>();
            for (Candidate c : candidates) {
                points.add(new Point(c.ratio(), c.plan(), c.params(), c.macs(), c.fileBytes(), c.oneShot(), c.reconstructed(), c.recalibrated(), c.finetuned(), c.int8Accuracy(),
                        c.maskedDiff(), c.bitExact(), latency.get(c)));
            }
            String recipe = o.finetune() == null ? "none" : o.finetune() + " on " + o.finetuneData().size() + " images"
                    + (o.distills() ? String.format(Locale.ROOT, "; pruned models distilled from the dense model (T %s, α %s; the dense baseline fine-tuned plainly)",
                            o.distillTemperature(), o.distillStudentWeight()) : "")
                    + (o.reconstruction() != null ? "; pruned models refitted by least-squares channel reconstruction on " + o.reconstruction().size()
                            + " images of " + o.reconstruction().name() + (o.recalibration() != null ? ", then BatchNorm statistics re-estimated"
                                    : ", BatchNorm statistics kept (the refit moved their means)") : "")
                    + (o.batchNormL1() > 0 ? String.format(Locale.ROOT, "; L1 penalty %s on BatchNorm scales (network slimming)", o.batchNormL1()) : "")
                    + (o.steps() > 1 ? String.format(Locale.ROOT, "; pruned in %d steps, epochs per step %s", o.steps(),
                            Arrays.toString(epochShares(o.finetune().epochs(), o.steps()))) : "");
            return new Result(net.architecture().name(), test.name(), test.size(), points.get(0), List.copyOf(points.subList(1, points.size())),
                    recipe, o.batches().clone(), Environment.cpuName());
        } finally {
            for (Candidate c : candidates) if (c.net() != net) c.net().close();
            restore(net, original);
        }
    }

    /**
     * One ratio reached in {@code o.steps()} prune → fine-tune steps: each step plans on the model the
     * step before left (importance recomputed), removes the channels, checks pruned = masked, and
     * re-estimates BatchNorm and fine-tunes with its share of the epochs; the last model is measured like
     * a one-shot one, its one-shot accuracy being the one right after the last step. The point's masked
     * difference is the largest over the steps.
     */
    private static Candidate iterative(Network net, ChannelGroups groups, double ratio, int index, float[] checkImages, ImageSet test,
            Preprocessing prep, Options o) {
        int steps = o.steps();
        int[] epochs = o.finetune() == null ? new int[steps] : epochShares(o.finetune().epochs(), steps);
        Network current = net;
        double diff = 0;
        try {
            for (int k = 1; k <= steps; k++) {
                Map<String, float[]> taylor = o.criterion() == StructuredPruning.Criterion.TAYLOR ? taylorScores(current, prep, o) : null;
                StructuredPruning.Plan plan = o.plan() == PlanKind.UNIFORM
                        ? StructuredPruning.uniformStep(current, groups, ratio, k, steps, o.criterion(), o.roundTo(), taylor)
                        : StructuredPruning.globalStep(current, groups, ratio, k, steps, o.criterion(), o.floor(), o.roundTo(), taylor);
                Network small = StructuredPruning.apply(current, plan);
                double d = maskedDifference(current, small, plan, checkImages, Math.min(o.equalityImages(), test.size()));
                diff = Math.max(diff, d);
                System.err.println(String.format(Locale.ROOT, "[%d/%d] %s: %,d parameters, pruned vs masked max relative difference %.2e",
                        index + 1, o.ratios().length, plan.describe(), small.trainableParameters(), d));
                TrainConfig share = epochs[k - 1] == 0 ? null : o.finetune().toBuilder().setEpochs(epochs[k - 1]).build();
                if (k == steps) {
                    Network source = current; // the model the plan was made on, which reconstruction reads
                    current = small;
                    try {
                        Candidate c = measure(current, net, source, plan, ratio, plan.describe(), test, prep, o, diff, share);
                        current = net; // the candidate owns it now
                        return c;
                    } finally {
                        if (source != net) source.close();
                    }
                }
                if (o.reconstruction() != null) reconstruct(current, small, plan, prep, o);
                if (current != net) current.close();
                current = small;
                if (o.recalibration() != null) Training.recalibrateBatchNorm(current, o.recalibration(), prep, 0, 64);
                if (share != null) recover(current, net, o, share);
            }
            throw new IllegalStateException("unreachable: the last step returns");
        } finally {
            if (current != net) current.close();
        }
    }

    /** {@code epochs} split over {@code steps} as evenly as whole epochs allow, the later steps taking the remainder. */
    static int[] epochShares(int epochs, int steps) {
        int[] e = new int[steps];
        for (int k = 0; k < steps; k++) e[k] = epochs / steps + (k >= steps - epochs % steps ? 1 : 0);
        return e;
    }

    /** Least-squares channel reconstruction of {@code small} against {@code source} (its progress lines name every layer's fit). */
    private static void reconstruct(Network source, Network small, StructuredPruning.Plan plan, Preprocessing prep, Options o) {
        ChannelReconstruction.reconstruct(source, small, plan, o.reconstruction(), prep, ChannelReconstruction.Options.defaults());
    }

    private static Map<String, float[]> taylorScores(Network net, Preprocessing prep, Options o) {
        int batches = (o.taylorData().size() + o.taylorBatchSize() - 1) / o.taylorBatchSize();
        return StructuredPruning.taylorScores(net, o.taylorData(), prep, batches, Math.min(o.taylorBatchSize(), o.taylorData().size()));
    }

    /** Fine-tunes {@code m} in place with {@code config}: plainly, or distilled from {@code dense} when {@code o} says so. */
    private static void recover(Network m, Network dense, Options o, TrainConfig config) {
        if (o.distills() && dense != null) {
            // Distillation as the recovery step: the dense model still knows what the pruned one forgot.
            Distiller.of(m, dense, List.of(new LogitsDistillation(o.distillTemperature()).weighted(1)), o.distillStudentWeight())
                    .compile(config.optimizer(), Objective.crossEntropy()).fit(o.finetuneData(), null, config);
        } else {
            Training.fit(m, o.finetuneData(), null, config);
        }
    }

    /**
     * Largest |pruned − masked| logit over the largest |masked| logit on {@code images} ({@code [n, C, H, W]}
     * preprocessed), both run by the fp32 executor (libtorch miscomputes some narrow convolutions on Zen 5).
     * {@code net} is masked with {@code plan} for the comparison and ends with the weights it started with.
     */
    public static double maskedDifference(Network net, Network small, StructuredPruning.Plan plan, float[] images, int n) {
        List<NamedTensor> original = net.parameters();
        float[] a, b;
        try {
            StructuredPruning.mask(net, plan);
            // In chunks: 1,000 ResNet18 activations at once would need gigabytes of scratch.
            int chunk = Math.min(n, 64), per = images.length / n;
            a = new float[0];
            b = new float[0];
            try (FloatExecutor masked = FloatExecutor.of(Fusion.of(net), Int8Executor.Options.defaults().withMaxBatch(chunk));
                 FloatExecutor pruned = FloatExecutor.of(Fusion.of(small), Int8Executor.Options.defaults().withMaxBatch(chunk))) {
                for (int from = 0; from < n; from += chunk) {
                    int k = Math.min(chunk, n - from);
                    float[] part = java.util.Arrays.copyOfRange(images, from * per, (from + k) * per);
                    a = concat(a, masked.run(part, k));
                    b = concat(b, pruned.run(part, k));
                }
            }
        } finally {
            restore(net, original);
        }
        double max = 0, diff = 0;
        for (int i = 0; i < a.length; i++) { max = Math.max(max, Math.abs(a[i])); diff = Math.max(diff, Math.abs(a[i] - b[i])); }
        return max == 0 ? (diff == 0 ? 0 : Double.POSITIVE_INFINITY) : diff / max;
    }

    private static float[] concat(float[] x, float[] y) {
        float[] r = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, r, x.length, y.length);
        return r;
    }

    /**
     * Sizes, accuracies, int8 model and checks of one model (fine-tuning {@code m} in place when asked).
     *
     * @param dense the unpruned model as given, the teacher when {@code o} distills; null for the dense point itself
     * @param source the model {@code plan} was made on ({@code dense}, or an iterative step's), whose outputs reconstruction matches
     * @param finetune the recipe {@code m} is fine-tuned with (null: none), {@code o}'s or an iterative step's share of it
     */
    private static Candidate measure(Network m, Network dense, Network source, StructuredPruning.Plan plan, double ratio, String describe, ImageSet test,
            Preprocessing prep, Options o, double maskedDiff, TrainConfig finetune) {
        long macs;
        try (FloatExecutor f = FloatExecutor.of(Fusion.of(m), Int8Executor.Options.singleThread(1))) {
            macs = f.macsPerImage();
        }
        long bytes = fileBytes(m);
        double one = FastEvaluation.evaluate(m, test, prep).accuracy();
        double recon = Double.NaN;
        if (o.reconstruction() != null && plan != null) {
            reconstruct(source, m, plan, prep, o);
            recon = FastEvaluation.evaluate(m, test, prep).accuracy();
        }
        double rec = Double.NaN;
        if (o.recalibration() != null && plan != null) {
            // Pruned channels change what every later BatchNorm sees; its running statistics are stale.
            Training.recalibrateBatchNorm(m, o.recalibration(), prep, 0, 64);
            rec = FastEvaluation.evaluate(m, test, prep).accuracy();
        }
        double ft = Double.NaN;
        if (finetune != null) {
            recover(m, dense, o, finetune);
            ft = FastEvaluation.evaluate(m, test, prep).accuracy();
        }
        Int8Model int8;
        try (QuantizedNetwork q = Quantization.calibrate(m, o.calibration(), prep, QConfig.x86())) {
            int8 = q.convert();
        }
        double int8Acc;
        try (Int8Executor ex = Int8Executor.of(int8, Int8Executor.Options.defaults().withMaxBatch(100))) {
            int8Acc = IntegerReference.evaluate(int8, test, prep, ex::runCodes).accuracy();
        }
        int n = Math.min(o.bitExactImages(), test.size());
        float[] x = new BatchMaker(test, prep.withAugmentation(0, false)).batch(0, n);
        boolean exact;
        try (Int8Executor ex = Int8Executor.of(int8, Int8Executor.Options.singleThread(n))) {
            exact = Arrays.equals(IntegerReference.run(int8, x, n), ex.runCodes(x, n));
        }
        System.err.println(String.format(Locale.ROOT, "  %s: %,d params, %.1f MMAC/image, %,d bytes; accuracy one-shot %.4f, reconstructed %.4f, BatchNorm re-estimated %.4f, fine-tuned %.4f, int8 %.4f; int8 bit-exact %s",
                describe, m.trainableParameters(), macs / 1e6, bytes, one, recon, rec, ft, int8Acc, exact));
        return new Candidate(ratio, describe, m, int8, m.trainableParameters(), macs, bytes, one, recon, rec, ft, int8Acc, maskedDiff, exact);
    }

    /** Bytes of {@code net} saved as an fp32 {@code .sqz} (written to a temporary file, then deleted). */
    static long fileBytes(Network net) {
        try {
            Path f = Files.createTempFile("squeeze-structured", ".sqz");
            try {
                ModelFile.save(net, f);
                return Files.size(f);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a temporary model file: " + e.getMessage(), e);
        }
    }

    /**
     * Per batch size, one interleaved run over every candidate and runtime at one thread (libtorch's
     * intra-op threads set to 1 for the run and restored after).
     */
    private static Map<Candidate, Map<String, Map<Integer, Timing>>> latencies(List<Candidate> cs, ImageSet test, Preprocessing prep, Options o) {
        Map<Candidate, Map<String, Map<Integer, Timing>>> out = new LinkedHashMap<>();
        for (Candidate c : cs) out.put(c, new LinkedHashMap<>());
        for (int batch : o.batches()) {
            int b = Math.min(batch, test.size());
            float[] x = new BatchMaker(test, prep.withAugmentation(0, false)).batch(0, b);
            List<String> names = new ArrayList<>();
            List<Runnable> work = new ArrayList<>();
            List<AutoCloseable> open = new ArrayList<>();
            int threads = JniUtils.getNumThreads();
            try {
                for (Candidate c : cs) {
                    Int8Executor i8 = Int8Executor.of(c.int8(), Int8Executor.Options.singleThread(b));
                    open.add(i8);
                    float[] codesOut = new float[b * i8.outputSize()];
                    names.add(c.ratio() + "|" + INT8);
                    work.add(() -> i8.run(x, b, codesOut));
                    FloatExecutor f = FloatExecutor.of(Fusion.of(c.net()), Int8Executor.Options.singleThread(b));
                    open.add(f);
                    float[] logits = new float[b * f.outputSize()];
                    names.add(c.ratio() + "|" + FP32);
                    work.add(() -> f.run(x, b, logits));
                    if (o.djl()) {
                        names.add(c.ratio() + "|" + DJL);
                        work.add(() -> c.net().logits(x, b));
                    }
                }
                System.err.println(String.format(Locale.ROOT, "timing batch %d: %d runtimes × (%d warm-up + %d rounds), interleaved, 1 thread",
                        batch, names.size(), o.warmup(), o.rounds()));
                JniUtils.setNumThreads(1);
                List<Timing> ts = Measure.interleaved(names, work, b, o.warmup(), o.rounds());
                for (int i = 0; i < ts.size(); i++) {
                    Candidate c = cs.get(i / (o.djl() ? 3 : 2));
                    String rt = names.get(i).substring(names.get(i).indexOf('|') + 1);
                    out.get(c).computeIfAbsent(rt, k -> new LinkedHashMap<>()).put(batch, ts.get(i));
                }
            } finally {
                JniUtils.setNumThreads(threads);
                for (AutoCloseable a : open) {
                    try { a.close(); } catch (Exception e) { throw new IllegalStateException(e); }
                }
            }
        }
        return out;
    }

    /**
     * Per-op profile of two fp32 or int8 runs side by side (e.g. dense and pruned, same architecture, so
     * the ops pair up by position): MACs, time, and GOP/s of each, and the MACs and time ratios. This is
     * where "half the MACs, not half the time" shows: ops whose time does not follow their MACs.
     */
    public static Table profileComparison(Int8Executor.Profile dense, Int8Executor.Profile pruned) {
        if (dense.ops().size() != pruned.ops().size()) {
            throw new IllegalArgumentException("profiles of different graphs: " + dense.ops().size() + " and " + pruned.ops().size() + " ops");
        }
        StringColumn op = StringColumn.create("op"), shape = StringColumn.create("pruned output");
        DoubleColumn dm = DoubleColumn.create("dense MMAC"), pm = DoubleColumn.create("pruned MMAC"), mr = DoubleColumn.create("MACs ratio"),
                dt = DoubleColumn.create("dense ms"), pt = DoubleColumn.create("pruned ms"), tr = DoubleColumn.create("time ratio"),
                dg = DoubleColumn.create("dense GOP/s"), pg = DoubleColumn.create("pruned GOP/s");
        for (int i = 0; i < dense.ops().size(); i++) {
            var a = dense.ops().get(i);
            var b = pruned.ops().get(i);
            op.append(a.name()); shape.append(b.outputShape());
            dm.append(round(a.macs() / 1e6, 2)); pm.append(round(b.macs() / 1e6, 2)); mr.append(b.macs() == 0 ? Double.NaN : round((double) a.macs() / b.macs(), 2));
            dt.append(round(a.millis(), 4)); pt.append(round(b.millis(), 4)); tr.append(round(a.millis() / b.millis(), 2));
            dg.append(round(a.gops(), 1)); pg.append(round(b.gops(), 1));
        }
        return Table.create(String.format(Locale.ROOT, "per-op profile, batch %d, %d thread(s): dense %.2f ms, pruned %.2f ms",
                dense.batch(), dense.threads(), dense.totalMillis(), pruned.totalMillis()), op, shape, dm, pm, mr, dt, pt, tr, dg, pg);
    }

    /** {@code v} rounded to {@code digits} decimals, for readable tables (NaN and infinities pass through). */
    private static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return v;
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static void restore(Network net, List<NamedTensor> original) {
        for (NamedTensor t : original) net.setParameter(t.name(), t.values());
    }
}
