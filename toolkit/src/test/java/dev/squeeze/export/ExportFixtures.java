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

    static final List<String> TEN = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9");

    /**
     * {@code n} images of {@code c×h×w}, labels {@code i % 10}: a bright blob whose position (one of ten
     * around the centre) and dominant channel give the class, jittered, on a noisy background — a task
     * a small net learns in seconds, with varied conv features as on photos.
     */
    static ImageSet images(int n, int c, int h, int w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * c * h * w];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = i % 10;
            labels[i] = label;
            double angle = 2 * Math.PI * label / 10;
            double cy = h / 2.0 + 0.3 * h * Math.sin(angle) + (r.nextDouble() - 0.5) * 3;
            double cx = w / 2.0 + 0.3 * w * Math.cos(angle) + (r.nextDouble() - 0.5) * 3;
            double rad = h / 6.0 * (0.8 + 0.4 * r.nextDouble());
            for (int ch = 0; ch < c; ch++) {
                double amp = (ch == label % c ? 170 : 60) * (0.7 + 0.6 * r.nextDouble());
                double base = r.nextDouble() * 40;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double d2 = ((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (rad * rad);
                        int v = (int) Math.min(255, base + amp * Math.exp(-d2) + r.nextInt(30));
                        px[((i * c + ch) * h + y) * w + x] = (byte) v;
                    }
                }
            }
        }
        return new ImageSet("synthetic", px, labels, c, h, w, TEN);
    }
}
