"""Writes notebooks/04-structured-pruning.ipynb from the cells below (run: python3 toolkit/scripts/notebooks/make_04.py)."""
from notebook_cells import Notebook

notebook = Notebook()
md, code = notebook.md, notebook.code

md(r"""
# Structured pruning: a smaller model, and the speed it buys

Notebook 03 zeroed single weights: the file compresses, but every dense kernel still multiplies by the zeros. Here
whole **channels** go: a convolution loses output filters, the BatchNorm after it loses the same entries, and every
layer that reads those channels loses the matching input slices. The result is an ordinary dense network with fewer
parameters and fewer multiply-accumulates (MACs), which any runtime runs faster. How much faster is the question:

* which channels are tied together (so they must go together) in a ResNet?
* does the smaller model compute exactly what the masked big one computes?
* what accuracy is left, one-shot, fine-tuned and in int8?
* how much latency does it buy on Squeeze's int8 and fp32 executors and on DJL/libtorch, at one thread, batch 1 and
  64, and why is the speed-up smaller than the MACs ratio?

Everything runs at the budget in `SQUEEZE_BUDGET` (CI uses `quick`: 500 test images, a few fine-tuning steps and a few
latency rounds, so the figures are noisy; `./squeeze prune --structured --budget standard` scores all 10,000 images).
""")
code(r"""
import dev.squeeze.data.*;
import dev.squeeze.model.*;
import dev.squeeze.train.*;
import dev.squeeze.prune.*;
import dev.squeeze.quant.*;
import dev.squeeze.ir.*;
import dev.squeeze.exec.*;
import dev.squeeze.export.*;
import dev.squeeze.measure.*;
import dev.squeeze.report.*;
import dev.squeeze.notebook.*;
import java.util.*;

var env = Squeeze.setup();
boolean quick = env.budget() == Budget.QUICK;
""")
md(r"""
## 1. The pretrained model and the data

The same pretrained CIFAR-10 ResNet18 as notebook 03 (read from ONNX, its SHA-256 checked). The test split scores
the models; 128 seeded training images calibrate the int8 models; a seeded training subset fine-tunes them.
""")
code(r"""
var pretrained = Pretrained.resnet18Cifar10();
var net = pretrained.network();
var prep = pretrained.preprocessing();
var allTest = Datasets.cifar10(Split.TEST);
var test = quick ? allTest.subset(500, 43, true) : allTest;
var train = Datasets.cifar10(Split.TRAIN);
var calibration = train.subset(128, env.seed(), true);
var finetuneData = PruneStudy.finetuneData(train, env.budget(), env.seed());
System.out.println(net + ", reference test accuracy " + pretrained.testAccuracy());
System.out.println(test + "\n" + calibration + "\n" + finetuneData);
""")
md(r"""
## 2. Channel groups: what must be pruned together

`ChannelGroups.of(architecture)` reads the graph's edges. A convolution's output channels are one *channel space*;
its BatchNorm normalises the same space; the next convolution's input channels read it. A residual add forces the
two spaces it sums to be **the same** space: removing channel 5 from the block's body but not from its shortcut would
add mismatched tensors. So in a ResNet stage, every block's second convolution, the projection shortcut
(`downsample.0`) and all their BatchNorms form one group, and the next stage's first convolutions and shortcut read
it. Only each block's *inner* channels (`conv1` → `bn1` → `conv2`'s input) are a group of their own.

Here is `layer2`: the groups whose members mention it.
""")
code(r"""
var groups = ChannelGroups.of(net.architecture());
System.out.println(groups);
var groupTable = groups.table();
Display.table(groupTable.where(groupTable.stringColumn("members").containsString("layer2.")), 10);
""")
md(r"""
Reading the table: one group holds `layer2.0.conv1`'s outputs (`producer`), `layer2.0.bn1` (`batch_norm`) and
`layer2.0.conv2`'s inputs (`consumer`), and nothing else: it can be pruned freely. The big group holds `layer2.0.conv2`,
`layer2.0.downsample.0`, `layer2.1.conv2`, their BatchNorms, and every consumer of the stage's output (`layer2.1.conv1`,
`layer3.0.conv1`, `layer3.0.downsample.0`): the residual adds tie them, so a channel dropped there is dropped from
the whole stage at once.

## 3. Plan: which channels go

`StructuredPruning.uniform(net, groups, 0.5, L2, 8)` removes half the channels of every prunable group, keeping
those whose weights (each member's slice, normalised by the member's mean, then averaged over members) have the
largest squared norm. Kept counts are rounded to multiples of 8: SIMD kernels work in blocks of channels, and libtorch
on this project's Zen 5 machines miscomputes some narrow convolutions (e.g. 10 channels), so odd widths would buy
nothing and break the DJL comparison. (`StructuredPruning.global(...)` instead ranks channels across groups, keeping at
least a floor of each.)
""")
code(r"""
var plan = StructuredPruning.uniform(net, groups, 0.5, StructuredPruning.Criterion.L2, 8);
Display.table(plan.table(), 20);
""")
md(r"""
## 4. Apply: a new, smaller network

`StructuredPruning.apply(net, plan)` builds a new architecture with the narrower layers and copies the kept slices;
`net` is untouched. The check that matters: the smaller model must compute what the big one computes with the
pruned channels *zeroed* (`StructuredPruning.mask`): same logits to float rounding. Both run through Squeeze's fp32
executor, not libtorch (see above).
""")
code(r"""
var small = StructuredPruning.apply(net, plan);
int checkImages = 8;
float[] x8 = new BatchMaker(test, prep.withAugmentation(0, false)).batch(0, checkImages);
double maskedDiff = StructuredStudy.maskedDifference(net, small, plan, x8, checkImages);
long denseMacs, smallMacs;
try (var d = FloatExecutor.of(Fusion.of(net)); var s = FloatExecutor.of(Fusion.of(small))) {
    denseMacs = d.macsPerImage();
    smallMacs = s.macsPerImage();
}
System.out.println(String.format("parameters %,d -> %,d (%.2fx fewer); MACs per image %.1f M -> %.1f M (%.2fx fewer)",
        net.trainableParameters(), small.trainableParameters(), (double) net.trainableParameters() / small.trainableParameters(),
        denseMacs / 1e6, smallMacs / 1e6, (double) denseMacs / smallMacs));
System.out.println(String.format("pruned vs masked on %d test images: max |difference| / max |logit| = %.2e", checkImages, maskedDiff));
""")
md(r"""
### The same walk through channel splits and shuffles

A ResNet has no concatenation and no shuffle. ShuffleNetV2 has both: each unit splits its input in two
halves, sends one half through a branch, concatenates the halves again and **shuffles** the channels (interleaves the
two halves) so that the next unit's split mixes them. Channel positions move at every unit, so a walker that only
knows offsets would have to give up on every channel that meets a split or a shuffle. `ChannelGroups` follows them:
each consumer is a member of a group *at the channels where that group's channels ended up* (`@scattered` after a
shuffle, `@partial` when a split hands it only part of a group). Pruning then moves each split's bounds, and a shuffle
of two halves that lost different channels becomes an explicit permutation of the survivors
(`channel-permutation` in the summary). There is no pretrained ShuffleNetV2 here, so this runs on a freshly
initialised one; what it checks is structural: the smaller network computes what the masked one computes.
""")
code(r"""
var shuffleNet = Network.create(Zoo.get("shufflenetv2", new int[] {3, 32, 32}, 10), env.seed());
var shuffleGroups = ChannelGroups.of(shuffleNet.architecture());
System.out.println(shuffleGroups + "; fixed: " + shuffleGroups.groups().stream().filter(g -> !g.prunable()).map(ChannelGroups.Group::reason).toList());
var shuffleTable = shuffleGroups.table();
Display.table(shuffleTable.where(shuffleTable.stringColumn("members").containsString("stage3.2.")), 10);
var shufflePlan = StructuredPruning.uniform(shuffleNet, shuffleGroups, 0.3, StructuredPruning.Criterion.L2, 8);
var smallShuffleNet = StructuredPruning.apply(shuffleNet, shufflePlan);
long permutations = smallShuffleNet.architecture().layers().stream().filter(l -> l instanceof Layer.ChannelShuffle c && c.explicit()).count();
System.out.println(String.format("ShuffleNetV2 at 0.3: parameters %,d -> %,d; %d of 16 shuffles became explicit permutations; "
        + "pruned vs masked on %d images: max |difference| / max |logit| = %.2e", shuffleNet.trainableParameters(),
        smallShuffleNet.trainableParameters(), permutations, checkImages,
        StructuredStudy.maskedDifference(shuffleNet, smallShuffleNet, shufflePlan, x8, checkImages)));
smallShuffleNet.close();
shuffleNet.close();
""")
md(r"""
Back to the ResNet. Removing half the channels of *both* the input and the output of a convolution divides its MACs by about four, so
uniform 0.5 cuts the MACs far more than in half; a ratio near 0.3 (0.7² ≈ 0.5) is the one that halves them.

## 5. Evaluate one-shot, repair, then fine-tune

`FastEvaluation.evaluate` scores through the fp32 executor. One-shot, the accuracy collapses — but much of that is
not lost knowledge. Two things are stale, and both can be repaired from a few hundred training images before any
training: every BatchNorm after a pruned layer still holds running statistics of activations that no longer
exist, and every layer that reads a pruned group still has the weights it used when the removed channels were there.
""")
code(r"""
var dense = FastEvaluation.evaluate(net, test, prep);
var oneShot = FastEvaluation.evaluate(small, test, prep);
System.out.println(String.format("dense %.4f, pruned one-shot %.4f (%d test images)", dense.accuracy(), oneShot.accuracy(), test.size()));
""")
md(r"""
**The cheap repair: BatchNorm re-estimation.** `Training.recalibrateBatchNorm` re-estimates the running statistics
on a few hundred training images, no weight changed (on all 10,000 test images, ratio 0.3: 22.1 % one-shot, 73.9 %
after re-estimating on 1,024 images). It runs here on a second pruned copy (`apply` again), so that the two repairs
can be compared.
""")
code(r"""
var recalibration = train.subset(quick ? 256 : 1024, env.seed() + 1, true);
double recalibrated;
try (var recalibratedOnly = StructuredPruning.apply(net, plan)) {
    Training.recalibrateBatchNorm(recalibratedOnly, recalibration, prep, 0, 64);
    recalibrated = FastEvaluation.evaluate(recalibratedOnly, test, prep).accuracy();
}
System.out.println(String.format("BatchNorm statistics re-estimated on %d training images: %.4f", recalibration.size(), recalibrated));
""")
md(r"""
**The better repair: channel reconstruction** (He et al. 2017; ThiNet's refit). A layer that lost input channels
computed part of its output from them. `ChannelReconstruction.reconstruct(dense, small, plan, images, ...)` refits, in
forward order, every convolution and linear layer whose input lost channels: ridge least squares on output positions
sampled from the images, so that from the channels it still reads it reproduces what the *dense* model's layer
computed from all of them. Each layer is fitted on what the already-refitted layers before it feed it, so later
layers also absorb the error earlier ones leave; a constant offset goes into the following BatchNorm's mean. One
image in five is held out: the table gives, per layer, the relative error of its output there with the sliced
weights and with the refit, and a refit that is not better there is not applied. Do not re-estimate BatchNorm
afterwards: the refit already moved each mean, and re-estimating lowers accuracy. (ResNet18 at ratio 0.3,
reconstructed on 512 images, scored on 5,000 training images outside the fine-tuning set: 77.5 % with
re-estimation alone, 90.0 % with reconstruction alone, 87.1 % with reconstruction then re-estimation; the dense
model scores 90.6 % there.)
""")
code(r"""
var reconstructionImages = train.subset(quick ? 64 : 512, env.seed() + 3, true);
var fit = ChannelReconstruction.reconstruct(net, small, plan, reconstructionImages, prep, ChannelReconstruction.Options.defaults());
Display.table(fit, 25);
var reconstructed = FastEvaluation.evaluate(small, test, prep);
System.out.println(String.format("pruned and reconstructed on %d training images: %.4f", reconstructionImages.size(), reconstructed.accuracy()));
""")
md(r"""
Then `Training.fit` with the recipe of notebook 03 (SGD lr 0.01, momentum 0.9, weight decay 5e-4, cosine, crop +
flip) fine-tunes the small model: nothing needs masking, the pruned channels no longer exist. After
reconstruction a gentler step keeps more: on ResNet18 at ratio 0.3 this plain recipe lost 1.74 points on the
validation images, one epoch of distillation from the dense model at lr 0.002 only 0.74 — from a terminal,
`./squeeze prune --structured --ratio 0.3 --reconstruct 512 --finetune-epochs 1 --recover distill --alpha 0 --lr 0.002`
(85.46 % on all test images, 0.92 points below the pretrained model).
""")
code(r"""
Training.fit(small, finetuneData, null, PruneStudy.finetuneRecipe(env.budget(), prep, env.seed()).toBuilder()
        .optProgress(Progress.console()).build());
var fineTuned = FastEvaluation.evaluate(small, test, prep);
System.out.println(String.format("pruned fine-tuned %.4f on %,d training images", fineTuned.accuracy(), finetuneData.size()));
""")
md(r"""
## 6. int8: static post-training quantization

`Quantization.calibrate(...).convert()` observes activations on the 128 calibration images and produces an
`Int8Model`; `Int8Executor` runs it. Its output codes must equal the scalar `IntegerReference`'s bit for bit.
""")
code(r"""
Int8Model denseInt8, smallInt8;
try (var q = Quantization.calibrate(net, calibration, prep, QConfig.x86())) { denseInt8 = q.convert(); }
try (var q = Quantization.calibrate(small, calibration, prep, QConfig.x86())) { smallInt8 = q.convert(); }
double int8Accuracy;
try (var ex = Int8Executor.of(smallInt8, Int8Executor.Options.defaults().withMaxBatch(100))) {
    int8Accuracy = IntegerReference.evaluate(smallInt8, test, prep, ex::runCodes).accuracy();
}
float[] x2 = new BatchMaker(test, prep.withAugmentation(0, false)).batch(0, 2);
boolean bitExact;
try (var ex = Int8Executor.of(smallInt8, Int8Executor.Options.singleThread(2))) {
    bitExact = Arrays.equals(IntegerReference.run(smallInt8, x2, 2), ex.runCodes(x2, 2));
}
System.out.println(String.format("pruned int8 accuracy %.4f; executor bit-exact with the integer reference on 2 images: %s", int8Accuracy, bitExact));
""")
md(r"""
## 7. Latency: one thread, interleaved

`Measure.interleaved` runs each runtime once per round in turn, so the noise of this shared machine hits all alike;
medians. One thread, so the figures compare kernels, not how well each runtime spreads work over cores.
""")
code(r"""
int rounds = quick ? 5 : 30;
float[] x1 = new BatchMaker(test, prep.withAugmentation(0, false)).batch(0, 1);
try (var d = Int8Executor.of(denseInt8, Int8Executor.Options.singleThread(1));
     var s = Int8Executor.of(smallInt8, Int8Executor.Options.singleThread(1))) {
    var timings = Measure.interleaved(List.of("dense int8", "pruned int8"), List.<Runnable>of(() -> d.run(x1, 1), () -> s.run(x1, 1)), 1, 3, rounds);
    for (var t : timings) System.out.println(String.format("%-12s median %.3f ms (min %.3f, max %.3f)", t.runtime(), t.medianMs(), t.minMs(), t.maxMs()));
    System.out.println(String.format("speed-up %.2fx for %.2fx fewer MACs", timings.get(1).speedupVsFirst(), (double) denseMacs / smallMacs));
}
""")
md(r"""
## 8. The sweep: ratios 0.3, 0.5, 0.7 on three runtimes

`StructuredStudy.run` repeats steps 3–7 for each ratio (reconstruction as the repair), the dense model included as ratio 0: sizes, the masked
check, accuracies, the int8 model and its bit-exactness, then one interleaved latency run per batch size over every
model on Squeeze int8, Squeeze fp32 and DJL fp32 (libtorch held to one thread). At `quick` it does not fine-tune (the
accuracies are one-shot and reconstructed; int8 is quantized from the reconstructed weights); at `standard` every model, the dense one
included as the baseline, is fine-tuned with the recipe above.
""")
code(r"""
var options = StructuredStudy.Options.builder().setRatios(0.3, 0.5, 0.7).setCalibration(calibration)
        .optReconstruction(reconstructionImages).optLatency(new int[] {1, 64}, 1, quick ? 3 : 15);
if (!quick) options.optFinetune(PruneStudy.finetuneRecipe(env.budget(), prep, env.seed()), finetuneData);
var study = StructuredStudy.run(net, test, prep, options.build());
Display.table(study.table());
""")
code(r"""
Display.table(study.latencyTable(), 40);
""")
md(r"""
The Pareto plots: accuracy against latency, one series per runtime from dense to most pruned. The dashed line is the
dense model on its fastest runtime: a pruned model below it or to its right is *worse* than simply switching
runtimes. Pruning moves points left along each curve, and (without enough fine-tuning) down; which runtime's curve
lies furthest left depends on the machine: the int8 executor uses the JDK's Vector API, which has no VNNI dot-product
instruction, so on a CPU with wide fp32 FMA units its advantage over the fp32 executor can be small.
""")
code(r"""
Display.chart(study.paretoChart(1));
Display.chart(study.paretoChart(64));
""")
code(r"""
for (var p : study.points()) {
    System.out.println(String.format("ratio %.1f: MACs %.2fx fewer; int8 speed-up %.2fx at batch 1, %.2fx at batch 64; fp32 %.2fx / %.2fx; DJL %.2fx / %.2fx",
            p.ratio(), (double) study.dense().macs() / p.macs(),
            study.dense().medianMs(StructuredStudy.INT8, 1) / p.medianMs(StructuredStudy.INT8, 1),
            study.dense().medianMs(StructuredStudy.INT8, 64) / p.medianMs(StructuredStudy.INT8, 64),
            study.dense().medianMs(StructuredStudy.FP32, 1) / p.medianMs(StructuredStudy.FP32, 1),
            study.dense().medianMs(StructuredStudy.FP32, 64) / p.medianMs(StructuredStudy.FP32, 64),
            study.dense().medianMs(StructuredStudy.DJL, 1) / p.medianMs(StructuredStudy.DJL, 1),
            study.dense().medianMs(StructuredStudy.DJL, 64) / p.medianMs(StructuredStudy.DJL, 64)));
}
""")
md(r"""
## 9. Why fewer MACs are not proportionally faster

The executor's profile times every op. Side by side, dense and pruned (uniform 0.5) at batch 1, one thread: the
*MACs ratio* column says how much less arithmetic each op does, the *time ratio* how much less time it takes. Where
the time ratio falls short, one of these is at work:

* **ops without MACs** (input quantization, pooling, the residual adds, the final dequantize) cost time in proportion
  to activation size, not to MACs; the adds shrink with the channels but the input image does not;
* **narrower layers run at lower GOP/s**: the kernels tile channels into SIMD blocks and pack inputs per call; with
  half the channels, fixed per-call and per-tile work (packing, requantization of each output row, loop overheads)
  is spread over half the arithmetic. The GOP/s columns show it op by op;
* **small spatial sizes at batch 1** (`layer4` works on 4×4 maps) leave little work per call to begin with;
* **noise**: the ops are timed back to back, so the whole run's median minus the sum of the ops' medians is no work at
  all: on a loaded machine most runs have a preemption in *some* op, which each op's median hides and the whole run's
  median does not. A longer run catches more preemptions, so the gap scales with run time and blurs the whole-run
ratio; compare the sums of the ops' medians (below) for what the kernels themselves gained.
""")
code(r"""
int profileReps = quick ? 5 : 30;
Int8Executor.Profile denseProfile, smallProfile;
try (var d = Int8Executor.of(denseInt8, Int8Executor.Options.singleThread(1));
     var s = Int8Executor.of(smallInt8, Int8Executor.Options.singleThread(1))) {
    denseProfile = d.profile(x1, 1, profileReps);
    smallProfile = s.profile(x1, 1, profileReps);
}
var comparison = StructuredStudy.profileComparison(denseProfile, smallProfile);
Display.table(comparison, 40);
""")
code(r"""
double denseNoMac = denseProfile.ops().stream().filter(o -> o.macs() == 0).mapToDouble(Int8Executor.OpProfile::millis).sum();
double smallNoMac = smallProfile.ops().stream().filter(o -> o.macs() == 0).mapToDouble(Int8Executor.OpProfile::millis).sum();
double denseMacMs = denseProfile.ops().stream().filter(o -> o.macs() > 0).mapToDouble(Int8Executor.OpProfile::millis).sum();
double smallMacMs = smallProfile.ops().stream().filter(o -> o.macs() > 0).mapToDouble(Int8Executor.OpProfile::millis).sum();
System.out.println(String.format("whole run: %.3f ms -> %.3f ms (%.2fx) for %.2fx fewer MACs",
        denseProfile.totalMillis(), smallProfile.totalMillis(), denseProfile.totalMillis() / smallProfile.totalMillis(),
        (double) denseProfile.macs() / smallProfile.macs()));
System.out.println(String.format("ops with MACs: %.3f ms -> %.3f ms (%.2fx); throughput %.1f -> %.1f GOP/s",
        denseMacMs, smallMacMs, denseMacMs / smallMacMs, 2.0 * denseProfile.macs() / (denseMacMs * 1e6), 2.0 * smallProfile.macs() / (smallMacMs * 1e6)));
System.out.println(String.format("ops without MACs: %.3f ms -> %.3f ms, %.1f %% of the pruned model's time (%.1f %% of the dense one's)",
        denseNoMac, smallNoMac, 100 * smallNoMac / smallProfile.totalMillis(), 100 * denseNoMac / denseProfile.totalMillis()));
double denseOutside = denseProfile.totalMillis() - denseNoMac - denseMacMs, smallOutside = smallProfile.totalMillis() - smallNoMac - smallMacMs;
System.out.println(String.format("whole-run median minus the ops' medians (noise, see above): %.3f ms -> %.3f ms, %.1f %% of the pruned model's median",
        denseOutside, smallOutside, 100 * smallOutside / smallProfile.totalMillis()));
""")
md(r"""
The same from a terminal: `./squeeze prune --structured --ratio 0.3,0.5,0.7 --finetune-epochs 1 --budget standard
--out out/structured` writes `out/structured/prune.json` (dense model and every ratio: parameters, MACs, file bytes,
accuracies, the two checks, latency per runtime at batch 1 and 64) and the Pareto plots.
""")
code(r"""
small.close();
net.close();
""")

notebook.write("04-structured-pruning.ipynb")
