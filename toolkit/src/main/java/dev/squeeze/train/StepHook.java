package dev.squeeze.train;

import dev.squeeze.model.Network;

/**
 * Called after every optimizer step, inside the training loop. Pruning re-applies its masks here so
 * pruned weights stay zero through fine-tuning; QAT updates observers and freezes BatchNorm here.
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
