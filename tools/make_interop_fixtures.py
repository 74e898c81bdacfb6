#!/usr/bin/python3
"""A PyTorch-initialised BENCH.md MLP saved as safetensors, with inputs and PyTorch's logits.

Run: /usr/bin/python3 tools/make_interop_fixtures.py
The test loads the file into neurite's models/mlp.ts and must reproduce the logits.
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_spec  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "interop")
torch.manual_seed(7)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
x = torch.rand(4, 1, 28, 28)
with torch.no_grad():
    logits = model(x)
os.makedirs(OUT, exist_ok=True)
safetensors_spec.write(os.path.join(OUT, "mlp-torch.safetensors"), [(k, v.contiguous()) for k, v in model.state_dict().items()], {"format": "pt"})
with open(os.path.join(OUT, "mlp-torch.json"), "w") as f:
    json.dump({"input": {"shape": list(x.shape), "values": x.reshape(-1).tolist()}, "logits": logits.reshape(-1).tolist()}, f)
print("wrote", OUT)
