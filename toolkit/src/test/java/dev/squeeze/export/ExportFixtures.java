package dev.squeeze.export;

import dev.squeeze.data.ImageSet;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Layer.*;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import java.util.List;
import java.util.SplittableRandom;

/** Models, weights and synthetic images for the export tests. */
final class ExportFixtures {
    private ExportFixtures() {}

    /** The quantization fixtures' small ResNet with an average pool that pads (3×3, stride 1, padding 1). */
    static Architecture tinyResNet() { return dev.squeeze.quant.Int8Fixtures.tinyResNet(1, new AvgPool(3, 1, 1)); }

    /** The same at 16/32 channels, for tests that train it (see {@code Int8Fixtures.trainableTinyResNet}). */
    static Architecture trainableTinyResNet() { return dev.squeeze.quant.Int8Fixtures.trainableTinyResNet(new AvgPool(3, 1, 1)); }

    /** {@link dev.squeeze.quant.Int8Fixtures#network}: random weights and BatchNorm statistics. */
    static Network network(Architecture a, long seed) { return dev.squeeze.quant.Int8Fixtures.network(a, seed); }

    /** Uniform random inputs in [-2, 2]. */
    static float[] randomInput(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 4 - 2);
        return x;
    }

    /** The quantization tests' learnable synthetic images (see {@code Int8Fixtures#images}). */
    static ImageSet images(int n, int c, int h, int w, long seed) {
        return dev.squeeze.quant.Int8Fixtures.images(n, c, h, w, seed);
    }
}
