#!/usr/bin/python3
"""PyTorch reference values for neurite's Linear layer and loss functions.

Run with Debian's PyTorch: /usr/bin/python3 tools/make_loss_fixtures.py
Writes test/fixtures/losses.json. Each case lists its inputs, options, the loss value and the
gradients of the loss (times a random upstream for reduction='none') w.r.t. float inputs.
"""
import json
import os
import torch
import torch.nn.functional as F

torch.manual_seed(1)
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "losses.json")


def t(x):
    return {"shape": list(x.shape), "dtype": "int32" if not x.is_floating_point() else "float64", "values": x.detach().reshape(-1).tolist()}


cases = {}


def case(name, fn, inputs, options):
    inputs = [x.clone().requires_grad_(x.is_floating_point() and i == 0) for i, x in enumerate(inputs)]
    y = fn(*inputs)
    up = torch.randn(y.shape, dtype=torch.float64)
    (y * up).sum().backward()
    cases[name] = {
        "inputs": [t(x) for x in inputs],
        "options": options,
        "output": {"shape": list(y.shape), "values": y.detach().reshape(-1).tolist()},
        "upstream": up.reshape(-1).tolist(),
        "grad0": inputs[0].grad.reshape(-1).tolist(),
    }


N, C = 6, 5
logits = torch.randn(N, C, dtype=torch.float64) * 3
target = torch.randint(0, C, (N,))
target_ign = target.clone()
target_ign[2] = -100
target_ign[4] = 3
weight = torch.rand(C, dtype=torch.float64) + 0.5
probs = torch.softmax(torch.randn(N, C, dtype=torch.float64), 1)
big = torch.tensor([[1000.0, -1000.0, 999.0], [-1000.0, -999.0, -1000.0]], dtype=torch.float64)
big_t = torch.tensor([0, 1])
img_logits = torch.randn(2, C, 3, 2, dtype=torch.float64)
img_target = torch.randint(0, C, (2, 3, 2))

for red in ["mean", "sum", "none"]:
    case(f"ce_{red}", lambda x, y, r=red: F.cross_entropy(x, y, reduction=r), [logits, target], {"reduction": red})
    case(f"ce_weight_ignore_{red}", lambda x, y, r=red: F.cross_entropy(x, y, weight=weight, ignore_index=-100, reduction=r), [logits, target_ign], {"reduction": red, "weight": weight.tolist(), "ignoreIndex": -100})
    case(f"ce_smooth_{red}", lambda x, y, r=red: F.cross_entropy(x, y, label_smoothing=0.2, reduction=r), [logits, target_ign], {"reduction": red, "labelSmoothing": 0.2})
    case(f"ce_smooth_weight_{red}", lambda x, y, r=red: F.cross_entropy(x, y, weight=weight, label_smoothing=0.1, reduction=r), [logits, target_ign], {"reduction": red, "labelSmoothing": 0.1, "weight": weight.tolist()})
    case(f"ce_probs_{red}", lambda x, y, r=red: F.cross_entropy(x, y, reduction=r), [logits, probs], {"reduction": red})
    case(f"nll_{red}", lambda x, y, r=red: F.nll_loss(x, y, weight=weight, reduction=r), [torch.log_softmax(logits, 1).detach(), target_ign], {"reduction": red, "weight": weight.tolist()})
    a = torch.randn(3, 4, dtype=torch.float64)
    b = torch.randn(3, 4, dtype=torch.float64)
    case(f"mse_{red}", lambda x, y, r=red: F.mse_loss(x, y, reduction=r), [a, b], {"reduction": red})
    case(f"l1_{red}", lambda x, y, r=red: F.l1_loss(x, y, reduction=r), [a, b], {"reduction": red})
    case(f"smooth_l1_{red}", lambda x, y, r=red: F.smooth_l1_loss(x, y, reduction=r, beta=0.5), [a, b], {"reduction": red, "beta": 0.5})
    case(f"huber_{red}", lambda x, y, r=red: F.huber_loss(x, y, reduction=r, delta=0.7), [a, b], {"reduction": red, "delta": 0.7})
    p = torch.rand(3, 4, dtype=torch.float64) * 0.98 + 0.01
    yt = torch.rand(3, 4, dtype=torch.float64)
    case(f"bce_{red}", lambda x, y, r=red: F.binary_cross_entropy(x, y, reduction=r), [p, yt], {"reduction": red})
    pw = torch.rand(4, dtype=torch.float64) * 2
    case(f"bce_logits_{red}", lambda x, y, r=red: F.binary_cross_entropy_with_logits(x, y, reduction=r, pos_weight=pw), [a * 10, yt], {"reduction": red, "posWeight": pw.tolist()})

case("ce_big_logits", lambda x, y: F.cross_entropy(x, y), [big, big_t], {"reduction": "mean"})
case("ce_spatial", lambda x, y: F.cross_entropy(x, y), [img_logits, img_target], {"reduction": "mean"})
case("ce_spatial_none", lambda x, y: F.cross_entropy(x, y, reduction="none"), [img_logits, img_target], {"reduction": "none"})
case("kl_div_batchmean", lambda x, y: F.kl_div(x, y, reduction="batchmean"), [torch.log_softmax(logits, 1).detach(), probs], {"reduction": "batchmean"})

# Linear layer: parameters, output and all gradients.
lin = torch.nn.Linear(7, 3).double()
x = torch.randn(4, 7, dtype=torch.float64, requires_grad=True)
y = lin(x)
up = torch.randn(y.shape, dtype=torch.float64)
(y * up).sum().backward()
linear = {
    "x": t(x), "weight": t(lin.weight), "bias": t(lin.bias), "output": y.detach().reshape(-1).tolist(), "upstream": up.reshape(-1).tolist(),
    "gradX": x.grad.reshape(-1).tolist(), "gradWeight": lin.weight.grad.reshape(-1).tolist(), "gradBias": lin.bias.grad.reshape(-1).tolist(),
}

with open(OUT, "w") as f:
    json.dump({"losses": cases, "linear": linear}, f)
print(f"wrote {len(cases)} loss cases to {OUT}")
