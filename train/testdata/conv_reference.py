#!/usr/bin/python3
"""PyTorch reference for snnc's conv training benchmark (issue 19).

The same network as `snnc train --arch 28x28x1-16c5-p2-32c5-p2-10 -T 4`,
written plainly in PyTorch: LIF neurons u[t] = γ·u[t−1]·(1 − ŝ[t−1]) + c[t]
(γ = 0.5, ϑ = 0.5), the ASGL activation ŝ = H_α(x) + m·stopgrad(Θ(x) − H_α(x))
with H_α(x) = clip(x/α + 1/2, 0, 1), m ~ Bernoulli(p = 0.8) and a learnable
ln α per LIF stage (its own Adam, learning rate 0.05 under the same cosine
schedule), 2×2 average pooling, the mean current of the last layer over T as
the readout, cross-entropy, Adam with cosine annealing to 0 over all steps,
batch 128. The input is a direct current x/255; the first convolution is
computed once per batch and reused at every step. PyTorch's default
initialisation (uniform ±1/√fan_in for these layers) is snnc's.

Not part of CI. Needs Debian's python3-torch; run with /usr/bin/python3:

    /usr/bin/python3 train/testdata/conv_reference.py --data /work/shared/data/mnist \
        --limit 8000 --epochs 1 --lr 3e-3

It prints one line per epoch: training samples/s (wall), training CPU
seconds, and the test accuracy (Θ only) on the whole test split.
"""
import argparse
import gzip
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_idx(path):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            op = gzip.open if p.endswith(".gz") else open
            with op(p, "rb") as f:
                data = f.read()
            break
    else:
        raise SystemExit(f"conv_reference.py: {path}: no such file")
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class ASGLSpike(nn.Module):
    """LIF stage with a learnable ln α and the ASGL mixed activation."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.log_alpha = nn.Parameter(torch.tensor(math.log(alpha)))

    def forward(self, x, p):
        alpha = self.log_alpha.exp()
        h = torch.clamp(x / alpha + 0.5, 0.0, 1.0)
        theta = (x >= 0).to(x.dtype)
        if not self.training:
            return theta
        m = (torch.rand_like(x) < p).to(x.dtype)
        return h + m * (theta - h).detach()


class ConvSNN(nn.Module):
    def __init__(self, T=4, leak=0.5, threshold=0.5):
        super().__init__()
        self.T, self.leak, self.threshold = T, leak, threshold
        self.conv1 = nn.Conv2d(1, 16, 5)
        self.conv2 = nn.Conv2d(16, 32, 5)
        self.fc = nn.Linear(32 * 4 * 4, 10)
        self.spike1, self.spike2 = ASGLSpike(), ASGLSpike()

    def forward(self, x, p=0.8):
        c1 = self.conv1(x)  # constant input: computed once
        u1 = u2 = s1 = s2 = None
        out = 0
        for t in range(self.T):
            u1 = c1 if t == 0 else self.leak * u1 * (1 - s1) + c1
            s1 = self.spike1(u1 - self.threshold, p)
            c2 = self.conv2(F.avg_pool2d(s1, 2))
            u2 = c2 if t == 0 else self.leak * u2 * (1 - s2) + c2
            s2 = self.spike2(u2 - self.threshold, p)
            out = out + self.fc(F.avg_pool2d(s2, 2).flatten(1))
        return out / self.T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/mnist")
    ap.add_argument("--limit", type=int, default=8000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--alpha-lr", type=float, default=0.05)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr = load_idx(os.path.join(a.data, "train-images-idx3-ubyte"))[: a.limit or None]
    ytr = load_idx(os.path.join(a.data, "train-labels-idx1-ubyte"))[: a.limit or None]
    xte = load_idx(os.path.join(a.data, "t10k-images-idx3-ubyte"))
    yte = load_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte"))
    xtr = torch.from_numpy(xtr.astype(np.float32) / 255).unsqueeze(1)
    ytr = torch.from_numpy(ytr.astype(np.int64))
    xte = torch.from_numpy(xte.astype(np.float32) / 255).unsqueeze(1)
    yte = torch.from_numpy(yte.astype(np.int64))

    net = ConvSNN()
    alphas = [net.spike1.log_alpha, net.spike2.log_alpha]
    weights = [q for n, q in net.named_parameters() if "log_alpha" not in n]
    opt = torch.optim.Adam(weights, lr=a.lr)
    aopt = torch.optim.Adam(alphas, lr=a.alpha_lr)
    steps = (len(xtr) + a.batch - 1) // a.batch
    total = steps * a.epochs
    g = torch.Generator().manual_seed(a.seed)
    step = 0
    for e in range(a.epochs):
        net.train()
        perm = torch.randperm(len(xtr), generator=g)
        t0, c0 = time.perf_counter(), time.process_time()
        for s in range(steps):
            f = 0.5 * (1 + math.cos(math.pi * step / total))  # cosine to 0
            for q in opt.param_groups:
                q["lr"] = a.lr * f
            for q in aopt.param_groups:
                q["lr"] = a.alpha_lr * f
            idx = perm[s * a.batch:(s + 1) * a.batch]
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            opt.zero_grad()
            aopt.zero_grad()
            loss.backward()
            opt.step()
            aopt.step()
            step += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        net.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xte), 500):
                correct += (net(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item()
        print(f"pytorch epoch {e + 1}: {len(xtr) / wall:.0f} samples/s, {len(xtr) / cpu:.0f} samples/cpu-s, "
              f"train {wall:.2f} s wall {cpu:.2f} s cpu, test accuracy {100 * correct / len(xte):.2f}%, "
              f"alpha [{alphas[0].exp().item():.3g} {alphas[1].exp().item():.3g}]", flush=True)


if __name__ == "__main__":
    main()
