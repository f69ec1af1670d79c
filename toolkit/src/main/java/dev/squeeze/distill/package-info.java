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
 * <p>The {@link dev.squeeze.distill.DistillationTerm}s available compare the two networks' logits:
 * response-based {@link dev.squeeze.distill.LogitsDistillation} (Hinton et al. 2015) and
 * {@link dev.squeeze.distill.LogitMse} (Ba &amp; Caruana 2014); relation-based
 * {@link dev.squeeze.distill.RkdDistance} and {@link dev.squeeze.distill.RkdAngle} (Park et al. 2019)
 * on the logits as the per-sample embedding. Feature-based terms (FitNets hints, FSP matrices), which
 * need intermediate layers by name, are not here yet.
 */
package dev.squeeze.distill;
