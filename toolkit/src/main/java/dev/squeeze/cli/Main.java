package dev.squeeze.cli;

import dev.squeeze.Environment;
import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Split;
import dev.squeeze.measure.Latency;
import dev.squeeze.measure.Measure;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.report.Charts;
import dev.squeeze.train.Budget;
import dev.squeeze.train.EpochStats;
import dev.squeeze.train.Evaluation;
import dev.squeeze.train.Experiment;
import dev.squeeze.train.Recipe;
import dev.squeeze.train.Training;
import dev.squeeze.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The headless CLI behind {@code ./squeeze}: same pipeline as the notebooks, results as JSON + PNG. */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: ./squeeze <command> [options]

              data      [--download cifar10|mnist|fashion-mnist]    show which data sets are found, or download one
              train     [--model M] [--dataset D] [--budget quick|standard|full] [--limit N] [--test-limit N]
                        [--epochs N] [--batch N] [--lr X] [--seed S] [--out DIR]
              qat       [--budget quick|standard|full] [--seed S] [--calibration N] [--qat-epochs N]
                        [--no-low-bit] [--no-scratch] [--out DIR]    the quantization comparison (seed CNN, CIFAR-10)
              export    --model-file FILE [--format onnx] [--dataset D] [--calibration N] [--out DIR]
                        ONNX files: the fp32 model and its static-PTQ int8 model in QDQ form
              eval      --model-file FILE --dataset D [--limit N] [--out DIR]
              notebooks execute every notebook headless under both kernels (budget from SQUEEZE_BUDGET, default quick)
              jupyter   install the kernels (java: IJava, the default; rapaio) and start Jupyter

            models:   %s
            datasets: cifar10, mnist, fashion-mnist
            Results go to DIR/<command>.json plus PNG plots (DIR defaults to out/<command>).
            """.formatted(String.join(", ", Zoo.NAMES));

    public static void main(String[] argv) {
        int code;
        try {
            code = run(argv);
        } catch (Args.UsageException e) {
            System.err.println("squeeze: " + e.getMessage());
            System.err.println("run ./squeeze --help for usage");
            code = 2;
        } catch (RuntimeException e) {
            System.err.println("squeeze: " + e.getMessage());
            if (System.getenv("SQUEEZE_DEBUG") != null) e.printStackTrace();
            code = 1;
        }
        System.exit(code);
    }

    static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            System.out.print(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        Environment.ensure();
        return switch (argv[0]) {
            case "data" -> data(new Args("data", argv, 1, List.of("download"), List.of()));
            case "train" -> train(new Args("train", argv, 1,
                    List.of("model", "dataset", "budget", "limit", "test-limit", "epochs", "batch", "lr", "seed", "out"), List.of()));
            case "qat" -> qat(new Args("qat", argv, 1, List.of("budget", "seed", "out", "calibration", "qat-epochs"),
                    List.of("no-low-bit", "no-scratch")));
            case "export" -> export(new Args("export", argv, 1, List.of("format", "model-file", "dataset", "calibration", "out"), List.of()));
            case "eval" -> eval(new Args("eval", argv, 1, List.of("model-file", "dataset", "limit", "out"), List.of()));
            case "notebooks", "jupyter" -> throw new Args.UsageException(argv[0] + " is run by the ./squeeze launcher script, not the jar");
            default -> throw new Args.UsageException("unknown command '" + argv[0] + "'; commands: data, train, eval, notebooks, jupyter");
        };
    }

    static int data(Args a) {
        if (a.has("download")) {
            Path where = Datasets.download(a.get("download", null));
            System.out.println("downloaded to " + where);
        }
        int found = 0;
        for (String name : Datasets.names()) {
            for (Split split : Split.values()) {
                try {
                    ImageSet s = Datasets.load(name, split);
                    System.out.printf("%-14s %-5s %s%n", name, split.folder(), s);
                    found++;
                } catch (dev.squeeze.data.DataNotFoundException e) {
                    System.out.printf("%-14s %-5s not found%n", name, split.folder());
                }
            }
        }
        System.out.println(found == 0 ? "no data found; see ./squeeze data --download NAME or README.md (Data)" : "");
        return 0;
    }

    static int train(Args a) {
        String model = a.get("model", "seed-cnn");
        String dataset = a.get("dataset", model.startsWith("keras") ? "mnist" : "cifar10");
        Budget budget = Budget.parse(a.get("budget", "quick"));
        long seed = a.longValue("seed", 42);
        Recipe recipe = Recipe.of(model, dataset, budget);
        if (a.has("limit")) recipe = recipe.withTrainLimit(a.intValue("limit", 0));
        if (a.has("test-limit")) recipe = recipe.withTestLimit(a.intValue("test-limit", 0));
        if (a.has("epochs")) recipe = recipe.withEpochs(a.intValue("epochs", 0));
        if (a.has("batch")) recipe = recipe.withBatchSize(a.intValue("batch", 0));
        if (a.has("lr")) recipe = recipe.withOptimizer(recipe.optimizer().withLearningRate(a.floatValue("lr", 0)));
        Zoo.get(model, new int[] {3, 32, 32}, 10); // unknown model names fail before data loading
        Path out = Path.of(a.get("out", "out/train"));
        System.out.println("squeeze train: " + recipe + ", seed " + seed);
        System.out.println("machine: " + Environment.machine() + ", libtorch threads " + Environment.torchThreads());
        try (Experiment ex = Experiment.run(recipe, seed)) {
            Path modelFile = out.resolve(model + ".sqz");
            ModelFile.save(ex.network(), modelFile);
            Latency lat1 = Measure.latency(ex.network(), ex.test(), recipe.preprocessing(), 1, 20, 100);
            Latency lat64 = Measure.latency(ex.network(), ex.test(), recipe.preprocessing(), 64, 3, 15);
            Path curves = Charts.savePng(Charts.trainingCurves(ex.result(), model + " on " + dataset + " (" + budget.id() + ")"),
                    out.resolve("train-curves.png"));
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("command", "train");
            j.put("model", model);
            j.put("dataset", dataset);
            j.put("budget", budget.id());
            j.put("seed", seed);
            j.put("recipe", recipe.toString());
            j.put("train_images", ex.train().size());
            j.put("test_images", ex.test().size());
            j.put("epochs", recipe.epochs());
            j.put("trainable_parameters", ex.network().trainableParameters());
            j.put("test_accuracy", ex.result().testAccuracy());
            j.put("test_loss", ex.result().finalEvaluation().loss());
            j.put("train_images_per_second", ex.result().trainImagesPerSecond());
            j.put("train_seconds", ex.result().seconds());
            j.put("model_file", modelFile.toString());
            j.put("model_file_bytes", Measure.fileSize(modelFile));
            j.put("latency_batch1", lat1);
            j.put("latency_batch64", lat64);
            List<EpochStats> h = ex.result().history();
            j.put("history", h);
            j.put("plots", List.of(curves.toString()));
            j.put("machine", Environment.machine());
            j.put("provenance", ex.network().provenance());
            Json.write(out.resolve("train.json"), j);
            System.out.printf("test accuracy %.4f, %d trainable parameters, %.0f train images/s, model file %,d bytes%n",
                    ex.result().testAccuracy(), ex.network().trainableParameters(), ex.result().trainImagesPerSecond(),
                    Measure.fileSize(modelFile));
            System.out.println("wrote " + out.resolve("train.json"));
        }
        return 0;
    }

    static int qat(Args a) {
        Budget budget = Budget.parse(a.get("budget", "quick"));
        long seed = a.longValue("seed", 42);
        Path out = Path.of(a.get("out", "out/qat"));
        var defaults = dev.squeeze.report.QuantStudy.Options.of(budget, seed, out.resolve("models"));
        var o = new dev.squeeze.report.QuantStudy.Options(budget, seed, a.intValue("calibration", defaults.calibrationImages()),
                a.intValue("qat-epochs", defaults.qatEpochs()), !a.flag("no-low-bit"), !a.flag("no-scratch"), defaults.workDir());
        System.out.println("squeeze qat: budget " + budget.id() + ", seed " + seed + ", machine: " + Environment.machine());
        try (var r = dev.squeeze.report.QuantStudy.run(o, System.out::println)) {
            var rows = r.rows();
            var sized = rows.stream().filter(x -> x.sizeBytes() > 0).toList();
            Path plot = Charts.savePng(Charts.accuracyVsSize(sized.stream().map(x -> x.method()).toList(),
                    sized.stream().mapToDouble(x -> x.sizeBytes()).toArray(), sized.stream().mapToDouble(x -> x.accuracy()).toArray(),
                    "seed CNN on CIFAR-10: accuracy vs size (" + budget.id() + ")"), out.resolve("accuracy-vs-size.png"));
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("command", "qat");
            j.put("budget", budget.id());
            j.put("seed", seed);
            j.put("recipe", r.recipe().toString());
            j.put("train_images", r.fp32().train().size());
            j.put("test_images", r.fp32().test().size());
            j.put("calibration_images", o.calibrationImages());
            j.put("rows", rows);
            j.put("plots", List.of(plot.toString()));
            j.put("machine", Environment.machine());
            Json.write(out.resolve("qat.json"), j);
            System.out.println(dev.squeeze.report.Tables.fromRecords("quantization comparison", rows).print());
            System.out.println("wrote " + out.resolve("qat.json"));
        }
        return 0;
    }

    static int export(Args a) {
        String format = a.get("format", "onnx");
        if (!format.equals("onnx")) throw new Args.UsageException("export: --format " + format + " is not supported; use --format onnx");
        Path file = Path.of(a.require("model-file", "a .sqz file written by ./squeeze train"));
        if (!Files.isRegularFile(file)) throw new Args.UsageException("export: model file " + file + " does not exist");
        Path out = Path.of(a.get("out", "out/export"));
        try (Network net = ModelFile.load(file)) {
            String dataset = a.get("dataset", net.architecture().name().startsWith("keras") ? "mnist" : "cifar10");
            Recipe recipe = Recipe.of(net.architecture().name(), dataset, Budget.QUICK);
            int n = a.intValue("calibration", 1000);
            long seed = 42;
            ImageSet calibration = Datasets.load(dataset, Split.TRAIN).subset(n, seed + 17, true);
            var config = dev.squeeze.quant.QConfig.x86().toBuilder().optCalibration(dev.squeeze.quant.CalibrationMethod.ENTROPY_KL).build();
            dev.squeeze.quant.Int8Model int8;
            try (var q = dev.squeeze.quant.Quantization.calibrate(net, calibration, recipe.preprocessing(), config)) {
                int8 = q.convert();
            }
            var files = dev.squeeze.export.OnnxExport.exportBoth(net, int8, out);
            Path int8File = out.resolve(net.architecture().name() + ".sqz8");
            int8.write(int8File);
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("command", "export");
            j.put("format", format);
            j.put("model_file", file.toString());
            j.put("calibration", n + " stratified " + dataset + " training images, entropy (KL), seed " + (seed + 17));
            j.put("onnx_fp32", files.fp32().toString());
            j.put("onnx_fp32_bytes", Measure.fileSize(files.fp32()));
            j.put("onnx_int8_qdq", files.int8Qdq().toString());
            j.put("onnx_int8_qdq_bytes", Measure.fileSize(files.int8Qdq()));
            j.put("squeeze_int8", int8File.toString());
            j.put("squeeze_int8_bytes", Measure.fileSize(int8File));
            j.put("provenance", int8.provenance());
            Json.write(out.resolve("export.json"), j);
            System.out.println("wrote " + files.fp32() + ", " + files.int8Qdq() + " and " + int8File);
        }
        return 0;
    }

    static int eval(Args a) {
        Path file = Path.of(a.require("model-file", "a .sqz file written by ./squeeze train"));
        if (!Files.isRegularFile(file)) throw new Args.UsageException("eval: model file " + file + " does not exist");
        String dataset = a.require("dataset", "cifar10, mnist or fashion-mnist");
        Path out = Path.of(a.get("out", "out/eval"));
        ImageSet test = Datasets.load(dataset, Split.TEST);
        if (a.has("limit")) test = test.subset(a.intValue("limit", 0), 43, true);
        try (Network net = ModelFile.load(file)) {
            Recipe recipe = Recipe.of(net.architecture().name(), dataset, Budget.QUICK);
            Evaluation e = Training.evaluate(net, test, recipe.preprocessing());
            Latency lat1 = Measure.latency(net, test, recipe.preprocessing(), 1, 20, 100);
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("command", "eval");
            j.put("model_file", file.toString());
            j.put("model", net.architecture().name());
            j.put("dataset", dataset);
            j.put("test_images", e.count());
            j.put("test_accuracy", e.accuracy());
            j.put("test_loss", e.loss());
            j.put("trainable_parameters", net.trainableParameters());
            j.put("model_file_bytes", Measure.fileSize(file));
            j.put("latency_batch1", lat1);
            double[] perClass = new double[test.numClasses()];
            int[] counts = new int[test.numClasses()];
            for (int i = 0; i < test.size(); i++) {
                counts[test.label(i)]++;
                if (e.predictions()[i] == test.label(i)) perClass[test.label(i)]++;
            }
            Map<String, Double> byClass = new LinkedHashMap<>();
            for (int c = 0; c < perClass.length; c++) {
                perClass[c] = counts[c] == 0 ? Double.NaN : perClass[c] / counts[c];
                byClass.put(test.classes().get(c), perClass[c]);
            }
            j.put("per_class_accuracy", byClass);
            Path plot = Charts.savePng(Charts.perClassAccuracy(test.classes(), perClass, file.getFileName() + " on " + test.name()),
                    out.resolve("per-class-accuracy.png"));
            j.put("plots", List.of(plot.toString()));
            j.put("machine", Environment.machine());
            j.put("provenance", net.provenance());
            Json.write(out.resolve("eval.json"), j);
            System.out.printf("%s on %s: accuracy %.4f over %d images, latency %s%n", file, test.name(), e.accuracy(), e.count(), lat1);
        }
        return 0;
    }

}
