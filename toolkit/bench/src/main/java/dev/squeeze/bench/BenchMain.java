package dev.squeeze.bench;

import dev.squeeze.Environment;
import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Split;
import dev.squeeze.train.Budget;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./squeeze bench}: trains each model once, runs every registered runtime on the same weights in
 * this one JVM, writes {@code DIR/bench.json} and {@code DIR/latency-<model>-b<batch>.png}, and prints the
 * table and the CPU.
 */
public final class BenchMain {
    private BenchMain() {}

    static final String USAGE = """
            usage: ./squeeze bench [--budget quick|standard|full] [--out DIR] [--models seed-cnn,resnet18,mobilenetv2,shufflenetv2]
                                   [--batches 1,64] [--threads 1,2] [--runtimes NAME,...] [--reference NAME]
                                   [--repeats MIN-MAX] [--seconds-per-case S] [--agreement N] [--seed S]

            Times every runtime on the same trained weights, interleaving their calls so machine noise hits
            all alike, and compares their top-1 predictions with the reference runtime's on real CIFAR-10
            test images. Writes DIR/bench.json and one latency chart per model and batch (DIR defaults to
            out/bench). Defaults per budget: see dev.squeeze.bench.BenchConfig.defaults.
            ./squeeze bench --structured --help: structured pruning of the pretrained ResNet18 against ONNX Runtime.
            runtimes: %s
            """;

    public static void main(String[] argv) {
        int code;
        try {
            // "--structured" first: structured pruning's Pareto study against ONNX Runtime (its own options).
            code = argv.length > 0 && argv[0].equals("--structured") ? StructuredPareto.run(Arrays.copyOfRange(argv, 1, argv.length))
                    : run(argv, Runtimes.defaults());
        } catch (UsageException e) {
            System.err.println("squeeze bench: " + e.getMessage());
            System.err.println("run ./squeeze bench " + (argv.length > 0 && argv[0].equals("--structured") ? "--structured " : "") + "--help for usage");
            code = 2;
        } catch (RuntimeException e) {
            System.err.println("squeeze bench: " + e.getMessage());
            if (System.getenv("SQUEEZE_DEBUG") != null) e.printStackTrace();
            code = 1;
        }
        System.exit(code);
    }

    /**
     * Runs the benchmark with {@code factories} (e.g. {@link Runtimes#defaults()} plus your own).
     *
     * @return the process exit code: 0 when every runtime produced every row, 1 when some failed
     */
    public static int run(String[] argv, List<RuntimeFactory> factories) {
        List<String> names = factories.stream().map(RuntimeFactory::name).toList();
        Map<String, String> opts = parse(argv, Set.of("budget", "out", "models", "batches", "threads", "runtimes", "reference", "repeats",
                "seconds-per-case", "agreement", "seed"));
        if (opts.containsKey("help")) {
            System.out.print(USAGE.formatted(String.join(", ", names)));
            return 0;
        }
        Environment.ensure();
        Budget budget = Budget.parse(opts.getOrDefault("budget", "quick"));
        BenchConfig config = BenchConfig.defaults(budget);
        if (opts.containsKey("models")) config = config.withModels(words(opts.get("models")));
        if (opts.containsKey("batches")) config = config.withBatches(ints("batches", opts.get("batches")));
        if (opts.containsKey("threads")) config = config.withThreads(ints("threads", opts.get("threads")));
        if (opts.containsKey("runtimes")) config = config.withRuntimes(words(opts.get("runtimes")));
        if (opts.containsKey("reference")) config = config.withReference(opts.get("reference"));
        if (opts.containsKey("agreement")) config = config.withAgreementImages(ints("agreement", opts.get("agreement")).get(0));
        if (opts.containsKey("seed")) config = config.withSeed(Long.parseLong(opts.get("seed")));
        if (opts.containsKey("repeats") || opts.containsKey("seconds-per-case")) {
            int min = config.minRepeats(), max = config.maxRepeats();
            if (opts.containsKey("repeats")) {
                List<Integer> r = ints("repeats", opts.get("repeats").replace('-', ','));
                min = r.get(0);
                max = r.get(r.size() - 1);
            }
            double s = opts.containsKey("seconds-per-case") ? Double.parseDouble(opts.get("seconds-per-case")) : config.secondsPerCase();
            config = config.withRepeats(config.warmup(), min, max, s);
        }
        Path out = Path.of(opts.getOrDefault("out", "out/bench"));
        PrintStream log = System.err;
        Bench bench = new Bench(config, factories, log); // validates runtime names before any training

        System.out.println("Machine: " + Environment.machine());
        System.out.println("CPU: " + Environment.cpuName() + " [" + Bench.isa() + "]");
        ImageSet test = Datasets.cifar10(Split.TEST);
        List<BenchModel> models = new ArrayList<>();
        try {
            for (String m : config.models()) models.add(BenchModels.train(m, budget, config.seed(), log));
            BenchReport report = bench.run(models, test);
            List<Path> files = Bench.write(report, out);
            System.out.println();
            System.out.println(Bench.summary(report).printAll());
            for (BenchReport.ModelInfo mi : report.models()) System.out.println(mi.name() + ": " + mi.provenance());
            for (String n : report.notes()) System.out.println("note: " + n);
            System.out.println("CPU: " + report.cpu() + " [" + report.isa() + "]");
            System.out.println("wrote " + files.stream().map(Path::toString).toList());
            return report.rows().stream().anyMatch(r -> Double.isNaN(r.medianMs())) ? 1 : 0;
        } finally {
            for (BenchModel m : models) m.network().close();
        }
    }

    // ---- arguments ---------------------------------------------------------------------------------

    static final class UsageException extends IllegalArgumentException {
        UsageException(String m) { super(m); }
    }

    /** {@code --name value} or {@code --name=value}; {@code --help}. Unknown names are an error listing the known ones. */
    static Map<String, String> parse(String[] argv, Set<String> known) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (a.equals("--help") || a.equals("-h")) { m.put("help", ""); continue; }
            if (!a.startsWith("--")) throw new UsageException("unexpected argument '" + a + "'; options start with --");
            String name = a.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq > 0) { value = name.substring(eq + 1); name = name.substring(0, eq); }
            if (!known.contains(name)) throw new UsageException("unknown option --" + name + "; allowed: --" + String.join(", --", known.stream().sorted().toList()));
            if (value == null) {
                if (i + 1 >= argv.length) throw new UsageException("--" + name + " needs a value");
                value = argv[++i];
            }
            m.put(name, value);
        }
        return m;
    }

    static List<String> words(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    static List<Integer> ints(String option, String csv) {
        List<Integer> out = new ArrayList<>();
        for (String w : words(csv)) {
            try {
                int v = Integer.parseInt(w);
                if (v < 1) throw new NumberFormatException();
                out.add(v);
            } catch (NumberFormatException e) {
                throw new UsageException("--" + option + " takes whole numbers ≥ 1 separated by commas, got '" + csv + "'");
            }
        }
        if (out.isEmpty()) throw new UsageException("--" + option + " needs at least one number, got '" + csv + "'");
        return out;
    }
}
