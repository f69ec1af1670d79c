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

    /**
     * A small ResNet-like model with every layer kind: conv + BN + ReLU, max-pool with padding, an
     * identity residual, a projection residual with a grouped conv and LeakyReLU inside, average pool
     * with padding, standalone LeakyReLU, global average pool, flatten, fc + ReLU, fc.
     */
    static Architecture tinyResNet() {
        List<Layer> layers = List.of(
                new Conv2d(3, 8, 3, 1, 1, 1, false), new BatchNorm(8), new Relu(),
                new MaxPool(3, 2, 1),
                new Residual(List.of(new Conv2d(8, 8, 3, 1, 1, 1, false), new BatchNorm(8), new Relu(),
                        new Conv2d(8, 8, 3, 1, 1, 1, false), new BatchNorm(8)), List.of()),
                new Relu(),
                new Residual(List.of(new Conv2d(8, 16, 3, 2, 1, 1, false), new BatchNorm(16), new LeakyRelu(0.1f),
                        new Conv2d(16, 16, 3, 1, 1, 2, false), new BatchNorm(16)),
                        List.of(new Conv2d(8, 16, 1, 2, 0, 1, false), new BatchNorm(16))),
                new Relu(),
                new AvgPool(3, 1, 1), new LeakyRelu(0.2f),
                new GlobalAvgPool(), new Flatten(),
                new Linear(16, 24, true), new Relu(),
                new Linear(24, 10, true));
        return new Architecture("tiny-resnet", new int[] {3, 16, 16}, layers);
    }

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
