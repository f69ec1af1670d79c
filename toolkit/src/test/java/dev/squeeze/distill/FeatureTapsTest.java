package dev.squeeze.distill;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.squeeze.data.ImageSet;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.FeatureRecording;
import dev.squeeze.model.FeatureTaps;
import dev.squeeze.model.Layer;
import dev.squeeze.model.Layer.*;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.Objective;
import dev.squeeze.train.ObjectiveInput;
import dev.squeeze.train.Training;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Feature taps: torchvision-style names, per-image shapes, values and gradients equal to a hand-driven partial forward. */
class FeatureTapsTest {
    static final int[] SHAPE = {1, 8, 8};

    /**
     * A two-stage ResNet on 1×8×8: stem conv + BN + ReLU, {@code blocks} identity blocks of {@code width} channels,
     * one projection block to 2·width at stride 2, global pool, fc to 3 classes.
     */
    static Architecture tinyResnet(String name, int width, int blocks) {
        List<Layer> layers = new ArrayList<>(List.of(new Conv2d(1, width, 3, 1, 1, 1, false), new BatchNorm(width), new Relu()));
        for (int b = 0; b < blocks; b++) {
            layers.add(new Residual(List.of(new Conv2d(width, width, 3, 1, 1, 1, false), new BatchNorm(width), new Relu(),
                    new Conv2d(width, width, 3, 1, 1, 1, false), new BatchNorm(width)), List.of()));
            layers.add(new Relu());
        }
        layers.add(new Residual(List.of(new Conv2d(width, 2 * width, 3, 2, 1, 1, false), new BatchNorm(2 * width), new Relu(),
                new Conv2d(2 * width, 2 * width, 3, 1, 1, 1, false), new BatchNorm(2 * width)),
                List.of(new Conv2d(width, 2 * width, 1, 2, 0, 1, false), new BatchNorm(2 * width))));
        layers.add(new Relu());
        layers.addAll(List.of(new GlobalAvgPool(), new Flatten(), new Linear(2 * width, 3, true)));
        return new Architecture(name, SHAPE, layers);
    }

    static float[] random(long seed, int n) { return DistillationTermTest.random(seed, n, 1); }

    @Test
    void namesFollowTorchvisionAndShapesArePerImage() {
        FeatureTaps taps = FeatureTaps.of(tinyResnet("tiny", 8, 2));
        assertEquals(List.of("conv1", "bn1", "layer1.0.conv1", "layer1.0.bn1", "layer1.0.conv2", "layer1.0.bn2", "layer1.0",
                "layer1.1.conv1", "layer1.1.bn1", "layer1.1.conv2", "layer1.1.bn2", "layer1.1", "layer1",
                "layer2.0.conv1", "layer2.0.bn1", "layer2.0.conv2", "layer2.0.bn2", "layer2.0.downsample.0", "layer2.0.downsample.1",
                "layer2.0", "layer2", "fc"), taps.names());
        assertArrayEquals(new int[] {8, 8, 8}, taps.shape("layer1"));
        assertArrayEquals(new int[] {16, 4, 4}, taps.shape("layer2.0.downsample.0"));
        assertArrayEquals(new int[] {3}, taps.shape("fc"));
        FeatureTaps resnet = FeatureTaps.of(Zoo.resnet18(new int[] {3, 32, 32}, 10));
        assertArrayEquals(new int[] {256, 8, 8}, resnet.shape("layer3"));
        assertArrayEquals(new int[] {512, 4, 4}, resnet.shape("layer4.1"));
        assertEquals(List.of("conv1", "conv2", "fc"), FeatureTaps.of(Zoo.kerasStudent(new int[] {1, 28, 28}, 10)).names());
    }

    @Test
    void anUnknownNodeGivesOneErrorListingTheValidNames() {
        try (Network net = Network.create(tinyResnet("tiny", 8, 1), 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.recordFeatures(List.of("layer9")));
            assertTrue(e.getMessage().contains("'layer9'") && e.getMessage().contains("tiny"), e.getMessage());
            assertTrue(e.getMessage().contains(net.featureNodes().toString()), e.getMessage());
        }
    }

    /** Children 0..last of the top-level block, run one by one. */
    static NDArray prefix(Network net, NDArray x, int last, ParameterStore store, boolean training) {
        List<Block> children = net.djlModel().getBlock().getChildren().values();
        for (int i = 0; i <= last; i++) x = children.get(i).forward(store, new NDList(x), training).singletonOrThrow();
        return x;
    }

