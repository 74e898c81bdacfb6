#!/usr/bin/python3
"""The BENCH CNN (models/cnn.ts) in PyTorch 1.13, for accuracy/time comparisons with neurite.

  /usr/bin/python3 tools/pytorch_cnn.py --epochs 2 [--batch-size 128] [--threads 2]
      trains Conv2d(1,32,3,p=1)→ReLU→MaxPool2d(2)→Conv2d(32,64,3,p=1)→ReLU→MaxPool2d(2)→Flatten
      →Linear(3136,128)→ReLU→Linear(128,10) with Adam lr 1e-3 on the full Fashion-MNIST
      training set (pixels /255, no normalisation, shuffled each epoch), evaluates on the
      10k test split and prints one JSON object (accuracy, loss, wall seconds).
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from pytorch_mlp import DATA, load  # noqa: E402


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def evaluate(model, x, y, bs=1000):
    model.eval()
    correct, total_loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            logits = model(x[i : i + bs])
            total_loss += nn.functional.cross_entropy(logits, y[i : i + bs], reduction="sum").item()
            correct += (logits.argmax(1) == y[i : i + bs]).sum().item()
    return correct / len(x), total_loss / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", default=DATA)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y = load("train", args.data)
    xt, yt = load("test", args.data)
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    history = []
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        e0 = time.time()
        perm = torch.randperm(len(x))
        tot, n = 0.0, 0
        for i in range(0, len(x), args.batch_size):
            idx = perm[i : i + args.batch_size]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            tot += loss.item() * len(idx)
            n += len(idx)
        train_seconds = time.time() - e0
        acc, tl = evaluate(model, xt, yt)
        history.append({"epoch": epoch + 1, "trainLoss": tot / n, "testAccuracy": acc, "testLoss": tl, "seconds": time.time() - e0, "trainSeconds": train_seconds})
        print(json.dumps(history[-1]), file=sys.stderr, flush=True)
    seconds = time.time() - start
    acc, loss = evaluate(model, xt, yt)
    print(json.dumps({"framework": "pytorch " + torch.__version__, "model": "cnn", "threads": torch.get_num_threads(), "epochs": args.epochs,
                      "batchSize": args.batch_size, "lr": args.lr, "seed": args.seed, "testAccuracy": acc, "testLoss": loss,
                      "seconds": seconds, "trainSeconds": sum(h["trainSeconds"] for h in history), "history": history}))


if __name__ == "__main__":
    main()
