package dev.squeeze.cli;

import dev.squeeze.Environment;
import dev.squeeze.data.DataHome;
import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.data.Split;
import dev.squeeze.export.OnnxImport;
import dev.squeeze.export.Pretrained;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.Network;
import dev.squeeze.prune.Scope;
import dev.squeeze.report.Charts;
import dev.squeeze.report.PruneStudy;
import dev.squeeze.train.Budget;
import dev.squeeze.train.Progress;
import dev.squeeze.train.Recipe;
import dev.squeeze.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./squeeze prune}: unstructured pruning of a model file (default: the pretrained CIFAR-10
 * ResNet18) at several sparsities, one-shot and fine-tuned, written to {@code DIR/prune.json} with
 * the accuracy-vs-sparsity plot and the per-layer sparsity of global pruning. Where the model is the
 * pretrained ResNet18, PyTorch's one-shot curve from its json is written beside each matching point.
 */
final class PruneCommand {
    private PruneCommand() {}

    static final List<String> OPTIONS = List.of("model-file", "dataset", "method", "scope", "sparsity", "finetune-epochs", "budget",
            "test-limit", "seed", "out",
            // --structured (StructuredPruneCommand)
            "ratio", "recalibrate", "criterion", "round-to", "plan", "floor", "repeats", "check-images", "exact-images", "recover", "temperature", "alpha",
            "steps", "bn-l1", "taylor-images", "reconstruct", "lr");

    /** Options only {@code --structured} reads: given without it they would be ignored, so they are refused. */
    static final List<String> STRUCTURED_ONLY = OPTIONS.subList(OPTIONS.indexOf("ratio"), OPTIONS.size());

