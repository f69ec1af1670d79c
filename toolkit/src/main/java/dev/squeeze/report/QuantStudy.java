package dev.squeeze.report;

import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.measure.Latency;
import dev.squeeze.measure.Measure;
import dev.squeeze.model.ModelFile;
import dev.squeeze.model.Network;
import dev.squeeze.quant.CalibrationMethod;
import dev.squeeze.ir.Int8Model;
import dev.squeeze.quant.IntegerReference;
import dev.squeeze.quant.QConfig;
import dev.squeeze.quant.Quantization;
import dev.squeeze.quant.QuantizedNetwork;
import dev.squeeze.train.Budget;
import dev.squeeze.train.Evaluation;
import dev.squeeze.train.Experiment;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.Progress;
import dev.squeeze.train.Recipe;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The quantization comparison of notebook 01 and {@code ./squeeze qat}: the seed CNN on CIFAR-10 in
 * fp32, fp16/bf16 storage, dynamic PTQ, static PTQ with each calibration method, QAT fine-tuned from
 * fp32, QAT from scratch, and low-bit (4-bit, ternary, binary) QAT — each with accuracy, file size,
 * compression ratio and what evaluated it.
 */
public final class QuantStudy {
    private QuantStudy() {}

    /**
     * One variant.
     *
     * @param method e.g. {@code fp32}, {@code static-mse}, {@code qat-finetune}
     * @param bits weight bits (32, 16, 8, 4, 2, 1)
     * @param accuracy top-1 on the test images, as evaluated by {@code evaluatedWith}
     * @param sizeBytes the saved file's size
     * @param compressionRatio fp32 file size / this file size
     * @param evaluatedWith {@code float} (libtorch), {@code fake-quant} (libtorch, simulated) or {@code integer} (Squeeze's int8 reference)
     * @param fakeQuantAccuracy the simulated accuracy (NaN for float rows)
     * @param agreement share of test images where integer and fake-quant predictions agree (NaN when not both)
     * @param latencyMs batch-1 median latency of the runtime that evaluated it
     */
    public record Row(String method, int bits, double accuracy, long sizeBytes, double compressionRatio, String evaluatedWith,
            double fakeQuantAccuracy, double agreement, double latencyMs, double seconds) {}

    /**
     * @param budget data limits and epochs ({@link Recipe#of})
     * @param calibrationImages size of the seeded calibration subset of the training set
     * @param qatEpochs fine-tuning epochs for QAT from fp32 (the seed: 3, lr 0.001)
     * @param lowBit include 4-bit, ternary and binary QAT
     * @param fromScratch include QAT from scratch (as long as fp32 training)
     */
    public record Options(Budget budget, long seed, int calibrationImages, int qatEpochs, boolean lowBit, boolean fromScratch,
            Path workDir) {
        public static Options of(Budget budget, long seed, Path workDir) {
            return new Options(budget, seed, budget == Budget.QUICK ? 256 : 1000, budget == Budget.QUICK ? 1 : 3, true, true, workDir);
        }
    }

    /** Everything the study produced; the fp32 network stays open for further cells (close the study). */
    public record Result(List<Row> rows, Experiment fp32, Recipe recipe) implements AutoCloseable {
        public void close() { fp32.close(); }
    }

    public static Result run(Options o, Consumer<String> log) {
        Recipe recipe = Recipe.of("seed-cnn", "cifar10", o.budget());
        log.accept("training fp32: " + recipe);
        Experiment fp32 = Experiment.run(recipe, o.seed(), Progress.console());
        try {
            return new Result(variants(o, recipe, fp32, log), fp32, recipe);
        } catch (RuntimeException e) {
            fp32.close();
            throw e;
        }
    }

