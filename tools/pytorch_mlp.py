#!/usr/bin/python3
"""The BENCH.md MLP in PyTorch 1.13, for interop and accuracy comparisons with neurite.

  /usr/bin/python3 tools/pytorch_mlp.py train --epochs 5 --out runs/torch-mlp.safetensors
      trains Flatten→Linear(784,256)→ReLU→Linear(256,256)→ReLU→Linear(256,10) with Adam 1e-3,
      batch 128, saves the state_dict as safetensors and prints {"testAccuracy": ...} as JSON.
  /usr/bin/python3 tools/pytorch_mlp.py eval CHECKPOINT
      loads a safetensors state_dict (e.g. written by `neurite train`) into the same
      nn.Sequential and prints its test accuracy and loss as JSON.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_spec  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split, data_dir):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def make_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
    return acc, loss


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--data", default=DATA)
    t.add_argument("--out", default="runs/torch-mlp.safetensors")
    e = sub.add_parser("eval")
    e.add_argument("checkpoint")
    e.add_argument("--data", default=DATA)
    args = ap.parse_args()
    torch.set_num_threads(2)
    xt, yt = load("test", args.data)
    if args.cmd == "train":
        torch.manual_seed(args.seed)
        x, y = load("train", args.data)
        model = make_model()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        start = time.time()
        for epoch in range(args.epochs):
            model.train()
            perm = torch.randperm(len(x))
            for i in range(0, len(x), 128):
                idx = perm[i : i + 128]
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
        seconds = time.time() - start
        acc, loss = evaluate(model, xt, yt)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        sd = model.state_dict()
        safetensors_spec.write(args.out, [(k, v.detach().float().contiguous()) for k, v in sd.items()], {"format": "pt"})
        print(json.dumps({"testAccuracy": acc, "testLoss": loss, "epochs": args.epochs, "seconds": seconds, "checkpoint": args.out}))
    else:
        _, tensors, _ = safetensors_spec.read(args.checkpoint)
        model = make_model()
        model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
        acc, loss = evaluate(model, xt, yt)
        print(json.dumps({"testAccuracy": acc, "testLoss": loss, "checkpoint": args.checkpoint}))


if __name__ == "__main__":
    main()
