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
import dev.squeeze.prune.StructuredPruning;
import dev.squeeze.train.Budget;
import dev.squeeze.train.Objective;
import dev.squeeze.train.Progress;
import dev.squeeze.train.TrainConfig;
import dev.squeeze.train.Training;
import java.util.List;
import java.util.Locale;

/**
 * How much fine-tuning a structured-pruned ResNet18 needs to come back (issue 13's ≤ 1 point), and
 * whether distilling from the dense model (distillation as the recovery step) beats plain fine-tuning at
 * the same epochs. Not a unit test: about 3 minutes per epoch of the pruned model on 2 cores.
 *
 * <pre>{@code
 * java -cp toolkit/target/test-classes:toolkit/target/classes:toolkit/target/lib/* dev.squeeze.report.StructuredRecovery \
 *     RATIO EPOCHS [kd:T:WEIGHT]
 * }</pre>
 * The pruned model is the uniform L2 plan rounded to 8 with BatchNorm re-estimated on 1,024 training images
 * (as {@code ./squeeze prune --structured --budget standard}), fine-tuned with Pruning I's standard recipe
 * (SGD 0.01, momentum 0.9, wd 5e-4, cosine over all epochs, crop + flip, batch 128, 10,000 stratified
 * images, seed 0) stretched to EPOCHS; accuracy on all 10,000 test images by the fp32 executor.
 */
public final class StructuredRecovery {
    private StructuredRecovery() {}

    public static void main(String[] args) {
        double ratio = Double.parseDouble(args[0]);
        int epochs = Integer.parseInt(args[1]);
        String kd = args.length > 2 ? args[2] : null;
        Pretrained p = Pretrained.resnet18Cifar10();
        ImageSet test = Datasets.cifar10(Split.TEST), train = Datasets.cifar10(Split.TRAIN);
        Network dense = p.network();
        StructuredPruning.Plan plan = StructuredPruning.uniform(dense, ChannelGroups.of(dense.architecture()), ratio, StructuredPruning.Criterion.L2, 8);
        try (Network small = StructuredPruning.apply(dense, plan)) {
            Training.recalibrateBatchNorm(small, train.subset(1024, 1, true), p.preprocessing(), 0, 64);
            double rec = FastEvaluation.evaluate(small, test, p.preprocessing()).accuracy();
            System.out.printf(Locale.ROOT, "ratio %.2f: %,d params; BatchNorm re-estimated %.4f (dense %.4f)%n", ratio, small.trainableParameters(), rec, p.testAccuracy());
            TrainConfig cfg = PruneStudy.finetuneRecipe(Budget.STANDARD, p.preprocessing(), 0).toBuilder().setEpochs(epochs)
                    .optProgress(Progress.console()).build();
            ImageSet ft = PruneStudy.finetuneData(train, Budget.STANDARD, 0);
            String how;
            if (kd == null) {
                Training.fit(small, ft, null, cfg);
                how = "fine-tuned";
            } else {
                String[] f = kd.split(":");
                double t = Double.parseDouble(f[1]), w = Double.parseDouble(f[2]);
                Distiller.of(small, dense, List.of(new LogitsDistillation(t).weighted(1)), w)
                        .compile(cfg.optimizer(), Objective.crossEntropy()).fit(ft, null, cfg);
                how = String.format(Locale.ROOT, "distilled from the dense model (T %.1f, student-loss weight %.2f)", t, w);
            }
            double acc = FastEvaluation.evaluate(small, test, p.preprocessing()).accuracy();
            System.out.printf(Locale.ROOT, "ratio %.2f, %d epoch(s) %s: %.4f (drop from the pretrained dense model %.2f points)%n",
                    ratio, epochs, how, acc, 100 * (p.testAccuracy() - acc));
        }
    }
}
