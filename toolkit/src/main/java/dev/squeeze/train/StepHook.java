package dev.squeeze.train;

import dev.squeeze.model.Network;

/**
 * Called after every optimizer step, inside the training loop: the lambda form of
 * {@link TrainingHook#afterStep} ({@link TrainConfig.Builder#addHook(StepHook)}). Hooks that need
 * gradients, epoch boundaries or in-place masks implement {@link TrainingHook}.
 */
@FunctionalInterface
public interface StepHook {
    /**
     * @param net the network being trained (its weights already updated by this step)
     * @param epoch 0-based epoch
     * @param step 0-based optimizer step counted over the whole run
     */
    void afterStep(Network net, int epoch, int step);
}
