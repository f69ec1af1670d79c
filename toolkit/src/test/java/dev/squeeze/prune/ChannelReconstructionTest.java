package dev.squeeze.prune;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.squeeze.data.BatchMaker;
import dev.squeeze.data.ImageSet;
import dev.squeeze.exec.FloatExecutor;
import dev.squeeze.model.Architecture;
import dev.squeeze.model.FeatureRecording;
import dev.squeeze.model.Network;
import dev.squeeze.quant.Fusion;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/** Least-squares channel reconstruction after structured pruning, and the input taps it reads. */
class ChannelReconstructionTest {

    static ImageSet images(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * 3 * 16 * 16];
        r.nextBytes(px);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(10);
        return new ImageSet("random-16px", px, labels, 3, 16, 16, IntStream.range(0, 10).mapToObj(i -> "c" + i).toList());
    }

    /** Logits of {@code net} on {@code x}, by Squeeze's fp32 executor (libtorch miscomputes some narrow convs on Zen 5). */
    static float[] logits(Network net, float[] x, int n) {
        try (FloatExecutor e = FloatExecutor.of(Fusion.of(net))) {
            return e.run(x, n);
        }
    }

    static double maxRelDiff(float[] a, float[] b) {
        double max = 0, diff = 0;
        for (int i = 0; i < a.length; i++) { max = Math.max(max, Math.abs(a[i])); diff = Math.max(diff, Math.abs(a[i] - b[i])); }
        return diff / max;
    }

    static double meanSquared(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        return s / a.length;
    }

    static ChannelGroups.Group groupProducedBy(ChannelGroups groups, String node) {
        return groups.prunable().stream()
                .filter(g -> g.members().stream().anyMatch(m -> m.node().equals(node) && m.role() == ChannelGroups.Role.PRODUCER))
                .findFirst().orElseThrow(() -> new AssertionError("no prunable group produced by " + node + ":\n" + groups.table().print()));
    }

    /** The tiny ResNet with random BatchNorm statistics, so that BatchNorm offsets matter. */
    static Network tinyDense(long seed) {
        Network net = Network.create(StructuredPruningTest.tiny(), seed);
        StructuredPruningTest.randomiseBatchNorm(net, seed + 1);
        return net;
    }

    /** Rows {@code from..from+count} of a parameter become copies of rows {@code 0..count}. */
    static void duplicateRows(Network net, String param, int rows, int from, int count) {
        float[] v = net.parameter(param).values();
        int per = v.length / rows;
        System.arraycopy(v, 0, v, from * per, count * per);
        net.setParameter(param, v);
    }

    @Test
    void recordedInputsAreWhatTheNodeReads() {
        Architecture arch = StructuredPruningTest.tiny();
        try (Network net = tinyDense(1)) {
            int n = 3;
            float[] x = StructuredPruningTest.input(n, arch.inputShape(), 9);
            String node = "layer1.0.conv2";
            float[] in, out;
            try (NDManager m = net.djlModel().getNDManager().newSubManager()) {
                var store = new ParameterStore(m, false);
                var batch = new NDList(m.create(FloatBuffer.wrap(x), new Shape(n, 3, 16, 16)));
                try (FeatureRecording r = net.recordInputs(List.of(node))) {
                    net.djlModel().getBlock().forward(store, batch, false);
                    in = r.get(node).toFloatArray();
                }
                try (FeatureRecording r = net.recordFeatures(List.of(node))) {
                    net.djlModel().getBlock().forward(store, batch, false);
                    out = r.get(node).toFloatArray();
                }
            }
            int[] s = dev.squeeze.model.FeatureTaps.of(arch).inputShape(node);
            assertEquals(n * s[0] * s[1] * s[2], in.length);
            // The node's output recomputed from the recorded input with its own weights (3×3, pad 1, stride 1).
            float[] w = net.parameter(node + ".weight").values();
            int c = s[0], h = s[1], wd = s[2];
            double worst = 0, largest = 0;
            for (int b = 0; b < n; b++) for (int o = 0; o < c; o++) for (int y = 0; y < h; y++) for (int xx = 0; xx < wd; xx++) {
                double sum = 0;
                for (int i = 0; i < c; i++) for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++) {
                    int yy = y + ky - 1, xk = xx + kx - 1;
                    if (yy >= 0 && yy < h && xk >= 0 && xk < wd) sum += w[((o * c + i) * 3 + ky) * 3 + kx] * in[((b * c + i) * h + yy) * wd + xk];
                }
                float got = out[((b * c + o) * h + y) * wd + xx];
                worst = Math.max(worst, Math.abs(sum - got));
                largest = Math.max(largest, Math.abs(got));
            }
            assertTrue(largest > 1e-2, "outputs should not vanish");
            assertTrue(worst <= 1e-4 * largest, "conv of the recorded input vs recorded output: " + worst + " of " + largest);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.recordInputs(List.of("layer1.0.bn1")));
            assertTrue(e.getMessage().contains("layer1.0.conv2"), e.getMessage());
        }
    }

    @Test
    void aRemovedChannelThatCopiesAKeptOneIsReconstructedExactly() {
        Architecture arch = StructuredPruningTest.tiny();
        try (Network dense = tinyDense(3)) {
            ChannelGroups groups = ChannelGroups.of(arch);
            ChannelGroups.Group g = groupProducedBy(groups, "layer1.0.conv1");
            assertEquals(16, g.channels());
            // Channels 8–15 of layer1.0.conv1 (and its BatchNorm) become copies of channels 0–7: what layer1.0.conv2
            // read from them can be read from 0–7 instead, so a refit can reproduce the dense model exactly.
            duplicateRows(dense, "layer1.0.conv1.weight", 16, 8, 8);
            for (String p : List.of(".weight", ".bias", ".running_mean", ".running_var")) duplicateRows(dense, "layer1.0.bn1" + p, 16, 8, 8);
            StructuredPruning.Plan plan = new StructuredPruning.Plan(groups, Map.of(g.id(), IntStream.range(0, 8).toArray()), "keep 0-7 of layer1.0.conv1");
            int n = 16;
            float[] x = new BatchMaker(images(n, 21), StructuredPruningTest.PREP).batch(0, n);
            float[] want = logits(dense, x, n);
            try (Network sliced = StructuredPruning.apply(dense, plan); Network refit = StructuredPruning.apply(dense, plan)) {
                Table t = ChannelReconstruction.reconstruct(dense, refit, plan, images(64, 20), StructuredPruningTest.PREP,
                        ChannelReconstruction.Options.defaults().withRidge(1e-9));
                assertEquals(List.of("layer1.0.conv2"), t.stringColumn("node").asList(), t.print());
                assertEquals(16, t.intColumn("inputs before").get(0));
                assertEquals(8, t.intColumn("inputs kept").get(0));
                assertTrue(t.doubleColumn("held-out error sliced").get(0) > 0.1, t.print());
                assertTrue(t.doubleColumn("held-out error refitted").get(0) < 1e-4, t.print());
                double slicedDiff = maxRelDiff(want, logits(sliced, x, n)), refitDiff = maxRelDiff(want, logits(refit, x, n));
                assertTrue(slicedDiff > 1e-2, "slicing alone should lose the copies' contribution: " + slicedDiff);
                assertTrue(refitDiff < 1e-4, "the refit should reproduce the dense logits: " + refitDiff);
                assertTrue(refit.provenance().get("channel_reconstruction").contains("1 of 1 nodes refitted"), refit.provenance().toString());
            }
        }
    }

    @Test
    void convolutionsInsideConcatBranchesAreListedAsNotRefitted() {
        Architecture arch = dev.squeeze.model.Zoo.shuffleNetV2(new int[] {3, 16, 16}, 10);
        try (Network dense = Network.create(arch, 7)) {
            ChannelGroups groups = ChannelGroups.of(arch);
            StructuredPruning.Plan plan = StructuredPruning.uniform(dense, groups, 0.5, StructuredPruning.Criterion.L2, 8);
            try (Network small = StructuredPruning.apply(dense, plan)) {
                Table t = ChannelReconstruction.reconstruct(dense, small, plan, images(10, 3), StructuredPruningTest.PREP,
                        ChannelReconstruction.Options.defaults());
                List<String> nodes = t.stringColumn("node").asList();
                // The head's linear layer reads the pruned 1×1 head conv and is reachable; the branch convolutions are not.
                assertTrue(nodes.contains("fc"), t.print());
                int unreachable = 0;
                for (int r = 0; r < t.rowCount(); r++) {
                    if (t.stringColumn("weights").get(r).contains("inside a concat branch")) {
                        unreachable++;
                        assertTrue(t.intColumn("inputs kept").get(r) < t.intColumn("inputs before").get(r), t.print());
                    }
                }
                assertTrue(unreachable > 0, t.print());
            }
        }
    }

    @Test
    void tooFewImagesIsOneErrorSayingHowMany() {
        Architecture arch = StructuredPruningTest.tiny();
        try (Network dense = Network.create(arch, 5)) {
            ChannelGroups groups = ChannelGroups.of(arch);
            StructuredPruning.Plan plan = StructuredPruning.uniform(dense, groups, 0.5, StructuredPruning.Criterion.L2, 8);
            try (Network small = StructuredPruning.apply(dense, plan)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChannelReconstruction.reconstruct(dense, small, plan,
                        images(3, 1), StructuredPruningTest.PREP, ChannelReconstruction.Options.defaults()));
                assertTrue(e.getMessage().contains("at least 5 images") && e.getMessage().contains("has 3"), e.getMessage());
            }
        }
    }

    @Test
    void everyRefitIsCloserToTheDenseModelThanSlicing() {
        Architecture arch = StructuredPruningTest.tiny();
        try (Network dense = tinyDense(5)) {
            ChannelGroups groups = ChannelGroups.of(arch);
            StructuredPruning.Plan plan = StructuredPruning.uniform(dense, groups, 0.5, StructuredPruning.Criterion.L2, 8);
            int n = 32;
            float[] x = new BatchMaker(images(n, 31), StructuredPruningTest.PREP).batch(0, n); // not among the fitted images
            float[] want = logits(dense, x, n);
            try (Network sliced = StructuredPruning.apply(dense, plan); Network refit = StructuredPruning.apply(dense, plan)) {
                Table t = ChannelReconstruction.reconstruct(dense, refit, plan, images(128, 30), StructuredPruningTest.PREP,
                        ChannelReconstruction.Options.defaults());
                assertTrue(t.rowCount() >= 3, "every conv and linear node reading a pruned group is refitted:\n" + t.print());
                int refitted = 0;
                for (int r = 0; r < t.rowCount(); r++) {
                    assertTrue(t.intColumn("inputs kept").get(r) < t.intColumn("inputs before").get(r), t.print());
                    boolean better = t.doubleColumn("held-out error refitted").get(r) < t.doubleColumn("held-out error sliced").get(r);
                    // A node is refitted exactly when the fit beats slicing on the held-out images.
                    assertEquals(better ? "refitted" : "sliced (the refit was worse on held-out images)", t.stringColumn("weights").get(r), t.print());
                    if (better) refitted++;
                }
                assertTrue(refitted >= 3, t.print());
                double slicedError = meanSquared(want, logits(sliced, x, n)), refitError = meanSquared(want, logits(refit, x, n));
                assertTrue(refitError < 0.5 * slicedError, "held-out logits: refit MSE " + refitError + " vs sliced " + slicedError);
            }
        }
    }
}
