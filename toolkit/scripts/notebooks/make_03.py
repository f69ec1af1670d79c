"""Writes notebooks/03-prune-resnet18.ipynb from the cells below (run: python3 toolkit/scripts/notebooks/make_03.py)."""
from notebook_cells import Notebook

notebook = Notebook()
md, code = notebook.md, notebook.code

md(r"""
# Pruning a pretrained ResNet18 on CIFAR-10

The seed loads `models.resnet18(pretrained=True)`, prunes it with PyTorch's `global_unstructured` and fine-tunes it.
This notebook does the same with Squeeze, one visible step per cell, on **the same weights PyTorch used**: a ResNet18
(CIFAR stem) trained on CIFAR-10, read from ONNX, whose JSON carries its test accuracy and PyTorch's own one-shot
pruning curve on those weights. Then it asks the questions the seed leaves open:

* where does *global* pruning take its weights from, layer by layer?
* how do global, layer-wise and random pruning, and the Taylor and Hessian criteria, compare?
* what did the seed's "Linear layers only" call actually do?
* do the zeros survive fine-tuning and quantization into an int8 file?

Everything runs at the budget in `SQUEEZE_BUDGET` (CI uses `quick`: a few hundred test images and a few fine-tuning
steps, so the figures here are noisy; `./squeeze prune --budget standard` scores all 10,000 test images).
""")
code(r"""
import dev.squeeze.data.*;
import dev.squeeze.model.*;
import dev.squeeze.train.*;
import dev.squeeze.prune.*;
import dev.squeeze.quant.*;
import dev.squeeze.ir.*;
import dev.squeeze.export.*;
import dev.squeeze.measure.*;
import dev.squeeze.report.*;
import dev.squeeze.notebook.*;
import java.util.*;

var env = Squeeze.setup();
""")
md(r"""
## 1. The pretrained model

`Pretrained.resnet18Cifar10()` finds `resnet18-cifar10.onnx` in the data home's `models/` folder, checks its SHA-256,
imports it into a trainable Squeeze network (BatchNorm kept as BatchNorm, so it can be fine-tuned) and reads its
preprocessing from the JSON beside it. Every weight has the path name PyTorch gives it: masks, criteria and tables
below say `layer3.0.conv1`, not a position.
""")
code(r"""
var pretrained = Pretrained.resnet18Cifar10();
var net = pretrained.network();
var prep = pretrained.preprocessing();
System.out.println(net + ", preprocessing " + prep + ", reference test accuracy " + pretrained.testAccuracy());
Display.table(Tables.fromRecords("weighted nodes of " + net.architecture().name(), NodeNames.weightedNodes(net.architecture())), 12);
""")
md(r"""
## 2. Data

The CIFAR-10 test split scores every model; a seeded, stratified subset of the training split fine-tunes them
(`standard`: 10,000 images, one epoch; `quick`: 128 images).
""")
code(r"""
var allTest = Datasets.cifar10(Split.TEST);
var test = env.budget() == Budget.QUICK ? allTest.subset(500, 43, true) : allTest;
var finetuneData = PruneStudy.finetuneData(Datasets.cifar10(Split.TRAIN), env.budget(), env.seed());
System.out.println(test);
System.out.println(finetuneData);
""")
code(r"""
var dense = FastEvaluation.evaluate(net, test, prep);
System.out.println(String.format("dense accuracy %.4f on %d test images", dense.accuracy(), dense.count()));
""")
md(r"""
### Activation sparsity

Weights are not the only zeros: after every ReLU a share of the activations is exactly zero (seed 002's
*activation pruning*). `ActivationSparsity.measure` runs the network block by block on a few images and counts them,
per layer; a layer whose activations are almost all zero hints at channels that structured pruning can remove.
""")
code(r"""
var activations = ActivationSparsity.measure(net, test, prep, 64);
Display.table(ActivationSparsity.table(activations, "zero activations after each ReLU (64 test images)"), 20);
Display.chart(Charts.bars(activations.stream().map(ActivationSparsity.Row::after).toList(),
        activations.stream().mapToDouble(ActivationSparsity.Row::zeroFraction).toArray(), "zero fraction", "activation sparsity per ReLU"));
""")
md(r"""
## 3. Prune: global magnitude pruning, one shot

`Pruning.globalL1(net, 0.8)` is PyTorch's `prune.global_unstructured(params, pruning_method=prune.L1Unstructured,
amount=0.8)` over every convolution and linear weight: the 80 % of weights with the smallest |w| *across all layers
together* are removed. It returns a mask; `applyTo` zeroes the weights. The count is exact (`round(0.8·n)`, as
PyTorch rounds).
""")
code(r"""
PruningMask mask = Pruning.globalL1(net, 0.8);
mask.applyTo(net);
System.out.println(mask);
""")
code(r"""
var oneShot = FastEvaluation.evaluate(net, test, prep);
System.out.println(String.format("one-shot accuracy at 80 %% global sparsity: %.4f (dense %.4f)", oneShot.accuracy(), dense.accuracy()));
""")
md(r"""
### Where global pruning takes its weights from

One threshold for all layers means layers with many small weights lose most: the wide 3×3 convolutions of the last
stages are pruned far beyond 80 %, the stem and the classifier much less.
""")
code(r"""
Display.table(mask.table(), 25);
var layerNames = mask.names().stream().map(n -> n.replace(".weight", "")).toList();
Display.chart(Charts.bars(layerNames, mask.names().stream().mapToDouble(n -> mask.mask(n).sparsity()).toArray(),
        "sparsity", "global L1 at 80 %: sparsity per layer"));
""")
md(r"""
## 4. Fine-tune with the mask held

`mask.hook()` keeps pruned weights at exactly zero during `Training.fit`: it masks each step's gradients before the
optimizer (else SGD's momentum and Adam's moments would move them) and the weights after it. The recipe is the
issue's: SGD lr 0.01, momentum 0.9, weight decay 5e-4, cosine, crop + flip.
""")
code(r"""
var recipe = PruneStudy.finetuneRecipe(env.budget(), prep, env.seed()).toBuilder()
        .addHook(mask.hook()).optProgress(Progress.console()).build();
Training.fit(net, finetuneData, null, recipe);
var fineTuned = FastEvaluation.evaluate(net, test, prep);
System.out.println(String.format("fine-tuned accuracy %.4f; pruned weights that are not exactly zero: %d", fineTuned.accuracy(),
        mask.violations(net)));
""")
md(r"""
## 5. The masks survive QAT into the int8 model

The mask is keyed by node name. The QAT network folds BatchNorm into the convolutions but keeps their names, so the
same mask (and the same hook) applies to it; symmetric int8 weights map 0 to code 0, so every pruned weight is an
exact zero in the int8 model too.
""")
code(r"""
var qat = Quantization.prepareQat(net, QConfig.x86());
Training.fit(qat.network(), finetuneData, null, TrainConfig.builder().setEpochs(1)
        .setOptimizer(OptimizerConfig.sgd(0.001f, 0.9f)).optBatchSize(32).optSeed(env.seed())
        .optPreprocessing(prep.withAugmentation(4, true)).addHook(mask.hook()).build());
Int8Model int8 = qat.convert();
long zeroCodes = 0, codes = 0;
for (var op : int8.flatOps()) {
    Int8Weights w = op instanceof Int8Op.Conv c ? c.weights() : op instanceof Int8Op.Dense d ? d.weights() : null;
    if (w == null) continue;
    for (int i = 0; i < w.count(); i++) { codes++; if (w.code(i) == w.zeroPoint(i / w.perChannel())) zeroCodes++; }
}
System.out.println(String.format("int8 weights that are exactly zero: %,d of %,d (%.4f; the mask prunes %.4f)",
        zeroCodes, codes, (double) zeroCodes / codes, mask.sparsity()));
qat.close();
""")
md(r"""
## 6. What the seed's "Linear layers only" did

The seed writes `prune.global_unstructured(module, pruning_dim=0, amount=...)` for each `nn.Linear` module. That call
does not exist in that form: `global_unstructured` takes a *list of (module, "weight") pairs* and has no
`pruning_dim`. What the seed meant is global pruning over the linear layers — and on ResNet18 there is exactly one,
`fc`, holding 5,130 of 11.2 M parameters. Pruning it leaves 99.95 % of the network dense:
""")
code(r"""
var fresh = Pretrained.resnet18Cifar10();
PruningMask linearOnly = Pruning.global(fresh.network(), Scope.linearOnly(), 0.5, Importance.l1());
linearOnly.applyTo(fresh.network());
System.out.println(linearOnly + " — " + linearOnly.names());
System.out.println(String.format("accuracy %.4f; share of all parameters pruned: %.5f", FastEvaluation.evaluate(fresh.network(), test, prep).accuracy(),
        (double) linearOnly.pruned() / fresh.network().trainableParameters()));
fresh.close();
""")
md(r"""
## 7. Methods compared

`PruneStudy` repeats steps 3–4 for each method and sparsity on a fresh copy of the weights: global L1 (PyTorch's
`global_unstructured`), layer-wise L1 (each layer to the same sparsity), random (the baseline any criterion must
beat), and the gradient-based criteria: first-order Taylor |w·∂L/∂w| and Optimal Brain Damage's ½·h·w² with a Fisher
estimate of the Hessian diagonal.
""")
code(r"""
net.close();
var fromFile = Pretrained.resnet18Cifar10();
double[] sparsities = env.budget() == Budget.QUICK ? new double[] {0.3, 0.5, 0.7, 0.9} : new double[] {0.3, 0.5, 0.7, 0.8, 0.9, 0.95};
var study = PruneStudy.run(fromFile.network(), test, prep, PruneStudy.Options.builder()
        .setSparsities(sparsities)
        .optMethods(PruneStudy.Method.GLOBAL_L1, PruneStudy.Method.LAYER_L1, PruneStudy.Method.RANDOM,
                PruneStudy.Method.TAYLOR, PruneStudy.Method.HESSIAN)
        .optCriterionData(finetuneData).optCriterionBatches(env.budget() == Budget.QUICK ? 2 : 8, 32)
        .build());
Display.table(study.table(), 40);
Display.chart(study.chart());
""")
md(r"""
### Against PyTorch on the same weights

The JSON beside the model holds PyTorch's one-shot global L1 accuracies on all 10,000 test images. Same weights,
same criterion: on the full test set the two curves must agree to within 0.1 points (`./squeeze prune --budget
standard --finetune-epochs 0 --scope conv+linear,linear --sparsity 0.3,0.5,0.7,0.8,0.9,0.95` checks exactly that).
At `quick` this notebook scores a subset, so expect a few points of noise here.
""")
code(r"""
var ours = study.points().stream().filter(p -> p.method().equals("global-l1")).toList();
var theirs = fromFile.pruningCurve().stream().filter(p -> p.scope().equals("conv+linear")).toList();
var curves = new LinkedHashMap<String, double[][]>();
curves.put("Squeeze (" + test.size() + " images)", new double[][] {ours.stream().mapToDouble(PruneStudy.Point::sparsity).toArray(),
        ours.stream().mapToDouble(PruneStudy.Point::oneShotAccuracy).toArray()});
curves.put("PyTorch (10,000 images)", new double[][] {theirs.stream().mapToDouble(Pretrained.PruningPoint::sparsity).toArray(),
        theirs.stream().mapToDouble(Pretrained.PruningPoint::oneShotAccuracy).toArray()});
Display.chart(Charts.lines(curves, "sparsity", "test accuracy", "global L1, one-shot: Squeeze vs PyTorch"));
""")
md(r"""
Random pruning is the floor: removing 30 % of the weights at random, large ones included, already leaves the
network guessing (BatchNorm's running statistics no longer match the shrunken activations), while magnitude
criteria keep most of the accuracy up to 70 %. Global beats layer-wise because layers differ in how many small
weights they hold (the per-layer chart above).

### Fine-tuned, against the dense model fine-tuned the same way

A pruned model's fine-tuned accuracy is compared with the *dense* model after the same recipe, so the recipe's own
effect is not credited to pruning. At `quick` the recipe is 4 steps on 128 images with BatchNorm in training mode:
its running statistics move on tiny batches, so these figures are noise-level; `standard` fine-tunes each point for
one epoch on 10,000 images.
""")
code(r"""
var tuned = PruneStudy.run(fromFile.network(), test, prep, PruneStudy.Options.builder()
        .setSparsities(0.5, 0.8, 0.9)
        .optFinetune(PruneStudy.finetuneRecipe(env.budget(), prep, env.seed()), finetuneData)
        .build());
System.out.println(String.format("dense %.4f, dense fine-tuned %.4f", tuned.denseAccuracy(), tuned.denseFinetunedAccuracy()));
Display.table(tuned.table());
Display.chart(tuned.chart());
fromFile.close();
""")
md(r"""
## 8. Honest sizes: why pruning did not shrink the file, and Deep Compression

Zeros stored as float32 take as much room as any other float: a pruned model's dense file is exactly as large as
the dense model's. The table of the study above gives, for every point, the bytes of all parameters stored
**dense**, as a **bitmask + the non-zero floats**, **gzipped** (TF-MOT's way of showing what sparsity buys), and as a
**bitmask + int8** values. Sparsity pays only once the zeros are not stored.

Han et al.'s *Deep Compression* goes further on a fully connected network: prune (LeNet-300-100: 92 % / 91 % / 74 %
of the three layers), retrain with the masks, share weights (k-means per layer, 2^bits centroids, fine-tuned with
the summed gradients of their members), then Huffman-code the cluster indices and the gaps between kept weights.
Each stage below is written as a real file and its accuracy is measured on the weights read back from that file.
""")
code(r"""
var mnistTrain = Datasets.mnist(Split.TRAIN);
var mnistTest = Datasets.mnist(Split.TEST);
var mnistPrep = Preprocessing.unitScale();
boolean quick = env.budget() == Budget.QUICK;
TrainConfig.Builder adam = TrainConfig.builder().setOptimizer(OptimizerConfig.adam(1e-3f)).optBatchSize(64)
        .optSeed(env.seed()).optPreprocessing(mnistPrep).optEvaluateEachEpoch(false);
var lenet = Network.create(Zoo.lenet300100(new int[] {1, 28, 28}, 10), env.seed());
Training.fit(lenet, mnistTrain, null, adam.setEpochs(quick ? 3 : 20).build());
var lenetDense = lenet.parameters();
System.out.println(String.format("LeNet-300-100 dense: %.4f", Training.evaluate(lenet, mnistTest, mnistPrep).accuracy()));
""")
code(r"""
PruningMask lenetMask = PruningMask.combine(
        Pruning.layerWise(lenet, Scope.nodes("fc1"), 0.92, Importance.l1()),
        Pruning.layerWise(lenet, Scope.nodes("fc2"), 0.91, Importance.l1()),
        Pruning.layerWise(lenet, Scope.nodes("fc3"), 0.74, Importance.l1()));
lenetMask.applyTo(lenet);
Training.fit(lenet, mnistTrain, null, adam.setEpochs(quick ? 2 : 10).addHook(lenetMask.hook()).build());
var lenetPruned = lenet.parameters();
System.out.println(lenetMask + String.format(", retrained: %.4f", Training.evaluate(lenet, mnistTest, mnistPrep).accuracy()));
""")
code(r"""
import dev.squeeze.prune.compress.*;
var shared = DeepCompression.share(lenet, 4);                       // 16 centroids per layer
shared.forEach((name, s) -> lenet.setParameter(name, s.values()));
var centroids = new CentroidFineTuning(shared, 1e-3f);               // centroids move by −lr · Σ member gradients
Training.fit(lenet, mnistTrain, null, TrainConfig.builder().setEpochs(1).setOptimizer(OptimizerConfig.adam(1e-4f))
        .optBatchSize(64).optSeed(env.seed()).optPreprocessing(mnistPrep).addHook(centroids).build());
var dir = java.nio.file.Files.createTempDirectory("deep-compression");
var stages = DeepCompression.writeStages(dir, "lenet", lenetDense, lenetPruned, lenet.parameters(), centroids.shared());
var probe = Network.create(lenet.architecture(), 0);
var rows = new ArrayList<List<Object>>();
for (var st : stages) {
    DeepCompression.load(st.file(), probe);                          // accuracy of the weights read back from the file
    System.out.println(String.format("%-8s %,9d bytes  %5.1f×  accuracy %.4f", st.stage(), st.bytes(), st.ratio(),
            Training.evaluate(probe, mnistTest, mnistPrep).accuracy()));
}
Display.table(DeepCompression.table("Deep Compression of LeNet-300-100 (" + env.budget().id() + ")", stages));
probe.close();
lenet.close();
""")
md(r"""
Han et al. report 40× for LeNet-300-100 at no accuracy loss. With their longer recipe (20 epochs dense, 10 retraining,
2 of centroid fine-tuning; `DeepCompressionStudy` in the test sources), Squeeze's files came out 36× (6 bits) to 54×
(2 bits) smaller than the dense file, within 0.25 points of its accuracy on the 2,004 MNIST test digits for three
seeds — but a dense network trained as long as the pruned one gains up to 0.9 points, and against that, one seed
of three loses 0.4–0.85 points. On 2,004 images one accuracy has a standard error of about 0.5 points. At `quick`
the short training makes these figures rougher. No maintained pruning library ships the Huffman stage.
""")
md(r"""
The same from a terminal: `./squeeze prune --method global-l1,layer-l1,random --scope conv+linear,linear --sparsity
0.5,0.8,0.9,0.95 --budget standard --out out/prune` writes `out/prune/prune.json` and the plots.
""")

notebook.write("03-prune-resnet18.ipynb")
