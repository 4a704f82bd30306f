"""Reference check in PyTorch (tooling, not the product): how far the project's network and recipes can go.

The product trains in TensorFlow.js; TF.js on WebGPU is far slower than PyTorch, so GPU minutes are scarce.
This script trains the *same* architecture (lib/models/classifier.ts: ResNet-9 layout, widths 32-64-128-256,
BatchNorm, GAP, Dense 100) with the *same* recipes on the same split (numpy seed 125, rand <= 0.2) in PyTorch
fp32, to choose epochs and hyper-parameters before spending TF.js GPU time. Prints one JSON line per run.

    CIFAR100_DIR=... python3 recipe_search.py [names...] [--validation] [--seed N] [--quick]
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DEV = "cuda" if torch.cuda.is_available() else "cpu"
torch.backends.cudnn.benchmark = True
torch.backends.cuda.matmul.allow_tf32 = False  # TF.js WebGPU computes in fp32
torch.backends.cudnn.allow_tf32 = False


def load(split):
    raw = np.fromfile(os.path.join(os.environ["CIFAR100_DIR"], f"{split}.bin"), dtype=np.uint8).reshape(-1, 3074)
    x = torch.from_numpy(raw[:, 2:].reshape(-1, 3, 32, 32).copy())
    y = torch.from_numpy(raw[:, 1].astype(np.int64))
    return x, y


def split_labels(n):
    np.random.seed(125)
    p = np.random.rand(n)
    return np.nonzero(p <= 0.2)[0], np.nonzero(p > 0.2)[0]


def conv_bn(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5), nn.ReLU())


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.f = nn.Sequential(conv_bn(c, c), conv_bn(c, c))

    def forward(self, x):
        return x + self.f(x)


def classifier(widths=(32, 64, 128, 256), classes=100):
    w1, w2, w3, w4 = widths
    return nn.Sequential(
        conv_bn(3, w1),
        conv_bn(w1, w2), nn.MaxPool2d(2), Residual(w2),
        conv_bn(w2, w3), nn.MaxPool2d(2),
        conv_bn(w3, w4), nn.MaxPool2d(2), Residual(w4),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(w4, classes),
    )


def weak(x):
    """Random crop with 4-pixel reflect padding and horizontal flip, on uint8 NCHW batches -> float [0,1]."""
    n = x.shape[0]
    x = x.float() / 255
    padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
    dx = torch.randint(0, 9, (n,), device=x.device)
    dy = torch.randint(0, 9, (n,), device=x.device)
    idx = torch.arange(32, device=x.device)
    rows = (dy[:, None] + idx[None, :])[:, None, :, None].expand(n, 3, 32, 40)
    x = torch.gather(padded, 2, rows)
    cols = (dx[:, None] + idx[None, :])[:, None, None, :].expand(n, 3, 32, 32)
    x = torch.gather(x, 3, cols)
    flip = torch.rand(n, device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def strong(x):
    """Weak + per-image brightness/contrast/saturation jitter + one 16x16 cutout (cheap, GPU-friendly)."""
    x = weak(x)
    n = x.shape[0]
    r = lambda lo, hi: (torch.rand(n, 1, 1, 1, device=x.device) * (hi - lo) + lo)
    x = x * r(0.6, 1.4)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * r(0.6, 1.4) + mean
    gray = x.mean(dim=1, keepdim=True)
    x = (x - gray) * r(0.2, 1.8) + gray
    x = x.clamp(0, 1)
    cy = torch.randint(0, 32, (n,), device=x.device)[:, None, None, None]
    cx = torch.randint(0, 32, (n,), device=x.device)[:, None, None, None]
    yy = torch.arange(32, device=x.device)[None, None, :, None]
    xx = torch.arange(32, device=x.device)[None, None, None, :]
    hole = ((yy - cy).abs() < 8) & ((xx - cx).abs() < 8)
    return x.masked_fill(hole, 0.5)


def lr_at(step, total, peak, warm=0.15):
    w = int(total * warm)
    return peak * step / max(1, w) if step < w else peak * max(0.0, (total - step) / max(1, total - w))


def evaluate(model, x, y, bs=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            correct += (model(x[i:i + bs].float() / 255).argmax(1) == y[i:i + bs]).sum().item()
    model.train()
    return correct / len(x)


def make_opt(model, lr, wd, kind):
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    rest = [p for n, p in model.named_parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0}]
    if kind == "adam":
        return torch.optim.AdamW(groups, lr=lr)
    return torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True)


def supervised(data, epochs=60, bs=256, lr=0.2, wd=5e-4, ls=0.1, widths=(32, 64, 128, 256), opt="sgd", seed=0, **_):
    torch.manual_seed(seed)
    xl, yl, xt, yt = data["xl"], data["yl"], data["xt"], data["yt"]
    model = classifier(widths).to(DEV).to(memory_format=torch.channels_last)
    o = make_opt(model, lr, wd, opt)
    steps_per_epoch = len(xl) // bs
    total = epochs * steps_per_epoch
    step = 0
    curve = []
    for ep in range(epochs):
        perm = torch.randperm(len(xl), device=DEV)
        for i in range(steps_per_epoch):
            idx = perm[i * bs:(i + 1) * bs]
            for g in o.param_groups:
                g["lr"] = lr_at(step, total, lr)
            loss = F.cross_entropy(model(weak(xl[idx])), yl[idx], label_smoothing=ls)
            o.zero_grad(set_to_none=True)
            loss.backward()
            o.step()
            step += 1
        if (ep + 1) % max(1, epochs // 4) == 0:
            curve.append((ep + 1, round(evaluate(model, xt, yt), 4)))
    return model, {"train": evaluate(model, xl, yl), "test": evaluate(model, xt, yt), "curve": curve}


def fixmatch(data, epochs=60, bs=64, mu=7, lr=0.05, wd=5e-4, tau=0.95, weighting="hard", lam=1.0,
             widths=(32, 64, 128, 256), seed=0, flex=False, da=False, ema=0.0, **_):
    """FixMatch with certainty weights: weighting 'hard' (1 above tau), 'conf' (confidence above tau),
    'softmatch' (truncated Gaussian of confidence around its running mean). Options for short budgets (issue 16):
    flex: FlexMatch's per-class thresholds tau * b/(2-b), b = the class's share of confident pseudo-labels so far
    (warm-up: unused images count as a class); da: distribution alignment of the weak predictions towards uniform
    (running mean of the predictions, momentum 0.999); ema: evaluate an exponential moving average of the weights
    (decay ema; 0 = off). Reports the last epoch's mask rate and the precision of the masked pseudo-labels (from the
    hidden labels of the unlabeled images)."""
    torch.manual_seed(seed)
    xl, yl, xu, yu, xt, yt = data["xl"], data["yl"], data["xu"], data["yu"], data["xt"], data["yt"]
    model = classifier(widths).to(DEV).to(memory_format=torch.channels_last)
    averaged = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(ema), use_buffers=True) if ema else None
    o = make_opt(model, lr, wd, "sgd")
    steps_per_epoch = len(xl) // bs
    total = epochs * steps_per_epoch
    mu_c, var_c = 1.0 / 100, 1.0
    selected = torch.full((len(xu),), -1, dtype=torch.long, device=DEV)  # FlexMatch: last confident label per image
    p_model = torch.full((100,), 1.0 / 100, device=DEV)  # distribution alignment: running mean of predictions
    step = 0
    curve = []
    for ep in range(epochs):
        masked = correct = rows = 0.0
        for i in range(steps_per_epoch):
            li = torch.randint(0, len(xl), (bs,), device=DEV)
            ui = torch.randint(0, len(xu), (bs * mu,), device=DEV)
            for g in o.param_groups:
                g["lr"] = lr_at(step, total, lr, warm=0.05)
            xb = torch.cat([weak(xl[li]), weak(xu[ui]), strong(xu[ui])])
            logits = model(xb)
            ll, lw, ls_ = logits[:bs], logits[bs:bs + bs * mu], logits[bs + bs * mu:]
            with torch.no_grad():
                p = lw.softmax(1)
                if da:
                    p_model = 0.999 * p_model + 0.001 * p.mean(0)
                    p = p / p_model
                    p = p / p.sum(1, keepdim=True)
                conf, pl = p.max(1)
                if flex:
                    counts = torch.bincount(selected[selected >= 0], minlength=100).float()
                    unused = (selected < 0).sum().float()
                    beta = counts / torch.maximum(counts.max(), unused).clamp(min=1)
                    threshold = tau * beta / (2 - beta)
                    w = (conf >= threshold[pl]).float()
                    over = conf > tau
                    selected[ui[over]] = pl[over]
                elif weighting == "hard":
                    w = (conf >= tau).float()
                elif weighting == "conf":
                    w = conf * (conf >= tau).float()
                else:
                    mu_c = 0.999 * mu_c + 0.001 * conf.mean().item()
                    var_c = 0.999 * var_c + 0.001 * conf.var().item()
                    w = torch.where(conf >= mu_c, torch.ones_like(conf), torch.exp(-(conf - mu_c) ** 2 / (2 * var_c / 4)))
                if i % 20 == 0:
                    hit = (w > 0).float()
                    masked += hit.sum().item()
                    correct += (hit * (pl == yu[ui]).float()).sum().item()
                    rows += len(ui)
            loss = F.cross_entropy(ll, yl[li]) + lam * (F.cross_entropy(ls_, pl, reduction="none") * w).mean()
            o.zero_grad(set_to_none=True)
            loss.backward()
            o.step()
            if averaged is not None:
                averaged.update_parameters(model)
            step += 1
        curve.append({"epoch": ep + 1, "mask": round(masked / rows, 4), "precision": round(correct / max(1.0, masked), 4)})
    final = averaged.module if averaged is not None else model
    return final, {"train": evaluate(final, xl, yl), "test": evaluate(final, xt, yt), "mask": curve[-1]["mask"],
                   "precision": curve[-1]["precision"], "curve": [c for c in curve if c["epoch"] % max(1, epochs // 10) == 0 or c["epoch"] == epochs]}


def holdout(indices, labels, size=1000, seed=2026):
    """lib/data/validation.ts's stratified hold-out, step for step (largest remainders per class, then a Fisher-Yates
    shuffle per class driven by numpy's legacy Mersenne Twister seeded 2026): the same 1,000 indices."""
    by_class = {}
    for i in indices:
        by_class.setdefault(int(labels[i]), []).append(int(i))
    classes = sorted(by_class)
    shares = [size * len(by_class[c]) / len(indices) for c in classes]
    counts = [math.floor(x) for x in shares]
    order = sorted(range(len(shares)), key=lambda k: (-(shares[k] - math.floor(shares[k])), k))
    for k in range(size - sum(counts)):
        counts[order[k]] += 1
    rng = np.random.RandomState(seed)
    held = []
    for c, quota in zip(classes, counts):
        members = list(by_class[c])
        for i in range(len(members) - 1, 0, -1):
            j = int(math.floor(rng.random_sample() * (i + 1)))
            members[i], members[j] = members[j], members[i]
        held += members[:quota]
    held = np.array(sorted(held))
    return np.setdiff1d(indices, held), held


