"""ONNX files as PyTorch writes them for torchvision's MobileNetV2, ShuffleNetV2 and ResNet18.

There is no torchvision on this machine, so the three architectures are written out below as
torchvision 0.14 (the release that goes with torch 1.13) defines them: the same modules, the same
attribute names (features.0.0, features.1.conv.0.0, stage2.0.branch1.0, layer1.0.conv1, ...), the same
forward passes (x.chunk + torch.cat + channel_shuffle with x.size() and view, x.mean([2, 3]),
adaptive_avg_pool2d + torch.flatten, Dropout before the classifier). Only the weights differ: random
with a fixed seed, and BatchNorm running statistics made non-trivial by a few train-mode forwards on
random data before the model is put in eval mode.

Each model is exported with torch.onnx.export as a user would (eval mode, default constant folding,
so BatchNorm is folded into the convolutions), in several variants: opset 13 and 11, a fixed batch and
a dynamic batch (dynamic_axes), input 224x224 and 32x32, and with training=TrainingMode.PRESERVE, which
keeps the BatchNormalization nodes (the way to get a model whose BN Squeeze can fine-tune). Next to each .onnx the script writes
<name>.json: the input batch (seeded) and torch's logits on it, plus the op types in the file.
OnnxTorchvisionTest (toolkit tests) imports the small committed ones and compares the logits;
OnnxTorchvisionCheck (a test-sources main) does the same for every file this script writes.

Usage (Debian's python3 has torch 1.13 and onnx 1.12):
  nice -n 15 /usr/bin/python3 toolkit/scripts/peer/torchvision_onnx.py --out /tmp/tv-onnx [--fixtures DIR]
"""
import argparse
import collections
import json
import os
from functools import partial
from typing import Callable, List, Optional

import onnx
import torch
import torch.nn as nn
from torch import Tensor


# ---- torchvision.ops.misc -------------------------------------------------------------------------

class ConvNormActivation(torch.nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=torch.nn.BatchNorm2d, activation_layer=torch.nn.ReLU, dilation=1, inplace=True,
                 bias=None, conv_layer=torch.nn.Conv2d):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                             groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**params))
        super().__init__(*layers)
        self.out_channels = out_channels


class Conv2dNormActivation(ConvNormActivation):
    pass


def _make_divisible(v: float, divisor: int, min_value: Optional[int] = None) -> int:
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


# ---- torchvision.models.mobilenetv2 ---------------------------------------------------------------

