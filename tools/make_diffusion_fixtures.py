#!/usr/bin/python3
"""Reference values for neurite's diffusion pieces (src/diffusion), from PyTorch 1.13 and numpy.

Run with Debian's PyTorch: /usr/bin/python3 tools/make_diffusion_fixtures.py
Writes test/fixtures/diffusion.json:
- schedules: linear (Ho et al.) and cosine (Nichol & Dhariwal) betas, alphas_cumprod and the
  posterior variance at chosen timesteps, computed in float64 torch
- embedding: guided-diffusion's timestep_embedding (cos first, then sin)
- steps: one DDPM posterior step and DDIM steps (eta 0 and 0.5) with given x_t, eps and noise
- frechet: features of two sets and the Fréchet distance from numpy (eigh-based sqrt and, as a
  cross-check, the eigenvalues of S1 S2)
"""
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "diffusion.json")
torch.manual_seed(0)
rng = np.random.default_rng(0)


def linear_betas(T, b0=1e-4, b1=0.02):
    return torch.linspace(b0, b1, T, dtype=torch.float64)


def cosine_betas(T, s=0.008, max_beta=0.999):
    f = lambda t: math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    return torch.tensor([min(1 - f(i + 1) / f(i), max_beta) for i in range(T)], dtype=torch.float64)


def schedule(betas):
    alphas = 1 - betas
    ac = torch.cumprod(alphas, 0)
    acp = torch.cat([torch.ones(1, dtype=torch.float64), ac[:-1]])
    post = betas * (1 - acp) / (1 - ac)
    return alphas, ac, acp, post


IDX = [0, 1, 2, 10, 100, 250, 500, 750, 998, 999]
sched = {}
for name, betas in [("linear", linear_betas(1000)), ("cosine", cosine_betas(1000))]:
    alphas, ac, acp, post = schedule(betas)
    sched[name] = {
        "T": 1000,
        "index": IDX,
        "betas": betas[IDX].tolist(),
        "alphasCumprod": ac[IDX].tolist(),
        "posteriorVariance": post[IDX].tolist(),
        "sumBetas": betas.sum().item(),
    }


def timestep_embedding(t, dim, max_period=10000):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(0, half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


tsteps = torch.tensor([0, 1, 7, 100, 999])
embedding = {
    "t": tsteps.tolist(),
    "dim16": timestep_embedding(tsteps, 16).reshape(-1).tolist(),
    "dim7": timestep_embedding(tsteps, 7).reshape(-1).tolist(),
}

# Sampler steps on the linear schedule (float64 reference, compared in float32).
betas = linear_betas(1000)
alphas, ac, acp, post = schedule(betas)
shape = [2, 1, 3, 3]
xt = torch.randn(shape, dtype=torch.float64)
eps = torch.randn(shape, dtype=torch.float64)
noise = torch.randn(shape, dtype=torch.float64)


def x0_of(xt, eps, t, clip):
    x0 = (xt - (1 - ac[t]).sqrt() * eps) / ac[t].sqrt()
    return x0.clamp(-1, 1) if clip else x0


def ddpm_step(t, clip):
    x0 = x0_of(xt, eps, t, clip)
    mean = betas[t] * acp[t].sqrt() / (1 - ac[t]) * x0 + (1 - acp[t]) * alphas[t].sqrt() / (1 - ac[t]) * xt
    return mean + (post[t].sqrt() * noise if t > 0 else 0)


def ddim_step(t, tprev, eta, clip):
    a = ac[t]
    ap = ac[tprev] if tprev >= 0 else torch.tensor(1.0, dtype=torch.float64)
    x0 = x0_of(xt, eps, t, clip)
    e = (xt - a.sqrt() * x0) / (1 - a).sqrt() if clip else eps
    sigma = eta * ((1 - ap) / (1 - a)).sqrt() * (1 - a / ap).sqrt()
    return ap.sqrt() * x0 + (1 - ap - sigma**2).clamp(min=0).sqrt() * e + sigma * noise


steps = {
    "shape": shape,
    "xt": xt.reshape(-1).tolist(),
    "eps": eps.reshape(-1).tolist(),
    "noise": noise.reshape(-1).tolist(),
    "cases": [
        {"kind": "ddpm", "t": 500, "clip": False, "out": ddpm_step(500, False).reshape(-1).tolist()},
        {"kind": "ddpm", "t": 20, "clip": True, "out": ddpm_step(20, True).reshape(-1).tolist()},
        {"kind": "ddpm", "t": 0, "clip": False, "out": ddpm_step(0, False).reshape(-1).tolist()},
        {"kind": "ddim", "t": 999, "tPrev": 979, "eta": 0.0, "clip": False, "out": ddim_step(999, 979, 0.0, False).reshape(-1).tolist()},
        {"kind": "ddim", "t": 400, "tPrev": 200, "eta": 0.5, "clip": False, "out": ddim_step(400, 200, 0.5, False).reshape(-1).tolist()},
        {"kind": "ddim", "t": 30, "tPrev": -1, "eta": 0.0, "clip": True, "out": ddim_step(30, -1, 0.0, True).reshape(-1).tolist()},
    ],
}


def fid_eigh(m1, s1, m2, s2):
    w, v = np.linalg.eigh(s1)
    r1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = r1 @ s2 @ r1
    tr = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr)


def fid_eig(m1, s1, m2, s2):
    ev = np.linalg.eigvals(s1 @ s2)
    tr = np.sqrt(ev.astype(complex)).real.sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr)


n, d = 60, 6
fa = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
fb = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.7 + 0.3
ma, sa = fa.mean(0), np.cov(fa, rowvar=False)
mb, sb = fb.mean(0), np.cov(fb, rowvar=False)
sym = rng.normal(size=(5, 5))
sym = sym + sym.T
frechet = {
    "n": n,
    "dim": d,
    "a": fa.reshape(-1).tolist(),
    "b": fb.reshape(-1).tolist(),
    "meanA": ma.tolist(),
    "covA": sa.reshape(-1).tolist(),
    "fd": fid_eigh(ma, sa, mb, sb),
    "fdEig": fid_eig(ma, sa, mb, sb),
    "fdSelf": fid_eigh(ma, sa, ma, sa),
    "sym": sym.reshape(-1).tolist(),
    "symEigenvalues": np.linalg.eigvalsh(sym).tolist(),
}

with open(OUT, "w") as f:
    json.dump({"schedules": sched, "embedding": embedding, "steps": steps, "frechet": frechet}, f)
print("wrote", OUT)
