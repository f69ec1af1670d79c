package dev.squeeze.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.FeatureRecording;
import dev.squeeze.model.Network;
import java.nio.FloatBuffer;
import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs a teacher network forward in inference mode (BatchNorm on running statistics, as Keras'
 * {@code teacher(x, training=False)}) with libtorch's autograd switched off for the call
 * ({@code torch.no_grad()}: {@link JniUtils#setGradMode}, thread-local, restored afterwards). No graph is
 * recorded even inside the student's {@code GradientCollector}, so the teacher's logits are leaves:
 * no gradient can reach the teacher, and its weights are never handed to the student's optimizer.
 */
final class FrozenTeacher {
    private final Network network;

    FrozenTeacher(Network network) { this.network = network; }

    Network network() { return network; }

    /** The teacher's logits for {@code inputs} (N×C×H×W), in {@code inputs}' manager, without gradients. */
    NDArray logits(NDArray inputs) {
        return noGrad(() -> network.djlModel().getBlock()
                .forward(new ParameterStore(inputs.getManager(), false), new NDList(inputs), false).singletonOrThrow());
    }

    /** The teacher's logits and the outputs of {@code nodes} (none: logits only) for {@code inputs}, without gradients. */
    Outputs forward(NDArray inputs, Collection<String> nodes) { return forward(network, inputs, nodes); }

    /** Logits and recorded node outputs of one pass. */
    record Outputs(NDArray logits, Map<String, NDArray> features) {}

    /** An inference-mode, no-grad pass of {@code network} recording {@code nodes}: the teacher's, and the student's when evaluating. */
    static Outputs forward(Network network, NDArray inputs, Collection<String> nodes) {
        return noGrad(() -> {
            if (nodes.isEmpty()) return new Outputs(logits(network, inputs), Map.of());
            try (FeatureRecording r = network.recordFeatures(nodes)) {
                NDArray logits = logits(network, inputs);
                return new Outputs(logits, r.features());
            }
        });
    }

    private static NDArray logits(Network network, NDArray inputs) {
        return network.djlModel().getBlock().forward(new ParameterStore(inputs.getManager(), false), new NDList(inputs), false)
                .singletonOrThrow();
    }

    /**
     * The teacher's logits for every image of {@code set}, unaugmented, row {@code i} for image {@code i}
     * ({@code set.size() × classes}).
     */
    float[] logitsOf(ImageSet set, Preprocessing preprocessing, int batchSize) {
        BatchMaker maker = new BatchMaker(set, preprocessing.withAugmentation(0, false));
        int[] in = network.architecture().inputShape();
        int classes = network.architecture().numClasses();
        int n = set.size();
        float[] out = new float[n * classes];
        for (int from = 0; from < n; from += batchSize) {
            int count = Math.min(batchSize, n - from);
            float[] x = maker.batch(from, count);
            try (NDManager m = network.djlModel().getNDManager().newSubManager()) {
                NDArray input = m.create(FloatBuffer.wrap(x, 0, count * in[0] * in[1] * in[2]), new Shape(count, in[0], in[1], in[2]));
                float[] l = logits(input).toFloatArray();
                System.arraycopy(l, 0, out, from * classes, count * classes);
            }
        }
        return out;
    }

    static <T> T noGrad(Supplier<T> body) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(previous);
        }
    }
}