class InvertedResidual(nn.Module):
    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int, norm_layer=None) -> None:
        super().__init__()
        self.stride = stride
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        layers: List[nn.Module] = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers.extend([
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, norm_layer=norm_layer,
                                 activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ])
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x: Tensor) -> Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        else:
            return self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None, round_nearest=8,
                 block=None, norm_layer=None, dropout=0.2) -> None:
        super().__init__()
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        input_channel = 32
        last_channel = 1280
        if inverted_residual_setting is None:
            inverted_residual_setting = [
                # t, c, n, s
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]
        input_channel = _make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = _make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features: List[nn.Module] = [
            Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer, activation_layer=nn.ReLU6)
        ]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(block(input_channel, output_channel, stride, expand_ratio=t, norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1, norm_layer=norm_layer,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(self.last_channel, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.features(x)
        # Cannot use "squeeze" as batch-size can be 1
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


# ---- torchvision.models.shufflenetv2 --------------------------------------------------------------

def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    # reshape
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    # flatten
    x = x.view(batchsize, -1, height, width)
    return x


class ShuffleInvertedResidual(nn.Module):
    """torchvision's shufflenetv2.InvertedResidual (renamed here only to sit beside MobileNetV2's)."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if (self.stride == 1) and (inp != branch_features << 1):
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. "
                             "If stride == 1 then inp should be equal to oup // 2 << 1.")
        if self.stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if (self.stride > 1) else branch_features, branch_features, kernel_size=1, stride=1,
                      padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=self.stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False) -> nn.Conv2d:
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        out = channel_shuffle(out, 2)
        return out


class ShuffleNetV2(nn.Module):
    def __init__(self, stages_repeats: List[int], stages_out_channels: List[int], num_classes: int = 1000,
                 inverted_residual: Callable[..., nn.Module] = ShuffleInvertedResidual) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        input_channels = 3
        output_channels = self._stage_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        stage_names = [f"stage{i}" for i in [2, 3, 4]]
        for name, repeats, output_channels in zip(stage_names, stages_repeats, self._stage_out_channels[1:]):
            seq = [inverted_residual(input_channels, output_channels, 2)]
            for i in range(repeats - 1):
                seq.append(inverted_residual(output_channels, output_channels, 1))
            setattr(self, name, nn.Sequential(*seq))
            input_channels = output_channels
        output_channels = self._stage_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        x = self.maxpool(x)
        x = self.stage2(x)
        x = self.stage3(x)
        x = self.stage4(x)
        x = self.conv5(x)
        x = x.mean([2, 3])  # globalpool
        x = self.fc(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


# ---- torchvision.models.resnet (BasicBlock only: resnet18) ----------------------------------------

def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion: int = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, self.dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


# ---- the builders torchvision exposes (weights=None), num_classes 10 ------------------------------

def mobilenet_v2(**kwargs) -> MobileNetV2:
    return MobileNetV2(**kwargs)


def shufflenet_v2_x0_5(**kwargs) -> ShuffleNetV2:
    return ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 1024], **kwargs)


def resnet18(**kwargs) -> ResNet:
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


# The committed test fixtures must stay small (< 1.5 MB), so they are built with the public constructors'
# own arguments at reduced size: MobileNetV2(width_mult=0.5) with the first five rows of its setting,
# ShuffleNetV2 with shorter stages and a narrower conv5. Same code paths and op patterns as the full nets.
SMALL_MOBILENET_SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 2, 2], [6, 96, 1, 1]]

MODELS = {
    "mobilenet_v2_w0.5": lambda: mobilenet_v2(num_classes=10, width_mult=0.5),
    "shufflenet_v2_x0_5": lambda: shufflenet_v2_x0_5(num_classes=10),
    "resnet18": lambda: resnet18(num_classes=10),
    "mobilenet_v2_small": lambda: mobilenet_v2(num_classes=10, width_mult=0.5,
                                               inverted_residual_setting=SMALL_MOBILENET_SETTING),
    "shufflenet_v2_small": lambda: ShuffleNetV2([2, 3, 2], [24, 48, 96, 192, 256], num_classes=10),
}

# (model, input size, opset, dynamic batch, keep BatchNorm, committed as a fixture). An eval-mode export
# folds each BatchNorm into its conv (weights renamed onnx::Conv_N); training=TrainingMode.PRESERVE on an
# eval-mode model keeps BatchNormalization nodes (inference form) and torchvision's parameter names.
VARIANTS = [
    ("mobilenet_v2_w0.5", 224, 13, False, False, False),
    ("mobilenet_v2_w0.5", 224, 11, True, False, False),
    ("mobilenet_v2_w0.5", 32, 13, True, False, False),
    ("mobilenet_v2_w0.5", 224, 13, True, True, False),
    ("shufflenet_v2_x0_5", 224, 13, False, False, False),
    ("shufflenet_v2_x0_5", 224, 13, True, False, False),
    ("shufflenet_v2_x0_5", 224, 11, True, False, False),
    ("shufflenet_v2_x0_5", 32, 11, False, False, False),
    ("shufflenet_v2_x0_5", 224, 13, True, True, False),
    ("resnet18", 224, 13, True, False, False),
    ("resnet18", 32, 11, False, False, False),
    ("resnet18", 32, 13, True, True, False),
    ("mobilenet_v2_small", 32, 13, True, False, True),
    ("mobilenet_v2_small", 32, 11, False, False, False),
    ("mobilenet_v2_small", 32, 13, True, True, True),
    ("shufflenet_v2_small", 32, 13, True, False, True),
    ("shufflenet_v2_small", 32, 11, False, False, True),
]


def file_stem(name: str, size: int, opset: int, dynamic: bool, keep_bn: bool) -> str:
    return f"{name}-{size}-opset{opset}{'-dynbatch' if dynamic else ''}{'-keepbn' if keep_bn else ''}"

BATCH = 2


def build(name: str, size: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    model = MODELS[name]()
    # Non-trivial BatchNorm running statistics: a few train-mode forwards on random data.
    model.train()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, size, size, generator=g) * 1.5 + 0.2)
        # Non-trivial affine BN parameters too (torchvision initializes them to 1 and 0).
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
    model.eval()
    # torchvision initializes the classifier with small weights (MobileNetV2: N(0, 0.01)), which gives
    # logits of about 0.1: too small for a 1e-4 comparison to mean much. Scale the last Linear so the
    # logits on random data have a standard deviation of 2.
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        spread = model(torch.randn(8, 3, size, size, generator=g)).std()
        last.weight.mul_(2.0 / spread)
        last.bias.uniform_(-0.5, 0.5, generator=g)
    return model


def export(name: str, size: int, opset: int, dynamic: bool, keep_bn: bool, out_dir: str, seed: int = 0) -> dict:
    model = build(name, size, seed)
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(BATCH, 3, size, size, generator=g)
    with torch.no_grad():
        logits = model(x)
    file = file_stem(name, size, opset, dynamic, keep_bn) + ".onnx"
    path = os.path.join(out_dir, file)
    # Exactly as the PyTorch tutorials do it; the batch of the dummy input is the fixed batch when not dynamic.
    dummy = x if not dynamic else torch.randn(1, 3, size, size)
    kwargs = dict(input_names=["input"], output_names=["logits"], opset_version=opset)
    if keep_bn:
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
    if dynamic:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    torch.onnx.export(model, dummy, path, **kwargs)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    record = {
        "file": file,
        "model": name,
        "input_size": size,
        "opset": opset,
        "dynamic_batch": dynamic,
        "keep_batchnorm": keep_bn,
        "bytes": os.path.getsize(path),
        "parameters": sum(p.numel() for p in model.parameters()),
        "ops": dict(sorted(ops.items())),
        "initializer_names_sample": [t.name for t in m.graph.initializer][:6],
        "input_shape": list(x.shape),
        "input": [float(v) for v in x.flatten().tolist()],
        "logits_shape": list(logits.shape),
        "logits": [float(v) for v in logits.flatten().tolist()],
        "max_abs_logit": float(logits.abs().max()),
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "seed": seed,
    }
    with open(path[:-len(".onnx")] + ".json", "w") as f:
        json.dump(record, f)
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory for every variant's .onnx and .json")
    ap.add_argument("--fixtures", help="also copy the small variants here (toolkit/src/test/resources/onnx)")
    ap.add_argument("--only", help="export only the variants whose file name contains this")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for name, size, opset, dynamic, keep_bn, fixture in VARIANTS:
        out = args.fixtures if (fixture and args.fixtures) else args.out
        if args.only and args.only not in file_stem(name, size, opset, dynamic, keep_bn):
            continue
        os.makedirs(out, exist_ok=True)
        r = export(name, size, opset, dynamic, keep_bn, out)
        print(f"{r['file']}: {r['bytes'] / 1e6:.2f} MB, {r['parameters']} parameters, ops {r['ops']}", flush=True)


if __name__ == "__main__":
    main()
