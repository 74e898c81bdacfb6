#!/usr/bin/python3
"""Loads a neurite-written MLP checkpoint into PyTorch and prints the logits for an input.

Usage: /usr/bin/python3 tools/torch_forward_mlp.py CHECKPOINT INPUT.json  -> JSON list of logits
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_spec  # noqa: E402

_, tensors, _ = safetensors_spec.read(sys.argv[1])
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
model.load_state_dict(tensors, strict=True)
spec = json.load(open(sys.argv[2]))
x = torch.tensor(spec["values"], dtype=torch.float32).reshape(spec["shape"])
with torch.no_grad():
    print(json.dumps(model(x).reshape(-1).tolist()))
