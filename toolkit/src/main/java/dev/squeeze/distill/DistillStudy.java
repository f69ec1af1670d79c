package dev.squeeze.distill;

import dev.squeeze.data.ImageSet;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Network;
import dev.squeeze.train.Objective;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.TrainResult;
import dev.squeeze.train.Training;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Does distillation pay off here? Per seed: trains the teacher, a student from scratch, and one
 * distilled student per {@link Setting}, all with the same training config unless the teacher is given its own
 * (each config's seed replaced by the run's seed); the scratch and every distilled student start from the same seeded weights and see the same
 * shuffles, so their difference is the distillation's alone. What the CLI's {@code distill} command and the
 * distillation notebook report (mean ± standard deviation over seeds).
 */
public final class DistillStudy {
    private DistillStudy() {}

    /**
     * One distillation recipe.
     *
     * @param name a label for tables and plots, e.g. {@code "KD α 0.1 T 3"}
     * @param terms the distillation terms with their weights
     * @param studentLossWeight w (Keras' α): loss = w · student_loss + (1 − w) · Σ w_i · term_i
     */
    public record Setting(String name, List<WeightedTerm> terms, double studentLossWeight) {
        public Setting {
            if (terms == null || terms.isEmpty()) throw new IllegalArgumentException("DistillStudy.Setting.terms must not be empty");
            Validation.unitInterval("DistillStudy.Setting.studentLossWeight", studentLossWeight);
            terms = List.copyOf(terms);
        }

        /** The Keras example: α · cross-entropy + (1 − α) · T² · KL. */
        public static Setting keras(double alpha, double temperature) {
            return new Setting("KD α " + alpha + " T " + temperature, List.of(new LogitsDistillation(temperature).weighted(1)), alpha);
        }
    }

    /** One seed of one setting; accuracies are top-1 on the test set in [0, 1]. */
    public record Run(long seed, String setting, double teacherAccuracy, double scratchAccuracy, double distilledAccuracy,
            long teacherParameters, long studentParameters, double teacherSeconds, double scratchSeconds, double distilledSeconds,
            Map<String, Double> lastEpochTerms) {
        public Run { lastEpochTerms = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(lastEpochTerms)); }

