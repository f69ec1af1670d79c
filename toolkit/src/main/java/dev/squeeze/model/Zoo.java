package dev.squeeze.model;

import dev.squeeze.model.Layer.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The models Squeeze ships, by name. */
public final class Zoo {
    private Zoo() {}

    public static final List<String> NAMES = List.of("seed-cnn", "resnet18", "keras-teacher", "keras-student", "lenet-300-100",
            "mobilenetv2", "shufflenetv2");

    /** Builds a model description by zoo name for the given input shape {@code [C, H, W]}. */
    public static Architecture get(String name, int[] inputShape, int classes) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "seed-cnn" -> seedCnn(inputShape, classes);
            case "resnet18" -> resnet18(inputShape, classes);
            case "keras-teacher" -> kerasTeacher(inputShape, classes);
            case "keras-student" -> kerasStudent(inputShape, classes);
            case "lenet-300-100" -> lenet300100(inputShape, classes);
            case "mobilenetv2" -> mobileNetV2(inputShape, classes);
            case "shufflenetv2" -> shuffleNetV2(inputShape, classes);
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

    /**
     * MobileNetV2 (Sandler et al. 2018) for 32×32 inputs, as the common CIFAR variant: the stem conv
     * and the second stage keep stride 1 (ImageNet's 224×224 net downsamples 32× before the pool; at
     * 32×32 that would leave 1×1 maps). Stem conv 3×3 → 32 + BN + ReLU6; inverted residual blocks
     * {@code (expansion t, channels c, repeats n, stride s)} = (1,16,1,1) (6,24,2,1) (6,32,3,2)
     * (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1), each a 1×1 expansion conv + BN + ReLU6 (absent for
     * t = 1), a depthwise 3×3 conv + BN + ReLU6 and a linear 1×1 projection conv + BN, with the identity
     * shortcut where stride is 1 and channels are unchanged; conv 1×1 → 1280 + BN + ReLU6; global
     * average pool; fc 1280→classes. Bias-free convolutions, as torchvision's.
     */
    public static Architecture mobileNetV2(int[] in, int classes) {
        int[][] settings = {{1, 16, 1, 1}, {6, 24, 2, 1}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
        List<Layer> layers = new ArrayList<>(List.of(new Conv2d(in[0], 32, 3, 1, 1, 1, false), new BatchNorm(32), new Relu6()));
        int channels = 32;
        for (int[] st : settings) {
            for (int i = 0; i < st[2]; i++) {
                int stride = i == 0 ? st[3] : 1;
                int hidden = channels * st[0];
                List<Layer> body = new ArrayList<>();
                if (st[0] != 1) body.addAll(List.of(new Conv2d(channels, hidden, 1, 1, 0, 1, false), new BatchNorm(hidden), new Relu6()));
                body.addAll(List.of(new Conv2d(hidden, hidden, 3, stride, 1, hidden, false), new BatchNorm(hidden), new Relu6(),
                        new Conv2d(hidden, st[1], 1, 1, 0, 1, false), new BatchNorm(st[1])));
                if (stride == 1 && channels == st[1]) layers.add(new Residual(body, List.of()));
                else layers.addAll(body);
                channels = st[1];
            }
        }
        layers.addAll(List.of(new Conv2d(channels, 1280, 1, 1, 0, 1, false), new BatchNorm(1280), new Relu6(),
                new GlobalAvgPool(), new Flatten(), new Linear(1280, classes, true)));
        return new Architecture("mobilenetv2", in, layers);
    }

    /**
     * ShuffleNetV2 1.0× (Ma et al. 2018) for 32×32 inputs: stem conv 3×3 → 24 + BN + ReLU with stride 1
     * and no max-pool (the CIFAR variant); stages of 4, 8 and 4 units with 116, 232 and 464 channels;
     * conv 1×1 → 1024 + BN + ReLU; global average pool; fc 1024→classes. A stage's first unit halves the
     * resolution: {@code concat(branch1(x), branch2(x))} with branch1 = depthwise 3×3 /2 + BN + 1×1 conv
     * + BN + ReLU and branch2 = 1×1 conv + BN + ReLU + depthwise 3×3 /2 + BN + 1×1 conv + BN + ReLU. The
     * other units split the channels in two halves, keep the first and send the second through branch2
     * (stride 1). Every unit ends with a channel shuffle of 2 groups. Bias-free convolutions, as torchvision's.
     */
    public static Architecture shuffleNetV2(int[] in, int classes) {
        int[] repeats = {4, 8, 4};
        int[] widths = {116, 232, 464};
        List<Layer> layers = new ArrayList<>(List.of(new Conv2d(in[0], 24, 3, 1, 1, 1, false), new BatchNorm(24), new Relu()));
        int channels = 24;
        for (int stage = 0; stage < 3; stage++) {
            int out = widths[stage], half = out / 2;
            for (int i = 0; i < repeats[stage]; i++) {
                if (i == 0) {
                    List<Layer> branch1 = List.of(new Conv2d(channels, channels, 3, 2, 1, channels, false), new BatchNorm(channels),
                            new Conv2d(channels, half, 1, 1, 0, 1, false), new BatchNorm(half), new Relu());
                    List<Layer> branch2 = List.of(new Conv2d(channels, half, 1, 1, 0, 1, false), new BatchNorm(half), new Relu(),
                            new Conv2d(half, half, 3, 2, 1, half, false), new BatchNorm(half),
                            new Conv2d(half, half, 1, 1, 0, 1, false), new BatchNorm(half), new Relu());
                    layers.add(new Concat(List.of(branch1, branch2)));
                } else {
                    List<Layer> branch2 = List.of(new ChannelSlice(half, out),
                            new Conv2d(half, half, 1, 1, 0, 1, false), new BatchNorm(half), new Relu(),
                            new Conv2d(half, half, 3, 1, 1, half, false), new BatchNorm(half),
                            new Conv2d(half, half, 1, 1, 0, 1, false), new BatchNorm(half), new Relu());
                    layers.add(new Concat(List.of(List.of(new ChannelSlice(0, half)), branch2)));
                }
                layers.add(new ChannelShuffle(2));
                channels = out;
            }
        }
        layers.addAll(List.of(new Conv2d(channels, 1024, 1, 1, 0, 1, false), new BatchNorm(1024), new Relu(),
                new GlobalAvgPool(), new Flatten(), new Linear(1024, classes, true)));
        return new Architecture("shufflenetv2", in, layers);
    }
}