RUNS = {
    "sup60": (supervised, {"epochs": 60}),
    "sup120": (supervised, {"epochs": 120}),
    "sup60_lr01": (supervised, {"epochs": 60, "lr": 0.1}),
    "sup60_adam": (supervised, {"epochs": 60, "lr": 2e-3, "wd": 5e-2, "opt": "adam"}),
    "sup60_bs512": (supervised, {"epochs": 60, "bs": 512, "lr": 0.4}),
    "sup60_full": (supervised, {"epochs": 60, "widths": (64, 128, 256, 512)}),
    "sup30": (supervised, {"epochs": 30}),
    "fix30_hard": (fixmatch, {"epochs": 30, "weighting": "hard"}),
    "fix30_soft": (fixmatch, {"epochs": 30, "weighting": "softmatch"}),
    "fix60_soft": (fixmatch, {"epochs": 60, "weighting": "softmatch"}),
    # Issue 16's candidates for short budgets (run them with --validation).
    "fix60_hard": (fixmatch, {"epochs": 60, "weighting": "hard"}),
    "fix30_flex": (fixmatch, {"epochs": 30, "flex": True}),
    "fix30_da": (fixmatch, {"epochs": 30, "weighting": "hard", "da": True}),
    "fix30_ema": (fixmatch, {"epochs": 30, "weighting": "hard", "ema": 0.999}),
    "fix30_flex_da_ema": (fixmatch, {"epochs": 30, "flex": True, "da": True, "ema": 0.999}),
    "fix60_flex_da_ema": (fixmatch, {"epochs": 60, "flex": True, "da": True, "ema": 0.999}),
    "fix30_full_flex_da_ema": (fixmatch, {"epochs": 30, "flex": True, "da": True, "ema": 0.999, "widths": (64, 128, 256, 512)}),
}


