#!/usr/bin/python3
"""Same-start training, PyTorch side: builds char-gpt (seed 0), writes its initial weights to
runs/char-gpt-init.safetensors, then trains STEPS AdamW steps (lr 1e-3) on the training windows
in file order (no shuffling) with the given dropout and dropout seed; prints every 10th loss
and the validation loss.

  /usr/bin/python3 tools/char-gpt-diagnostics/same_init.py DROPOUT STEPS [SEED [shuffle]]

With "shuffle", batches are drawn as in the real recipe (a new permutation every epoch).
INIT=FILE.safetensors starts from those weights instead of writing the PyTorch initialisation.

Part of the char-gpt comparison in docs/results-architectures.md §2; the neurite side is the
.ts file of the same name in this folder. Run from the repository root.
"""
import json, os, sys
sys.path.insert(0, "tools")
import torch
from pytorch_char_lm import CharGPT, load_text, lm_loss, evaluate
import safetensors_spec
dropout = float(sys.argv[1]); steps = int(sys.argv[2])
torch.set_num_threads(1); torch.manual_seed(0)
vocab, (x, y), (xv, yv) = load_text("/usr/share/games/fortunes/computers", 64, None, None)
model = CharGPT(len(vocab), 64, dropout=dropout)
sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
if os.environ.get("INIT"):  # start from other weights instead (e.g. neurite's own initialisation)
    model.load_state_dict(safetensors_spec.read(os.environ["INIT"])[1])
else:
    safetensors_spec.write("runs/char-gpt-init.safetensors", list(sd.items()))
torch.manual_seed(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
model.train(); losses = []
shuffle = len(sys.argv) > 4 and sys.argv[4] == "shuffle"
per_epoch = (len(x) + 31) // 32
for s in range(steps):
    if shuffle:
        if s % per_epoch == 0:
            perm = torch.randperm(len(x))
        idx = perm[(s % per_epoch) * 32 : (s % per_epoch) * 32 + 32]
    else:
        idx = torch.tensor([(s * 32 + b) % len(x) for b in range(32)])
    opt.zero_grad(); loss = lm_loss(model(x[idx]), y[idx]); loss.backward(); opt.step(); losses.append(loss.item())
print(json.dumps({"dropout": dropout, "losses": [round(l, 4) for l in losses[9::10]], "val": evaluate(model, xv, yv)}))
