package dev.squeeze.cli;

import dev.squeeze.Environment;
import dev.squeeze.data.DataHome;
import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.data.Split;
import dev.squeeze.model.Network;
import dev.squeeze.prune.StructuredPruning;
import dev.squeeze.report.Charts;
import dev.squeeze.report.PruneStudy;
import dev.squeeze.report.StructuredStudy;
import dev.squeeze.train.Budget;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.util.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./squeeze prune --structured}: channel pruning that physically shrinks a model (default: the
 * pretrained CIFAR-10 ResNet18) at several ratios, with parameters, MACs, file size, accuracy (one-shot,
 * fine-tuned when {@code --finetune-epochs} > 0, int8), the pruned-vs-masked and int8 bit-exactness
 * checks, and one-thread latency on Squeeze's int8 and fp32 executors and on DJL, written to
 * {@code DIR/prune.json} with the accuracy-vs-latency plots.
 */
final class StructuredPruneCommand {
    private StructuredPruneCommand() {}

    static int run(Args a) {
        Budget budget = a.parsed("budget", "quick", Budget::parse);
        double[] ratios = a.parsed("ratio", "0.3,0.5,0.7", v -> Arrays.stream(v.split(",")).map(String::trim)
                .mapToDouble(Double::parseDouble).peek(r -> {
                    if (!(r > 0 && r < 1)) throw new IllegalArgumentException("ratios are fractions of channels in (0, 1); half is 0.5");
                }).toArray());
        StructuredPruning.Criterion criterion = a.parsed("criterion", "l2", v -> choice(StructuredPruning.Criterion.class, v, "l1, l2, bn-scale or taylor"));
        StructuredStudy.PlanKind plan = a.parsed("plan", "uniform", v -> choice(StructuredStudy.PlanKind.class, v, "uniform or global"));
        double floor = a.parsed("floor", "0.1", v -> {
            double f = Double.parseDouble(v);
            if (!(f > 0 && f <= 1)) throw new IllegalArgumentException("the floor is the fraction of each group kept at least, in (0, 1]");
            return f;
        });
        int roundTo = a.intValue("round-to", 8);
        // Fine-tuning is opt-in here: at quick it is a few steps per model and mostly moves BatchNorm statistics.
        int epochs = a.nonNegativeInt("finetune-epochs", 0);
        // --recover distill: the pruned models learn from the dense model's outputs during those epochs (issue 11's
        // "distillation as the recovery step after compression"); --temperature and --alpha as in ./squeeze distill.
        boolean distill = a.parsed("recover", "finetune", v -> switch (v) {
            case "finetune" -> false;
            case "distill" -> true;
            default -> throw new IllegalArgumentException("--recover is finetune (plain fine-tuning) or distill (from the dense model)");
        });
        double temperature = a.parsed("temperature", "4", v -> {
            double t = Double.parseDouble(v);
            if (!(t > 0) || Double.isInfinite(t)) throw new IllegalArgumentException("the temperature must be a number > 0, e.g. 4");
            return t;
        });
        double alpha = a.parsed("alpha", "0.5", v -> {
            double x = Double.parseDouble(v);
            if (!(x >= 0 && x <= 1)) throw new IllegalArgumentException("α, the weight of the hard-label loss, must be in [0, 1], e.g. 0.5");
            return x;
        });
        if (distill && epochs == 0) throw new Args.UsageException("prune --structured: --recover distill needs --finetune-epochs N (N ≥ 1)");
        // --steps K: each ratio reached in K prune → fine-tune steps, the --finetune-epochs split over them.
        int steps = a.intValue("steps", 1);
        // --bn-l1 λ: network slimming's L1 penalty on BatchNorm scales while fine-tuning (with --steps > 1, before the next step's ranking).
        double bnL1 = a.parsed("bn-l1", "0", v -> {
            double x = Double.parseDouble(v);
            if (!(x >= 0) || Double.isInfinite(x)) throw new IllegalArgumentException("the BatchNorm L1 weight must be a number ≥ 0, e.g. 1e-4");
            return x;
        });
        if (bnL1 > 0 && epochs == 0) throw new Args.UsageException("prune --structured: --bn-l1 acts during fine-tuning; add --finetune-epochs N (N ≥ 1)");
        // --lr X: the fine-tuning learning rate (default the recipe's, 0.01); a reconstructed model starts close to
        // the dense one and keeps more of it with a smaller step.
        Float lr = a.has("lr") ? a.positiveFloat("lr", 0) : null;
        if (lr != null && epochs == 0) throw new Args.UsageException("prune --structured: --lr sets the fine-tuning learning rate; add --finetune-epochs N (N ≥ 1)");
        int taylorImages = a.intValue("taylor-images", budget == Budget.QUICK ? 64 : 512);
        // --reconstruct N: least-squares channel reconstruction on N training images right after pruning (0: none, the default).
        int reconstructImages = a.nonNegativeInt("reconstruct", 0);
        int rounds = a.intValue("repeats", budget == Budget.QUICK ? 3 : 15);
        long seed = a.nonNegativeInt("seed", 0);
        String dataset = a.parsed("dataset", "cifar10", Datasets::key);
        Path modelFile = PruneCommand.ModelToPrune.option(a);
        try (OutDir out = OutDir.open("prune", Path.of(a.get("out", "out/prune")))) {
            PruneCommand.ModelToPrune model = PruneCommand.ModelToPrune.load(modelFile, dataset, budget);
            Network net = model.network();
            Preprocessing prep = model.preprocessing();
            String source = model.source();
            try (net) {
                PruneCommand.TestImages scored = PruneCommand.TestImages.of(a, dataset, budget);
                DataHome.Location testSource = scored.source();
                ImageSet allTest = scored.all(), test = scored.test();
                DataHome.Location trainSource = Datasets.source(dataset, Split.TRAIN);
                ImageSet train = Datasets.load(trainSource, Split.TRAIN);
                ImageSet calibration = train.subset(Math.min(128, train.size()), seed, true);
                // BatchNorm statistics re-estimated on these before measuring (0: one-shot only). Not by default after
                // --reconstruct: the refit already moved each BatchNorm's mean, and re-estimating lowered accuracy
                // (ResNet18 at 0.3: 89.96 → 87.14 % on validation images); an explicit --recalibrate still does it.
                int recalibrationImages = a.nonNegativeInt("recalibrate", reconstructImages > 0 ? 0 : budget == Budget.QUICK ? 256 : 1024);
                var options = StructuredStudy.Options.builder().setRatios(ratios).setCalibration(calibration)
                        .optRecalibration(recalibrationImages == 0 ? null : train.subset(Math.min(recalibrationImages, train.size()), seed + 1, true))
                        .optPlan(plan, floor).optCriterion(criterion).optRoundTo(roundTo)
                        .optLatency(new int[] {1, 64}, budget == Budget.QUICK ? 1 : 3, rounds)
                        // The int8 bit-exactness check runs the scalar IntegerReference (about a second per ResNet18 image): 2 by default.
                        .optChecks(Math.min(test.size(), a.intValue("check-images", budget == Budget.QUICK ? 8 : 1000)),
                                Math.min(test.size(), a.intValue("exact-images", 2)));
                ImageSet taylorData = null;
                if (criterion == StructuredPruning.Criterion.TAYLOR) {
                    taylorData = train.subset(Math.min(taylorImages, train.size()), seed + 2, true);
                    options.optTaylorData(taylorData, 64);
                }
                if (steps > 1) options.optSteps(steps);
                ImageSet reconstructData = null;
                if (reconstructImages > 0) {
                    reconstructData = train.subset(Math.min(reconstructImages, train.size()), seed + 3, true);
                    options.optReconstruction(reconstructData);
                }
                ImageSet ftData = null;
                if (epochs > 0) {
                    ftData = PruneStudy.finetuneData(train, budget, seed);
                    TrainConfig recipe = PruneStudy.finetuneRecipe(budget, prep, seed);
                    if (lr != null) recipe = recipe.toBuilder().setOptimizer(recipe.optimizer().withLearningRate(lr)).build();
                    options.optFinetune(recipe.toBuilder().setEpochs(epochs).optProgress(Progress.console()).build(), ftData);
                    if (distill) options.optDistillFromDense(temperature, alpha);
                    if (bnL1 > 0) options.optBatchNormL1(bnL1);
                }
                System.out.println("squeeze prune --structured: " + net + " from " + source + ", " + plan.name().toLowerCase(Locale.ROOT)
                        + " " + criterion + " plans, ratios " + Arrays.toString(ratios) + ", round to " + roundTo
                        + ", fine-tuning " + (epochs == 0 ? "none" : epochs + " epoch(s) on " + ftData.size() + " images"
                                + (distill ? " distilled from the dense model (T " + temperature + ", α " + alpha + ")" : ""))
                        + (bnL1 > 0 ? ", L1 " + bnL1 + " on BatchNorm scales" : "")
                        + (steps > 1 ? ", " + steps + " prune → fine-tune steps per ratio" : "")
                        + (taylorData != null ? ", Taylor gradients on " + taylorData.size() + " training images" : "")
                        + (reconstructData != null ? ", channel reconstruction on " + reconstructData.size() + " training images" : "")
                        + ", test " + test.name() + ", latency " + rounds + " interleaved rounds");
                System.out.println("machine: " + Environment.machine());
                StructuredStudy.Result r = StructuredStudy.run(net, test, prep, options.build());
                List<String> plots = new ArrayList<>();
                for (int b : r.batches()) {
                    plots.add(out.target(Charts.savePng(r.paretoChart(b), out.staged("structured-pareto-batch" + b + ".png"))).toString());
                }
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("command", "prune --structured");
                j.put("model", net.architecture().name());
                j.put("model_file", source);
                j.put("budget", budget.id());
                j.put("plan", plan.name().toLowerCase(Locale.ROOT) + (plan == StructuredStudy.PlanKind.GLOBAL ? " (floor " + floor + ")" : ""));
                j.put("criterion", criterion.name());
                j.put("round_to", roundTo);
                // Written only when used, so a default run's prune.json keeps its keys.
                if (steps > 1) j.put("steps", steps);
                if (bnL1 > 0) j.put("bn_l1", bnL1);
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("test", Map.of("set", test.name(), "source", testSource.path().toString(), "images", test.size()));
                data.put("calibration", Map.of("set", calibration.name(), "source", trainSource.path().toString(), "images", calibration.size()));
                if (ftData != null) data.put("finetune", Map.of("set", ftData.name(), "source", trainSource.path().toString(), "images", ftData.size()));
                if (reconstructData != null) {
                    data.put("reconstruction", Map.of("set", reconstructData.name(), "source", trainSource.path().toString(), "images", reconstructData.size()));
                }
                if (taylorData != null) data.put("taylor", Map.of("set", taylorData.name(), "source", trainSource.path().toString(), "images", taylorData.size()));
                j.put("data", data);
                j.put("finetune_recipe", r.finetuneRecipe());
                j.put("dense", point(r.dense(), r.dense()));
                List<Map<String, Object>> points = new ArrayList<>();
                for (StructuredStudy.Point p : r.points()) points.add(point(p, r.dense()));
                j.put("points", points);
                j.put("latency_note", "median ms per batch, 1 thread, all models and runtimes of a batch size in one interleaved run of "
                        + rounds + " rounds; squeeze-int8 runs the static-PTQ int8 model; ONNX Runtime is not timed here (see ./squeeze bench)");
                j.put("plots", plots);
                j.put("machine", Environment.machine());
                Json.write(out.staged("prune.json"), j);
                out.commit("prune.json");
                System.out.println(r.table().print());
                System.out.println(r.latencyTable().printAll());
                System.out.println("wrote " + out.target("prune.json"));
            }
        }
        return 0;
    }

