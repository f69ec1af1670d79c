package dev.squeeze.prune.compress;

import static org.junit.jupiter.api.Assertions.*;

import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.NamedTensor;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import dev.squeeze.train.OptimizerConfig;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline on a small LeNet-300-100: files per stage, exact decoding, centroid fine-tuning's invariants. */
class DeepCompressionTest {
    static final int[] SHAPE = {1, 12, 12};
    @TempDir Path dir;

    /** Three classes told apart by which third of the image is bright. */
    static ImageSet synthetic(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * 144];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int y = 0; y < 12; y++) for (int x = 0; x < 12; x++) px[i * 144 + y * 12 + x] = (byte) (r.nextInt(60) + (x / 4 == labels[i] ? 150 : 0));
        }
        return new ImageSet("synthetic", px, labels, 1, 12, 12, List.of("left", "middle", "right"));
    }

    /** Zeroes all but the largest {@code keep} fraction of each weight by magnitude. */
    static void pruneByMagnitude(Network net, double keep) {
        for (String name : DeepCompression.weightNames(net)) {
            float[] w = net.parameters().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow().values();
            float[] mags = new float[w.length];
            for (int i = 0; i < w.length; i++) mags[i] = Math.abs(w[i]);
            Arrays.sort(mags);
            float threshold = mags[(int) Math.floor((1 - keep) * (w.length - 1))];
            for (int i = 0; i < w.length; i++) if (Math.abs(w[i]) <= threshold) w[i] = 0f;
            net.setParameter(name, w);
        }
    }

    static TrainConfig.Builder config() {
        return TrainConfig.builder().setEpochs(1).setOptimizer(OptimizerConfig.adam(1e-3f)).optBatchSize(16).optSeed(3)
                .optPreprocessing(Preprocessing.unitScale()).optProgress(Progress.silent()).optEvaluateEachEpoch(false);
    }

    @Test
    void centroidFineTuningMovesCentroidsKeepsAssignmentsAndPrunedZeros() {
        try (Network net = Network.create(Zoo.lenet300100(SHAPE, 3), 5)) {
            pruneByMagnitude(net, 0.1);
            Map<String, SharedWeights> before = DeepCompression.share(net, 3);
            CentroidFineTuning tuning = new CentroidFineTuning(before, 1e-3f);
            Training.fit(net, synthetic(96, 1), null, config().addHook(tuning).build());
            Map<String, SharedWeights> after = tuning.shared();
            boolean moved = false;
            for (NamedTensor t : net.parameters()) {
                SharedWeights b = before.get(t.name());
                if (b == null) continue;
                SharedWeights a = after.get(t.name());
                assertArrayEquals(b.clusters(), a.clusters(), "assignments never change");
                moved |= !Arrays.equals(b.centroids(), a.centroids());
                float[] v = t.values(), expected = a.values();
                for (int i = 0; i < v.length; i++) {
                    if (b.clusters()[i] == SharedWeights.PRUNED) assertTrue(v[i] == 0f, t.name() + "[" + i + "] was pruned but is " + v[i]);
                    assertEquals(expected[i], v[i], t.name() + "[" + i + "]: the network holds exactly the centroid");
                }
            }
            assertTrue(moved, "the summed gradients should move some centroid");
        }
    }

    /** Han et al.'s update, checked on one step: each centroid moves by −lr · (sum of its weights' gradients). */
    @Test
    void centroidStepIsTheSummedGradient() {
        try (Network net = Network.create(Zoo.lenet300100(SHAPE, 3), 11)) {
            pruneByMagnitude(net, 0.2);
            Map<String, SharedWeights> before = DeepCompression.share(net, 2);
            Map<String, float[]> gradients = new java.util.LinkedHashMap<>();
            // Added first, so it reads the gradients before CentroidFineTuning zeroes them.
            dev.squeeze.train.TrainingHook recorder = new dev.squeeze.train.TrainingHook() {
                @Override public void beforeStep(dev.squeeze.train.TrainingState s) { for (String n : before.keySet()) gradients.put(n, s.gradient(n)); }
            };
            float lr = 0.01f;
            CentroidFineTuning tuning = new CentroidFineTuning(before, lr);
            // 16 images, batch 16: exactly one step.
            Training.fit(net, synthetic(16, 4), null, config().addHook(recorder).addHook(tuning).build());
            for (var e : before.entrySet()) {
                float[] g = gradients.get(e.getKey()), c0 = e.getValue().centroids(), c1 = tuning.shared().get(e.getKey()).centroids();
                int[] clusters = e.getValue().clusters();
                double[] sum = new double[c0.length];
                for (int i = 0; i < g.length; i++) if (clusters[i] != SharedWeights.PRUNED) sum[clusters[i]] += g[i];
                for (int k = 0; k < c0.length; k++) assertEquals(c0[k] - lr * sum[k], c1[k], 1e-6, e.getKey() + " centroid " + k);
            }
        }
    }

    @Test
    void stagesAreRealFilesThatDecodeToTheSharedWeightsAndTheSameLogits() throws Exception {
        try (Network net = Network.create(Zoo.lenet300100(SHAPE, 3), 7); Network fresh = Network.create(Zoo.lenet300100(SHAPE, 3), 99)) {
            List<NamedTensor> dense = net.parameters();
            pruneByMagnitude(net, 0.08);
            List<NamedTensor> pruned = net.parameters();
            Map<String, SharedWeights> shared = DeepCompression.share(net, 4);
            for (var e : shared.entrySet()) net.setParameter(e.getKey(), e.getValue().values());
            List<DeepCompression.Stage> stages = DeepCompression.writeStages(dir, "lenet", dense, pruned, net.parameters(), shared);
            assertEquals(List.of("dense", "pruned", "shared", "huffman"), stages.stream().map(DeepCompression.Stage::stage).toList());
            for (DeepCompression.Stage s : stages) assertEquals(Files.size(s.file()), s.bytes(), s.stage());
            for (int i = 1; i < stages.size(); i++) {
                assertTrue(stages.get(i).bytes() < stages.get(i - 1).bytes(), "each stage is smaller: " + stages);
            }
            assertTrue(stages.get(0).bytes() > 4 * Zoo.lenet300100(SHAPE, 3).trainableParameters(), "the dense file holds every float");

            Map<String, float[]> decoded = DeepCompression.read(stages.get(3).file());
            for (NamedTensor t : net.parameters()) assertArrayEquals(t.values(), decoded.get(t.name()), t.name() + " decodes exactly");
            Map<String, float[]> prunedBack = DeepCompression.read(stages.get(1).file());
            for (NamedTensor t : pruned) {
                float[] v = t.values();
                for (int i = 0; i < v.length; i++) if (v[i] == 0f) v[i] = 0f; // -0.0 → +0.0: sparse files store zeros as zeros
                assertArrayEquals(v, prunedBack.get(t.name()), t.name());
            }

            DeepCompression.load(stages.get(3).file(), fresh);
            ImageSet data = synthetic(8, 2);
            float[] x = new dev.squeeze.data.BatchMaker(data, Preprocessing.unitScale()).batch(0, 8);
            assertArrayEquals(net.logits(x, 8), fresh.logits(x, 8), "the decoded network computes the same logits");
            assertEquals(4, DeepCompression.table("stages", stages).rowCount());
        }
    }
}
