#!/usr/bin/python3
"""PyTorch reference values for higher-order gradients (create_graph).

Run with Debian's PyTorch: /usr/bin/python3 tools/make_higher_order_fixtures.py
Writes test/fixtures/higher-order.json:
  wgan_gp: a WGAN-GP gradient penalty on a small critic (Linear-Tanh-Linear): the penalty and the
           gradients of the critic's parameters through it (a second-order gradient).
  hvp:     a Hessian-vector product of a small MLP's cross-entropy loss with respect to its
           parameters, by double backward (grad of <grad(loss), v>).
"""
import json
import os
import torch
import torch.nn.functional as F

torch.manual_seed(12)
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "higher-order.json")
D = torch.float64


def flat(t):
    return t.detach().reshape(-1).tolist()


def tensor_json(t):
    return {"shape": list(t.shape), "values": flat(t)}


def wgan_gp():
    w1, b1 = torch.randn(8, 4, dtype=D) * 0.5, torch.randn(8, dtype=D) * 0.1
    w2, b2 = torch.randn(1, 8, dtype=D) * 0.5, torch.randn(1, dtype=D) * 0.1
    real, fake = torch.randn(5, 4, dtype=D), torch.randn(5, 4, dtype=D)
    alpha = torch.rand(5, 1, dtype=D)
    params = [p.clone().requires_grad_(True) for p in (w1, b1, w2, b2)]

    def critic(x):
        return F.linear(torch.tanh(F.linear(x, params[0], params[1])), params[2], params[3])

    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = critic(x_hat)
    (g,) = torch.autograd.grad(out, x_hat, grad_outputs=torch.ones_like(out), create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    return {
        "params": [tensor_json(p) for p in (w1, b1, w2, b2)],
        "real": tensor_json(real),
        "fake": tensor_json(fake),
        "alpha": tensor_json(alpha),
        "inputGrad": tensor_json(g),
        "penalty": penalty.item(),
        # None where the penalty does not depend on a parameter (the last bias)
        "paramGrads": [tensor_json(p.grad) if p.grad is not None else None for p in params],
    }


def hvp():
    w1, b1 = torch.randn(4, 3, dtype=D) * 0.7, torch.randn(4, dtype=D) * 0.1
    w2 = torch.randn(2, 4, dtype=D) * 0.7
    x = torch.randn(5, 3, dtype=D)
    target = torch.tensor([0, 1, 1, 0, 1])
    vs = [torch.randn_like(p) for p in (w1, b1, w2)]
    params = [p.clone().requires_grad_(True) for p in (w1, b1, w2)]
    loss = F.cross_entropy(F.linear(torch.tanh(F.linear(x, params[0], params[1])), params[2]), target)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vs))
    hv = torch.autograd.grad(dot, params)
    return {
        "params": [tensor_json(p) for p in (w1, b1, w2)],
        "x": tensor_json(x),
        "target": target.tolist(),
        "v": [tensor_json(v) for v in vs],
        "loss": loss.item(),
        "grads": [tensor_json(g) for g in grads],
        "hvp": [tensor_json(h) for h in hv],
    }


def main():
    out = {"wgan_gp": wgan_gp(), "hvp": hvp()}
    with open(OUT, "w") as f:
        json.dump(out, f, allow_nan=False)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
