#!/usr/bin/python3
"""PyTorch replays pieces of neurite's char-gpt run: STEPS steps of the recipe (AdamW 1e-3,
wd 0.01, batch 32, 105 steps an epoch) from the weights in INIT (neurite's initialisation from
save-neurite-init.ts, or "torch" for PyTorch's own seed-SEED init), on the batches in ORDER (a
JSON list of per-epoch permutations from loader-order.ts: neurite's batch order; or "torch" for
torch.randperm per epoch), with dropout DROPOUT drawn by PyTorch from torch.manual_seed(SEED).
Prints the largest early loss, the mean of the last 10 losses and the validation loss after the
last step (same evaluation as tools/pytorch_char_lm.py).

  /usr/bin/python3 tools/char-gpt-diagnostics/replay.py INIT ORDER STEPS [DROPOUT [SEED]]

With MASKS=FILE in the environment, every dropout (the embedding's, the attention weights', the
residual and feed-forward ones) applies the next keep bits of FILE, written by spike.ts masks=FILE,
instead of drawing from PyTorch: neurite's dropout masks under PyTorch's arithmetic.
"""
import json, sys
sys.path.insert(0, "tools")
import torch
from pytorch_char_lm import CharGPT, load_text, lm_loss, evaluate
import safetensors_spec
import os
import numpy as np
import torch.nn.functional as F


class RecordedMasks:
    """Keep bits in draw order (one per element, row-major over each dropout input's logical shape)."""

    def __init__(self, path):
        self.bits = np.memmap(path, dtype=np.uint8, mode="r")
        self.pos = 0

    def dropout(self, input, p=0.5, training=True, inplace=False):
        if not training or p == 0.0:
            return input
        n = input.numel()
        first, last = self.pos // 8, (self.pos + n + 7) // 8
        if last > len(self.bits):
            raise RuntimeError(f"MASKS: {n} bits asked at bit {self.pos}, file holds {len(self.bits) * 8}")
        bits = np.unpackbits(np.asarray(self.bits[first:last]), bitorder="little")[self.pos % 8 : self.pos % 8 + n]
        self.pos += n
        keep = torch.from_numpy(bits.astype(np.float32)).reshape(input.shape)
        return input * (keep * (1.0 / (1.0 - p)))


init, order, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
dropout = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
torch.set_num_threads(1); torch.manual_seed(seed)
vocab, (x, y), (xv, yv) = load_text("/usr/share/games/fortunes/computers", 64, None, None)
model = CharGPT(len(vocab), 64, dropout=dropout)
if init != "torch":
    model.load_state_dict(safetensors_spec.read(init)[1])
    torch.manual_seed(seed)
recorded = RecordedMasks(os.environ["MASKS"]) if os.environ.get("MASKS") else None
if recorded:
    F.dropout = recorded.dropout  # nn.Dropout and multi_head_attention_forward look the name up at call time
perms = None if order == "torch" else json.load(open(order))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
model.train(); losses = []
per_epoch = (len(x) + 31) // 32
for s in range(steps):
    e, b = divmod(s, per_epoch)
    if b == 0:
        perm = torch.randperm(len(x)) if perms is None else torch.tensor(perms[e])
    idx = perm[b * 32 : b * 32 + 32]
    opt.zero_grad(); loss = lm_loss(model(x[idx]), y[idx]); loss.backward(); opt.step(); losses.append(loss.item())
m = max(losses[9:]) if len(losses) > 9 else max(losses)
print(json.dumps({"init": init, "order": order, "dropout": dropout, "seed": seed, "masks": os.environ.get("MASKS"), "maskBitsUsed": recorded.pos if recorded else None, "maxFromStep10": round(m, 4), "at": losses.index(m) + 1,
                  "last10": round(sum(losses[-10:]) / min(10, len(losses)), 4), "val": evaluate(model, xv, yv), "losses": [round(l, 4) for l in losses]}))
