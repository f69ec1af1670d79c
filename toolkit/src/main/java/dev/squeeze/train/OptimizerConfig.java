package dev.squeeze.train;

/**
 * Optimizer and its hyper-parameters.
 *
 * @param kind SGD (with momentum) or Adam
 * @param learningRate base learning rate (> 0), shaped by the {@link LrSchedule}
 * @param momentum SGD momentum in [0, 1); ignored by Adam
 * @param weightDecay L2 penalty ≥ 0
 */
public record OptimizerConfig(Kind kind, float learningRate, float momentum, float weightDecay) {
    public enum Kind { SGD, ADAM }

    public OptimizerConfig {
        if (!(learningRate > 0)) throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weightDecay must be ≥ 0, got " + weightDecay);
    }

    public static OptimizerConfig sgd(float lr, float momentum) { return new OptimizerConfig(Kind.SGD, lr, momentum, 0f); }
    public static OptimizerConfig adam(float lr) { return new OptimizerConfig(Kind.ADAM, lr, 0f, 0f); }
    public OptimizerConfig withWeightDecay(float wd) { return new OptimizerConfig(kind, learningRate, momentum, wd); }
    public OptimizerConfig withLearningRate(float lr) { return new OptimizerConfig(kind, lr, momentum, weightDecay); }

    @Override public String toString() {
        return kind == Kind.SGD ? "SGD lr " + learningRate + " momentum " + momentum + (weightDecay > 0 ? " wd " + weightDecay : "")
                : "Adam lr " + learningRate + (weightDecay > 0 ? " wd " + weightDecay : "");
    }
}
