package dev.squeeze.report;

import dev.squeeze.data.Datasets;
import dev.squeeze.data.ImageSet;
import dev.squeeze.data.Split;
import dev.squeeze.distill.Distiller;
import dev.squeeze.distill.LogitsDistillation;
import dev.squeeze.export.Pretrained;
import dev.squeeze.measure.FastEvaluation;
import dev.squeeze.model.Network;
import dev.squeeze.prune.ChannelGroups;
import dev.squeeze.prune.ChannelReconstruction;
import dev.squeeze.prune.StructuredPruning;
import dev.squeeze.train.Budget;
import dev.squeeze.train.Objective;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Which one-epoch recovery recipe brings a structured-pruned ResNet18 (about half the MACs) closest to the
 * dense model, chosen on <em>validation</em> images so the test set is not used to pick the recipe: 5,000
 * training images that are not among the 10,000 fine-tuning images (matched by pixel content). Each
 * variant keeps Pruning I's {@code standard} budget — one epoch over the same 10,000 images, batch 128,
 * SGD momentum 0.9, wd 5e-4, cosine, crop + flip, seed 0 — and changes only the plan, the loss or the
 * learning rate. Not a unit test: 4–14 minutes per variant on a loaded 2-core machine (measured).
 *
 * <pre>{@code
 * java -cp toolkit/target/test-classes:toolkit/target/classes:toolkit/target/lib/* dev.squeeze.report.StructuredRecipeSearch \
 *     RATIO VARIANT...      VARIANT = PLAN:RECOVERY:LR[:bBATCH][:sSTEPS][:rIMAGES][:nr][:e0]   PLAN = uniform | taylor | global<floor>   RECOVERY = ft | kd<T>a<alpha>
 * }</pre>
 * e.g. {@code 0.3 uniform:ft:0.01 uniform:kd4a0.5:0.01 uniform:kd4a0:0.01}. Prints one line per variant
 * with the validation accuracy, and the test accuracy only with {@code -Dtest.too=true}.
 */
public final class StructuredRecipeSearch {
    private StructuredRecipeSearch() {}

    public static void main(String[] args) {
        double ratio = Double.parseDouble(args[0]);
        boolean testToo = Boolean.getBoolean("test.too");
        Pretrained p = Pretrained.resnet18Cifar10();
        ImageSet trainSet = Datasets.cifar10(Split.TRAIN);
        ImageSet ft = PruneStudy.finetuneData(trainSet, Budget.STANDARD, 0);
        ImageSet validation = disjoint(trainSet, ft, 5_000, 7);
        ImageSet test = testToo ? Datasets.cifar10(Split.TEST) : null;
        Network dense = p.network();
        double denseVal = FastEvaluation.evaluate(dense, validation, p.preprocessing()).accuracy();
        System.out.printf(Locale.ROOT, "dense: validation %.4f (%d images disjoint from the fine-tuning set)%n", denseVal, validation.size());
        long denseMacs = dense.architecture().macsPerImage();
        for (int v = 1; v < args.length; v++) {
            String[] f = args[v].split(":");
            float lr = Float.parseFloat(f[2]);
            int batch = 128, steps = 1, reconstruct = 0;
            boolean train = true, recalibrate = true;
            for (int k = 3; k < f.length; k++) {
                if (f[k].startsWith("b")) batch = Integer.parseInt(f[k].substring(1));
                else if (f[k].startsWith("s")) steps = Integer.parseInt(f[k].substring(1));
                else if (f[k].startsWith("r")) reconstruct = Integer.parseInt(f[k].substring(1));
                else if (f[k].equals("e0")) train = false;
                else if (f[k].equals("nr")) recalibrate = false;
                else throw new IllegalArgumentException("unknown variant field " + f[k] + " in " + args[v]);
            }
            long t0 = System.nanoTime();
            Network current = dense;
            try {
                for (int s = 1; s <= steps; s++) {
                    // Step s reaches the cumulative ratio r·s/steps of the dense channels: on the current
                    // (already smaller) network that is 1 − (1 − r·s/S) / (1 − r·(s−1)/S) of its channels.
                    // This arithmetic predates StructuredPruning.uniformStep (which keeps the one-shot counts at the
                    // last step); the committed s2 row was measured with it, so it stays.
                    double stepRatio = 1 - (1 - ratio * s / steps) / (1 - ratio * (s - 1) / steps);
                    ChannelGroups g = ChannelGroups.of(current.architecture());
                    StructuredPruning.Plan plan = f[0].equals("uniform")
                            ? StructuredPruning.uniform(current, g, stepRatio, StructuredPruning.Criterion.L2, 8)
                            : f[0].equals("taylor")
                            // first-order Taylor on 512 seeded training images (the CLI's --taylor-images default)
                            ? StructuredPruning.uniform(current, g, stepRatio, StructuredPruning.Criterion.TAYLOR, 8,
                                    StructuredPruning.taylorScores(current, trainSet.subset(512, 11, true), p.preprocessing(), 8, 64))
                            : StructuredPruning.global(current, g, stepRatio, StructuredPruning.Criterion.L2,
                                    Double.parseDouble(f[0].substring("global".length())), 8);
                    Network next = StructuredPruning.apply(current, plan);
                    if (reconstruct > 0) {
                        // r<N>: least-squares channel reconstruction on N fine-tuning images before BatchNorm re-estimation
                        ChannelReconstruction.reconstruct(current, next, plan, ft.subset(reconstruct, 100 + s, true), p.preprocessing(),
                                ChannelReconstruction.Options.defaults());
                    }
                    if (current != dense) current.close();
                    current = next;
                    // nr: keep the BatchNorm statistics (reconstruction already moved each mean by its fitted offset)
                    if (recalibrate) Training.recalibrateBatchNorm(current, trainSet.subset(1024, s, true), p.preprocessing(), 0, 64);
                    System.out.printf(Locale.ROOT, "  step %d before fine-tuning: validation %.4f%n", s,
                            FastEvaluation.evaluate(current, validation, p.preprocessing()).accuracy());
                    if (!train) continue;
                    ImageSet chunk = steps == 1 ? ft : ft.select(range(ft.size() * (s - 1) / steps, ft.size() * s / steps), ft.name() + "[part " + s + "/" + steps + "]");
                    TrainConfig base = PruneStudy.finetuneRecipe(Budget.STANDARD, p.preprocessing(), s - 1);
                    TrainConfig cfg = base.toBuilder().setOptimizer(base.optimizer().withLearningRate(lr)).optBatchSize(batch)
                            .optProgress(Progress.console()).build();
                    if (f[1].equals("ft")) {
                        Training.fit(current, chunk, null, cfg);
                    } else {
                        // kd<T>a<alpha>[h<layers>]: Hinton KD, plus a FitNets hint on each listed ResNet stage
                        // output (h34 = layer3 and layer4), each with weight 1.
                        int a = f[1].indexOf('a'), h = f[1].indexOf('h');
                        double t = Double.parseDouble(f[1].substring(2, a)),
                                w = Double.parseDouble(f[1].substring(a + 1, h < 0 ? f[1].length() : h));
                        List<dev.squeeze.distill.WeightedTerm> terms = new ArrayList<>();
                        terms.add(new LogitsDistillation(t).weighted(1));
                        if (h >= 0) for (char c : f[1].substring(h + 1).toCharArray()) {
                            terms.add(new dev.squeeze.distill.FeatureDistillation("layer" + c, "layer" + c).weighted(1));
                        }
                        Distiller.of(current, dense, terms, w)
                                .compile(cfg.optimizer(), Objective.crossEntropy()).fit(chunk, null, cfg);
                    }
                }
                double macsRatio = (double) denseMacs / current.architecture().macsPerImage();
                double val = FastEvaluation.evaluate(current, validation, p.preprocessing()).accuracy();
                String testPart = test == null ? "" : String.format(Locale.ROOT, ", test %.4f", FastEvaluation.evaluate(current, test, p.preprocessing()).accuracy());
                System.out.printf(Locale.ROOT, "RESULT %s: %.2fx fewer MACs, %,d params, validation %.4f (dense %.4f, drop %.2f)%s, %.0f s%n",
                        args[v], macsRatio, current.trainableParameters(), val, denseVal, 100 * (denseVal - val), testPart, (System.nanoTime() - t0) / 1e9);
            } finally {
                if (current != dense) current.close();
            }
        }
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    /** {@code n} seeded images of {@code all} whose pixels appear nowhere in {@code exclude}. */
    static ImageSet disjoint(ImageSet all, ImageSet exclude, int n, long seed) {
        Set<ByteBuffer> seen = new HashSet<>();
        byte[] buf = new byte[all.imageBytes()];
        for (int i = 0; i < exclude.size(); i++) {
            exclude.copyImage(i, buf, 0);
            seen.add(ByteBuffer.wrap(buf.clone()));
        }
        int[] perm = ImageSet.permutation(all.size(), new SplittableRandom(seed));
        List<Integer> chosen = new ArrayList<>();
        for (int k = 0; k < perm.length && chosen.size() < n; k++) {
            all.copyImage(perm[k], buf, 0);
            if (!seen.contains(ByteBuffer.wrap(buf))) chosen.add(perm[k]);
        }
        return all.select(chosen.stream().mapToInt(Integer::intValue).toArray(), all.name() + "[validation " + n + ", disjoint from fine-tuning]");
    }
}
