#!/usr/bin/python3
"""Gradient norm and loss of char-gpt at the weights in INIT (e.g. neurite's seed-0 initialisation,
save-neurite-init.ts) on the first BATCH training windows, with dropout 0 and 0.1 over DRAWS
PyTorch dropout seeds: the PyTorch side of dropout-gradcheck.ts's gradientNorm.

  /usr/bin/python3 tools/char-gpt-diagnostics/init_gradnorm.py INIT [BATCH [DRAWS]]
"""
import sys, torch
sys.path.insert(0, "tools")
import safetensors_spec
from pytorch_char_lm import CharGPT, load_text, lm_loss
torch.set_num_threads(1)
vocab, (x, y), _ = load_text("/usr/share/games/fortunes/computers", 64, None, None)
B = int(sys.argv[2]) if len(sys.argv) > 2 else 8
for p in (0.0, 0.1):
    m = CharGPT(len(vocab), 64, dropout=p); m.load_state_dict(safetensors_spec.read(sys.argv[1])[1]); m.train()
    norms, losses = [], []
    for s in range(int(sys.argv[3]) if len(sys.argv) > 3 else 10):
        torch.manual_seed(s); m.zero_grad(); l = lm_loss(m(x[:B]), y[:B]); l.backward()
        norms.append(torch.sqrt(sum((q.grad ** 2).sum() for q in m.parameters())).item()); losses.append(l.item())
    t = torch.tensor(norms); L = torch.tensor(losses)
    print(f"pytorch dropout {p}: grad norm mean {t.mean():.4f} sd {t.std() if len(norms) > 1 else 0:.4f}  loss mean {L.mean():.5f}")
