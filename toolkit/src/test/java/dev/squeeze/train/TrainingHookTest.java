package dev.squeeze.train;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Preprocessing;
import dev.squeeze.model.Network;
import dev.squeeze.model.Zoo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The open training step: objectives, hooks at every call point, in-place masks on weights and gradients. */
class TrainingHookTest {

    static TrainConfig.Builder config(OptimizerConfig opt) {
        return TrainConfig.builder().setEpochs(2).setOptimizer(opt).optBatchSize(16).optSeed(3)
                .optPreprocessing(Preprocessing.unitScale()).optProgress(Progress.silent());
    }

    static ImageSet data() { return TrainingTest.synthetic(96, 1); }

    /** Cross-entropy written by hand as an objective trains exactly like the built-in default. */
    @Test
    void handWrittenCrossEntropyTrainsLikeTheDefault() {
        Objective manual = step -> {
            NDArray logp = step.logits().logSoftmax(1);
            NDArray picked = logp.mul(step.labels().toType(ai.djl.ndarray.types.DataType.INT64, false)
                    .oneHot((int) step.logits().getShape().get(1))).sum(new int[] {1});
            NDArray loss = picked.mean().neg();
            step.report("ce", loss);
            return loss;
        };
        List<EpochStats> a, b;
        try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
            a = Training.fit(net, data(), null, config(OptimizerConfig.sgd(0.05f, 0.9f)).build()).history();
        }
        try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
            TrainResult r = Training.fit(net, data(), null, config(OptimizerConfig.sgd(0.05f, 0.9f)).optObjective(manual).build());
            b = r.history();
            assertTrue(net.provenance().containsKey("train_objective"), net.provenance().toString());
        }
        for (int e = 0; e < 2; e++) {
            assertEquals(a.get(e).trainLoss(), b.get(e).trainLoss(), 1e-5, "epoch " + e);
            assertEquals(a.get(e).trainAccuracy(), b.get(e).trainAccuracy(), 1e-9, "epoch " + e);
            assertEquals(b.get(e).trainLoss(), b.get(e).terms().get("ce"), 1e-6, "the reported term is the loss here");
            assertTrue(a.get(e).terms().isEmpty());
        }
    }

    /**
     * Pruning's contract: weights masked after each step and gradients before it stay exactly zero under
     * SGD with momentum and weight decay and under Adam; the kept weights still train.
     */
    @Test
    void masksKeepPrunedWeightsExactlyZeroUnderSgdAndAdam() {
        for (OptimizerConfig opt : List.of(OptimizerConfig.sgd(0.05f, 0.9f).withWeightDecay(5e-4f), OptimizerConfig.adam(3e-3f))) {
            try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
                Map<String, TensorMask> masks = new LinkedHashMap<>();
                Map<String, float[]> before = new LinkedHashMap<>();
                SplittableRandom r = new SplittableRandom(9);
                int[] maskedGrads = {0, 0}; // [checked, non-zero after masking]
                TrainingHook prune = new TrainingHook() {
                    @Override public void epochStarted(TrainingState s) {
                        if (!masks.isEmpty()) return;
                        for (String name : s.trainableNames()) {
                            if (s.shape(name).length < 2) continue; // weights only, not biases or BN
                            float[] w = s.weight(name);
                            boolean[] keep = new boolean[w.length];
                            for (int i = 0; i < w.length; i++) keep[i] = r.nextDouble() >= 0.6;
                            masks.put(name, TensorMask.keep(keep));
                            before.put(name, w);
                            s.multiplyWeight(name, masks.get(name));
                        }
                    }
                    @Override public void beforeStep(TrainingState s) {
                        for (Map.Entry<String, TensorMask> e : masks.entrySet()) {
                            s.multiplyGradient(e.getKey(), e.getValue());
                            float[] g = s.gradient(e.getKey()), f = e.getValue().factors();
                            for (int i = 0; i < g.length; i++) {
                                if (f[i] != 0) continue;
                                maskedGrads[0]++;
                                if (g[i] != 0f) maskedGrads[1]++;
                            }
                        }
                    }
                    @Override public void afterStep(TrainingState s) {
                        for (Map.Entry<String, TensorMask> e : masks.entrySet()) s.multiplyWeight(e.getKey(), e.getValue());
                    }
                };
                Training.fit(net, data(), null, config(opt).addHook(prune).build());
                assertFalse(masks.isEmpty());
                long pruned = 0, moved = 0;
                for (String name : net.parameterNames()) {
                    var t = net.parameter(name);
                    TensorMask m = masks.get(t.name());
                    if (m == null) continue;
                    float[] v = t.values(), f = m.factors(), w0 = before.get(t.name());
                    for (int i = 0; i < v.length; i++) {
                        if (f[i] == 0) {
                            // == rather than assertEquals: a negative weight times 0 is -0.0, numerically zero.
                            int at = i;
                            assertTrue(v[i] == 0f, () -> opt + ": " + t.name() + "[" + at + "] was pruned but is " + v[at]);
                            pruned++;
                        } else if (v[i] != w0[i]) {
                            moved++;
                        }
                    }
                }
                assertTrue(pruned > 100, "pruned " + pruned);
                assertTrue(moved > 100, opt + ": the kept weights should train, " + moved + " moved");
                assertTrue(maskedGrads[0] > 1000, "masked gradient entries checked: " + maskedGrads[0]);
                assertEquals(0, maskedGrads[1], "masked gradient entries left non-zero");
            }
        }
    }

    @Test
    void hooksRunAtEveryCallPointInOrder() {
        List<String> calls = new ArrayList<>();
        TrainingHook h = new TrainingHook() {
            @Override public void epochStarted(TrainingState s) { calls.add("start" + s.epoch() + "@" + s.step()); }
            @Override public void beforeStep(TrainingState s) { calls.add("before" + s.step()); }
            @Override public void afterStep(TrainingState s) { calls.add("after" + s.step()); }
            @Override public void epochFinished(TrainingState s, EpochStats st) {
                calls.add("end" + s.epoch() + "@" + s.step() + ":" + st.epoch());
            }
        };
        try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
            // 40 images, batch 16: 3 steps per epoch.
            Training.fit(net, TrainingTest.synthetic(40, 1), null, config(OptimizerConfig.sgd(0.05f, 0.9f)).addHook(h).build());
        }
        assertEquals(List.of("start0@0", "before0", "after0", "before1", "after1", "before2", "after2", "end0@2:1",
                "start1@3", "before3", "after3", "before4", "after4", "before5", "after5", "end1@5:2"), calls);
    }

    @Test
    void misuseGivesOneClearError() {
        try (Network net = Network.create(Zoo.kerasStudent(new int[] {1, 12, 12}, 3), 5)) {
            TrainingHook early = new TrainingHook() {
                @Override public void afterStep(TrainingState s) { s.gradient(s.trainableNames().get(0)); }
            };
            var e = assertThrows(IllegalStateException.class,
                    () -> Training.fit(net, data(), null, config(OptimizerConfig.sgd(0.05f, 0.9f)).addHook(early).build()));
            assertTrue(e.getMessage().contains("only in TrainingHook.beforeStep"), e.getMessage());

            TrainingHook wrongSize = new TrainingHook() {
                @Override public void afterStep(TrainingState s) { s.multiplyWeight(s.trainableNames().get(0), TensorMask.of(new float[] {1, 0})); }
            };
            var e2 = assertThrows(IllegalArgumentException.class,
                    () -> Training.fit(net, data(), null, config(OptimizerConfig.sgd(0.05f, 0.9f)).addHook(wrongSize).build()));
            assertTrue(e2.getMessage().contains("mask of 2 factors") && e2.getMessage().contains("build the mask"), e2.getMessage());

            TrainingHook unknown = new TrainingHook() {
                @Override public void afterStep(TrainingState s) { s.weight("layer9.conv.weight"); }
            };
            var e3 = assertThrows(IllegalArgumentException.class,
                    () -> Training.fit(net, data(), null, config(OptimizerConfig.sgd(0.05f, 0.9f)).addHook(unknown).build()));
            assertTrue(e3.getMessage().contains("no parameter named 'layer9.conv.weight'"), e3.getMessage());

            Objective perImage = step -> step.logits().sum(new int[] {1});
            var e4 = assertThrows(IllegalStateException.class,
                    () -> Training.fit(net, data(), null, config(OptimizerConfig.sgd(0.05f, 0.9f)).optObjective(perImage).build()));
            assertTrue(e4.getMessage().contains("must return a scalar"), e4.getMessage());
        }
    }
}
