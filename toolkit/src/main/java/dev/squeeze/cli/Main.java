package dev.squeeze.cli;

import dev.squeeze.Environment;
import dev.squeeze.data.DataHome;
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
              eval      --model-file FILE --dataset D [--limit N] [--out DIR]    FILE: .sqz, .sqz8 or an fp32 .onnx
              distill   [--dataset mnist|fashion-mnist] [--budget B] [--seeds N] [--alpha A] [--temperature T1,T2]
                        [--limit N] [--test-limit N] [--epochs N] [--batch N] [--out DIR]
                        Keras-style teacher, scratch student and distilled students over N seeds (mean ± std)
              prune     [--model-file F] [--method global-l1|layer-l1|random|taylor|hessian,...] [--scope conv+linear|linear|conv,...]
                        [--sparsity 0.5,0.8,0.9,0.95] [--finetune-epochs N] [--budget B] [--test-limit N] [--out DIR]
                        unstructured pruning, one-shot and fine-tuned (default model: the pretrained CIFAR-10 ResNet18)
              prune     --structured [--ratio 0.3,0.5,0.7] [--plan uniform|global] [--criterion l1|l2|bn-scale|taylor [--taylor-images N]]
                        [--round-to 8] [--reconstruct IMAGES] [--recalibrate IMAGES] [--finetune-epochs N [--lr X] [--recover finetune|distill [--temperature T] [--alpha A]]
                        [--steps K] [--bn-l1 LAMBDA]] [--check-images N] [--exact-images N] [--budget B] [--out DIR]
                        whole channels removed: params, MACs, latency per runtime; pruned = masked checked on N test images
              import    --onnx FILE [--name N] [--out DIR]    an fp32 ONNX model as a trainable .sqz (e.g. ../shared/models/resnet18-cifar10.onnx)
              notebooks execute every notebook headless under both kernels (budget from SQUEEZE_BUDGET, default quick)
              jupyter   install the kernels (java: IJava, the default; rapaio) and start Jupyter
              doctor    [--model M]    check that libtorch computes convolution gradients correctly here (exit 0 yes, 3 no);
                        --model also checks every convolution shape of that zoo model (3×32×32 input, batch 2)

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
            case "doctor" -> doctor(new Args("doctor", argv, 1, List.of("model"), List.of()));
            case "distill" -> distill(new Args("distill", argv, 1,
                    List.of("dataset", "budget", "seeds", "alpha", "temperature", "limit", "test-limit", "epochs", "batch", "out"), List.of()));
            case "prune" -> PruneCommand.run(new Args("prune", argv, 1, PruneCommand.OPTIONS, List.of("structured")));
            case "import" -> importOnnx(new Args("import", argv, 1, List.of("onnx", "name", "out"), List.of()));
            case "notebooks", "jupyter" -> throw new Args.UsageException(argv[0] + " is run by the ./squeeze launcher script, not the jar");
            default -> throw new Args.UsageException("unknown command '" + argv[0] + "'; commands: data, train, eval, import, distill, qat, export, bench, notebooks, jupyter, doctor");
        };
    }

    /** What this JVM runs on and whether libtorch's conv gradients are right here (the oneDNN AVX-512 bug). */
    static int doctor(Args a) {
        System.out.println("machine: " + Environment.machine());
        String cap = System.getenv(dev.squeeze.train.ConvGradientCheck.ISA_VARIABLE);
        String verdict = dev.squeeze.train.ConvGradientCheck.cachedVerdict();
        System.out.println("oneDNN ISA cap: " + (cap == null ? "none (ONEDNN_MAX_CPU_ISA unset)" : "ONEDNN_MAX_CPU_ISA=" + cap)
                + "; probe verdict for this machine: " + (verdict == null ? "none cached" : verdict));
        dev.squeeze.train.ConvGradientCheck.Result r = dev.squeeze.train.ConvGradientCheck.run();
        r.shapes().forEach(s -> System.out.println(s.line()));
        System.out.println(r.summary());
        if (!a.has("model")) return r.exact() ? 0 : 3;
        var arch = a.parsed("model", null, m -> Zoo.get(m, new int[] {3, 32, 32}, 10));
        var shapes = dev.squeeze.train.ConvGradientCheck.shapesOf(arch, 2);
        System.out.println(arch.name() + ": " + shapes.size() + " distinct convolution shapes");
        dev.squeeze.train.ConvGradientCheck.Result m = dev.squeeze.train.ConvGradientCheck.run(shapes, System.out::println);
        System.out.println(arch.name() + ": " + m.summary());
        return r.exact() && m.exact() ? 0 : 3;
    }

    static int data(Args a) {
        if (a.has("download")) {
            Path where = Datasets.download(a.parsed("download", null, Datasets::key));
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
        String model = a.parsed("model", "seed-cnn", m -> {
            Zoo.get(m, new int[] {3, 32, 32}, 10); // unknown model names fail before data loading
            return m.toLowerCase(java.util.Locale.ROOT);
        });
        String dataset = a.parsed("dataset", model.startsWith("keras") ? "mnist" : "cifar10", Datasets::key);
        Budget budget = a.parsed("budget", "quick", Budget::parse);
        long seed = a.longValue("seed", 42);
        Recipe recipe = Recipe.of(model, dataset, budget);
        if (a.has("limit")) recipe = recipe.withTrainLimit(a.intValue("limit", 0));
        if (a.has("test-limit")) recipe = recipe.withTestLimit(a.intValue("test-limit", 0));
        if (a.has("epochs")) recipe = recipe.withEpochs(a.intValue("epochs", 0));
        if (a.has("batch")) recipe = recipe.withBatchSize(a.intValue("batch", 0));
        if (a.has("lr")) recipe = recipe.withOptimizer(recipe.optimizer().withLearningRate(a.positiveFloat("lr", 0)));
        try (OutDir out = OutDir.open("train", Path.of(a.get("out", "out/train")))) {
            // Both splits from one place, or one error naming what is missing (Datasets.source).
            DataHome.Location trainSource = Datasets.source(dataset, Split.TRAIN), testSource = Datasets.source(dataset, Split.TEST);
            ImageSet[] data = Experiment.data(recipe, seed);
            // Echo what is used: a limit above the data set's size is clamped to it.
            recipe = recipe.withTrainLimit(data[0].size()).withTestLimit(data[1].size());
            System.out.println("squeeze train: " + recipe + ", seed " + seed);
            System.out.println("machine: " + Environment.machine() + ", libtorch threads " + Environment.torchThreads());
            try (Experiment ex = Experiment.run(recipe, seed, data[0], data[1], dev.squeeze.train.Progress.console())) {
                Path modelFile = out.staged(model + ".sqz");
                ModelFile.save(ex.network(), modelFile);
                Latency lat1 = Measure.latency(ex.network(), ex.test(), recipe.preprocessing(), 1, 20, 100);
                Latency lat64 = Measure.latency(ex.network(), ex.test(), recipe.preprocessing(), 64, 3, 15);
                Path curves = Charts.savePng(Charts.trainingCurves(ex.result(), model + " on " + dataset + " (" + budget.id() + ")"),
                        out.staged("train-curves.png"));
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("command", "train");
                j.put("model", model);
                j.put("dataset", dataset);
                j.put("budget", budget.id());
                j.put("seed", seed);
                j.put("recipe", recipe.toString());
                Map<String, Object> sources = new LinkedHashMap<>();
                sources.put("train", split(ex.train(), trainSource));
                sources.put("test", split(ex.test(), testSource));
                j.put("data", sources);
                j.put("train_images", ex.train().size());
                j.put("test_images", ex.test().size());
                j.put("epochs", recipe.epochs());
                j.put("trainable_parameters", ex.network().trainableParameters());
                j.put("test_accuracy", ex.result().testAccuracy());
                j.put("test_loss", ex.result().finalEvaluation().loss());
                j.put("train_images_per_second", ex.result().trainImagesPerSecond());
                j.put("train_seconds", ex.result().seconds());
                j.put("model_file", out.target(modelFile).toString());
                j.put("model_file_bytes", Measure.fileSize(modelFile));
                j.put("latency_batch1", lat1);
                j.put("latency_batch64", lat64);
                List<EpochStats> h = ex.result().history();
                j.put("history", h);
                j.put("plots", List.of(out.target(curves).toString()));
                j.put("machine", Environment.machine());
                j.put("provenance", ex.network().provenance());
                Json.write(out.staged("train.json"), j);
                out.commit("train.json");
                System.out.printf("test accuracy %.4f on %d test images, %d trainable parameters, %.0f train images/s, model file %,d bytes%n",
                        ex.result().testAccuracy(), ex.test().size(), ex.network().trainableParameters(),
                        ex.result().trainImagesPerSecond(), Measure.fileSize(out.target(modelFile)));
                System.out.println("wrote " + out.target("train.json"));
            }
        }
        return 0;
    }

    /**
     * {@code distill}: the Keras example's comparison — a teacher, a student trained from scratch and
     * students distilled at each temperature — for seeds 42, 43, …, as {@code DIR/distill.json} with
     * every run and the mean ± sample std per setting, and a bar chart with error bars. Batch 32 and
     * Adam 1e-3 as in the PyTorch reference.
     */
    static int distill(Args a) {
        String dataset = a.parsed("dataset", "mnist", Datasets::key);
        Budget budget = a.parsed("budget", "quick", Budget::parse);
        int seeds = a.intValue("seeds", 3);
        double alpha = a.parsed("alpha", "0.1", Double::parseDouble);
        if (!(alpha >= 0 && alpha <= 1)) throw new Args.UsageException("distill: --alpha must be in [0, 1], got '" + alpha + "'");
        List<Double> temperatures = a.parsed("temperature", "3,10", v -> java.util.Arrays.stream(v.split(",")).map(String::trim)
                .map(Double::parseDouble).peek(t -> {
                    if (!(t > 0) || t.isInfinite()) throw new IllegalArgumentException("temperatures must be numbers > 0");
                }).toList());
        Recipe recipe = Recipe.of("keras-student", dataset, budget).withBatchSize(32);
        if (a.has("limit")) recipe = recipe.withTrainLimit(a.intValue("limit", 0));
        if (a.has("test-limit")) recipe = recipe.withTestLimit(a.intValue("test-limit", 0));
        if (a.has("epochs")) recipe = recipe.withEpochs(a.intValue("epochs", 0));
        if (a.has("batch")) recipe = recipe.withBatchSize(a.intValue("batch", 0));
        try (OutDir out = OutDir.open("distill", Path.of(a.get("out", "out/distill")))) {
            DataHome.Location source = Datasets.source(dataset, Split.TRAIN);
            long first = 42;
            // One data subset for every seed: seeds vary initialisation and shuffles, not the images.
            ImageSet[] data = Experiment.data(recipe, first);
            recipe = recipe.withTrainLimit(data[0].size()).withTestLimit(data[1].size());
            int[] in = {data[0].channels(), data[0].height(), data[0].width()};
            var teacher = Zoo.kerasTeacher(in, data[0].numClasses());
            var student = Zoo.kerasStudent(in, data[0].numClasses());
            List<dev.squeeze.distill.DistillStudy.Setting> settings = new java.util.ArrayList<>();
            for (double t : temperatures) settings.add(dev.squeeze.distill.DistillStudy.Setting.keras(alpha, t));
            long[] seedList = new long[seeds];
            for (int i = 0; i < seeds; i++) seedList[i] = first + i;
            System.out.println("squeeze distill: " + recipe + ", seeds " + java.util.Arrays.toString(seedList) + ", settings "
                    + settings.stream().map(dev.squeeze.distill.DistillStudy.Setting::name).toList());
            System.out.println("machine: " + Environment.machine() + ", libtorch threads " + Environment.torchThreads());
            var config = recipe.trainConfig(first).optProgress(dev.squeeze.train.Progress.console()).build();
            var runs = dev.squeeze.distill.DistillStudy.run(teacher, student, data[0], data[1], config, seedList, settings,
                    (seed, line) -> System.out.println("[seed " + seed + "] " + line));
            var summaries = dev.squeeze.distill.DistillStudy.summarise(runs);
            var comparison = dev.squeeze.distill.DistillStudy.rows(runs);
            Path plot = Charts.savePng(Charts.meanBars(comparison.stream().map(dev.squeeze.distill.DistillStudy.Row::model).toList(),
                    comparison.stream().mapToDouble(dev.squeeze.distill.DistillStudy.Row::accuracyMean).toArray(),
                    comparison.stream().mapToDouble(dev.squeeze.distill.DistillStudy.Row::accuracyStd).toArray(), "test accuracy (%)",
                    "distillation on " + dataset + " (" + budget.id() + "), mean ± std over " + seeds + " seeds"), out.staged("distill-accuracy.png"));
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("command", "distill");
            j.put("dataset", dataset);
            j.put("budget", budget.id());
            j.put("recipe", recipe.toString());
            Map<String, Object> sources = new LinkedHashMap<>();
            sources.put("train", split(data[0], source));
            sources.put("test", split(data[1], Datasets.source(dataset, Split.TEST)));
            j.put("data", sources);
            j.put("teacher", teacher.name());
            j.put("student", student.name());
            List<Map<String, Object>> rows = new java.util.ArrayList<>();
            for (var r : runs) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("seed", r.seed());
                m.put("setting", r.setting());
                m.put("teacher_accuracy", r.teacherAccuracy());
                m.put("scratch_accuracy", r.scratchAccuracy());
                m.put("distilled_accuracy", r.distilledAccuracy());
                m.put("gain_points", r.gainPoints());
                m.put("loss", Map.of("student_loss", "cross-entropy", "student_loss_weight", alpha,
                        "distillation_loss", "T²·KL(softmax(t/T) ‖ softmax(s/T))", "distillation_loss_weight", 1 - alpha));
                m.put("last_epoch_terms", r.lastEpochTerms());
                m.put("teacher_parameters", r.teacherParameters());
                m.put("student_parameters", r.studentParameters());
                m.put("seconds", Map.of("teacher", r.teacherSeconds(), "scratch", r.scratchSeconds(), "distilled", r.distilledSeconds()));
                rows.add(m);
            }
            j.put("runs", rows);
            j.put("summary", summaries);
            j.put("plots", List.of(out.target(plot).toString()));
            j.put("machine", Environment.machine());
            Json.write(out.staged("distill.json"), j);
            out.commit("distill.json");
            for (var s : summaries) {
                System.out.printf(java.util.Locale.ROOT, "%s: teacher %.2f ± %.2f %%, scratch %.2f ± %.2f %%, distilled %.2f ± %.2f %%, gain %+.2f ± %.2f points%n",
                        s.setting(), 100 * s.teacherMean(), 100 * s.teacherStd(), 100 * s.scratchMean(), 100 * s.scratchStd(),
                        100 * s.distilledMean(), 100 * s.distilledStd(), s.gainMeanPoints(), s.gainStdPoints());
            }
            System.out.println("wrote " + out.target("distill.json"));
        }
        return 0;
    }

    /** One split's entry in a result JSON: which images, from where. */
    private static Map<String, Object> split(ImageSet set, DataHome.Location source) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("set", set.name());
        m.put("source", source.path().toString());
        m.put("layout", source.layout().name().toLowerCase(java.util.Locale.ROOT));
        m.put("images", set.size());
        return m;
    }

    static int qat(Args a) {
        Budget budget = a.parsed("budget", "quick", Budget::parse);
        long seed = a.longValue("seed", 42);
        try (OutDir out = OutDir.open("qat", Path.of(a.get("out", "out/qat")))) {
            var defaults = dev.squeeze.report.QuantStudy.Options.of(budget, seed, out.staged("models"));
            var o = new dev.squeeze.report.QuantStudy.Options(budget, seed, a.intValue("calibration", defaults.calibrationImages()),
                    a.intValue("qat-epochs", defaults.qatEpochs()), !a.flag("no-low-bit"), !a.flag("no-scratch"), defaults.workDir());
            System.out.println("squeeze qat: budget " + budget.id() + ", seed " + seed + ", machine: " + Environment.machine());
            try (var r = dev.squeeze.report.QuantStudy.run(o, System.out::println)) {
                var rows = r.rows();
                var sized = rows.stream().filter(x -> x.sizeBytes() > 0).toList();
                Path plot = Charts.savePng(Charts.accuracyVsSize(sized.stream().map(x -> x.method()).toList(),
                        sized.stream().mapToDouble(x -> x.sizeBytes()).toArray(), sized.stream().mapToDouble(x -> x.accuracy()).toArray(),
                        "seed CNN on CIFAR-10: accuracy vs size (" + budget.id() + ")"), out.staged("accuracy-vs-size.png"));
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("command", "qat");
                j.put("budget", budget.id());
                j.put("seed", seed);
                j.put("recipe", r.recipe().toString());
                j.put("train_images", r.fp32().train().size());
                j.put("test_images", r.fp32().test().size());
                j.put("calibration_images", o.calibrationImages());
                j.put("rows", rows);
                j.put("models", out.target("models").toString());
                j.put("plots", List.of(out.target(plot).toString()));
                j.put("machine", Environment.machine());
                Json.write(out.staged("qat.json"), j);
                out.commit("qat.json");
                System.out.println(dev.squeeze.report.Tables.fromRecords("quantization comparison", rows).print());
                System.out.println("wrote " + out.target("qat.json"));
            }
        }
        return 0;
    }

    static int export(Args a) {
        String format = a.get("format", "onnx");
        if (!format.equals("onnx")) throw new Args.UsageException("export: --format " + format + " is not supported; use --format onnx");
        Path file = modelFile(a, "export");
        ModelFormat kind = ModelFormat.of(file, "export");
        String given = a.has("dataset") ? a.parsed("dataset", null, Datasets::key) : null;
        try (OutDir out = OutDir.open("export", Path.of(a.get("out", "out/export")))) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("command", "export");
            j.put("format", format);
            j.put("model_file", file.toString());
            j.put("model_format", kind.id);
            if (kind == ModelFormat.INT8) {
                // Already quantized: its QDQ form is all there is to export (the fp32 ONNX needs the .sqz it came from).
                if (a.has("calibration") || given != null) {
                    System.err.println("squeeze export: " + file + " is an int8 model, already calibrated; --calibration and --dataset"
                            + " are not used");
                }
                dev.squeeze.ir.Int8Model int8 = dev.squeeze.ir.Int8Model.read(file);
                Path q = dev.squeeze.export.OnnxExport.int8Qdq(int8,
                        out.staged(sourceModel(int8).replaceAll("[^A-Za-z0-9._-]", "_") + "-int8-qdq.onnx"));
                j.put("onnx_int8_qdq", out.target(q).toString());
                j.put("onnx_int8_qdq_bytes", Measure.fileSize(q));
                j.put("note", "the model file is int8: only its QDQ form was exported; export the fp32 .sqz it came from for an fp32 ONNX");
                j.put("provenance", int8.provenance());
                Json.write(out.staged("export.json"), j);
                out.commit("export.json");
                System.out.println("wrote " + out.target(q) + " (the int8 model in QDQ form; an fp32 ONNX needs the fp32 .sqz)");
                return 0;
            }
            try (Network net = kind == ModelFormat.ONNX ? dev.squeeze.export.OnnxImport.load(file) : ModelFile.load(file)) {
                String dataset = given != null ? given : net.architecture().name().startsWith("keras") ? "mnist" : "cifar10";
                dev.squeeze.data.Preprocessing prep = Recipe.of(net.architecture().name(), dataset, Budget.QUICK).preprocessing();
                if (kind == ModelFormat.ONNX) {
                    var own = dev.squeeze.export.Pretrained.preprocessingBeside(file);
                    if (own.isPresent()) prep = own.get();
                    else System.err.println("squeeze export: warning: no " + jsonBeside(file).getFileName() + " beside " + file
                            + " describes its preprocessing; calibrating with " + dataset + "'s default (" + prep + ")");
                }
                int n = a.intValue("calibration", 1000);
                long seed = 42;
                ImageSet calibration = Datasets.load(dataset, Split.TRAIN).subset(n, seed + 17, true);
                var config = dev.squeeze.quant.QConfig.x86().toBuilder().optCalibration(dev.squeeze.quant.CalibrationMethod.ENTROPY_KL).build();
                dev.squeeze.ir.Int8Model int8;
                try (var q = dev.squeeze.quant.Quantization.calibrate(net, calibration, prep.withAugmentation(0, false), config)) {
                    int8 = q.convert();
                }
                var files = dev.squeeze.export.OnnxExport.exportBoth(net, int8, out.staged(""));
                Path int8File = out.staged(net.architecture().name() + ".sqz8");
                int8.write(int8File);
                j.put("calibration", calibration.size() + " stratified " + dataset + " training images (" + calibration.name()
                        + " from " + Datasets.source(dataset, Split.TRAIN).path() + "), entropy (KL), seed " + (seed + 17));
                j.put("onnx_fp32", out.target(files.fp32()).toString());
                j.put("onnx_fp32_bytes", Measure.fileSize(files.fp32()));
                j.put("onnx_int8_qdq", out.target(files.int8Qdq()).toString());
                j.put("onnx_int8_qdq_bytes", Measure.fileSize(files.int8Qdq()));
                j.put("squeeze_int8", out.target(int8File).toString());
                j.put("squeeze_int8_bytes", Measure.fileSize(int8File));
                j.put("provenance", int8.provenance());
                Json.write(out.staged("export.json"), j);
                out.commit("export.json");
                System.out.println("wrote " + out.target(files.fp32()) + ", " + out.target(files.int8Qdq())
                        + " and " + out.target(int8File));
            }
        }
        return 0;
    }

    /** {@code --model-file}, checked: it exists and is a file (not a directory). */
    private static Path modelFile(Args a, String command) {
        Path file = Path.of(a.require("model-file", "a .sqz or .sqz8 file written by ./squeeze train, qat or export, or an fp32 .onnx"));
        if (Files.isDirectory(file)) {
            throw new Args.UsageException(command + ": --model-file " + file + " is a directory; give a model file (.sqz or .sqz8) in it");
        }
        if (!Files.exists(file)) throw new Args.UsageException(command + ": --model-file " + file + " does not exist");
        if (!Files.isRegularFile(file)) throw new Args.UsageException(command + ": --model-file " + file + " is not a regular file");
        return file;
    }

    /**
     * The model-file formats: Squeeze's two told apart by their magic bytes, not by the file name; ONNX
     * (protobuf, no magic) by its {@code .onnx} name, then checked by parsing it.
     */
    enum ModelFormat {
        FP32("fp32"), INT8("int8"), ONNX("onnx-fp32");

        final String id;

        ModelFormat(String id) { this.id = id; }

        static ModelFormat of(Path file, String command) {
            if (ModelFile.hasMagic(file)) return FP32;
            if (dev.squeeze.ir.Int8Model.hasMagic(file)) return INT8;
            if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) return ONNX;
            throw new Args.UsageException(command + ": --model-file " + file + " is neither a Squeeze fp32 model (magic 'SQZFP32')"
                    + " nor an int8 model (magic 'SQZINT8') nor named .onnx; give a .sqz or .sqz8 file written by ./squeeze train,"
                    + " qat or export, or an fp32 ONNX model (.onnx)");
        }
    }

    static int eval(Args a) {
        Path file = modelFile(a, "eval");
        ModelFormat kind = ModelFormat.of(file, "eval");
        String dataset = a.parsed("dataset", a.require("dataset", "cifar10, mnist or fashion-mnist"), Datasets::key);
        try (OutDir out = OutDir.open("eval", Path.of(a.get("out", "out/eval")))) {
            DataHome.Location source = Datasets.source(dataset, Split.TEST);
            ImageSet all = Datasets.load(source, Split.TEST);
            ImageSet test = a.has("limit") ? all.subset(a.intValue("limit", 0), 43, true) : all;
            Scorer scorer = switch (kind) {
                case FP32 -> Scorer.fp32(file);
                case INT8 -> Scorer.int8(file);
                case ONNX -> Scorer.onnx(file);
            };
            try (scorer) {
                int[] shape = scorer.inputShape;
                if (shape[0] != test.channels() || shape[1] != test.height() || shape[2] != test.width()) {
                    throw new Args.UsageException("eval: " + file + " takes " + shape[0] + "×" + shape[1] + "×" + shape[2] + " images but "
                            + dataset + " has " + test.channels() + "×" + test.height() + "×" + test.width() + "; give the --dataset it was"
                            + " trained on" + (scorer.provenance.containsKey("dataset") ? " (" + scorer.provenance.get("dataset") + ")" : ""));
                }
                String trainedOn = scorer.provenance.get("dataset");
                if (trainedOn != null && !sameDataset(trainedOn, dataset)) {
                    System.err.println("squeeze eval: warning: " + file + " was trained on " + trainedOn + " but is scored here on "
                            + dataset + " (same image shape, so nothing else stops it); the accuracy below is not its " + trainedOn
                            + " accuracy");
                }
                dev.squeeze.data.Preprocessing prep = Recipe.of(scorer.modelName, dataset, Budget.QUICK).preprocessing();
                if (kind == ModelFormat.ONNX) {
                    // An imported model was trained elsewhere: its own preprocessing, from the json beside it, or
                    // a loud guess (a wrong mean/std gives a plausible but wrong accuracy).
                    var own = dev.squeeze.export.Pretrained.preprocessingBeside(file);
                    if (own.isPresent()) {
                        prep = own.get();
                    } else {
                        System.err.println("squeeze eval: warning: no " + jsonBeside(file).getFileName() + " beside " + file
                                + " describes its preprocessing; scoring with " + dataset + "'s default (" + prep + "), which may not be"
                                + " what the model was trained with");
                    }
                }
                Evaluation e = scorer.evaluate(test, prep.withAugmentation(0, false));
                Latency lat1 = scorer.latency(test, prep.withAugmentation(0, false));
                String trainingCount = scorer.provenance.get("test_images");
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("command", "eval");
                j.put("model_file", file.toString());
                j.put("model_format", kind.id);
                j.put("model", scorer.modelName);
                j.put("dataset", dataset);
                if (trainedOn != null) j.put("trained_on", trainedOn);
                j.put("data", Map.of("test", split(test, source)));
                j.put("test_images", e.count());
                j.put("test_images_available", all.size());
                if (trainingCount != null) j.put("training_run_test_images", Integer.parseInt(trainingCount));
                j.put("test_accuracy", e.accuracy());
                Double reference = kind == ModelFormat.ONNX ? referenceAccuracy(file) : null;
                if (reference != null) j.put("reference_test_accuracy", reference);
                j.put("test_loss", e.loss());
                j.put(kind == ModelFormat.INT8 ? "weights" : "trainable_parameters", scorer.parameters);
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
                        out.staged("per-class-accuracy.png"));
                j.put("plots", List.of(out.target(plot).toString()));
                j.put("machine", Environment.machine());
                j.put("provenance", scorer.provenance);
                Json.write(out.staged("eval.json"), j);
                out.commit("eval.json");
                System.out.printf("%s (%s) on %s: accuracy %.4f over %d images, latency %s%n", file, kind.id, test.name(), e.accuracy(),
                        e.count(), lat1);
                // Say which images each figure came from: train.json's accuracy is often from a subset.
                System.out.println("scored " + e.count() + " test images (" + (e.count() == all.size() ? "all of " + all.name()
                        : "a seeded subset of " + all.size() + " in " + all.name() + ", from --limit") + ")"
                        + (trainingCount == null ? "" : "; the training run's test accuracy (train.json) came from " + trainingCount
                                + " test images"));
                if (reference != null) {
                    System.out.printf("reference accuracy in %s: %.4f (difference %+.4f)%n", jsonBeside(file).getFileName(), reference,
                            e.accuracy() - reference);
                }
                System.out.println("wrote " + out.target("eval.json"));
            }
        }
        return 0;
    }

    static Path jsonBeside(Path onnx) {
        String n = onnx.getFileName().toString();
        return onnx.resolveSibling(n.substring(0, n.length() - ".onnx".length()) + ".json");
    }

    /** The {@code test_accuracy} the json beside an ONNX model states, or null. */
    static Double referenceAccuracy(Path onnx) {
        Path j = jsonBeside(onnx);
        if (!Files.isRegularFile(j)) return null;
        try {
            var o = com.google.gson.JsonParser.parseString(Files.readString(j)).getAsJsonObject();
            return o.has("test_accuracy") ? o.get("test_accuracy").getAsDouble() : null;
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("eval: cannot read " + j + " (" + e.getMessage() + "); fix or remove it");
        }
    }

    /**
     * {@code import --onnx F --out DIR}: an fp32 ONNX model as a trainable Squeeze model file,
     * {@code DIR/<name>.sqz}, with {@code DIR/import.json} saying what was read.
     */
    static int importOnnx(Args a) {
        Path onnx = Path.of(a.require("onnx", "an fp32 ONNX model file"));
        if (!Files.isRegularFile(onnx)) throw new Args.UsageException("import: --onnx " + onnx + (Files.isDirectory(onnx)
                ? " is a directory; give the .onnx file in it" : " does not exist"));
        try (OutDir out = OutDir.open("import", Path.of(a.get("out", "out/import")))) {
            try (Network net = dev.squeeze.export.OnnxImport.load(onnx, a.get("name", null))) {
                String stem = onnx.getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
                Path model = out.staged(stem + ".sqz");
                ModelFile.save(net, model);
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("command", "import");
                j.put("onnx", onnx.toString());
                j.put("model_file", out.target(model).toString());
                j.put("architecture", net.architecture().name());
                j.put("input_shape", net.architecture().inputShape());
                j.put("classes", net.architecture().numClasses());
                j.put("layers", net.architecture().layers().stream().map(dev.squeeze.model.Layer::describe).toList());
                j.put("trainable_parameters", net.trainableParameters());
                dev.squeeze.export.Pretrained.preprocessingBeside(onnx).ifPresent(p -> j.put("preprocessing", p.toString()));
                j.put("provenance", net.provenance());
                Json.write(out.staged("import.json"), j);
                out.commit("import.json");
                System.out.printf("imported %s: %s, %,d parameters -> %s%n", onnx, net.architecture().name(), net.trainableParameters(),
                        out.target(model));
            }
        }
        return 0;
    }

    /** The zoo name of the float model an int8 model was converted from (its fused graph is named "<name>-fused"). */
    private static String sourceModel(dev.squeeze.ir.Int8Model m) {
        return m.provenance().getOrDefault("source_model", m.name()).replaceFirst("-fused$", "");
    }

    private static boolean sameDataset(String a, String b) {
        try {
            return Datasets.key(a).equals(Datasets.key(b));
        } catch (RuntimeException unknownName) {
            return a.equalsIgnoreCase(b);
        }
    }

    /** An fp32 network (libtorch) or an int8 model (Squeeze's integer executor), scored the same way. */
    private abstract static class Scorer implements AutoCloseable {
        final String modelName;
        final int[] inputShape;
        final Map<String, String> provenance;
        final long parameters;

        Scorer(String modelName, int[] inputShape, Map<String, String> provenance, long parameters) {
            this.modelName = modelName;
            this.inputShape = inputShape;
            this.provenance = provenance;
            this.parameters = parameters;
        }

        abstract Evaluation evaluate(ImageSet test, dev.squeeze.data.Preprocessing prep);

        abstract Latency latency(ImageSet test, dev.squeeze.data.Preprocessing prep);

        @Override public abstract void close();

        static Scorer fp32(Path file) { return fp32(ModelFile.load(file)); }

        /** An fp32 ONNX model, imported (OnnxImport) and scored like a .sqz. */
        static Scorer onnx(Path file) { return fp32(dev.squeeze.export.OnnxImport.load(file)); }

        private static Scorer fp32(Network net) {
            return new Scorer(net.architecture().name(), net.architecture().inputShape(), net.provenance(), net.trainableParameters()) {
                @Override Evaluation evaluate(ImageSet test, dev.squeeze.data.Preprocessing prep) { return Training.evaluate(net, test, prep); }
                @Override Latency latency(ImageSet test, dev.squeeze.data.Preprocessing prep) {
                    return Measure.latency(net, test, prep, 1, 20, 100);
                }
                @Override public void close() { net.close(); }
            };
        }

        /**
         * The integer model run by Int8Executor (IntegerReference's scoring with the executor's codes, which
         * are the reference's bit for bit; the scalar reference alone would take hours on ResNet18).
         */
        static Scorer int8(Path file) {
            dev.squeeze.ir.Int8Model m = dev.squeeze.ir.Int8Model.read(file);
            String name = sourceModel(m);
            dev.squeeze.ir.TensorShape in = m.inputShape();
            dev.squeeze.exec.Int8Executor ex = dev.squeeze.exec.Int8Executor.of(m);
            return new Scorer(name, new int[] {in.channels(), in.height(), in.width()}, m.provenance(), m.weightCount()) {
                @Override Evaluation evaluate(ImageSet test, dev.squeeze.data.Preprocessing prep) {
                    return dev.squeeze.quant.IntegerReference.evaluate(m, test, prep, ex::runCodes);
                }
                @Override Latency latency(ImageSet test, dev.squeeze.data.Preprocessing prep) {
                    float[] x = new dev.squeeze.data.BatchMaker(test, prep.withAugmentation(0, false)).batch(0, 1);
                    return Measure.latency(() -> ex.run(x, 1), 1, 20, 100);
                }
                @Override public void close() { ex.close(); }
            };
        }
    }

}
