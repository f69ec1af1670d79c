package dev.squeeze.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.pytorch.jni.JniUtils;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import org.junit.jupiter.api.Test;

class DjlRuntimeTest {

    @Test
    void runIsNetworkLogitsAndPrepareSetsLibtorchThreads() {
        try (Network net = Network.create(Zoo.seedCnn(new int[] {3, 32, 32}, 10), 3); DjlRuntime r = new DjlRuntime(net)) {
            float[] x = Nd4jRuntimeTest.randomInput(2 * 3 * 32 * 32, 5);
            for (int threads : new int[] {1, 2, 1}) {
                r.prepare(2, threads);
                assertEquals(threads, JniUtils.getNumThreads(), "libtorch intra-op threads after prepare");
                assertArrayEquals(net.logits(x, 2), r.run(x, 2), 0f);
            }
            assertEquals("libtorch 1 intra-op, 1 inter-op", r.note());
        }
    }
}
