package dev.squeeze.bench;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;

/**
 * One model under test: the float network every runtime is built from, so that all runtimes run the
 * same weights.
 *
 * @param name zoo name, e.g. {@code "seed-cnn"}
 * @param network the trained (or deliberately untrained) float network; owned by the harness
 * @param preprocessing how test bytes become this model's inputs (no augmentation)
 * @param calibration training images an int8 runtime may calibrate on (never the agreement images)
 * @param testAccuracy the network's accuracy from training, {@code NaN} when untrained
 * @param provenance one line: how the weights came to be (recipe, seed, epochs), for the report
 */
public record BenchModel(String name, Network network, Preprocessing preprocessing, ImageSet calibration, double testAccuracy,
        String provenance) {

    /** {@code [C, H, W]} of one input image. */
    public int[] inputShape() { return network.architecture().inputShape(); }

    /** Floats per input image, {@code C·H·W}. */
    public int inputSize() {
        int[] s = inputShape();
        return s[0] * s[1] * s[2];
    }

    public int classes() { return network.architecture().numClasses(); }
}
