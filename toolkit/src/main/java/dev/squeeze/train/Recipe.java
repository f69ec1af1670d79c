package dev.squeeze.train;

import dev.squeeze.data.Preprocessing;
import java.util.Locale;

/**
 * A named training recipe: data limits, epochs and optimiser for one (model, data set, budget).
 *
 * @param trainLimit training images to use (seeded, stratified subset); {@code Integer.MAX_VALUE} = all
 * @param testLimit test images to evaluate on; {@code Integer.MAX_VALUE} = all
 */
public record Recipe(String model, String dataset, Budget budget, int trainLimit, int testLimit, int epochs,
        int batchSize, OptimizerConfig optimizer, LrSchedule schedule, Preprocessing preprocessing) {

    public static final int ALL = Integer.MAX_VALUE;

    public Recipe {
        if (trainLimit < 1 || testLimit < 1) throw new IllegalArgumentException("Recipe limits must be ≥ 1, got " + trainLimit + "/" + testLimit);
        if (epochs < 1) throw new IllegalArgumentException("Recipe.epochs must be ≥ 1, got " + epochs);
    }

    public static Recipe of(String model, String dataset, Budget budget) {
        String m = model.toLowerCase(Locale.ROOT), d = dataset.toLowerCase(Locale.ROOT);
        boolean mnistLike = d.equals("mnist") || d.equals("fashion-mnist");
        if (m.equals("resnet18")) {
            // He et al.'s CIFAR recipe (SGD 0.1, momentum 0.9, wd 5e-4, crop+flip), cosine over the run.
            OptimizerConfig sgd = OptimizerConfig.sgd(0.1f, 0.9f).withWeightDecay(5e-4f);
            Preprocessing p = mnistLike ? Preprocessing.halfHalf() : Preprocessing.cifarAugmented();
            return switch (budget) {
                case QUICK -> new Recipe(m, d, budget, 256, 256, 1, 32, OptimizerConfig.sgd(0.01f, 0.9f), new LrSchedule.Constant(), p);
                case STANDARD -> new Recipe(m, d, budget, 10_000, ALL, 5, 128, sgd, new LrSchedule.Cosine(0f), p);
                case FULL -> new Recipe(m, d, budget, ALL, ALL, 20, 128, sgd, new LrSchedule.Cosine(0f), p);
            };
        }
        if (m.equals("mobilenetv2") || m.equals("shufflenetv2")) {
            // Few MACs (88 M / 45 M per 32×32 image) but slow to train on CPU: libtorch's depthwise
            // convolutions and their gradients ran at about 9 images per CPU-second for MobileNetV2 on
            // the project's Zen 5 machine (the oneDNN cap in force), so the seed's quick recipe (30,000
            // image passes) would take about 55 CPU-minutes. Quick: three epochs over 2,000 images with
            // SGD 0.05 (at the seed's 0.01 for one epoch both nets stayed at chance, 10 %; ShuffleNetV2 reached
            // 26 % with this on the project's machine), the seed's preprocessing; standard and full: ResNet18's recipe.
            OptimizerConfig sgd = OptimizerConfig.sgd(0.1f, 0.9f).withWeightDecay(5e-4f);
            Preprocessing p = mnistLike ? Preprocessing.halfHalf() : Preprocessing.cifarAugmented();
            return switch (budget) {
                case QUICK -> new Recipe(m, d, budget, 2_000, 500, 3, 64, OptimizerConfig.sgd(0.05f, 0.9f), new LrSchedule.Constant(),
                        Preprocessing.halfHalf());
                case STANDARD -> new Recipe(m, d, budget, 10_000, ALL, 5, 128, sgd, new LrSchedule.Cosine(0f), p);
                case FULL -> new Recipe(m, d, budget, ALL, ALL, 20, 128, sgd, new LrSchedule.Cosine(0f), p);
            };
        }
        if (m.startsWith("keras-")) {
            // The Keras distillation example: Adam 1e-3, batch 64, pixels scaled to [0, 1].
            OptimizerConfig adam = OptimizerConfig.adam(1e-3f);
            Preprocessing p = Preprocessing.unitScale();
            return switch (budget) {
                case QUICK -> new Recipe(m, d, budget, 2_000, 500, 1, 64, adam, new LrSchedule.Constant(), p);
                case STANDARD -> new Recipe(m, d, budget, ALL, ALL, 3, 64, adam, new LrSchedule.Constant(), p);
                case FULL -> new Recipe(m, d, budget, ALL, ALL, 10, 64, adam, new LrSchedule.Constant(), p);
            };
        }
        // The seed's recipe: SGD 0.01 momentum 0.9, batch 64, mean 0.5 std 0.5, no augmentation, 10 epochs.
        OptimizerConfig sgd = OptimizerConfig.sgd(0.01f, 0.9f);
        Preprocessing p = Preprocessing.halfHalf();
        return switch (budget) {
            case QUICK -> new Recipe(m, d, budget, 10_000, 1_000, 3, 64, sgd, new LrSchedule.Constant(), p);
            case STANDARD -> new Recipe(m, d, budget, ALL, ALL, 10, 64, sgd, new LrSchedule.Constant(), p);
            case FULL -> new Recipe(m, d, budget, ALL, ALL, 20, 64, sgd, new LrSchedule.Cosine(0f), p);
        };
    }

    public Recipe withTrainLimit(int limit) {
        return new Recipe(model, dataset, budget, limit, testLimit, epochs, batchSize, optimizer, schedule, preprocessing);
    }
    public Recipe withTestLimit(int limit) {
        return new Recipe(model, dataset, budget, trainLimit, limit, epochs, batchSize, optimizer, schedule, preprocessing);
    }
    public Recipe withEpochs(int e) {
        return new Recipe(model, dataset, budget, trainLimit, testLimit, e, batchSize, optimizer, schedule, preprocessing);
    }
    public Recipe withBatchSize(int b) {
        return new Recipe(model, dataset, budget, trainLimit, testLimit, epochs, b, optimizer, schedule, preprocessing);
    }
    public Recipe withOptimizer(OptimizerConfig o) {
        return new Recipe(model, dataset, budget, trainLimit, testLimit, epochs, batchSize, o, schedule, preprocessing);
    }

    /** A training config for this recipe with the given seed. */
    public TrainConfig.Builder trainConfig(long seed) {
        return TrainConfig.builder().setEpochs(epochs).setOptimizer(optimizer).optBatchSize(batchSize).optSchedule(schedule)
                .optPreprocessing(preprocessing).optSeed(seed);
    }

    @Override public String toString() {
        return model + " on " + dataset + " (" + budget.id() + "): " + (trainLimit == ALL ? "all" : trainLimit) + " train / "
                + (testLimit == ALL ? "all" : testLimit) + " test images, " + epochs + " epochs, batch " + batchSize + ", " + optimizer;
    }
}