    static int run(Args a) {
        if (a.flag("structured")) return StructuredPruneCommand.run(a);
        for (String o : STRUCTURED_ONLY) {
            if (a.has(o)) throw new Args.UsageException("prune: --" + o + " is an option of structured pruning; add --structured, or drop --" + o);
        }
        Budget budget = a.parsed("budget", "quick", Budget::parse);
        List<PruneStudy.Method> methods = a.parsed("method", "global-l1",
                v -> Arrays.stream(v.split(",")).map(String::trim).map(PruneStudy.Method::parse).toList());
        List<Scope> scopes = a.parsed("scope", "conv+linear", v -> Arrays.stream(v.split(",")).map(String::trim).map(Scope::parse).toList());
        double[] sparsities = a.parsed("sparsity", "0.5,0.8,0.9,0.95", v -> Arrays.stream(v.split(",")).map(String::trim)
                .mapToDouble(Double::parseDouble).peek(s -> {
                    if (!(s >= 0 && s <= 1)) throw new IllegalArgumentException("sparsities are fractions in [0, 1]; 80 % is 0.8");
                }).toArray());
        int epochs = a.nonNegativeInt("finetune-epochs", 1);
        long seed = a.nonNegativeInt("seed", 0);
        String dataset = a.parsed("dataset", "cifar10", Datasets::key);
        Path modelFile = ModelToPrune.option(a);
        try (OutDir out = OutDir.open("prune", Path.of(a.get("out", "out/prune")))) {
            ModelToPrune model = ModelToPrune.load(modelFile, dataset, budget);
            Network net = model.network();
            Preprocessing prep = model.preprocessing();
            List<Pretrained.PruningPoint> reference = model.reference();
            String source = model.source();
            try (net) {
                TestImages scored = TestImages.of(a, dataset, budget);
                DataHome.Location testSource = scored.source();
                ImageSet allTest = scored.all(), test = scored.test();
                var options = PruneStudy.Options.builder().setSparsities(sparsities)
                        .optMethods(methods.toArray(PruneStudy.Method[]::new)).optScopes(scopes.toArray(Scope[]::new)).optSeed(seed);
                boolean needTrain = epochs > 0 || methods.contains(PruneStudy.Method.TAYLOR) || methods.contains(PruneStudy.Method.HESSIAN);
                ImageSet ftData = null;
                DataHome.Location trainSource = null;
                if (needTrain) {
                    trainSource = Datasets.source(dataset, Split.TRAIN);
                    ftData = PruneStudy.finetuneData(Datasets.load(trainSource, Split.TRAIN), budget, seed);
                    options.optCriterionData(ftData);
                    if (epochs > 0) {
                        options.optFinetune(PruneStudy.finetuneRecipe(budget, prep, seed).toBuilder().setEpochs(epochs)
                                .optProgress(Progress.console()).build(), ftData);
                    }
                }
                System.out.println("squeeze prune: " + net + " from " + source + ", methods " + methods.stream().map(PruneStudy.Method::id).toList()
                        + ", scopes " + scopes.stream().map(Scope::describe).toList() + ", sparsities " + Arrays.toString(sparsities)
                        + ", fine-tuning " + (epochs == 0 ? "none" : epochs + " epoch(s) on " + ftData.size() + " images") + ", test " + test.name());
                System.out.println("machine: " + Environment.machine());
                PruneStudy.Result r = PruneStudy.run(net, test, prep, options.build());
                Path plot = Charts.savePng(r.chart(), out.staged("prune-accuracy.png"));
                List<String> plots = new ArrayList<>(List.of(out.target(plot).toString()));
                for (PruneStudy.Point p : r.points()) {
                    if (p.method().equals("global-l1") && p == firstAt(r, p.scope(), 0.9)) {
                        String name = "layer-sparsity-" + p.scope().replace('+', '-') + ".png";
                        plots.add(out.target(Charts.savePng(r.layerChart(p.method(), p.scope(), p.sparsity()), out.staged(name))).toString());
                    }
                }
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("command", "prune");
                j.put("model", net.architecture().name());
                j.put("model_file", source);
                j.put("budget", budget.id());
                Map<String, Object> data = new LinkedHashMap<>();
                data.put("test", Map.of("set", test.name(), "source", testSource.path().toString(), "images", test.size()));
                if (ftData != null) data.put("finetune", Map.of("set", ftData.name(), "source", trainSource.path().toString(), "images", ftData.size()));
                j.put("data", data);
                j.put("dense_accuracy", r.denseAccuracy());
                if (!Double.isNaN(r.denseFinetunedAccuracy())) j.put("dense_finetuned_accuracy", r.denseFinetunedAccuracy());
                j.put("finetune_recipe", r.finetuneRecipe());
                List<Map<String, Object>> points = new ArrayList<>();
                for (PruneStudy.Point p : r.points()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("method", p.method());
                    m.put("scope", p.scope());
                    m.put("sparsity", p.sparsity());
                    m.put("measured_sparsity", p.measuredSparsity());
                    m.put("one_shot_accuracy", p.oneShotAccuracy());
                    m.put("finetuned_accuracy", Double.isNaN(p.finetunedAccuracy()) ? null : p.finetunedAccuracy());
                    Double ref = referenceAt(reference, p, test.size() == allTest.size());
                    if (ref != null) {
                        m.put("pytorch_one_shot_accuracy", ref);
                        m.put("difference_points", 100 * (p.oneShotAccuracy() - ref));
                    }
                    Map<String, Object> sizes = new LinkedHashMap<>();
                    sizes.put("dense", p.sizes().denseFp32Bytes());
                    sizes.put("sparse", p.sizes().bitmaskFp32Bytes());
                    sizes.put("sparse_relative_index", p.sizes().relativeIndexFp32Bytes());
                    sizes.put("gzip", p.sizes().gzipDenseBytes());
                    sizes.put("gzip_sparse", p.sizes().gzipBitmaskBytes());
                    sizes.put("int8_sparse", p.sizes().int8BitmaskBytes());
                    m.put("size_bytes", sizes);
                    m.put("layer_sparsity", p.layerSparsity());
                    points.add(m);
                }
                j.put("points", points);
                j.put("size_bytes_note", "payload bytes of every parameter (BatchNorm included) after one-shot pruning: dense fp32; sparse = bitmask + fp32"
                        + " non-zeros; sparse_relative_index = Deep Compression's relative indices + fp32; gzip = gzip of the dense fp32 bytes (TF-MOT's"
                        + " measure); gzip_sparse = gzip of the bitmask encoding; int8_sparse = bitmask + int8 per-channel + scales");
                if (!reference.isEmpty()) {
                    j.put("reference", "PyTorch's global_unstructured(L1Unstructured) on the same weights, from the model's json"
                            + (test.size() == allTest.size() ? "" : "; not compared: this run scored " + test.size() + " of " + allTest.size() + " test images"));
                }
                j.put("plots", plots);
                j.put("machine", Environment.machine());
                Json.write(out.staged("prune.json"), j);
                out.commit("prune.json");
                System.out.println(r.table().print());
                System.out.println("wrote " + out.target("prune.json"));
            }
        }
        return 0;
    }