    static List<Row> variants(Options o, Recipe recipe, Experiment fp32, Consumer<String> log) {
        List<Row> rows = new ArrayList<>();
        Preprocessing prep = recipe.preprocessing();
        ImageSet test = fp32.test();
        Path dir = dir(o.workDir());
        Network net = fp32.network();

        Path fp32File = dir.resolve("seed-cnn-fp32.sqz");
        ModelFile.save(net, fp32File);
        long fp32Size = Measure.fileSize(fp32File);
        rows.add(floatRow("fp32", 32, net, fp32File, fp32Size, test, prep, fp32.result().seconds()));
        for (ModelFile.Storage s : List.of(ModelFile.Storage.FP16, ModelFile.Storage.BF16)) {
            Path f = dir.resolve("seed-cnn-" + s.name().toLowerCase(Locale.ROOT) + ".sqz");
            ModelFile.save(net, f, s);
            try (Network half = ModelFile.load(f)) {
                rows.add(floatRow(s.name().toLowerCase(Locale.ROOT) + "-weights", 16, half, f, fp32Size, test, prep, 0));
            }
        }

        long t0 = System.nanoTime();
        try (QuantizedNetwork d = Quantization.quantizeDynamic(net)) {
            Evaluation e = d.evaluate(test, prep);
            log.accept("dynamic PTQ: fake-quant accuracy " + pct(e.accuracy()));
            rows.add(new Row("dynamic", 8, e.accuracy(), -1, Double.NaN, "fake-quant", e.accuracy(), Double.NaN,
                    Double.NaN, secs(t0)));
        }

        ImageSet calibration = fp32.train().subset(Math.min(o.calibrationImages(), fp32.train().size()), o.seed() + 17, true);
        for (CalibrationMethod m : List.of(CalibrationMethod.MIN_MAX, CalibrationMethod.PERCENTILE, CalibrationMethod.ENTROPY_KL,
                CalibrationMethod.SYMMETRIC_KL, CalibrationMethod.JENSEN_SHANNON, CalibrationMethod.MSE)) {
            t0 = System.nanoTime();
            try (QuantizedNetwork q = Quantization.calibrate(net, calibration, prep, m)) {
                rows.add(intRow("static-" + m.name().toLowerCase(Locale.ROOT).replace('_', '-'), q, dir, fp32Size, test, prep, t0, log));
            }
        }

        TrainConfig fineTune = TrainConfig.builder().setEpochs(o.qatEpochs()).setOptimizer(OptimizerConfig.sgd(0.001f, 0.9f))
                .optBatchSize(recipe.batchSize()).optSeed(o.seed()).optPreprocessing(prep).build();
        record Low(String name, QConfig config) {}
        List<Low> configs = new ArrayList<>(List.of(new Low("qat-finetune", QConfig.x86())));
        if (o.lowBit()) {
            configs.add(new Low("qat-int4", QConfig.int4Weights()));
            configs.add(new Low("qat-ternary", QConfig.ternaryWeights()));
            configs.add(new Low("qat-binary", QConfig.binaryWeights()));
        }
        for (Low c : configs) {
            t0 = System.nanoTime();
            log.accept(c.name() + ": QAT fine-tuning from fp32, " + fineTune);
            try (QuantizedNetwork q = Quantization.prepareQat(net, c.config())) {
                Training.fit(q.network(), fp32.train(), test, fineTune);
                q.freeze();
                rows.add(intRow(c.name(), q, dir, fp32Size, test, prep, t0, log));
            }
        }
        if (o.fromScratch()) {
            t0 = System.nanoTime();
            TrainConfig scratch = recipe.trainConfig(o.seed()).build();
            log.accept("qat-scratch: QAT from random initialisation, " + scratch);
            try (Network fresh = Network.create(net.architecture(), o.seed());
                    QuantizedNetwork q = Quantization.prepareQat(fresh, QConfig.x86())) {
                Training.fit(q.network(), fp32.train(), test, scratch);
                q.freeze();
                rows.add(intRow("qat-scratch", q, dir, fp32Size, test, prep, t0, log));
            }
        }
        return rows;
    }

    private static Row floatRow(String method, int bits, Network net, Path file, long fp32Size, ImageSet test, Preprocessing prep,
            double seconds) {
        Evaluation e = Training.evaluate(net, test, prep);
        Latency lat = Measure.latency(net, test, prep, 1, 10, 50);
        long size = Measure.fileSize(file);
        return new Row(method, bits, e.accuracy(), size, (double) fp32Size / size, "float", Double.NaN, Double.NaN, lat.medianMs(), seconds);
    }

    private static Row intRow(String method, QuantizedNetwork q, Path dir, long fp32Size, ImageSet test, Preprocessing prep, long t0,
            Consumer<String> log) {
        Evaluation fake = q.evaluate(test, prep);
        Int8Model m = q.convert();
        Path f = dir.resolve("seed-cnn-" + method + ".sqz8");
        m.write(f);
        Int8Model back = Int8Model.read(f); // evaluate what was written, not what is in memory
        Evaluation integer = IntegerReference.evaluate(back, test, prep);
        double agreement = integer.agreement(fake);
        double acc = integer.accuracy();
        BatchMaker maker = new BatchMaker(test, prep.withAugmentation(0, false));
        float[] one = maker.batch(0, 1);
        Latency lat = Measure.latency(() -> IntegerReference.predict(back, one, 1), 1, 10, 50);
        long size = Measure.fileSize(f);
        log.accept(String.format(Locale.ROOT, "%s: integer accuracy %s (fake-quant %s, agreement %s), %,d bytes", method, pct(acc),
                pct(fake.accuracy()), pct(agreement), size));
        return new Row(method, m.weightBits(), acc, size, (double) fp32Size / size, "integer", fake.accuracy(),
                agreement, lat.medianMs(), secs(t0));
    }

    private static Path dir(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + p + ": " + e.getMessage(), e);
        }
    }

    private static double secs(long t0) { return (System.nanoTime() - t0) / 1e9; }

    static String pct(double v) { return String.format(Locale.ROOT, "%.2f %%", 100 * v); }
}