        /** Distilled minus scratch accuracy, in points. */
        public double gainPoints() { return 100 * (distilledAccuracy - scratchAccuracy); }
    }

    /** Mean and sample standard deviation (n − 1) over seeds, accuracies in [0, 1]. */
    public record Summary(String setting, int seeds, double teacherMean, double teacherStd, double scratchMean, double scratchStd,
            double distilledMean, double distilledStd, double gainMeanPoints, double gainStdPoints) {}

    /**
     * One model of the comparison over seeds, accuracies in percent (mean and sample standard deviation).
     *
     * @param gainMeanPoints distilled minus scratch accuracy, paired per seed, in points; NaN for the teacher and
     *     the scratch student
     */
    public record Row(String model, long parameters, int seeds, double accuracyMean, double accuracyStd, double gainMeanPoints,
            double gainStdPoints) {}

    /**
     * The comparison as a table's rows: the teacher, the scratch student, then each setting's distilled student,
     * in the order the settings first appear. Teacher and scratch are trained once per seed and shared by every
     * setting, so they are counted once per seed.
     */
    public static List<Row> rows(List<Run> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("DistillStudy.rows needs at least one Run, got none");
        List<Summary> sums = summarise(runs);
        Summary first = sums.get(0);
        Run r0 = runs.get(0);
        List<Row> out = new ArrayList<>();
        out.add(new Row("teacher", r0.teacherParameters(), first.seeds(), 100 * first.teacherMean(), 100 * first.teacherStd(),
                Double.NaN, Double.NaN));
        out.add(new Row("scratch student", r0.studentParameters(), first.seeds(), 100 * first.scratchMean(), 100 * first.scratchStd(),
                Double.NaN, Double.NaN));
        for (Summary s : sums) {
            out.add(new Row(s.setting(), r0.studentParameters(), s.seeds(), 100 * s.distilledMean(), 100 * s.distilledStd(),
                    s.gainMeanPoints(), s.gainStdPoints()));
        }
        return out;
    }

    /**
     * Runs the study, the teacher trained with the students' config.
     *
     * @param teacher the teacher's architecture (trained per seed with {@code config})
     * @param student the student's architecture (scratch and distilled)
     * @param log called after each trained network with the seed and one line, may be null
     */
    public static List<Run> run(Architecture teacher, Architecture student, ImageSet train, ImageSet test, TrainConfig config,
            long[] seeds, List<Setting> settings, BiConsumer<Long, String> log) {
        return run(teacher, config, student, train, test, config, seeds, settings, log);
    }

    /**
     * Runs the study with a teacher trained by its own config, e.g. born-again distillation: the teacher is the
     * student's architecture trained for more epochs, a teacher the student can follow.
     *
     * @param teacher the teacher's architecture
     * @param teacherConfig how the teacher is trained per seed (its seed replaced by the run's seed)
     * @param student the student's architecture (scratch and distilled, both trained with {@code config})
     * @param log called after each trained network with the seed and one line, may be null
     */
    public static List<Run> run(Architecture teacher, TrainConfig teacherConfig, Architecture student, ImageSet train, ImageSet test,
            TrainConfig config, long[] seeds, List<Setting> settings, BiConsumer<Long, String> log) {
        if (teacherConfig == null) throw new IllegalArgumentException("DistillStudy.teacherConfig must not be null; pass the students' config to train the teacher alike");
        if (seeds.length == 0) throw new IllegalArgumentException("DistillStudy.seeds must hold at least one seed");
        if (settings.isEmpty()) throw new IllegalArgumentException("DistillStudy.settings must hold at least one Setting");
        List<Run> runs = new ArrayList<>();
        for (long seed : seeds) {
            TrainConfig cfg = config.toBuilder().optSeed(seed).optObjective(Objective.crossEntropy()).build();
            TrainConfig teacherCfg = teacherConfig.toBuilder().optSeed(seed).optObjective(Objective.crossEntropy()).build();
            try (Network t = Network.create(teacher, seed); Network scratch = Network.create(student, seed)) {
                long t0 = System.nanoTime();
                double tAcc = Training.fit(t, train, test, teacherCfg).testAccuracy();
                double tSec = (System.nanoTime() - t0) / 1e9;
                if (log != null) {
                    log.accept(seed, String.format(java.util.Locale.ROOT, "teacher %.2f %% (%d epochs, %.0f s)", 100 * tAcc,
                            teacherCfg.epochs(), tSec));
                }
                t0 = System.nanoTime();
                double sAcc = Training.fit(scratch, train, test, cfg).testAccuracy();
                double sSec = (System.nanoTime() - t0) / 1e9;
                if (log != null) log.accept(seed, String.format(java.util.Locale.ROOT, "scratch %.2f %% (%.0f s)", 100 * sAcc, sSec));
                for (Setting s : settings) {
                    try (Network d = Network.create(student, seed)) {
                        t0 = System.nanoTime();
                        Distiller distiller = Distiller.of(d, t, s.terms(), s.studentLossWeight()).compile(cfg.optimizer(), Objective.crossEntropy());
                        TrainResult r = distiller.fit(train, test, cfg);
                        double dSec = (System.nanoTime() - t0) / 1e9;
                        if (log != null) {
                            log.accept(seed, String.format(java.util.Locale.ROOT, "%s %.2f %% (%.0f s)", s.name(), 100 * r.testAccuracy(), dSec));
                        }
                        runs.add(new Run(seed, s.name(), tAcc, sAcc, r.testAccuracy(), t.trainableParameters(), d.trainableParameters(),
                                tSec, sSec, dSec, r.history().get(r.history().size() - 1).terms()));
                    }
                }
            }
        }
        return runs;
    }

    /** One summary per setting, in the order the settings first appear. */
    public static List<Summary> summarise(List<Run> runs) {
        Map<String, List<Run>> by = new LinkedHashMap<>();
        for (Run r : runs) by.computeIfAbsent(r.setting(), k -> new ArrayList<>()).add(r);
        List<Summary> out = new ArrayList<>();
        for (Map.Entry<String, List<Run>> e : by.entrySet()) {
            List<Run> rs = e.getValue();
            double[] t = rs.stream().mapToDouble(Run::teacherAccuracy).toArray();
            double[] s = rs.stream().mapToDouble(Run::scratchAccuracy).toArray();
            double[] d = rs.stream().mapToDouble(Run::distilledAccuracy).toArray();
            double[] g = rs.stream().mapToDouble(Run::gainPoints).toArray();
            out.add(new Summary(e.getKey(), rs.size(), mean(t), std(t), mean(s), std(s), mean(d), std(d), mean(g), std(g)));
        }
        return out;
    }

    static double mean(double[] v) {
        double m = 0;
        for (double x : v) m += x;
        return m / v.length;
    }

    /** Sample standard deviation (n − 1); 0 for a single value. */
    static double std(double[] v) {
        if (v.length < 2) return 0;
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return Math.sqrt(s / (v.length - 1));
    }
}
