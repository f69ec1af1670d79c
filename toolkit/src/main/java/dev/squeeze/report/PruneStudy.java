package dev.squeeze.report;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.measure.FastEvaluation;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.prune.Importance;
import dev.squeeze.prune.PruningMask;
import dev.squeeze.prune.Pruning;
import dev.squeeze.prune.Scope;
import dev.squeeze.prune.compress.SparseSizes;
import dev.squeeze.train.Budget;
import dev.squeeze.train.LrSchedule;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The comparison behind the pruning notebook and {@code ./squeeze prune}: for each method, scope and
 * sparsity, prune a copy of the weights one-shot, evaluate, optionally fine-tune with the mask held,
 * evaluate again, and restore the network. The steps are the ones a user writes by hand
 * ({@link Pruning}, {@link PruningMask#applyTo}, {@code Training.fit} with {@link PruningMask#hook()});
 * this class only loops over them and tabulates.
 *
 * <p>Accuracy comes from Squeeze's fp32 executor ({@link FastEvaluation}), about 3× faster than
 * libtorch inference on ResNet18, which is what makes a sweep on all 10,000 test images affordable.
 */
public final class PruneStudy {
    private PruneStudy() {}

    /** How weights are chosen (the CLI's {@code --method}). */
    public enum Method {
        GLOBAL_L1("global-l1"), LAYER_L1("layer-l1"), RANDOM("random"), TAYLOR("taylor"), HESSIAN("hessian");

        private final String id;
        Method(String id) { this.id = id; }
        public String id() { return id; }

        public static Method parse(String s) {
            for (Method m : values()) if (m.id.equals(s.trim().toLowerCase(Locale.ROOT))) return m;
            throw new IllegalArgumentException("unknown pruning method '" + s + "'; choose global-l1, layer-l1, random, taylor or hessian");
        }
    }

    /**
     * One pruned model.
     *
     * @param measuredSparsity exactly-zero fraction of the weights in scope, counted on the weights
     * @param finetunedAccuracy NaN when not fine-tuned
     * @param layerSparsity per pruned node, the zero fraction the mask left
     * @param sizes byte sizes of all the model's parameters (BatchNorm included) after one-shot pruning:
     *     dense, bitmask + fp32, gzip, bitmask + int8
     */
    public record Point(String method, String scope, double sparsity, double measuredSparsity, double oneShotAccuracy,
            double finetunedAccuracy, Map<String, Double> layerSparsity, SparseSizes sizes) {}

    /**
     * @param denseFinetunedAccuracy the dense model after the same fine-tuning recipe (NaN without fine-tuning):
     *     the fair baseline for fine-tuned points
     */
    public record Result(String model, String testData, int testImages, double denseAccuracy, double denseFinetunedAccuracy,
            String finetuneRecipe, String finetuneData, List<Point> points) {

        /** One row per point. */
        public Table table() {
            StringColumn method = StringColumn.create("method"), scope = StringColumn.create("scope");
            DoubleColumn sp = DoubleColumn.create("sparsity"), measured = DoubleColumn.create("measured sparsity"),
                    one = DoubleColumn.create("one-shot accuracy"), ft = DoubleColumn.create("fine-tuned accuracy");
            tech.tablesaw.api.LongColumn dense = tech.tablesaw.api.LongColumn.create("dense bytes"),
                    sparse = tech.tablesaw.api.LongColumn.create("bitmask+fp32 bytes"), gzip = tech.tablesaw.api.LongColumn.create("gzip bytes"),
                    int8 = tech.tablesaw.api.LongColumn.create("bitmask+int8 bytes");
            for (Point p : points) {
                method.append(p.method()); scope.append(p.scope()); sp.append(p.sparsity()); measured.append(p.measuredSparsity());
                one.append(p.oneShotAccuracy()); ft.append(p.finetunedAccuracy());
                dense.append(p.sizes().denseFp32Bytes()); sparse.append(p.sizes().bitmaskFp32Bytes());
                gzip.append(p.sizes().gzipDenseBytes()); int8.append(p.sizes().int8BitmaskBytes());
            }
            return Table.create("pruning " + model + " (dense " + String.format(Locale.ROOT, "%.4f", denseAccuracy) + ")",
                    method, scope, sp, measured, one, ft, dense, sparse, gzip, int8);
        }

        /** Accuracy against sparsity: a one-shot line per method and scope, and a fine-tuned line where there is one. */
        public XYChart chart() {
            Map<String, double[][]> series = new LinkedHashMap<>();
            Map<String, List<Point>> groups = new LinkedHashMap<>();
            for (Point p : points) groups.computeIfAbsent(p.method() + " " + p.scope(), k -> new ArrayList<>()).add(p);
            for (var g : groups.entrySet()) {
                List<Point> ps = g.getValue();
                series.put(g.getKey() + " one-shot", new double[][] {ps.stream().mapToDouble(Point::sparsity).toArray(),
                        ps.stream().mapToDouble(Point::oneShotAccuracy).toArray()});
                if (ps.stream().noneMatch(p -> Double.isNaN(p.finetunedAccuracy()))) {
                    series.put(g.getKey() + " fine-tuned", new double[][] {ps.stream().mapToDouble(Point::sparsity).toArray(),
                            ps.stream().mapToDouble(Point::finetunedAccuracy).toArray()});
                }
            }
            series.put("dense", new double[][] {{0.0}, {denseAccuracy}});
            return Charts.lines(series, "sparsity (fraction of weights pruned)", "test accuracy", "Pruning " + model);
        }

        /** Where the first point of {@code method}/{@code scope} at {@code sparsity} took its weights from, per layer. */
        public CategoryChart layerChart(String method, String scope, double sparsity) {
            Point p = points.stream().filter(x -> x.method().equals(method) && x.scope().equals(scope) && x.sparsity() == sparsity)
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("no point " + method + " " + scope + " " + sparsity
                            + " in this study; points: " + points.stream().map(x -> x.method() + " " + x.scope() + " " + x.sparsity()).toList()));
            List<String> names = new ArrayList<>(p.layerSparsity().keySet());
            double[] v = names.stream().mapToDouble(n -> p.layerSparsity().get(n)).toArray();
            return Charts.bars(names, v, "sparsity", String.format(Locale.ROOT, "%s %s at %.0f %%: sparsity per layer", method, scope, 100 * sparsity));
        }
    }

    /** What to sweep. Build with {@link #builder()}: {@code set*} required, {@code opt*} optional. */
    public record Options(List<Method> methods, List<Scope> scopes, double[] sparsities, TrainConfig finetune, ImageSet finetuneData,
            ImageSet criterionData, int criterionBatches, int criterionBatchSize, long seed) {

        public static Builder builder() { return new Builder(); }

        public static final class Builder {
            private List<Method> methods = List.of(Method.GLOBAL_L1);
            private List<Scope> scopes = List.of(Scope.convAndLinear());
            private double[] sparsities;
            private TrainConfig finetune;
            private ImageSet finetuneData, criterionData;
            private int criterionBatches = 8, criterionBatchSize = 32;
            private long seed = 0;

            /** Fractions of the weights in scope to prune, each in [0, 1]. */
            public Builder setSparsities(double... s) { this.sparsities = s.clone(); return this; }
            public Builder optMethods(Method... m) { this.methods = List.of(m); return this; }
            public Builder optScopes(Scope... s) { this.scopes = List.of(s); return this; }
            /** Fine-tune every pruned model (and the dense one, as the baseline) with this recipe on these images. */
            public Builder optFinetune(TrainConfig config, ImageSet data) { this.finetune = config; this.finetuneData = data; return this; }
            /** Images the Taylor and Hessian criteria take gradients on (default: the fine-tuning images). */
            public Builder optCriterionData(ImageSet data) { this.criterionData = data; return this; }
            /** Batches the Taylor and Hessian criteria average gradients over. */
            public Builder optCriterionBatches(int batches, int batchSize) { this.criterionBatches = batches; this.criterionBatchSize = batchSize; return this; }
            /** Seed of the random baseline. */
            public Builder optSeed(long seed) { this.seed = seed; return this; }

            public Options build() {
                if (sparsities == null || sparsities.length == 0) throw new IllegalArgumentException("PruneStudy.Options: sparsities is required (setSparsities)");
                for (double s : sparsities) {
                    if (!(s >= 0 && s <= 1)) throw new IllegalArgumentException("PruneStudy.Options: sparsity " + s + " is outside [0, 1]; pass 0.8 for 80 %");
                }
                if (methods.isEmpty()) throw new IllegalArgumentException("PruneStudy.Options: methods is empty");
                if (scopes.isEmpty()) throw new IllegalArgumentException("PruneStudy.Options: scopes is empty");
                if ((finetune == null) != (finetuneData == null)) throw new IllegalArgumentException("PruneStudy.Options: finetune needs both a config and data");
                boolean gradients = methods.contains(Method.TAYLOR) || methods.contains(Method.HESSIAN);
                ImageSet criterion = criterionData != null ? criterionData : finetuneData;
                if (gradients && criterion == null) {
                    throw new IllegalArgumentException("PruneStudy.Options: the taylor and hessian criteria need training images; pass them with optCriterionData");
                }
                return new Options(methods, scopes, sparsities.clone(), finetune, finetuneData, criterion, criterionBatches, criterionBatchSize, seed);
            }
        }
    }

    /**
     * The fine-tuning recipe: 1 epoch, SGD lr 0.01, momentum 0.9, weight decay 5e-4, cosine,
     * random crop (pad 4) + horizontal flip, batch 128 ({@code quick}: batch 32 over the small subset).
     */
    public static TrainConfig finetuneRecipe(Budget budget, Preprocessing preprocessing, long seed) {
        return TrainConfig.builder().setEpochs(1)
                .setOptimizer(new OptimizerConfig(OptimizerConfig.Kind.SGD, 0.01f, 0.9f, 5e-4f))
                .optSchedule(new LrSchedule.Cosine(0f))
                .optBatchSize(budget == Budget.QUICK ? 32 : 128)
                .optPreprocessing(preprocessing.withAugmentation(4, true))
                .optSeed(seed)
                .build();
    }

    /** Fine-tuning images: 10,000 seeded, stratified training images ({@code quick}: 128; {@code full}: all). */
    public static ImageSet finetuneData(ImageSet train, Budget budget, long seed) {
        return switch (budget) {
            case QUICK -> train.subset(128, seed, true);
            case STANDARD -> train.subset(10_000, seed, true);
            case FULL -> train;
        };
    }

    /** Runs the sweep; {@code net} ends with the weights it started with. */
    public static Result run(Network net, ImageSet test, Preprocessing preprocessing, Options o) {
        List<NamedTensor> original = net.parameters();
        List<Point> points = new ArrayList<>();
        System.err.println(String.format("pruning study of %s on %,d test images", net.architecture().name(), test.size()));
        double dense = FastEvaluation.evaluate(net, test, preprocessing).accuracy();
        System.err.println(String.format(Locale.ROOT, "dense: %.4f", dense));
        double denseFt = Double.NaN;
        if (o.finetune() != null) {
            System.err.println("fine-tuning the dense model (the baseline for fine-tuned points)");
            Training.fit(net, o.finetuneData(), null, o.finetune());
            denseFt = FastEvaluation.evaluate(net, test, preprocessing).accuracy();
            System.err.println(String.format(Locale.ROOT, "dense fine-tuned: %.4f", denseFt));
            restore(net, original);
        }
        int total = o.methods().size() * o.scopes().size() * o.sparsities().length, done = 0;
        try {
            for (Method m : o.methods()) {
                for (Scope scope : o.scopes()) {
                    for (double s : o.sparsities()) {
                        done++;
                        Importance importance = switch (m) {
                            case GLOBAL_L1, LAYER_L1 -> Importance.l1();
                            case RANDOM -> Importance.random(o.seed());
                            case TAYLOR -> Importance.taylor(o.criterionData(), preprocessing, o.criterionBatches(), o.criterionBatchSize());
                            case HESSIAN -> Importance.hessian(o.criterionData(), preprocessing, o.criterionBatches(), o.criterionBatchSize());
                        };
                        PruningMask mask = m == Method.LAYER_L1 ? Pruning.layerWise(net, scope, s, importance)
                                : Pruning.global(net, scope, s, importance);
                        mask.applyTo(net);
                        double measured = measured(net, mask);
                        double one = FastEvaluation.evaluate(net, test, preprocessing).accuracy();
                        SparseSizes sizes = SparseSizes.of(net.parameters());
                        double ft = Double.NaN;
                        if (o.finetune() != null) {
                            Training.fit(net, o.finetuneData(), null, o.finetune().toBuilder().addHook(mask.hook()).build());
                            long revived = mask.violations(net);
                            if (revived != 0) throw new IllegalStateException("fine-tuning revived " + revived + " pruned weights");
                            ft = FastEvaluation.evaluate(net, test, preprocessing).accuracy();
                        }
                        Map<String, Double> layers = new LinkedHashMap<>();
                        for (String n : mask.names()) layers.put(n.replaceFirst("\\.weight$", ""), mask.mask(n).sparsity());
                        points.add(new Point(m.id(), scope.describe(), s, measured, one, ft, layers, sizes));
                        System.err.println(String.format(Locale.ROOT, "[%d/%d] %s %s %.2f: measured %.6f, one-shot %.4f, fine-tuned %.4f", done, total,
                                m.id(), scope.describe(), s, measured, one, ft));
                        restore(net, original);
                    }
                }
            }
        } finally {
            restore(net, original);
        }
        String recipe = o.finetune() == null ? "none" : o.finetune().toString();
        String ftData = o.finetuneData() == null ? "none" : o.finetuneData().name() + " (" + o.finetuneData().size() + " images)";
        return new Result(net.architecture().name(), test.name(), test.size(), dense, denseFt, recipe, ftData, points);
    }

    /** Exactly-zero fraction of the masked weights, counted on the network's weights. */
    static double measured(Network net, PruningMask mask) {
        long zeros = 0, n = 0;
        for (String name : mask.names()) {
            for (float v : net.parameter(name).values()) { if (v == 0f) zeros++; n++; }
        }
        return (double) zeros / n;
    }

    private static void restore(Network net, List<NamedTensor> original) {
        for (NamedTensor t : original) net.setParameter(t.name(), t.values());
    }
}
