package dev.squeeze.bench;

import dev.squeeze.train.Budget;
import dev.squeeze.train.Experiment;
import dev.squeeze.train.Progress;
import dev.squeeze.train.Recipe;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The weights the benchmark runs: each zoo model trained on CIFAR-10 with the budget's recipe
 * ({@link Recipe#of}), from one seed, so every runtime sees exactly the same trained network.
 *
 * <p>At the {@code quick} budget ResNet18 trains on 256 images for one epoch, MobileNetV2 and
 * ShuffleNetV2 on 2,000 for three: their accuracy is far from trained (ShuffleNetV2 about 26 %), so their
 * {@code top1_agreement} says whether runtimes compute the same function, not how good the model is. Its BatchNorm statistics are real running averages, so BatchNorm folding is exercised.
 */
public final class BenchModels {
    private BenchModels() {}

    /**
     * Trains {@code model} on CIFAR-10 (data from {@code $SQUEEZE_DATA}, see {@code dev.squeeze.data.Datasets}).
     * The caller owns the returned network: close it when done.
     */
    public static BenchModel train(String model, Budget budget, long seed, PrintStream log) {
        Recipe recipe = Recipe.of(model, "cifar10", budget);
        log.println("bench: training " + recipe + ", seed " + seed);
        Experiment e = Experiment.run(recipe, seed, Progress.console());
        double acc = e.result().testAccuracy();
        log.println(String.format(Locale.ROOT, "bench: %s trained in %.0f s, test accuracy %.3f on %d images", model, e.result().seconds(),
                acc, e.test().size()));
        String provenance = recipe + ", seed " + seed + String.format(Locale.ROOT, ", test accuracy %.4f on %d images", acc, e.test().size());
        if (budget == Budget.QUICK && java.util.List.of("resnet18", "mobilenetv2", "shufflenetv2").contains(recipe.model())) {
            provenance += "; briefly trained for timing only: agreement checks identical computation, not model quality";
        }
        return new BenchModel(recipe.model(), e.network(), recipe.preprocessing(), e.train(), acc, provenance);
    }
}
