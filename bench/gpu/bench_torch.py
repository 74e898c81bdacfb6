#!/usr/bin/env python3
"""PyTorch CUDA peer for bench-webgpu: matmul GFLOP/s and BENCH.md MLP/CNN training images/s,
fp32 with TF32 off ("fp32") and on ("tf32"), as JSON lines on stdout (same fields as neurite's).

  python3 bench_torch.py [--quick] [--sizes 1024,2048,4096,8192] [--batches 128,1024]
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true")
p.add_argument("--sizes", default=None)
p.add_argument("--batches", default=None)
p.add_argument("--seconds", type=float, default=None)
a = p.parse_args()
sizes = [int(s) for s in (a.sizes or ("256,512" if a.quick else "1024,2048,4096,8192")).split(",")]
batches = [int(s) for s in (a.batches or ("32" if a.quick else "128,1024")).split(",")]
min_seconds = a.seconds or (0.5 if a.quick else 3.0)

if not torch.cuda.is_available():
    print("bench_torch: CUDA is not available to this PyTorch", file=sys.stderr)
    sys.exit(2)
dev = torch.device("cuda")
print(f"# torch {torch.__version__}, {torch.cuda.get_device_name(0)}", file=sys.stderr)


def emit(**row):
    print(json.dumps(row), flush=True)


def time_it(step, warmup, min_steps):
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    n = 0
    t0 = time.perf_counter()
    while n < min_steps or time.perf_counter() - t0 < min_seconds:
        step()
        n += 1
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / n


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )


for mode, tf32 in (("fp32", False), ("tf32", True)):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    for n in sizes:
        x = torch.randn(n, n, device=dev)
        y = torch.randn(n, n, device=dev)
        reps = max(1, round(2**33 / n**3))

        def mm():
            for _ in range(reps):
                torch.mm(x, y)
            torch.cuda.synchronize()

        s = time_it(mm, 1, 3)
        emit(bench="matmul", framework="torch-cuda", mode=mode, size=n, value=2 * n**3 * reps / s / 1e9, unit="GFLOP/s")
        del x, y
    for name, make in (("mlp", mlp), ("cnn", cnn)):
        for batch in batches:
            torch.manual_seed(0)
            model = make().to(dev)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            xb = torch.rand(batch, 1, 28, 28, device=dev)
            yb = torch.randint(0, 10, (batch,), device=dev)
            loss_fn = nn.CrossEntropyLoss()

            def step():
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
                loss.item()  # read back, as neurite does

            s = time_it(step, 3, 5)
            emit(bench=f"{name}-train", framework="torch-cuda", mode=mode, batch=batch, value=batch / s, unit="img/s")
