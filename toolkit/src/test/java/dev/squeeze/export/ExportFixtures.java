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

    /** {@link Network#create} with random BatchNorm statistics (γ, var in [0.6, 1.4], β, mean in ±0.3) so that BN matters. */
    static Network network(Architecture a, long seed) {
        Network net = Network.create(a, seed);
        SplittableRandom r = new SplittableRandom(seed);
        for (NamedTensor t : net.parameters()) {
            float[] v = t.values();
            switch (t.type()) {
                case "GAMMA", "RUNNING_VAR" -> { for (int i = 0; i < v.length; i++) v[i] = (float) (0.6 + 0.8 * r.nextDouble()); }
                case "BETA", "RUNNING_MEAN" -> { for (int i = 0; i < v.length; i++) v[i] = (float) (0.3 * (r.nextDouble() * 2 - 1)); }
                default -> { continue; }
            }
            net.setParameter(t.name(), v);
        }
        return net;
    }

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
