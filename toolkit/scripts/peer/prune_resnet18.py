#!/usr/bin/python3
"""PyTorch peer for Squeeze's "Pruning I": global L1 pruning of the CIFAR-10 ResNet18.

Loads the pretrained ResNet18 from its ONNX file (initializers by name into a hand-written,
torchvision-named CIFAR ResNet18), checks the dense test accuracy against the model's JSON,
then
  --one-shot   torch.nn.utils.prune.global_unstructured(L1Unstructured) over every
               Conv2d+Linear weight ("conv+linear") and over Linear only ("linear-only") at the
               JSON's sparsities, no fine-tuning, and compares with the JSON's reference curve;
  --finetune   the "standard" recipe: global L1 prune conv+linear one-shot from the pretrained
               weights, fine-tune 1 epoch with the mask kept, evaluate; sparsity 0 is the
               dense baseline under the same recipe.
Every accuracy is over all 10,000 CIFAR-10 test images.

Install (Debian 12, as root; the Debian packages are torch 1.13 and onnx 1.12):
    apt-get install -y python3-torch python3-onnx python3-numpy
and run it with the system interpreter (/usr/bin/python3), not a pyenv/venv one:
    /usr/bin/python3 toolkit/scripts/peer/prune_resnet18.py --one-shot --out prune.json
    /usr/bin/python3 toolkit/scripts/peer/prune_resnet18.py --finetune --out prune.json
A second run with the same --out keeps the other mode's results (the file is merged).
"""
import argparse
import copy
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper
from torch.nn.utils import prune

DATA = "/work/data-cache"
DEFAULT_MODEL = os.path.join(DATA, "models", "resnet18-cifar10.onnx")
DEFAULT_CIFAR = os.path.join(DATA, "cifar-10-batches-bin")

RECIPE = ("standard: from the pretrained weights, torch.nn.utils.prune.global_unstructured"
          "(L1Unstructured) over every Conv2d+Linear weight one-shot, then fine-tune with the mask"
          " kept (prune's forward pre-hooks) for 1 epoch over {n} seeded, stratified CIFAR-10"
          " training images ({per} per class, numpy default_rng(seed {seed})), SGD lr {lr},"
          " momentum 0.9, weight decay 5e-4, cosine annealing (CosineAnnealingLR, T_max = the"
          " epoch's {steps} steps, stepped per batch), random crop (zero pad 4) + horizontal flip,"
          " batch {batch} (last batch partial), BN in train mode, cross-entropy; evaluate on all"
          " {ntest} test images (BN in eval mode). Sparsity 0: the dense model, same recipe.")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- model (torchvision names)

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        idt = x if self.downsample is None else self.downsample(x)
        return F.relu(out + idt)


