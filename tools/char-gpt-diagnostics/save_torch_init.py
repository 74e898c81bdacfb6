#!/usr/bin/python3
"""Writes PyTorch's char-gpt initialisation for torch.manual_seed(SEED) (as tools/pytorch_char_lm.py
draws it) to OUT.safetensors, for `spike.ts init=OUT.safetensors` (neurite training from
PyTorch's weights) and replay.py.

  /usr/bin/python3 tools/char-gpt-diagnostics/save_torch_init.py SEED OUT.safetensors
"""
import sys, torch
sys.path.insert(0, "tools")
import safetensors_spec
from pytorch_char_lm import CharGPT
torch.manual_seed(int(sys.argv[1]))
m = CharGPT(106, 64)
safetensors_spec.write(sys.argv[2], [(k, v.detach().clone().contiguous()) for k, v in m.state_dict().items()])
