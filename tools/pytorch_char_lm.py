#!/usr/bin/python3
"""neurite's character language models (models/char-lstm.ts, models/char-gpt.ts) in PyTorch 1.13,
trained on exactly the data pipeline of `neurite train --model char-lstm|char-gpt`
(src/cli/tasks.ts), for validation-loss comparisons.

  /usr/bin/python3 tools/pytorch_char_lm.py --model char-lstm --text FILE --epochs 1 --limit 1600
  /usr/bin/python3 tools/pytorch_char_lm.py --model char-gpt  --text FILE --epochs 1 --limit 1600

Data (as src/cli/tasks.ts): vocabulary = the sorted distinct characters of the text (BOM
dropped); the first floor(0.9 * len) characters train, the rest are held out; both are cut into
non-overlapping windows of --block-size characters (targets shifted by one); --limit /
--test-limit keep the first N windows. Batches are shuffled each epoch (last batch kept);
the validation loss is the mean cross-entropy per character (nats) over all held-out windows,
evaluated in batches of 64 after every epoch, as neurite's fit/evaluate do.

Models and optimiser defaults (as src/cli/model-zoo.ts):
  char-lstm: Embedding(V,64) → LSTM(64,256, 2 layers, batch_first, dropout 0.2) → Linear(256,V);
             Adam lr 2e-3, batch 32, block 64.
  char-gpt:  tok Embedding(V,128) + pos Embedding(block,128) → Dropout(0.1) → 4 x
             TransformerEncoderLayer(128, 4 heads, ff 512, dropout 0.1, gelu, batch_first,
             norm_first) with a causal mask → LayerNorm → Linear(128,V, no bias) tied to tok
             embedding; weights ~N(0,0.02), biases 0; AdamW lr 1e-3 (weight decay 0.01), batch 32, block 64.
Prints one JSON object on stdout; per-epoch lines on stderr.
"""
import argparse
import json
import math
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


class CharLSTM(nn.Module):
    def __init__(self, vocab, embed_dim=64, hidden=256, layers=2, dropout=0.2):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx):
        out, _ = self.lstm(self.embed(idx))
        return self.head(out)


class CharGPT(nn.Module):
    def __init__(self, vocab, block, d=128, heads=4, layers=4, dropout=0.1, tie=True):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, d)
        self.pos_emb = nn.Embedding(block, d)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(d, heads, dim_feedforward=4 * d, dropout=dropout, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(layers)
        ])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith("bias"):
                    p.zero_()
                elif p.ndim >= 2:
                    p.normal_(0.0, 0.02)
        if tie:
            self.head.weight = self.tok_emb.weight

    def forward(self, idx):
        T = idx.shape[1]
        x = self.drop(self.tok_emb(idx) + self.pos_emb(torch.arange(T)))
        mask = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        for b in self.blocks:
            x = b(x, src_mask=mask)
        return self.head(self.ln_f(x))


DEFAULTS = {
    "char-lstm": {"batch": 32, "lr": 2e-3, "opt": "adam", "block": 64},
    "char-gpt": {"batch": 32, "lr": 1e-3, "opt": "adamw", "block": 64},
}


def load_text(path, block, limit, test_limit):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    split = math.floor(len(ids) * 0.9)

    def windows(lo, hi, lim):
        n = (hi - lo - 1) // block
        if lim:
            n = min(n, lim)
        n = max(n, 1)
        x = torch.stack([ids[lo + i * block : lo + i * block + block] for i in range(n)])
        y = torch.stack([ids[lo + i * block + 1 : lo + i * block + block + 1] for i in range(n)])
        return x, y

    return vocab, windows(0, split, limit), windows(split, len(ids), test_limit)


def lm_loss(logits, y):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def evaluate(model, x, y, bs=64):
    model.eval()
    total, n = 0.0, 0
    # grad mode stays on so PyTorch 1.13's fused inference fast path is not taken (same math, but keep it plain)
    for i in range(0, len(x), bs):
        xb, yb = x[i : i + bs], y[i : i + bs]
        total += lm_loss(model(xb), yb).item() * len(xb)
        n += len(xb)
    model.train()
    return total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=list(DEFAULTS), required=True)
    ap.add_argument("--text", default="data/fortunes-sample.txt")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--block-size", type=int)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--test-limit", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=0, help="also evaluate every N steps (0: only per epoch)")
    args = ap.parse_args()
    d = DEFAULTS[args.model]
    bs = args.batch_size or d["batch"]
    lr = args.lr or d["lr"]
    block = args.block_size or d["block"]
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    vocab, (x, y), (xv, yv) = load_text(args.text, block, args.limit, args.test_limit)
    V = len(vocab)
    model = CharLSTM(V) if args.model == "char-lstm" else CharGPT(V, block)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=lr) if d["opt"] == "adam" else torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    model.train()
    history, curve = [], []
    step = 0
    start = time.time()
    for epoch in range(args.epochs):
        perm = torch.randperm(len(x))
        tot, n = 0.0, 0
        for i in range(0, len(x), bs):
            idx = perm[i : i + bs]
            opt.zero_grad()
            loss = lm_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            step += 1
            tot += loss.item() * len(idx)
            n += len(idx)
            if args.eval_every and step % args.eval_every == 0:
                curve.append({"step": step, "valLoss": evaluate(model, xv, yv)})
                print(json.dumps(curve[-1]), file=sys.stderr, flush=True)
        val = evaluate(model, xv, yv)
        history.append({"epoch": epoch + 1, "step": step, "trainLoss": tot / n, "valLoss": val, "seconds": time.time() - start})
        print(json.dumps(history[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"framework": "pytorch " + torch.__version__, "model": args.model, "text": args.text, "vocabSize": V,
                      "trainSequences": len(x), "valSequences": len(xv), "blockSize": block, "batchSize": bs, "lr": lr,
                      "optimizer": d["opt"], "epochs": args.epochs, "steps": step, "seed": args.seed,
                      "parameters": sum(p.numel() for p in model.parameters()),
                      "valLoss": history[-1]["valLoss"], "trainLoss": history[-1]["trainLoss"],
                      "seconds": time.time() - start, "history": history, "curve": curve}))


if __name__ == "__main__":
    main()