    private static Map<String, Object> point(StructuredStudy.Point p, StructuredStudy.Point dense) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ratio", p.ratio());
        m.put("plan", p.plan());
        m.put("params", p.params());
        m.put("macs", p.macs());
        m.put("macs_ratio", (double) dense.macs() / p.macs());
        m.put("file_bytes", p.fileBytes());
        m.put("one_shot_accuracy", p.oneShotAccuracy());
        if (!Double.isNaN(p.reconstructedAccuracy())) m.put("reconstructed_accuracy", p.reconstructedAccuracy()); // only when asked: default keys stay
        m.put("recalibrated_accuracy", p.recalibratedAccuracy()); // NaN (not recalibrated, or dense) is written as null
        m.put("finetuned_accuracy", p.finetunedAccuracy()); // NaN (not fine-tuned) is written as null
        m.put("int8_accuracy", p.int8Accuracy());
        m.put("masked_equal_max_rel_diff", p.maskedMaxRelDiff());
        m.put("int8_bit_exact", p.int8BitExact());
        Map<String, Object> lat = new LinkedHashMap<>(), speed = new LinkedHashMap<>();
        p.latency().forEach((rt, byBatch) -> {
            Map<String, Object> l = new LinkedHashMap<>(), s = new LinkedHashMap<>();
            byBatch.forEach((b, t) -> {
                l.put("batch" + b, t.medianMs());
                s.put("batch" + b, dense.medianMs(rt, b) / t.medianMs());
            });
            lat.put(rt, l);
            speed.put(rt, s);
        });
        m.put("latency_ms", lat);
        m.put("speedup_vs_dense", speed);
        return m;
    }

    /** An enum constant from a CLI word ({@code bn-scale} → {@code BN_SCALE}); a wrong word names the choices. */
    private static <E extends Enum<E>> E choice(Class<E> type, String word, String choices) {
        try {
            return Enum.valueOf(type, word.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + word + "' is not one of " + choices);
        }
    }
}
