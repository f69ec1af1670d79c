package dev.squeeze.model;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

class ZooTest {
    static final int[] CIFAR = {3, 32, 32};
    static final int[] MNIST = {1, 28, 28};

    @Test
    void resnet18HasTheCifarVariantsParameterCount() {
        Architecture a = Zoo.resnet18(CIFAR, 10);
        assertEquals(11_173_962L, a.trainableParameters());
        assertArrayEquals(new int[] {10}, a.outputShape());
    }

    @Test
    void seedCnnShapesAndCount() {
        Architecture a = Zoo.seedCnn(CIFAR, 10);
        assertEquals(121_182L, a.trainableParameters());
        assertArrayEquals(new int[] {10}, a.outputShape());
        assertEquals(800, ((Layer.Linear) a.layers().get(7)).in());
    }

    @Test
    void kerasTeacherAndStudentOnMnist() {
        Architecture t = Zoo.kerasTeacher(MNIST, 10);
        Architecture s = Zoo.kerasStudent(MNIST, 10);
        // conv 1→256 (2,560) + conv 256→512 (1,180,160) + dense 7·7·512→10 (250,890): the Keras summary's figures.
        assertEquals(2_560L + 1_180_160L + 250_890L, t.trainableParameters());
        assertEquals(160L + 4_640L + 15_690L, s.trainableParameters());
        assertArrayEquals(new int[] {10}, t.outputShape());
    }

    @Test
    void lenet300100HasHansParameterCount() {
        Architecture a = Zoo.get("lenet-300-100", MNIST, 10);
        // 784·300 + 300 + 300·100 + 100 + 100·10 + 10, the count in Han et al. 2016's Table 2.
        assertEquals(266_610L, a.trainableParameters());
        assertArrayEquals(new int[] {10}, a.outputShape());
        assertEquals(784, ((Layer.Linear) a.layers().get(1)).in());
        assertEquals(3 * 32 * 32, ((Layer.Linear) Zoo.lenet300100(CIFAR, 10).layers().get(1)).in(), "in features follow the input shape");
    }

    @Test
    void liveDjlBlockAgreesWithTheDescription() {
        for (String name : Zoo.NAMES) {
            int[] in = name.startsWith("keras") || name.startsWith("lenet") ? MNIST : CIFAR;
            Architecture a = Zoo.get(name, in, 10);
            try (Network n = Network.create(a, 1)) {
                assertEquals(a.trainableParameters(), n.trainableParameters(), name);
                int per = in[0] * in[1] * in[2];
                float[] logits = n.logits(new float[2 * per], 2);
                assertEquals(20, logits.length, name);
            }
        }
    }

    @Test
    void mismatchedLayersFailWhenDescribed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Architecture("bad", CIFAR,
                java.util.List.of(Layer.Conv2d.of(3, 8, 3), new Layer.Linear(10, 2, true))));
        assertTrue(e.getMessage().contains("Flatten"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Architecture("bad", CIFAR, java.util.List.of(Layer.Conv2d.of(4, 8, 3))));
        assertTrue(e.getMessage().contains("input channels 3"), e.getMessage());
    }

    @Test
    void architectureJsonRoundTrips() {
        for (String name : Zoo.NAMES) {
            Architecture a = Zoo.get(name, CIFAR, 10);
            JsonObject j = ArchitectureJson.toJson(a);
            assertEquals(a, ArchitectureJson.fromJson(com.google.gson.JsonParser.parseString(j.toString()).getAsJsonObject()));
        }
    }

    @Test
    void sameSeedSameWeightsDifferentSeedDifferent() {
        Architecture a = Zoo.seedCnn(CIFAR, 10);
        try (Network x = Network.create(a, 7); Network y = Network.create(a, 7); Network z = Network.create(a, 8)) {
            float[] wx = x.parameters().get(0).values(), wy = y.parameters().get(0).values(), wz = z.parameters().get(0).values();
            assertArrayEquals(wx, wy);
            assertFalse(java.util.Arrays.equals(wx, wz));
            // PyTorch's default bound for conv1: 1/sqrt(3·5·5)
            double bound = 1 / Math.sqrt(75);
            for (float v : wx) assertTrue(Math.abs(v) <= bound, "init outside ±1/sqrt(fan_in): " + v);
        }
    }
}