def main():
    args = sys.argv[1:]
    validation = "--validation" in args  # train on 9,080 labeled images, score the 1,000 held out, never the test set
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 0
    names = [a for k, a in enumerate(args) if not a.startswith("--") and (k == 0 or args[k - 1] != "--seed")] or list(RUNS)
    xtr, ytr = load("train")
    xt, yt = load("test")
    lab, unl = split_labels(len(xtr))
    assert len(lab) == 10080, len(lab)
    if validation:
        lab, held = holdout(lab, ytr.numpy(), 1000)
        xt, yt = xtr[held], ytr[held]
    quick = "--quick" in args  # one short epoch of each run on a slice of the data: checks that every recipe runs
    if quick:
        lab, unl, xt, yt = lab[:512], unl[:1344], xt[:200], yt[:200]
    to = lambda t: t.to(DEV)
    data = {"xl": to(xtr[lab]), "yl": to(ytr[lab]), "xu": to(xtr[unl]), "yu": to(ytr[unl]), "xt": to(xt), "yt": to(yt)}
    print(json.dumps({"device": torch.cuda.get_device_name() if DEV == "cuda" else "cpu", "torch": torch.__version__,
                      "split": "validation" if validation else "test", "labeled": len(lab), "scored": len(yt)}), flush=True)
    for name in names:
        fn, kw = RUNS[name]
        t0 = time.time()
        kw = {**kw, **({"epochs": 1} if quick else {})}
        _, res = fn(data, seed=seed, **kw)
        torch.cuda.synchronize() if DEV == "cuda" else None
        # With --validation, "test" is the accuracy on the 1,000 held-out labeled images.
        print(json.dumps({"run": name, "seed": seed, "split": "validation" if validation else "test", **kw, **res,
                          "seconds": round(time.time() - t0, 1)}, default=str), flush=True)


if __name__ == "__main__":
    main()
