#!/usr/bin/python3
"""Dropout in expectation, PyTorch side: loads a trained char-gpt checkpoint (CHECKPOINT, e.g.
runs/arch/char-gpt-8/model.safetensors) and, in training mode on the first 32 training
windows, prints the mean and std of the loss over 200 dropout draws, then the mean gradient
(first values and norm) and the gradient variance over 100 draws for a few parameters.

  /usr/bin/python3 tools/char-gpt-diagnostics/dropout_moments.py DROPOUT CHECKPOINT

Part of the char-gpt comparison in docs/results-architectures.md §2; the neurite side is the
.ts file of the same name in this folder. Run from the repository root.
"""
import json, sys
sys.path.insert(0, "tools")
import torch
from pytorch_char_lm import CharGPT, load_text, lm_loss
import safetensors_spec
torch.set_num_threads(1); torch.manual_seed(1)
vocab, (x, y), _ = load_text("/usr/share/games/fortunes/computers", 64, None, None)
model = CharGPT(len(vocab), 64, dropout=float(sys.argv[1]))
_, sd, _ = safetensors_spec.read(sys.argv[2])
missing = model.load_state_dict(sd, strict=False); print(missing, file=sys.stderr)
model.train()
xs, ys = x[:32], y[:32]
ls = []
with torch.no_grad():
    for i in range(200):
        ls.append(lm_loss(model(xs), ys).item())
t = torch.tensor(ls)
print(json.dumps({"mean": t.mean().item(), "std": t.std().item()}))
acc = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
sq = {n: 0.0 for n, p in model.named_parameters()}
for i in range(100):
    model.zero_grad(); lm_loss(model(xs), ys).backward()
    for n, p in model.named_parameters(): acc[n] += p.grad / 100; sq[n] += p.grad.pow(2).sum().item() / 100
out = {n: [round(v, 6) for v in acc[n].reshape(-1)[:6].tolist()] + [round(acc[n].norm().item(), 6)] for n in ["tok_emb.weight", "pos_emb.weight", "blocks.0.self_attn.in_proj_weight", "blocks.0.linear1.weight", "blocks.3.linear2.weight", "blocks.2.norm1.weight", "ln_f.weight"]}
print(json.dumps(out))
print(json.dumps({n: round(sq[n] - acc[n].pow(2).sum().item(), 7) for n in out}))