class ResNet18Cifar(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        for i, (w, s) in enumerate(zip((64, 128, 256, 512), (1, 2, 2, 2)), 1):
            setattr(self, f"layer{i}", nn.Sequential(BasicBlock(cin, w, s), BasicBlock(w, w, 1)))
            cin = w
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def load_onnx(model, path):
    """Copies the ONNX initializers into `model` by name; every tensor must be used, every
    parameter/buffer (but num_batches_tracked) must be set, shapes must match. Also checks the
    graph's Conv/BN/Gemm attributes against the modules (so a fused-BN or differently strided
    export fails loudly)."""
    m = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    sd = model.state_dict()
    wanted = {k for k in sd if not k.endswith("num_batches_tracked")}
    missing, unused = sorted(wanted - inits.keys()), sorted(inits.keys() - wanted)
    if missing or unused:
        raise SystemExit(f"ONNX/model name mismatch: missing {missing}, unused {unused}"
                         " (a BN-fused export would show as missing bn*/downsample.1 tensors)")
    new = {}
    for k in wanted:
        a = inits[k]
        if tuple(a.shape) != tuple(sd[k].shape):
            raise SystemExit(f"shape mismatch {k}: onnx {a.shape} vs model {tuple(sd[k].shape)}")
        new[k] = torch.from_numpy(a.copy()).to(sd[k].dtype)
    model.load_state_dict(new, strict=False)
    mods = dict(model.named_modules())
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
        at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Conv":
            c = mods[n.input[1].rsplit(".", 1)[0]]
            ok = (list(at.get("strides", [1, 1])) == list(c.stride)
                  and list(at.get("pads", [0] * 4)) == list(c.padding) * 2
                  and at.get("group", 1) == c.groups and len(n.input) == 2 and c.bias is None)
        elif n.op_type == "BatchNormalization":
            b = mods[n.input[1].rsplit(".", 1)[0]]
            ok = abs(at.get("epsilon", 1e-5) - b.eps) < 1e-9
        elif n.op_type == "Gemm":
            ok = at.get("transB", 0) == 1 and n.input[1] == "fc.weight"
        else:
            ok = True
        if not ok:
            raise SystemExit(f"ONNX node {n.name or n.output[0]} ({n.op_type} {at}) does not match")
    return len(inits), sum(int(np.prod(a.shape)) for a in inits.values()), ops


# ---------------------------------------------------------------- data

def read_cifar(files):
    raw = np.concatenate([np.fromfile(f, dtype=np.uint8).reshape(-1, 3073) for f in files])
    return raw[:, 1:].reshape(-1, 3, 32, 32).copy(), raw[:, 0].astype(np.int64)


class Norm:
    def __init__(self, meta):
        p = meta["preprocessing"]
        self.scale = 1.0 / 255.0 if str(p["scale"]) in ("1/255", "0.00392156862745098") else float(p["scale"])
        self.mean = torch.tensor(p["mean"], dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(p["std"], dtype=torch.float32).view(1, 3, 1, 1)

    def __call__(self, x_float_0_255):
        return (x_float_0_255 * self.scale - self.mean) / self.std


def stratified_subset(labels, per_class, seed):
    rng = np.random.default_rng(seed)
    idx = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
           for c in range(int(labels.max()) + 1)]
    return np.sort(np.concatenate(idx))


def augment(xb_u8, gen):
    """Random crop 32 from the zero-padded (4) image + horizontal flip p=0.5 (torchvision's
    RandomCrop(32, padding=4) + RandomHorizontalFlip on the raw image, before Normalize)."""
    n = xb_u8.shape[0]
    x = F.pad(xb_u8.float(), (4, 4, 4, 4))
    off = torch.randint(0, 9, (n, 2), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    out = torch.empty(n, 3, 32, 32)
    for i in range(n):
        a, b = int(off[i, 0]), int(off[i, 1])
        crop = x[i, :, a:a + 32, b:b + 32]
        out[i] = crop.flip(2) if flip[i] else crop
    return out


# ---------------------------------------------------------------- eval / train

MEM = torch.contiguous_format


def evaluate(model, xs, ys, norm, bf16, batch=500, what="eval", features=None):
    """Top-1 accuracy; with a list `features`, also keeps fc's inputs (one tensor per batch)."""
    model.eval()
    correct = 0
    hook = None
    if features is not None:
        hook = model.fc.register_forward_pre_hook(lambda mod, inp: features.append(inp[0].detach().clone()))
    nb = math.ceil(len(xs) / batch)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for k in range(nb):
            xb = norm(torch.from_numpy(xs[k * batch:(k + 1) * batch]).float()).contiguous(memory_format=MEM)
            pred = model(xb).float().argmax(1)
            correct += int((pred == torch.from_numpy(ys[k * batch:(k + 1) * batch])).sum())
            if (k + 1) % 10 == 0 or k + 1 == nb:
                log(f"  {what}: batch {k + 1}/{nb}, running acc {correct / min(len(xs), (k + 1) * batch):.4f}")
    if hook is not None:
        hook.remove()
    return correct / len(xs)


def evaluate_fc(fc, features, ys, bf16, batch=500):
    """Linear-only pruning leaves everything before fc unchanged: apply the (pruned) fc to the
    dense model's fc inputs, batch by batch as in the full forward."""
    correct = 0
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for k, f in enumerate(features):
            pred = fc(f).float().argmax(1)
            correct += int((pred == torch.from_numpy(ys[k * batch:(k + 1) * batch])).sum())
    return correct / len(ys)


def finetune(model, xs, ys, norm, args, bf16, what):
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=5e-4)
    n = len(xs)
    steps = math.ceil(n / args.batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    perm = torch.randperm(n, generator=gen)
    model.train()
    tot, seen = 0.0, 0
    for k in range(steps):
        idx = perm[k * args.batch:(k + 1) * args.batch].numpy()
        xb = norm(augment(torch.from_numpy(xs[idx]), gen)).contiguous(memory_format=MEM)
        yb = torch.from_numpy(ys[idx])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(xb)
        loss = F.cross_entropy(logits.float(), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        tot += float(loss) * len(idx)
        seen += len(idx)
        if (k + 1) % 10 == 0 or k + 1 == steps:
            log(f"  {what} train: batch {k + 1}/{steps}, loss {tot / seen:.4f}")
    return tot / seen, steps


# ---------------------------------------------------------------- pruning

def prunable(model, scope):
    types = (nn.Conv2d, nn.Linear) if scope == "conv+linear" else (nn.Linear,)
    return [(m, "weight") for m in model.modules() if isinstance(m, types)]


def global_l1(model, scope, sparsity):
    params = prunable(model, scope)
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=sparsity)
    return params


def measured_sparsity(params):
    z = sum(int((m.weight == 0).sum()) for m, _ in params)
    t = sum(m.weight.numel() for m, _ in params)
    return z / t


# ---------------------------------------------------------------- main

def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def has_avx512_bf16():
    with open("/proc/cpuinfo") as f:
        return any(l.startswith("flags") and "avx512_bf16" in l.split() for l in f)


def write_json(path, obj):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".prune-", suffix=".json", dir=d)
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def merge(src, dst):
    with open(src) as f:
        ft = json.load(f)["finetune"]
    with open(dst) as f:
        out = json.load(f)
    one = {q["sparsity"]: q["one_shot_accuracy"] for q in out.get("one_shot", {}).get("points", [])
           if q["scope"] == "conv+linear"}
    for p in ft["points"]:
        if p["sparsity"] == 0 and p.get("one_shot_accuracy") is None:
            p["one_shot_accuracy"], p["one_shot_accuracy_from"] = out.get("dense_accuracy"), "the one-shot run"
        elif p.get("one_shot_accuracy") is None and p["sparsity"] in one:
            p["one_shot_accuracy"], p["one_shot_accuracy_from"] = one[p["sparsity"]], "the one-shot run"
        if p.get("one_shot_accuracy") is None:
            p["one_shot_accuracy_from"] = "not measured (the one-shot run did not reach this sparsity)"
    d = next((q for q in ft["points"] if q["sparsity"] == 0), None)
    if d:
        ft["dense_before"], ft["dense_after"] = d["one_shot_accuracy"], d["finetuned_accuracy"]
    out["finetune"] = ft
    write_json(dst, out)
    log(f"merged {src}'s finetune section ({len(ft['points'])} points) into {dst}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--meta", help="the model's JSON (default: the .onnx path with .json)")
    ap.add_argument("--cifar", default=DEFAULT_CIFAR)
    ap.add_argument("--one-shot", action="store_true")
    ap.add_argument("--finetune", action="store_true")
    ap.add_argument("--sparsities", default="0,0.5,0.8,0.9", help="--finetune's points (0 = dense baseline)")
    ap.add_argument("--train-images", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--test-images", type=int, default=10000, help="first N test images (smoke tests only)")
    ap.add_argument("--no-bf16", action="store_true", help="no bf16 autocast in training even with avx512_bf16")
    ap.add_argument("--eval-bf16", action="store_true", help="evaluate under bf16 autocast too (default fp32)")
    ap.add_argument("--no-channels-last", action="store_true",
                    help="keep NCHW (default: model and inputs channels_last, oneDNN's fast layout)")
    ap.add_argument("--skip-dense-eval", action="store_true", help="do not re-evaluate the dense model")
    ap.add_argument("--no-one-shot-eval", action="store_true",
                    help="--finetune: take the pruned-not-fine-tuned accuracy from --out's one_shot points"
                         " (the same deterministic pruned weights) instead of evaluating it again")
    ap.add_argument("--conv-order", help="--one-shot: the conv+linear sparsities to run, in this order"
                    " (default: all of the JSON's, in its order)")
    ap.add_argument("--out", default="prune-resnet18-pytorch.json")
    ap.add_argument("--merge", metavar="FILE",
                    help="only merge FILE's finetune section (a --finetune run written elsewhere, e.g. run"
                         " beside --one-shot) into --out, filling the one-shot accuracies it lacks from --out")
    args = ap.parse_args()
    if args.merge:
        return merge(args.merge, args.out)
    if not (args.one_shot or args.finetune):
        ap.error("give --one-shot and/or --finetune")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    meta_path = args.meta or os.path.splitext(args.model)[0] + ".json"
    with open(meta_path) as f:
        meta = json.load(f)
    avx = has_avx512_bf16()
    bf16 = avx and not args.no_bf16
    eval_bf16 = args.eval_bf16 and avx
    cpu = cpu_model()
    log(f"torch {torch.__version__}, onnx {onnx.__version__}, {args.threads} threads, CPU {cpu}")
    log(f"avx512_bf16: {avx}; training {'under bf16 autocast' if bf16 else 'in fp32'};"
        f" evaluation {'under bf16 autocast' if eval_bf16 else 'in fp32'}")

    global MEM
    model = ResNet18Cifar()
    n_t, n_el, ops = load_onnx(model, args.model)
    if not args.no_channels_last:
        # model copies go channels_last after pruning (prune's parameters_to_vector needs NCHW)
        MEM = torch.channels_last
    n_params = sum(p.numel() for p in model.parameters())
    log(f"loaded {n_t} ONNX initializers ({n_el} values, all used, shapes match; BN not fused: ops {ops});"
        f" model parameters {n_params} (JSON: {meta.get('parameters')})")
    pretrained = copy.deepcopy(model.state_dict())
    norm = Norm(meta)
    xte, yte = read_cifar([os.path.join(args.cifar, "test_batch.bin")])
    xte, yte = xte[:args.test_images], yte[:args.test_images]

    out = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            out = json.load(f)
    out.update({
        "what": "PyTorch peer of Squeeze's Pruning I: global L1 (torch.nn.utils.prune) on the CIFAR-10 ResNet18",
        "model": os.path.basename(args.model),
        "torch": torch.__version__, "onnx": onnx.__version__,
        "cpu": cpu, "threads": args.threads, "avx512_bf16": avx,
        "test_images": int(len(xte)),
    })
    layout = "channels_last" if MEM is torch.channels_last else "NCHW"

    evaluation = ("bf16 autocast" if eval_bf16 else "fp32") + ", " + layout
    ref = meta.get("test_accuracy")
    feats = [] if args.one_shot else None
    if args.skip_dense_eval and not args.one_shot:
        dense = out.get("dense_accuracy")
    else:
        t0 = time.time()
        dense = evaluate(copy.deepcopy(model).to(memory_format=MEM), xte, yte, norm, eval_bf16, what="dense",
                         features=feats)
        dense_s = round(time.time() - t0, 1)
        print(f"dense test accuracy {dense:.4f} (JSON test_accuracy {ref}; "
              f"{'matches' if ref is not None and abs(dense - ref) < 5e-5 else 'DIFFERS'}) [{dense_s} s]", flush=True)
        out["dense_accuracy"] = dense
        out["dense_accuracy_json"] = ref
        out["dense_eval_seconds"] = dense_s
        out["evaluation"] = evaluation
        write_json(args.out, out)

    if args.one_shot:
        refs = meta["global_l1_one_shot"]
        order = [float(v) for v in args.conv_order.split(",")] if args.conv_order else None
        def rank(r):
            if r["scope"] == "linear-only":
                return (0, 0)
            return (1, order.index(r["sparsity"]) if order and r["sparsity"] in order else len(refs))
        run = sorted(refs, key=rank)
        pts = []
        wall = time.time()
        for r in run:
            if r["scope"] == "conv+linear" and order is not None and r["sparsity"] not in order:
                continue
            t = time.time()
            model.load_state_dict(pretrained)
            m = copy.deepcopy(model)
            params = global_l1(m, r["scope"], r["sparsity"])
            ms = measured_sparsity(params)
            m = m.to(memory_format=MEM)
            if r["scope"] == "linear-only":
                acc = evaluate_fc(m.fc, feats, yte, eval_bf16)
                how = "pruned fc on the dense model's fc inputs (everything before fc is unchanged)"
            else:
                acc = evaluate(m, xte, yte, norm, eval_bf16, what=f"{r['scope']} {r['sparsity']}")
                how = "full forward"
            p = {"scope": r["scope"], "sparsity": r["sparsity"], "measured_sparsity": ms,
                 "one_shot_accuracy": acc, "finetuned_accuracy": None,
                 "seconds": round(time.time() - t, 1),
                 "reference_accuracy": r["one_shot_accuracy"],
                 "delta_vs_reference": round(acc - r["one_shot_accuracy"], 4), "evaluated_by": how}
            pts.append(p)
            pts.sort(key=lambda q: (q["scope"] != "conv+linear", q["sparsity"]))
            print(f"one-shot {r['scope']:<11} s={r['sparsity']:<4} measured {ms:.4f}  acc {acc:.4f}"
                  f"  ref {r['one_shot_accuracy']:.4f}  delta {acc - r['one_shot_accuracy']:+.4f}"
                  f"  [{p['seconds']} s]", flush=True)
            out["one_shot"] = {"reference": meta.get("reference"), "evaluation": evaluation,
                               "threads": args.threads, "points": pts,
                               "max_abs_delta_vs_reference": max(abs(q["delta_vs_reference"]) for q in pts),
                               "wall_seconds": round(time.time() - wall, 1)}
            write_json(args.out, out)
        print(f"one-shot: max |delta| vs the JSON's reference curve "
              f"{out['one_shot']['max_abs_delta_vs_reference']:.4f} over {len(pts)} points", flush=True)

    if args.finetune:
        xtr, ytr = read_cifar([os.path.join(args.cifar, f"data_batch_{i}.bin") for i in range(1, 6)])
        per = args.train_images // 10
        sub = stratified_subset(ytr, per, args.seed)
        xs, ys = xtr[sub], ytr[sub]
        log(f"fine-tune subset: {len(sub)} images, per class {np.bincount(ys).tolist()}")
        steps = math.ceil(len(sub) / args.batch)
        recipe = RECIPE.format(n=len(sub), per=per, seed=args.seed, lr=args.lr, steps=steps, batch=args.batch,
                               ntest=f"{len(xte):,}")
        pts = [p for p in out.get("finetune", {}).get("points", [])]
        sparsities = [float(s) for s in args.sparsities.split(",")]
        wall = time.time()
        for s in sparsities:
            t = time.time()
            model.load_state_dict(pretrained)
            m = copy.deepcopy(model)
            if s > 0:
                params = global_l1(m, "conv+linear", s)
                ms = measured_sparsity(params)
                if args.no_one_shot_eval:
                    one = next((q["one_shot_accuracy"] for q in out.get("one_shot", {}).get("points", [])
                                if q["scope"] == "conv+linear" and abs(q["sparsity"] - s) < 1e-9), None)
                else:
                    one = evaluate(m.to(memory_format=MEM), xte, yte, norm, eval_bf16, what=f"one-shot {s}")
            else:
                params = prunable(m, "conv+linear")
                ms = measured_sparsity(params)
                one = dense
            m = m.to(memory_format=MEM)
            loss, _ = finetune(m, xs, ys, norm, args, bf16, what=f"s={s}")
            ms_after = measured_sparsity(params)
            acc = evaluate(m, xte, yte, norm, eval_bf16, what=f"fine-tuned {s}")
            p = {"scope": "conv+linear", "sparsity": s, "measured_sparsity": ms,
                 "measured_sparsity_after_finetune": ms_after,
                 "one_shot_accuracy": one, "finetuned_accuracy": acc,
                 "train_loss": round(loss, 4), "seconds": round(time.time() - t, 1),
                 "one_shot_accuracy_from": "the one-shot run" if (s > 0 and args.no_one_shot_eval) else "this run"}
            pts = [q for q in pts if q["sparsity"] != s] + [p]
            pts.sort(key=lambda q: q["sparsity"])
            print(f"finetune conv+linear s={s:<4} measured {ms:.4f} (after {ms_after:.4f})"
                  f"  one-shot {one} -> fine-tuned {acc:.4f}  loss {loss:.4f}  [{p['seconds']} s]", flush=True)
            ft = {"recipe": recipe, "train_precision": ("bf16 autocast" if bf16 else "fp32") + ", " + layout,
                  "evaluation": evaluation, "threads": args.threads,
                  "train_images": len(sub), "steps": steps, "points": pts,
                  "wall_seconds_this_run": round(time.time() - wall, 1)}
            dense_pt = next((q for q in pts if q["sparsity"] == 0), None)
            if dense_pt:
                ft["dense_before"] = dense_pt["one_shot_accuracy"]
                ft["dense_after"] = dense_pt["finetuned_accuracy"]
            out["finetune"] = ft
            write_json(args.out, out)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
