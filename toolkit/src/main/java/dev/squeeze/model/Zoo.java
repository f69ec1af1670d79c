package dev.squeeze.model;

import dev.squeeze.model.Layer.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The models Squeeze ships, by name. */
public final class Zoo {
    private Zoo() {}

    public static final List<String> NAMES = List.of("seed-cnn", "resnet18", "keras-teacher", "keras-student", "lenet-300-100");

    /** Builds a model description by zoo name for the given input shape {@code [C, H, W]}. */
    public static Architecture get(String name, int[] inputShape, int classes) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "seed-cnn" -> seedCnn(inputShape, classes);
            case "resnet18" -> resnet18(inputShape, classes);
            case "keras-teacher" -> kerasTeacher(inputShape, classes);
            case "keras-student" -> kerasStudent(inputShape, classes);
            case "lenet-300-100" -> lenet300100(inputShape, classes);
            default -> throw new IllegalArgumentException("Unknown model '" + name + "'; choose one of " + NAMES);
        };
    }

    /**
     * The seed CNN (PyTorch's CIFAR-10 tutorial net): conv 3→16 5×5, max-pool 2, conv 16→32 5×5,
     * max-pool 2, fc 800→120→84→10, ReLU after every conv and hidden fc. 121,182 parameters on
     * 3×32×32 inputs.
     */
    public static Architecture seedCnn(int[] in, int classes) {
        int c = in[0];
        int h = ((in[1] - 4) / 2 - 4) / 2, w = ((in[2] - 4) / 2 - 4) / 2;
        return new Architecture("seed-cnn", in, List.of(
                Conv2d.of(c, 16, 5), new Relu(), new MaxPool(2, 2, 0),
                Conv2d.of(16, 32, 5), new Relu(), new MaxPool(2, 2, 0),
                new Flatten(),
                new Linear(32 * h * w, 120, true), new Relu(),
                new Linear(120, 84, true), new Relu(),
                new Linear(84, classes, true)));
    }

    /**
     * ResNet18 for 32×32 inputs (He et al. 2016, CIFAR variant): 3×3 stem conv 64 + BN + ReLU, no
     * max-pool; BasicBlocks [2, 2, 2, 2] with 64, 128, 256, 512 channels, strides 1, 2, 2, 2;
     * 1×1 conv + BN projection shortcuts where shape changes; global average pool; fc 512→classes.
     * 11,173,962 trainable parameters for 10 classes.
     */
    public static Architecture resnet18(int[] in, int classes) {
        List<Layer> layers = new ArrayList<>();
        layers.add(new Conv2d(in[0], 64, 3, 1, 1, 1, false));
        layers.add(new BatchNorm(64));
        layers.add(new Relu());
        int channels = 64;
        int[] widths = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; stage++) {
            for (int block = 0; block < 2; block++) {
                int stride = (stage > 0 && block == 0) ? 2 : 1;
                int out = widths[stage];
                List<Layer> body = List.of(
                        new Conv2d(channels, out, 3, stride, 1, 1, false), new BatchNorm(out), new Relu(),
                        new Conv2d(out, out, 3, 1, 1, 1, false), new BatchNorm(out));
                List<Layer> shortcut = (stride != 1 || channels != out)
                        ? List.of(new Conv2d(channels, out, 1, stride, 0, 1, false), new BatchNorm(out))
                        : List.of();
                layers.add(new Residual(body, shortcut));
                layers.add(new Relu());
                channels = out;
            }
        }
        layers.add(new GlobalAvgPool());
        layers.add(new Flatten());
        layers.add(new Linear(512, classes, true));
        return new Architecture("resnet18", in, layers);
    }

    /**
     * The Keras knowledge-distillation example's teacher: Conv 256 3×3 stride 2 "same", LeakyReLU
     * 0.2, MaxPool 2 stride 1 "same", Conv 512 3×3 stride 2 "same", Flatten, Dense 10.
     *
     * <p>Keras' "same" pads asymmetrically (bottom/right) when the total padding is odd. Squeeze pads
     * symmetrically: the convolutions use padding 1 and the max-pool padding 0, which gives the same
     * 7×7 output on 28×28 inputs and the same parameter count; pixels shift by at most one.
     */
    public static Architecture kerasTeacher(int[] in, int classes) {
        return kerasStyle("keras-teacher", in, classes, 256, 512);
    }

    /** The Keras example's student: the teacher's shape with 16 and 32 channels. */
    public static Architecture kerasStudent(int[] in, int classes) {
        return kerasStyle("keras-student", in, classes, 16, 32);
    }

    private static Architecture kerasStyle(String name, int[] in, int classes, int c1, int c2) {
        int h = (in[1] + 2 - 3) / 2 + 1;
        int w = (in[2] + 2 - 3) / 2 + 1;
        h = h - 1; w = w - 1; // max-pool 2 stride 1, no padding
        h = (h + 2 - 3) / 2 + 1;
        w = (w + 2 - 3) / 2 + 1;
        return new Architecture(name, in, List.of(
                new Conv2d(in[0], c1, 3, 2, 1, 1, true), new LeakyRelu(0.2f), new MaxPool(2, 1, 0),
                new Conv2d(c1, c2, 3, 2, 1, 1, true), new Flatten(),
                new Linear(c2 * h * w, classes, true)));
    }

    /**
     * LeNet-300-100 (LeCun et al. 1998; the fully connected net of Han et al.'s Deep Compression):
     * Flatten, fc {@code C·H·W}→300 + ReLU, fc 300→100 + ReLU, fc 100→classes. Input {@code [N, C, H, W]},
     * output {@code [N, classes]}. 266,610 parameters on 1×28×28 inputs with 10 classes
     * (784·300 + 300 + 300·100 + 100 + 100·10 + 10).
     */
    public static Architecture lenet300100(int[] in, int classes) {
        int features = in[0] * in[1] * in[2];
        return new Architecture("lenet-300-100", in, List.of(
                new Flatten(),
                new Linear(features, 300, true), new Relu(),
                new Linear(300, 100, true), new Relu(),
                new Linear(100, classes, true)));
    }
}
