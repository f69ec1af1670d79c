package dev.squeeze.distill;

import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.data.Split;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.Objective;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The issue's "honest search": does any distillation recipe beat the scratch Keras student by ≥ 0.5 points
 * of mean accuracy, on MNIST-10k and on Fashion-MNIST? Not a test: run by hand,
 * {@code java -cp target/classes:target/test-classes:target/lib/* dev.squeeze.distill.DistillSearch 1,2,3 out.json out.md
 * [mnist,fashion-mnist] [core,born-again,born-again-10,ensemble,grid,grid-reduced,features,rkd-logits,longer]}; runs already in out.json are kept and skipped, teacher logits
 * are kept in -Ddistillsearch.teachers (default out.json.teachers).
 *
 * <p>Data: MNIST is the data home's 10k real digits (7,996 train / 2,004 test); Fashion-MNIST is a seeded
 * (seed 0) stratified 8,000 / 2,000 subset of the official 60k / 10k splits, the same size. Adam 1e-3,
 * batch 32, pixels / 255, no augmentation, test accuracy after the last epoch.
 *
 * <p>Per data set and seed, three teachers, each trained once and its logits on the training images
 * computed once, reused by every setting (students read them from the cache, as the {@link Distiller}
 * does without augmentation). The Keras teacher is not among them: on this shared 2-core machine one
 * 3-epoch Keras teacher took 146–492 s in Squeeze (and over 10 min in the PyTorch peer at load 10), too much for
 * 6 of them; {@link DistillReference} measured it (KD α 0.1 T 3 from a 3- or 10-epoch Keras teacher loses to
 * scratch on MNIST-10k). Instead, teachers that are cheaper and at least as accurate:
 * <ul>
 * <li>{@code seed-cnn-5ep}: the seed CNN ({@link Zoo#seedCnn}, two 5×5 convs and three fc layers), 5 epochs;
 * <li>{@code student-10ep}: the Keras student trained from scratch for 10 epochs (a born-again teacher,
 *     Furlanello et al. 2018); it is also the 10-epoch scratch baseline;
 * <li>{@code ensemble}: the mean of the two teachers' logits (its test accuracy from the mean of their
 *     test logits).
 * </ul>
 * Settings ({@link #phases()}): Keras KD (α · CE + (1 − α) · T² · KL) and KD + RKD (T 4, α 0.5, + 25 · RKD
 * distance + 50 · RKD angle on the logits), and feature and relation terms that need the live teacher ({@code features}:
 * a FitNets hint and RKD on the conv2 features; the teacher network is kept for them, its logits are not cached).
 * The scratch student and every distilled student of one seed start
 * from the same weights and see the same shuffles. Each setting is compared with the scratch student of the
 * same epochs. Results (JSON and a markdown table of mean ± sample std over seeds) are rewritten after every run.
 */
public final class DistillSearch {
    private DistillSearch() {}

    /** One distilled (or scratch) student of one seed. */
    record Result(String dataset, long seed, String teacher, double teacherAccuracy, int epochs, String setting, double scratchAccuracy,
            double distilledAccuracy, double seconds) {}

    private record Recipe(String name, String teacher, int epochs, List<WeightedTerm> terms, double alpha) {}

    /**
     * The settings by phase name; each phase runs over every seed and data set before the next.
     * core: KD from the seed CNN at the issue's α 0.1 T 3 and at α 0.5 T 4; born-again: α 0.5 T 4 from the
     * 10-epoch student; born-again-10: the same with 10 student epochs, against the 10-epoch scratch student (its teacher);
     * ensemble: α 0.5 T 4 from the ensemble; grid: the rest of T ∈ {2, 4, 8} × α ∈ {0.1, 0.5, 0.9} from the
     * seed CNN and KD + RKD, all with 3 student epochs; grid-reduced: the grid's T ∈ {2, 4} × α ∈ {0.1, 0.5} only;
     * features: feature and relation terms from the seed CNN, 3 student epochs; longer: 10 student epochs.
     */
    private static Map<String, List<Recipe>> phases() {
        Map<String, List<Recipe>> out = new LinkedHashMap<>();
        out.put("core", List.of(kd(CNN, 3, 0.5, 4), kd(CNN, 3, 0.1, 3)));
        out.put("born-again", List.of(kd(STUDENT, 3, 0.5, 4)));
        // The born-again student against the scratch student of its teacher's own 10 epochs (which is its teacher).
        out.put("born-again-10", List.of(kd(STUDENT, 10, 0.5, 4)));
        out.put("ensemble", List.of(kd(ENSEMBLE, 3, 0.5, 4)));
        List<Recipe> grid = new ArrayList<>();
        for (double t : new double[] {2, 4, 8}) {
            for (double a : new double[] {0.1, 0.5, 0.9}) if (!(a == 0.5 && t == 4)) grid.add(kd(CNN, 3, a, t));
        }
        grid.add(kdRkd(CNN, 3));
        out.put("grid", grid);
        out.put("grid-reduced", List.of(kd(CNN, 3, 0.1, 2), kd(CNN, 3, 0.5, 2), kd(CNN, 3, 0.1, 4)));
        out.put("features", features());
        // The relation term on the logits alone: cached teacher logits, so as cheap as KD (RKD on conv2 took over 15 min a
        // student on the loaded machine and did not finish).
        out.put("rkd-logits", features().subList(2, 3));
        out.put("longer", List.of(kd(CNN, 10, 0.5, 4), kd(STUDENT, 10, 0.5, 4), kd(ENSEMBLE, 10, 0.5, 4), kdRkd(CNN, 10)));
        return out;
    }

    static final String CNN = "seed-cnn-5ep", STUDENT = "student-10ep", ENSEMBLE = "ensemble";

    private static Recipe kd(String teacher, int epochs, double alpha, double t) {
        return new Recipe("KD α " + alpha + " T " + fmt(t), teacher, epochs, List.of(new LogitsDistillation(t).weighted(1)), alpha);
    }

    private static Recipe kdRkd(String teacher, int epochs) {
        return new Recipe("KD α 0.5 T 4 + RKD d 25 a 50", teacher, epochs, List.of(new LogitsDistillation(4).weighted(1),
                DistillationTerm.rkdDistance().weighted(25), DistillationTerm.rkdAngle().weighted(50)), 0.5);
    }

    /**
     * Feature- and relation-based terms from the seed CNN, each alone with the labels (student-loss weight 0.5), 3 student
     * epochs. The seed CNN (conv1 16×24×24, conv2 32×8×8, fc1 120, fc2 84, fc3 10) and the Keras student (conv1 16×14×14,
     * conv2 32×7×7, fc 10) share no feature-map resolution, so a 1×1-adapter hint between conv layers cannot be built;
     * the hint goes from the student's only flat node (its logits, fc) through a learned linear adapter 10 → 120 to the
     * teacher's middle layer fc1 (FitNets' hint is the teacher's middle layer). RKD compares per-sample distances and
     * angles, so it needs no matching shapes: on conv2 of both (2,048 and 1,568 values per image), and on the logits alone
     * (without the KD term the grid's KD + RKD had).
     */
    private static List<Recipe> features() {
        return List.of(
                new Recipe("hint fc1 ← fc w 1 α 0.5", CNN, 3, List.of(new FeatureDistillation("fc1", "fc").weighted(1)), 0.5),
                new Recipe("RKD conv2 d 25 a 50 α 0.5", CNN, 3, List.of(DistillationTerm.rkdDistance("conv2", "conv2").weighted(25),
                        DistillationTerm.rkdAngle("conv2", "conv2").weighted(50)), 0.5),
                new Recipe("RKD logits d 25 a 50 α 0.5", CNN, 3, List.of(DistillationTerm.rkdDistance().weighted(25),
                        DistillationTerm.rkdAngle().weighted(50)), 0.5));
    }

    /** Whether a recipe's terms read teacher features, so that it needs the teacher network itself, not its cached logits. */
    private static boolean needsLiveTeacher(Recipe r) { return !DistillationObjective.nodes(r.terms(), false).isEmpty(); }

    private static String fmt(double v) { return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v); }

    public static void main(String[] args) throws IOException {
        long[] seeds = Arrays.stream(args[0].split(",")).mapToLong(Long::parseLong).toArray();
        Path json = Path.of(args[1]), md = Path.of(args[2]);
        String[] datasets = (args.length > 3 ? args[3] : "mnist,fashion-mnist").split(",");
        Map<String, ImageSet[]> data = new LinkedHashMap<>();
        for (String d : datasets) {
            ImageSet train = Datasets.load(d, Split.TRAIN), test = Datasets.load(d, Split.TEST);
            // Fashion-MNIST's official 60k / 10k cut to MNIST-10k's size; MNIST-10k is used whole.
            if (Datasets.key(d).equals("fashion-mnist")) {
                train = train.subset(8000, 0, true);
                test = test.subset(2000, 0, true);
            }
            data.put(d, new ImageSet[] {train, test});
            System.out.printf(Locale.ROOT, "%s: %d train / %d test (%s)%n", d, train.size(), test.size(), test.name());
        }
        // Resumable: the runs already in the JSON are kept and not repeated, and each teacher's logits are kept
        // on disk next to it, so the phases can run in separate, shorter invocations.
        List<Result> results = new ArrayList<>(Files.exists(json) ? read(json) : List.of());
        Path teacherDir = Path.of(System.getProperty("distillsearch.teachers", json + ".teachers"));
        Files.createDirectories(teacherDir);
        long start = System.nanoTime();
        Map<String, Unit> units = new LinkedHashMap<>();
        List<String> chosen = List.of((args.length > 4 ? args[4] : String.join(",", phases().keySet())).split(","));
        for (String name : chosen) {
            List<Recipe> phase = phases().get(name);
            if (phase == null) throw new IllegalArgumentException("DistillSearch: unknown phase '" + name + "'; choose from " + phases().keySet());
            for (long seed : seeds) {
                for (Map.Entry<String, ImageSet[]> e : data.entrySet()) {
                    Unit u = units.computeIfAbsent(e.getKey() + "|" + seed, k -> new Unit(e.getKey(), seed, e.getValue()[0], e.getValue()[1], start,
                            teacherDir, results));
                    for (Recipe r : phase) {
                        if (results.stream().anyMatch(x -> x.dataset().equals(e.getKey()) && x.seed() == seed && x.epochs() == r.epochs()
                                && x.teacher().equals(r.teacher()) && x.setting().equals(r.name()))) continue;
                        results.addAll(u.scratchResults(r.epochs()));
                        results.add(u.distilOrRetry(r));
                        write(results, json, md, (System.nanoTime() - start) / 1e9);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "total %.0f s%n", (System.nanoTime() - start) / 1e9);
    }

    private static TrainConfig config(int epochs, long seed) {
        return TrainConfig.builder().setEpochs(epochs).setOptimizer(OptimizerConfig.adam(1e-3f)).optBatchSize(32)
                .optPreprocessing(Preprocessing.unitScale()).optProgress(Progress.silent()).optEvaluateEachEpoch(false).optSeed(seed)
                .optObjective(Objective.crossEntropy()).build();
    }

    /** One data set at one seed: its teachers' logits and scratch students, each trained the first time a setting needs it. */
    private static final class Unit {
        final String dataset;
        final long seed, start;
        final ImageSet train, test;
        final Architecture studentArch;
        final Preprocessing pre = Preprocessing.unitScale();
        final Map<String, float[]> trainLogits = new LinkedHashMap<>(), testLogits = new LinkedHashMap<>();
        final Map<String, Double> teacherAccuracy = new LinkedHashMap<>();
        final Map<Integer, Result> scratch = new LinkedHashMap<>();
        /** Teacher networks kept open for terms that read their features (never closed: the process ends after the search). */
        final Map<String, Network> liveTeachers = new LinkedHashMap<>();
        FrozenTeacher anyTeacher; // supplies the class count to the objective; the logits always come from a cache

        final Path teacherDir;

        Unit(String dataset, long seed, ImageSet train, ImageSet test, long start, Path teacherDir, List<Result> done) {
            this.teacherDir = teacherDir;
            for (Result r : done) if (r.dataset().equals(dataset) && r.seed() == seed && r.setting().equals("scratch")) scratch.put(r.epochs(), r);
            this.dataset = dataset;
            this.seed = seed;
            this.train = train;
            this.test = test;
            this.start = start;
            this.studentArch = Zoo.kerasStudent(new int[] {train.channels(), train.height(), train.width()}, 10);
        }

        /** The scratch student of {@code epochs} the first time it is asked for (then empty: it is reported once). */
        List<Result> scratchResults(int epochs) {
            if (scratch.containsKey(epochs)) return List.of();
            if (epochs == 10) {
                teacher(STUDENT); // the 10-epoch scratch student is the born-again teacher
                if (!scratch.containsKey(10)) { // its logits came from disk: the scratch accuracy is the teacher's
                    double acc = teacherAccuracy.get(STUDENT);
                    scratch.put(10, new Result(dataset, seed, "-", Double.NaN, 10, "scratch", acc, acc, 0));
                }
            }
            else train(studentArch, epochs, "scratch " + epochs + " ep", false);
            return List.of(scratch.get(epochs));
        }

        private void train(Architecture arch, int epochs, String what, boolean asTeacher) {
            Network n = Network.create(arch, seed);
            try {
                long t0 = System.nanoTime();
                double acc = Training.fit(n, train, test, config(epochs, seed)).testAccuracy();
                double sec = secs(t0);
                log(dataset, seed, start, String.format(Locale.ROOT, "%s %.2f %% (%.0f s)", what, 100 * acc, sec));
                if (arch == studentArch) scratch.put(epochs, new Result(dataset, seed, "-", Double.NaN, epochs, "scratch", acc, acc, sec));
                if (asTeacher) {
                    FrozenTeacher f = new FrozenTeacher(n);
                    float[] tr = f.logitsOf(train, pre, 256), te = f.logitsOf(test, pre, 256);
                    log(dataset, seed, start, String.format(Locale.ROOT, "%s logits: %d non-finite of %d (train), %d of %d (test), max |logit| %.1f",
                            what, nonFinite(tr), tr.length, nonFinite(te), te.length, maxAbs(tr)));
                    trainLogits.put(what, tr);
                    testLogits.put(what, te);
                    teacherAccuracy.put(what, acc);
                    save(what, acc, tr, te);
                    liveTeachers.put(what, n);
                }
            } finally {
                if (!liveTeachers.containsValue(n)) n.close();
            }
        }

        private Path teacherFile(String name) { return teacherDir.resolve(dataset + "-seed" + seed + "-" + name + ".bin"); }

        private void save(String name, double acc, float[] tr, float[] te) {
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(teacherFile(name))))) {
                out.writeDouble(acc);
                for (float[] a : new float[][] {tr, te}) {
                    out.writeInt(a.length);
                    for (float v : a) out.writeFloat(v);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** The teacher's accuracy and logits from an earlier invocation; false if there are none. */
        private boolean load(String name) {
            Path f = teacherFile(name);
            if (!Files.exists(f)) return false;
            try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(f)))) {
                double acc = in.readDouble();
                float[][] a = new float[2][];
                for (int k = 0; k < 2; k++) {
                    a[k] = new float[in.readInt()];
                    for (int i = 0; i < a[k].length; i++) a[k][i] = in.readFloat();
                }
                trainLogits.put(name, a[0]);
                testLogits.put(name, a[1]);
                teacherAccuracy.put(name, acc);
                log(dataset, seed, start, String.format(Locale.ROOT, "%s %.2f %% (logits from %s)", name, 100 * acc, f));
                return true;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        void teacher(String name) { teacher(name, false); }

        /** @param live the network itself is needed (for its features): retrained when only its logits are on disk */
        void teacher(String name, boolean live) {
            if (anyTeacher == null) anyTeacher = new FrozenTeacher(Network.create(studentArch, seed));
            if (live && name.equals(ENSEMBLE)) throw new IllegalArgumentException("DistillSearch: the ensemble has no features of its own");
            if (live ? liveTeachers.containsKey(name) : trainLogits.containsKey(name) || (!name.equals(ENSEMBLE) && load(name))) return;
            int[] shape = {train.channels(), train.height(), train.width()};
            switch (name) {
                case CNN -> train(Zoo.seedCnn(shape, 10), 5, CNN, true);
                case STUDENT -> train(studentArch, 10, STUDENT, true);
                case ENSEMBLE -> {
                    teacher(CNN);
                    teacher(STUDENT);
                    trainLogits.put(ENSEMBLE, mean(trainLogits.get(CNN), trainLogits.get(STUDENT)));
                    testLogits.put(ENSEMBLE, mean(testLogits.get(CNN), testLogits.get(STUDENT)));
                    teacherAccuracy.put(ENSEMBLE, accuracy(testLogits.get(ENSEMBLE), test));
                    log(dataset, seed, start, String.format(Locale.ROOT, "%s %.2f %%", ENSEMBLE, 100 * teacherAccuracy.get(ENSEMBLE)));
                }
                default -> throw new IllegalArgumentException("DistillSearch: unknown teacher '" + name + "'");
            }
        }

        /**
         * A run that diverges is run once more in this process, from the same weights and shuffles: a second, clean
         * run shows the NaN did not come from the recipe (seed 3's KD α 0.5 T 4 stopped once with a NaN and did not on
         * rerun). A second divergence is reported as it is.
         */
        Result distilOrRetry(Recipe r) {
            try {
                return distil(r);
            } catch (IllegalStateException e) {
                if (!e.getMessage().startsWith("Training diverged")) throw e;
                log(dataset, seed, start, r.name() + " from " + r.teacher() + ": " + e.getMessage() + "; running it again");
                return distil(r);
            }
        }

        Result distil(Recipe r) {
            boolean live = needsLiveTeacher(r);
            teacher(r.teacher(), live);
            try (Network d = Network.create(studentArch, seed)) {
                long t0 = System.nanoTime();
                double acc;
                if (live) { // the public Distiller: it checks the node names, builds the hint adapters and runs the teacher per batch
                    Distiller distiller = Distiller.of(d, liveTeachers.get(r.teacher()), r.terms(), r.alpha())
                            .compile(OptimizerConfig.adam(1e-3f), Objective.crossEntropy());
                    acc = distiller.fit(train, test, config(r.epochs(), seed)).testAccuracy();
                } else {
                    DistillationObjective objective = new DistillationObjective(anyTeacher, Objective.crossEntropy(), r.alpha(), r.terms(),
                            trainLogits.get(r.teacher()));
                    acc = Training.fit(d, train, test, config(r.epochs(), seed).toBuilder().optObjective(objective).build()).testAccuracy();
                }
                double scratchAcc = scratch.get(r.epochs()).scratchAccuracy();
                log(dataset, seed, start, String.format(Locale.ROOT, "%s from %s, %d ep: %.2f %% (scratch %.2f %%, %+.2f points, %.0f s)",
                        r.name(), r.teacher(), r.epochs(), 100 * acc, 100 * scratchAcc, 100 * (acc - scratchAcc), secs(t0)));
                return new Result(dataset, seed, r.teacher(), teacherAccuracy.get(r.teacher()), r.epochs(), r.name(), scratchAcc, acc,
                        secs(t0));
            }
        }
    }

    private static int nonFinite(float[] a) {
        int n = 0;
        for (float v : a) if (!Float.isFinite(v)) n++;
        return n;
    }

    private static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** The runs of an earlier invocation's JSON. */
    private static List<Result> read(Path json) throws IOException {
        List<Result> out = new ArrayList<>();
        com.google.gson.JsonObject root = com.google.gson.JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        for (com.google.gson.JsonElement e : root.getAsJsonArray("runs")) {
            com.google.gson.JsonObject o = e.getAsJsonObject();
            out.add(new Result(o.get("dataset").getAsString(), o.get("seed").getAsLong(), o.get("teacher").getAsString(),
                    o.get("teacher_accuracy").isJsonNull() ? Double.NaN : o.get("teacher_accuracy").getAsDouble(), o.get("epochs").getAsInt(),
                    o.get("setting").getAsString(), o.get("scratch_accuracy").getAsDouble(), o.get("distilled_accuracy").getAsDouble(),
                    o.get("seconds").getAsDouble()));
        }
        return out;
    }

    private static float[] mean(float[] a, float[] b) {
        float[] m = new float[a.length];
        for (int i = 0; i < a.length; i++) m[i] = (a[i] + b[i]) / 2;
        return m;
    }

    private static double accuracy(float[] logits, ImageSet set) {
        int[] pred = Network.argmax(logits, set.size());
        int correct = 0;
        for (int i = 0; i < set.size(); i++) if (pred[i] == set.label(i)) correct++;
        return (double) correct / set.size();
    }

    private static double secs(long t0) { return (System.nanoTime() - t0) / 1e9; }

    private static void log(String dataset, long seed, long start, String line) {
        System.out.printf(Locale.ROOT, "[%5.0f s] %s seed %d: %s%n", secs(start), dataset, seed, line);
    }

    private static void write(List<Result> results, Path json, Path md, double seconds) throws IOException {
        StringBuilder j = new StringBuilder(String.format(Locale.ROOT, "{\"seconds\": %.0f, \"runs\": [", seconds));
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            j.append(String.format(Locale.ROOT, "%s%n {\"dataset\": \"%s\", \"seed\": %d, \"teacher\": \"%s\", \"teacher_accuracy\": %s,"
                    + " \"epochs\": %d, \"setting\": \"%s\", \"scratch_accuracy\": %.4f, \"distilled_accuracy\": %.4f, \"seconds\": %.1f}",
                    i == 0 ? "" : ",", r.dataset(), r.seed(), r.teacher(), Double.isNaN(r.teacherAccuracy()) ? "null"
                            : String.format(Locale.ROOT, "%.4f", r.teacherAccuracy()), r.epochs(), r.setting(), r.scratchAccuracy(),
                    r.distilledAccuracy(), r.seconds()));
        }
        j.append("\n]}\n");
        Files.writeString(json, j.toString());
        Map<String, List<Result>> by = new LinkedHashMap<>();
        for (Result r : results) by.computeIfAbsent(r.dataset() + "|" + r.epochs() + "|" + r.teacher() + "|" + r.setting(), k -> new ArrayList<>()).add(r);
        StringBuilder m = new StringBuilder("# Issue 11: does distillation beat the scratch student? (DistillSearch)\n\n"
                + "Mean ± sample std (n − 1) over the seeds; student − scratch is paired per seed.\n\n| data | student epochs | teacher | setting | seeds | teacher acc % | scratch % | student % |"
                + " student − scratch (points) |\n|---|---|---|---|---|---|---|---|---|\n");
        for (List<Result> rs : by.values()) {
            Result f = rs.get(0);
            double[] t = rs.stream().mapToDouble(Result::teacherAccuracy).toArray();
            double[] s = rs.stream().mapToDouble(Result::scratchAccuracy).toArray();
            double[] d = rs.stream().mapToDouble(Result::distilledAccuracy).toArray();
            double[] g = rs.stream().mapToDouble(r -> 100 * (r.distilledAccuracy() - r.scratchAccuracy())).toArray();
            m.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %d | %s | %s | %s | %s |%n", f.dataset(), f.epochs(), f.teacher(),
                    f.setting(), rs.size(), Double.isNaN(t[0]) ? "–" : pm(t, 100), pm(s, 100), pm(d, 100),
                    f.setting().equals("scratch") ? "–" : pm(g, 1)));
        }
        // The notes under the marker (what ran, the commands, the conclusion) are kept; the table above it is regenerated.
        String kept = Files.exists(md) ? Files.readString(md) : "";
        int at = kept.indexOf(NOTES_MARKER);
        Files.writeString(md, m + "\n" + (at < 0 ? NOTES_MARKER + "\n" : kept.substring(at)));
    }

    static final String NOTES_MARKER = "<!-- DistillSearch regenerates the table above; notes below this line are kept -->";

    private static String pm(double[] v, double scale) {
        return String.format(Locale.ROOT, "%.2f ± %.2f", scale * DistillStudy.mean(v), scale * DistillStudy.std(v));
    }
}
