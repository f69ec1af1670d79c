package dev.squeeze.distill;

import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.data.Split;
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
import java.util.List;
import java.util.Locale;

/**
 * The issue's PyTorch reference, in Squeeze: on the data home's MNIST (all of it), Adam 1e-3, batch 32,
 * pixels / 255, {@code epochs} each, per seed: the Keras teacher, a scratch student, and a student distilled
 * from that teacher (α 0.1, T 3, KL). Scratch and distilled students start from the same seeded weights and
 * see the same shuffles. Not a test: run by hand,
 * {@code java -cp target/classes:target/test-classes:target/lib/* dev.squeeze.distill.DistillReference 3 1,2,3 out.json}.
 */
public final class DistillReference {
    private DistillReference() {}

    public static void main(String[] args) throws IOException {
        int epochs = Integer.parseInt(args[0]);
        long[] seeds = java.util.Arrays.stream(args[1].split(",")).mapToLong(Long::parseLong).toArray();
        Path out = Path.of(args[2]);
        double alpha = args.length > 3 ? Double.parseDouble(args[3]) : 0.1;
        double temperature = args.length > 4 ? Double.parseDouble(args[4]) : 3;
        ImageSet train = Datasets.load("mnist", Split.TRAIN), test = Datasets.load("mnist", Split.TEST);
        int[] shape = {train.channels(), train.height(), train.width()};
        System.out.printf(Locale.ROOT, "%s: %d train / %d test, %d epochs, seeds %s, alpha %s, T %s%n", train.name(), train.size(),
                test.size(), epochs, args[1], alpha, temperature);
        List<double[]> rows = new ArrayList<>();
        StringBuilder json = new StringBuilder("{\"epochs\": " + epochs + ", \"alpha\": " + alpha + ", \"temperature\": " + temperature
                + ", \"train_images\": " + train.size() + ", \"test_images\": " + test.size() + ", \"runs\": [");
        long t0 = System.nanoTime();
        for (long seed : seeds) {
            TrainConfig cfg = TrainConfig.builder().setEpochs(epochs).setOptimizer(OptimizerConfig.adam(1e-3f)).optBatchSize(32)
                    .optPreprocessing(Preprocessing.unitScale()).optSeed(seed).optProgress(Progress.silent())
                    .optEvaluateEachEpoch(false).build();
            long s0 = System.nanoTime();
            try (Network teacher = Network.create(Zoo.kerasTeacher(shape, 10), seed);
                 Network scratch = Network.create(Zoo.kerasStudent(shape, 10), seed);
                 Network student = Network.create(Zoo.kerasStudent(shape, 10), seed)) {
                double tAcc = Training.fit(teacher, train, test, cfg).testAccuracy();
                double t1 = (System.nanoTime() - s0) / 1e9;
                double sAcc = Training.fit(scratch, train, test, cfg).testAccuracy();
                double t2 = (System.nanoTime() - s0) / 1e9;
                Distiller d = Distiller.of(student, teacher).compile(OptimizerConfig.adam(1e-3f), Objective.crossEntropy(),
                        SoftTargetLoss.klDivergence(), alpha, temperature);
                var r = d.fit(train, test, cfg);
                double dAcc = r.testAccuracy();
                double t3 = (System.nanoTime() - s0) / 1e9;
                System.out.printf(Locale.ROOT, "seed %d: teacher %.2f %%, scratch %.2f %%, distilled %.2f %% (teacher %.0f s, scratch %.0f s,"
                        + " distilled %.0f s; last epoch terms %s)%n", seed, 100 * tAcc, 100 * sAcc, 100 * dAcc, t1, t2 - t1, t3 - t2,
                        r.history().get(r.history().size() - 1).terms());
                rows.add(new double[] {tAcc, sAcc, dAcc});
                if (rows.size() > 1) json.append(", ");
                json.append(String.format(Locale.ROOT, "{\"seed\": %d, \"teacher_accuracy\": %.4f, \"scratch_accuracy\": %.4f,"
                        + " \"distilled_accuracy\": %.4f, \"seconds\": [%.1f, %.1f, %.1f]}", seed, tAcc, sAcc, dAcc, t1, t2 - t1, t3 - t2));
            }
        }
        String[] names = {"teacher", "scratch", "distilled"};
        json.append("], \"summary\": {");
        for (int k = 0; k < 3; k++) {
            double mean = 0;
            for (double[] r : rows) mean += r[k] / rows.size();
            double var = 0;
            for (double[] r : rows) var += (r[k] - mean) * (r[k] - mean);
            double std = rows.size() > 1 ? Math.sqrt(var / (rows.size() - 1)) : 0;
            System.out.printf(Locale.ROOT, "%s: %.2f ± %.2f %%%n", names[k], 100 * mean, 100 * std);
            json.append(String.format(Locale.ROOT, "%s\"%s\": {\"mean\": %.4f, \"std\": %.4f}", k == 0 ? "" : ", ", names[k], mean, std));
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        json.append(String.format(Locale.ROOT, "}, \"seconds\": %.0f}%n", secs));
        System.out.printf(Locale.ROOT, "total %.0f s%n", secs);
        Files.writeString(out, json.toString());
    }
}
