/**
 * Knowledge distillation: a student network trained to match a frozen teacher as well as the labels.
 *
 * <p>{@link dev.squeeze.distill.Distiller} is the entry point, in the Keras example's shape
 * ({@code Distiller.of(student, teacher).compile(optimizer, studentLoss, distillationLoss, alpha,
 * temperature)}, then {@code fit} and {@code evaluate}) and in Keras 3's composable shape (a list of
 * {@link dev.squeeze.distill.WeightedTerm}s and a student-loss weight). It trains through
 * {@link dev.squeeze.train.Training#fit} with a distillation {@link dev.squeeze.train.Objective}, so hooks,
 * schedules, progress and the per-epoch history work as for any training run, with {@code student_loss}
 * and {@code distillation_loss} in {@link dev.squeeze.train.EpochStats#terms()}.
 *
 * <p>The {@link dev.squeeze.distill.DistillationTerm}s, composable by weight
 * ({@link dev.squeeze.distill.WeightedTerm}):
 * <ul>
 *   <li>response-based, on the logits (N × classes): {@link dev.squeeze.distill.LogitsDistillation}
 *       (Hinton et al. 2015) and {@link dev.squeeze.distill.LogitMse} (Ba &amp; Caruana 2014);</li>
 *   <li>feature-based, on intermediate layers named as torchvision names them
 *       ({@link dev.squeeze.model.Network#featureNodes()}: {@code conv1}, {@code layer2.0}, {@code layer2}, …):
 *       {@link dev.squeeze.distill.FeatureDistillation}, FitNets' hint (Romero et al. 2015), student
 *       N × Cs × H × W through a learned 1×1 adapter (Ct × Cs, trained with the student, never part of it)
 *       against the teacher's N × Ct × H × W by MSE; {@link dev.squeeze.distill.FspDistillation}, the FSP
 *       matrices (Yim et al. 2017), N × C1 × C2 Gram matrices between two layers of one resolution, teacher's
 *       vs student's by squared L2;</li>
 *   <li>relation-based, between the batch's samples: {@link dev.squeeze.distill.RkdDistance} and
 *       {@link dev.squeeze.distill.RkdAngle} (Park et al. 2019), on the logits or on a named layer flattened
 *       per sample.</li>
 * </ul>
 * Layer names and shapes are checked when the distiller is built (an unknown name lists the valid ones).
 * During {@code fit} the student's nodes are recorded in its training pass
 * ({@link dev.squeeze.train.Objective#features()}, {@link dev.squeeze.model.Network#recordFeatures}), the
 * teacher's in its frozen no-grad pass; teacher logits are cached only when no term reads teacher features.
 * <pre>{@code
 * Distiller d = Distiller.of(student, teacher, List.of(
 *         new LogitsDistillation(4).weighted(1),
 *         new FeatureDistillation("layer3", "layer3").weighted(10),   // teacher node, student node: same H × W
 *         DistillationTerm.rkdDistance("layer4", "layer3").weighted(25)), 0.5)
 *     .compile(OptimizerConfig.adam(1e-3f), Objective.crossEntropy());
 * }</pre>
 */
package dev.squeeze.distill;
