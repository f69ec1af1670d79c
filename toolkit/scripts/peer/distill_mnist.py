#!/usr/bin/python3
"""PyTorch peer for Squeeze's distillation issue: the Keras knowledge-distillation example's recipe
on the 10k real MNIST digits Squeeze uses (the IDX files in /work/data-cache/mnist: 7,996 train /
2,004 test, the same images and order Squeeze reads), pixels / 255, no other preprocessing.

Per seed: the Keras teacher, a scratch student and a student distilled from that teacher
(loss = alpha * CE(student, labels) + (1 - alpha) * T^2 * KL(softmax(t/T) || softmax(s/T)), KL summed
over classes and averaged over the batch, as Keras' KLDivergence); Adam 1e-3, batch 32 (last batch
partial), a fresh shuffle every epoch; the test accuracy after the last epoch. The teacher's logits
on the (unaugmented) training images are computed once, in eval mode under no_grad.

Networks (--variant):
  squeeze  what Squeeze's Zoo.kerasTeacher / kerasStudent build: conv c1 3x3 stride 2 padding 1,
           LeakyReLU 0.2, max-pool 2 stride 1 no padding, conv c2 3x3 stride 2 padding 1, flatten,
           linear c2*7*7 -> 10 (c1, c2 = 256, 512 teacher; 16, 32 student); PyTorch's default
           initialisation (uniform +-1/sqrt(fan_in) for weights and biases).
  keras    the Keras example literally: "same" padding as TensorFlow pads it (stride-2 convs pad
           0 top/left and 1 bottom/right; the stride-1 max-pool pads 1 bottom/right with -inf),
           glorot-uniform kernels and zero biases (Keras' defaults).
--leaky-slope changes the LeakyReLU slope (Keras' LeakyReLU default is 0.3, PyTorch's 0.01;
the example passes 0.2).

Options that only exist to look for the setup behind issue 11's quoted 3-epoch triple (teacher 92.7,
scratch 93.4, KD 89.8); their defaults are the recipe above:
  --pixel-scale S          pixels / S (1 = raw 0..255 bytes, a port that forgot the / 255)
  --teacher-softmax MODE   none: the teacher ends in a linear layer (the example);
                           ce: it ends in softmax and is still trained with cross-entropy on its output
                               (softmax applied twice, PyTorch's CrossEntropyLoss on probabilities), and
                               the distiller softens those probabilities as if they were logits;
                           probs: it ends in softmax and is trained correctly on log(probabilities)
                               (Keras' from_logits=False), and the distiller softens the probabilities
  --kl-reduction R         the reduction of F.kl_div for the KD term: batchmean (Keras' KLDivergence),
                           mean (nn.KLDivLoss's default: also divided by the 10 classes), sum
  --teacher-epochs N       train the teacher N epochs (default: --epochs)
  --label NAME             a name for the variant, stored in every record

Run with the system interpreter (Debian's python3-torch, torch 1.13, CPU):
    nice -n 15 /usr/bin/python3 toolkit/scripts/peer/distill_mnist.py --epochs 3 --seeds 1,2,3 \
        --out toolkit/scripts/peer/distill-mnist-pytorch.json
The --out file is a JSON list; each run appends one record (merging with what is there).
"""
import argparse
import gzip
import json
import os
import struct
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_DATA = "/work/data-cache/mnist"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder, split, pixel_scale=255.0):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(folder, prefix + "-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(folder, prefix + "-labels-idx1-ubyte.gz"))
    return torch.from_numpy(x.astype(np.float32) / pixel_scale).unsqueeze(1), torch.from_numpy(y.astype(np.int64))


class SamePad(nn.Module):
    """TensorFlow's "same" padding for a 3x3 stride-2 conv or 2x2 stride-1 pool on even sizes: 0 before, 1 after."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, x):
        return F.pad(x, (0, 1, 0, 1), value=self.value)


def keras_style(c1, c2, variant, slope, softmax_out=False):
    if variant == "squeeze":
        layers = [nn.Conv2d(1, c1, 3, 2, 1), nn.LeakyReLU(slope), nn.MaxPool2d(2, 1),
                  nn.Conv2d(c1, c2, 3, 2, 1), nn.Flatten(), nn.Linear(c2 * 7 * 7, 10)]
    else:
        layers = [SamePad(0.0), nn.Conv2d(1, c1, 3, 2, 0), nn.LeakyReLU(slope),
                  SamePad(float("-inf")), nn.MaxPool2d(2, 1),
                  SamePad(0.0), nn.Conv2d(c1, c2, 3, 2, 0), nn.Flatten(), nn.Linear(c2 * 7 * 7, 10)]
    if softmax_out:
        layers.append(nn.Softmax(1))
    net = nn.Sequential(*layers)
    if variant == "keras":
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
    return net


def accuracy(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 256):
            correct += (net(x[i:i + 256]).argmax(1) == y[i:i + 256]).sum().item()
    return correct / len(x)


def fit(net, x, y, epochs, seed, what, teacher_logits=None, alpha=None, temperature=None,
        kl_reduction="batchmean", output_is_probs=False, test=None):
    """Adam 1e-3, batch 32; with teacher_logits the Keras distiller's loss. Returns seconds and, with test = (x, y),
    the test accuracy after each epoch (empty without)."""
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time()
    per_epoch = []
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(x), generator=gen)
        total, batches = 0.0, 0
        for i in range(0, len(x), 32):
            idx = order[i:i + 32]
            s = net(x[idx])
            # output_is_probs: a softmax output trained as Keras' from_logits=False does (NLL of the log)
            loss = F.nll_loss(torch.log(s.clamp_min(1e-7)), y[idx]) if output_is_probs else F.cross_entropy(s, y[idx])
            if teacher_logits is not None:
                t = teacher_logits[idx]
                kl = F.kl_div(F.log_softmax(s / temperature, 1), F.log_softmax(t / temperature, 1),
                              reduction=kl_reduction, log_target=True)
                loss = alpha * loss + (1 - alpha) * temperature ** 2 * kl
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        acc = ""
        if test is not None:
            per_epoch.append(accuracy(net, *test))
            acc = f", test {100 * per_epoch[-1]:.2f} %"
        log(f"  {what} epoch {epoch + 1}/{epochs}: loss {total / batches:.4f}{acc} ({time.time() - t0:.0f} s)")
    return time.time() - t0, per_epoch


def save(path, record):
    runs = []
    if os.path.exists(path):
        with open(path) as f:
            runs = json.load(f)
    runs.append(record)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
    with os.fdopen(fd, "w") as f:
        json.dump(runs, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DEFAULT_DATA, help="folder with the four MNIST IDX .gz files")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--alpha", type=float, default=0.1)
    p.add_argument("--temperature", type=float, default=3.0)
    p.add_argument("--variant", choices=["squeeze", "keras"], default="squeeze")
    p.add_argument("--leaky-slope", type=float, default=0.2)
    p.add_argument("--pixel-scale", type=float, default=255.0)
    p.add_argument("--teacher-softmax", choices=["none", "ce", "probs"], default="none")
    p.add_argument("--kl-reduction", choices=["batchmean", "mean", "sum"], default="batchmean")
    p.add_argument("--teacher-epochs", type=int, default=None)
    p.add_argument("--label", default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    teacher_epochs = a.epochs if a.teacher_epochs is None else a.teacher_epochs
    xtr, ytr = load(a.data, "train", a.pixel_scale)
    xte, yte = load(a.data, "test", a.pixel_scale)
    log(f"{a.data}: {len(xtr)} train / {len(xte)} test, {a.epochs} epochs, seeds {a.seeds}, variant {a.variant},"
        f" slope {a.leaky_slope}, KD alpha {a.alpha} T {a.temperature}, torch {torch.__version__}, {a.threads} thread(s),"
        f" pixels / {a.pixel_scale}, teacher softmax {a.teacher_softmax} ({teacher_epochs} epochs), KL {a.kl_reduction}")
    for seed in [int(s) for s in a.seeds.split(",")]:
        t0 = time.time()
        torch.manual_seed(seed)
        teacher = keras_style(256, 512, a.variant, a.leaky_slope, a.teacher_softmax != "none")
        torch.manual_seed(seed + 1000)
        student0 = keras_style(16, 32, a.variant, a.leaky_slope)
        # scratch and distilled students start from the same weights and see the same shuffles
        scratch = keras_style(16, 32, a.variant, a.leaky_slope)
        scratch.load_state_dict(student0.state_dict())
        distilled = keras_style(16, 32, a.variant, a.leaky_slope)
        distilled.load_state_dict(student0.state_dict())
        # the teacher's test accuracy after every epoch (2,004 images, cheap beside its training): shows at once
        # what a teacher stopped after fewer epochs would have scored
        t_sec, t_per_epoch = fit(teacher, xtr, ytr, teacher_epochs, seed, "teacher", output_is_probs=a.teacher_softmax == "probs",
                                 test=(xte, yte))
        t_acc = accuracy(teacher, xte, yte)
        log(f"seed {seed}: teacher {100 * t_acc:.2f} % ({t_sec:.0f} s)")
        s_sec, _ = fit(scratch, xtr, ytr, a.epochs, seed, "scratch")
        s_acc = accuracy(scratch, xte, yte)
        log(f"seed {seed}: scratch {100 * s_acc:.2f} % ({s_sec:.0f} s)")
        teacher.eval()
        with torch.no_grad():
            logits = torch.cat([teacher(xtr[i:i + 256]) for i in range(0, len(xtr), 256)])
        d_sec, _ = fit(distilled, xtr, ytr, a.epochs, seed, "distilled", logits, a.alpha, a.temperature, a.kl_reduction)
        d_acc = accuracy(distilled, xte, yte)
        log(f"seed {seed}: KD alpha {a.alpha} T {a.temperature} {100 * d_acc:.2f} % ({d_sec:.0f} s)")
        save(a.out, {"seed": seed, "epochs": a.epochs, "variant": a.variant, "leaky_slope": a.leaky_slope,
                     "alpha": a.alpha, "temperature": a.temperature, "label": a.label,
                     "pixel_scale": a.pixel_scale, "teacher_softmax": a.teacher_softmax,
                     "kl_reduction": a.kl_reduction, "teacher_epochs": teacher_epochs, "train_images": len(xtr), "test_images": len(xte),
                     "teacher_accuracy": t_acc, "teacher_accuracy_per_epoch": t_per_epoch, "scratch_accuracy": s_acc, "distilled_accuracy": d_acc,
                     "teacher_parameters": sum(q.numel() for q in teacher.parameters()),
                     "student_parameters": sum(q.numel() for q in scratch.parameters()),
                     "seconds": round(time.time() - t0, 1), "threads": a.threads, "torch": torch.__version__})


if __name__ == "__main__":
    main()
