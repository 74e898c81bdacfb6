#!/usr/bin/python3
"""Quick PyTorch 1.13 side of the BENCH MLP/CNN throughput (batch 128 train, batch 1000 inference), for a same-moment ratio against `neurite bench --model cnn|mlp --backend wasm`.

Usage: quick_torch_bench.py [--threads N (default 2)] [--model cnn|mlp|all (default all)]"""
import argparse, time, torch
from torch import nn
cli = argparse.ArgumentParser(); cli.add_argument("--threads", type=int, default=2); cli.add_argument("--model", choices=["cnn", "mlp", "all"], default="all")
opts = cli.parse_args()
torch.set_num_threads(opts.threads); torch.manual_seed(0)
def run(model, n=20):
    opt = torch.optim.Adam(model.parameters(), 1e-3); x = torch.rand(128,1,28,28); y = torch.randint(0,10,(128,))
    for i in range(3): opt.zero_grad(); nn.functional.cross_entropy(model(x), y).backward(); opt.step()
    t=time.time()
    for i in range(n): opt.zero_grad(); l=nn.functional.cross_entropy(model(x), y); l.backward(); opt.step(); l.item()
    tr = 128*n/(time.time()-t)
    xi = torch.rand(1000,1,28,28)
    with torch.no_grad():
        model(xi); t=time.time(); [model(xi) for _ in range(5)]; inf = 5000/(time.time()-t)
    return tr, inf
cnn = nn.Sequential(nn.Conv2d(1,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32,64,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136,128), nn.ReLU(), nn.Linear(128,10))
mlp = nn.Sequential(nn.Flatten(), nn.Linear(784,256), nn.ReLU(), nn.Linear(256,256), nn.ReLU(), nn.Linear(256,10))
if opts.model in ("cnn", "all"): print(f"cnn train/inf img/s ({torch.get_num_threads()} threads)", run(cnn))
if opts.model in ("mlp", "all"): print(f"mlp train/inf img/s ({torch.get_num_threads()} threads)", run(mlp, 100))