    @Test
    void recordedOutputsEqualAHandDrivenPartialForwardAndLogitsAreUnchanged() {
        try (Network net = Network.create(tinyResnet("tiny", 8, 1), 3); NDManager m = net.djlModel().getNDManager().newSubManager()) {
            NDArray x = m.create(FloatBuffer.wrap(random(4, 4 * 64)), new Shape(4, 1, 8, 8));
            ParameterStore store = new ParameterStore(m, false);
            Block block = net.djlModel().getBlock();
            float[] plain = block.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
            try (FeatureRecording r = net.recordFeatures(List.of("bn1", "layer1.0", "layer2.0.downsample.1", "layer2", "fc"))) {
                float[] logits = block.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
                assertArrayEquals(plain, logits, "recording must not change the forward pass");
                assertArrayEquals(prefix(net, x, 1, store, false).toFloatArray(), r.get("bn1").toFloatArray());
                // layer1.0 is taken after the ReLU that follows the residual block (children 3 and 4)
                assertArrayEquals(prefix(net, x, 4, store, false).toFloatArray(), r.get("layer1.0").toFloatArray());
                NDArray beforeStage2 = prefix(net, x, 4, store, false);
                Block shortcut = block.getChildren().values().get(5).getChildren().values().get(1);
                assertArrayEquals(shortcut.forward(store, new NDList(beforeStage2), false).singletonOrThrow().toFloatArray(),
                        r.get("layer2.0.downsample.1").toFloatArray());
                assertArrayEquals(prefix(net, x, 6, store, false).toFloatArray(), r.get("layer2").toFloatArray());
                assertArrayEquals(new long[] {4, 16, 4, 4}, r.get("layer2").getShape().getShape());
                assertArrayEquals(logits, r.get("fc").toFloatArray());
            }
            // closed: the plain path again, and nothing recorded
            assertArrayEquals(plain, block.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray());
        }
    }

    /** In a training pass the tapped array is part of the graph: its gradient reaches conv1 exactly as through a hand-driven pass. */
    @Test
    void aTrainingPassTapCarriesTheSameGradients() {
        try (Network net = Network.create(tinyResnet("tiny", 8, 1), 5); NDManager m = net.djlModel().getNDManager().newSubManager()) {
            NDArray x = m.create(FloatBuffer.wrap(random(6, 4 * 64)), new Shape(4, 1, 8, 8));
            Parameter conv1 = net.djlModel().getBlock().getParameters().get(0).getValue();
            float[] tapped, manual, tappedGrad, manualGrad;
            try (FeatureRecording r = net.recordFeatures(Set.of("layer1.0"))) {
                try (GradientCollector gc = net.djlModel().getNDManager().getEngine().newGradientCollector()) {
                    net.djlModel().getBlock().forward(new ParameterStore(m, false), new NDList(x), true);
                    NDArray f = r.get("layer1.0");
                    tapped = f.toFloatArray();
                    gc.backward(f.square().mean());
                }
            }
            tappedGrad = conv1.getArray().getGradient().toFloatArray();
            conv1.getArray().getGradient().muli(0);
            try (GradientCollector gc = net.djlModel().getNDManager().getEngine().newGradientCollector()) {
                NDArray f = prefix(net, x, 4, new ParameterStore(m, false), true);
                manual = f.toFloatArray();
                gc.backward(f.square().mean());
            }
            manualGrad = conv1.getArray().getGradient().toFloatArray();
            assertArrayEquals(manual, tapped, 1e-6f);
            assertTrue(Arrays.stream(box(tappedGrad)).anyMatch(v -> v != 0), "the tap must carry a gradient");
            assertArrayEquals(manualGrad, tappedGrad, 1e-6f);
        }
    }

    static Float[] box(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    /** Training.fit records what the objective's features() asks for, in the step's forward pass, and nothing else. */
    @Test
    void trainingFitHandsTheObjectiveItsFeatures() {
        ImageSet data = DistillerTest.synthetic(32, 1);
        Architecture arch = Zoo.kerasStudent(new int[] {1, 12, 12}, 3);
        List<long[]> seen = new ArrayList<>();
        Objective probe = new Objective() {
            @Override public NDArray loss(ObjectiveInput step) {
                seen.add(step.feature("conv2").getShape().getShape());
                assertThrows(IllegalArgumentException.class, () -> step.feature("conv1"));
                return Objective.crossEntropy().loss(step);
            }

            @Override public Set<String> features() { return Set.of("conv2"); }
        };
        try (Network net = Network.create(arch, 2)) {
            Training.fit(net, data, null, DistillerTest.config(1).optObjective(probe).build());
        }
        assertEquals(2, seen.size());
        assertArrayEquals(new long[] {16, 32, 3, 3}, seen.get(0));
    }
}
