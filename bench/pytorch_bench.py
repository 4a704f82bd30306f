"""PyTorch reference for `npm run bench`: the same models, batch sizes and training step, eager mode, fp32 with TF32
off (TF.js on WebGPU computes in fp32; cuDNN would otherwise use TF32 for convolutions).

    python bench/pytorch_bench.py --models study,refcnn,resnet --json torch.json

study: the study's classifier (reference/pytorch/recipe_search.py's port of lib/models/classifier.ts) with
SGD-Nesterov, batch 256, as `npm run bench -- --captured` times it.

Same architecture as lib/bench/models.ts (refcnn: the assignment's CNN; resnet: stem conv 32 + one basic block per
stage, widths 32-64-128-256, 1x1 conv-BN shortcuts, GAP, Dense 100), Adam (lr 1e-3), softmax cross-entropy,
one fixed random batch, every step synchronised by reading the loss. BatchNorm uses Keras' momentum 0.99 and
epsilon 1e-3. The printed figure is the median images/s over the timed steps, like the TF.js bench.
"""
import argparse
import datetime
import json
import statistics
import subprocess
import time

import os
import sys

import torch
from torch import nn

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def ref_cnn() -> nn.Module:
    def conv(cin, cout):
        return [nn.Conv2d(cin, cout, 3), nn.ReLU()]

    return nn.Sequential(
        *conv(3, 16), *conv(16, 32), nn.MaxPool2d(2), *conv(32, 64), nn.MaxPool2d(2),
        *conv(64, 128), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 2 * 128, 100),
    )


def conv_bn(cin, cout, kernel, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01),
    )


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cout, 3, stride), nn.ReLU(), conv_bn(cout, cout, 3, 1))
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else conv_bn(cin, cout, 1, stride)

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def res_net(widths=(32, 64, 128, 256)) -> nn.Module:
    layers = [conv_bn(3, widths[0], 3, 1), nn.ReLU()]
    cin = widths[0]
    for stage, width in enumerate(widths):
        layers.append(BasicBlock(cin, width, 2 if stage > 0 else 1))
        cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 100)]
    return nn.Sequential(*layers)


def study():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "pytorch"))
    from recipe_search import classifier  # noqa: E402  (the same architecture as lib/models/classifier.ts)
    return classifier()


MODELS = {"study": study, "refcnn": ref_cnn, "resnet": res_net}


def bench_model(name, batch, steps, warmup, device, channels_last, seed):
    torch.manual_seed(seed)
    model = MODELS[name]().to(device)
    x = torch.rand(batch, 3, 32, 32, device=device) * 2 - 1
    y = torch.randint(0, 100, (batch,), device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if name == "study":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    step_ms, losses = [], []
    for step in range(warmup + steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())  # synchronises the step
        if step >= warmup:
            step_ms.append(1000 * (time.perf_counter() - start))
    median_ms = statistics.median(step_ms)
    return {"model": name, "batch": batch, "imagesPerSec": 1000 * batch / median_ms, "medianStepMs": median_ms,
            "stepMs": step_ms, "losses": losses}


def git_commit():
    try:
        return subprocess.check_output(["git", "rev-parse", "HEAD"], stderr=subprocess.DEVNULL).decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="study,refcnn,resnet")
    parser.add_argument("--batch-study", type=int, default=256)
    parser.add_argument("--batch-refcnn", type=int, default=512)
    parser.add_argument("--batch-resnet", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json")
    args = parser.parse_args()
    device = torch.device(args.device)
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    results = []
    for name in args.models.split(","):
        batch = getattr(args, f"batch_{name}")
        result = bench_model(name, batch, args.steps, args.warmup, device, args.channels_last, args.seed)
        print(f"{name}: batch {batch}, {result['imagesPerSec']:.1f} img/s (median step {result['medianStepMs']:.2f} ms)")
        results.append(result)
    record = {"framework": "pytorch", "version": torch.__version__, "device": device_name, "channelsLast": args.channels_last, "tf32": False,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "commit": git_commit(),
              "steps": args.steps, "warmup": args.warmup, "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(record, f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