    private static PruneStudy.Point firstAt(PruneStudy.Result r, String scope, double preferred) {
        PruneStudy.Point best = null;
        for (PruneStudy.Point p : r.points()) {
            if (!p.method().equals("global-l1") || !p.scope().equals(scope)) continue;
            if (best == null || Math.abs(p.sparsity() - preferred) < Math.abs(best.sparsity() - preferred)) best = p;
        }
        return best;
    }

    /** PyTorch's one-shot accuracy at this point, when the json has it and the whole test set was scored. */
    private static Double referenceAt(List<Pretrained.PruningPoint> ref, PruneStudy.Point p, boolean wholeTestSet) {
        if (!wholeTestSet || !p.method().equals("global-l1")) return null;
        String scope = p.scope().equals("linear") ? "linear-only" : p.scope();
        for (Pretrained.PruningPoint r : ref) if (r.scope().equals(scope) && Math.abs(r.sparsity() - p.sparsity()) < 1e-9) return r.oneShotAccuracy();
        return null;
    }

    /**
     * The model a prune command works on: the pretrained CIFAR-10 ResNet18 when no file is given, else an
     * fp32 ONNX file (preprocessing from the json beside it) or a {@code .sqz}.
     *
     * @param reference PyTorch's one-shot curve, for the pretrained model only
     */
    record ModelToPrune(Network network, Preprocessing preprocessing, List<Pretrained.PruningPoint> reference, String source) {
        /** {@code --model-file}, checked before any data is loaded; null: the pretrained model. */
        static Path option(Args a) {
            Path modelFile = a.has("model-file") ? Path.of(a.get("model-file", null)) : null;
            if (modelFile != null && !Files.isRegularFile(modelFile)) {
                throw new Args.UsageException("prune: --model-file " + modelFile + " is not a file; give a .sqz or an fp32 .onnx, or leave it out"
                        + " for the pretrained CIFAR-10 ResNet18");
            }
            return modelFile;
        }

        static ModelToPrune load(Path modelFile, String dataset, Budget budget) {
            if (modelFile == null) {
                Pretrained p = Pretrained.resnet18Cifar10();
                return new ModelToPrune(p.network(), p.preprocessing(), p.pruningCurve(), p.onnx().toString());
            }
            if (modelFile.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) {
                Network net = OnnxImport.load(modelFile);
                Preprocessing prep = Pretrained.preprocessingBeside(modelFile)
                        .orElseGet(() -> Recipe.of(net.architecture().name(), dataset, budget).preprocessing());
                return new ModelToPrune(net, prep, List.of(), modelFile.toString());
            }
            Network net = ModelFile.load(modelFile);
            return new ModelToPrune(net, Recipe.of(net.architecture().name(), dataset, budget).preprocessing(), List.of(), modelFile.toString());
        }
    }

    /** The test split and the images scored: a seeded, stratified {@code --test-limit} subset ({@code quick}: 500), else all. */
    record TestImages(DataHome.Location source, ImageSet all, ImageSet test) {
        static TestImages of(Args a, String dataset, Budget budget) {
            DataHome.Location source = Datasets.source(dataset, Split.TEST);
            ImageSet all = Datasets.load(source, Split.TEST);
            int limit = a.intValue("test-limit", budget == Budget.QUICK ? 500 : all.size());
            return new TestImages(source, all, limit >= all.size() ? all : all.subset(limit, 43, true));
        }
    }
}
