#!/usr/bin/python3
"""Training-trajectory fixtures: PyTorch 1.13 trains tiny versions of the reference models
(char-gpt, char-lstm, cnn-bn) for a few optimiser steps from recorded initial weights on
recorded batches, with dropout off so nothing random is left. test/train-trajectory.test.ts
replays the same steps in neurite and must reproduce every loss and the final weights (and
BatchNorm running statistics): the forward pass, autograd, weight tying, gradient clipping and
the optimisers checked together, step after step.

  /usr/bin/python3 tools/make_training_fixtures.py   # writes test/fixtures/nn/training.json
"""
import json
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from make_nn_fixtures import CharLSTM, cnn_bn, enc  # noqa: E402
from pytorch_char_lm import CharGPT, lm_loss  # noqa: E402  (the comparison script's model: GPT-2 init, tied head)

ROOT = os.path.join(os.path.dirname(__file__), "..")
STEPS = 10


def char_batches(block, batch, steps):
    with open(os.path.join(ROOT, "data", "fortunes-sample.txt"), encoding="utf-8") as f:
        text = f.read()[:20000]
    vocab = sorted(set(text))
    ids = torch.tensor([vocab.index(c) for c in text], dtype=torch.long)
    batches = []
    for s in range(steps):
        starts = [(s * batch + b) * block for b in range(batch)]
        x = torch.stack([ids[i : i + block] for i in starts])
        y = torch.stack([ids[i + 1 : i + block + 1] for i in starts])
        batches.append((x, y))
    return len(vocab), batches


def run(name, factory, config, model, optimizer_spec, batches, loss_fn, clip=None):
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    init = {k: enc(v) for k, v in model.state_dict().items()}
    kind, opts = optimizer_spec
    if kind == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=opts["lr"], weight_decay=opts["weightDecay"])
    elif kind == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=opts["lr"])
    else:
        opt = torch.optim.SGD(model.parameters(), lr=opts["lr"], momentum=opts["momentum"])
    model.train()
    losses = []
    for x, y in batches:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(loss.item())
    return {
        "name": name,
        "factory": factory,
        "config": config,
        "optimizer": {"kind": kind, **opts},
        "gradClip": clip,
        "init": init,
        "batches": [[enc(x), enc(y)] for x, y in batches],
        "losses": losses,
        "final": {k: enc(v) for k, v in model.state_dict().items()},
    }


def main():
    torch.manual_seed(0)
    cases = []
    vocab, batches = char_batches(block=16, batch=8, steps=STEPS)
    gpt = CharGPT(vocab, 16, d=16, heads=2, layers=2, dropout=0.0, tie=True)
    cases.append(run("char_gpt", "createCharGpt",
                     {"vocabSize": vocab, "blockSize": 16, "dModel": 16, "numHeads": 2, "numLayers": 2, "dropout": 0, "tieWeights": True},
                     gpt, ("adamw", {"lr": 1e-2, "weightDecay": 0.01}), batches, lm_loss, clip=1.0))
    lstm = CharLSTM(vocab, 8, 16, 2)
    cases.append(run("char_lstm", "createCharLstm",
                     {"vocabSize": vocab, "embedDim": 8, "hiddenSize": 16, "numLayers": 2, "dropout": 0},
                     lstm, ("adam", {"lr": 1e-2}), batches, lm_loss))
    # 12x12 images keep the fixture small; no ties in max pooling (continuous pixels).
    images = [(torch.rand(8, 1, 12, 12), torch.randint(0, 10, (8,))) for _ in range(STEPS)]
    cases.append(run("cnn_bn", "createCnnBn",
                     {"channels": [2, 4], "hidden": 8, "imageSize": 12, "convDropout": 0, "fcDropout": 0},
                     cnn_bn(2, 4, 8, image_size=12), ("sgd", {"lr": 0.02, "momentum": 0.9}), images, F.cross_entropy))
    path = os.path.join(ROOT, "test", "fixtures", "nn", "training.json")
    with open(path, "w") as f:
        json.dump({"steps": STEPS, "cases": cases}, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.relpath(path)} ({os.path.getsize(path) // 1024} KiB)")
    for c in cases:
        print(c["name"], " ".join(f"{v:.4f}" for v in c["losses"]))


if __name__ == "__main__":
    main()
