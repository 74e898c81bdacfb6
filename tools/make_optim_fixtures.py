#!/usr/bin/python3
"""PyTorch reference values for neurite's optimizers, gradient clipping and lr schedulers.

Run with Debian's PyTorch: /usr/bin/python3 tools/make_optim_fixtures.py
Writes test/fixtures/optim/{optimizers,schedulers,clip_grad}.json, replayed by
test/optim.test.ts. Options are written with neurite's camelCase names; state dicts keep
PyTorch's snake_case keys (neurite's state dicts use them too).

Optimizer cases run the single-tensor (foreach=False) implementations in float32 from fixed
initial parameters, either on a fixed sequence of gradients (some missing, to check that
parameters without a gradient are skipped) or on the gradients of a small deterministic loss.
"""
import json
import math
import os

import torch

OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "optim")
STEPS = 6
SHAPES = [[3, 4], [4], [2, 1, 2]]


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def camel_options(options):
    out = {}
    for k, v in options.items():
        out[camel(k)] = list(v) if isinstance(v, tuple) else v
    return out


def loss_fn(p):
    """The same expression is written with neurite ops in the test."""
    p0, p1, p2 = p
    return ((p0 - 0.5) ** 2).sum() + (p1 * p1 * 0.3).sum() + torch.tanh(p0 @ p1).sum() + (p2 * p2).sum() * 2


def optimizer_case(name, cls, options, groups=None, mode="grads", missing=()):
    """groups: list of (param indices, group options); missing: (step, param) pairs without a gradient."""
    gen = torch.Generator().manual_seed(1234)
    init = [torch.randn(s, generator=gen) for s in SHAPES]
    grads = [[torch.randn(s, generator=gen) * (1.0 + 0.5 * math.sin(k + i)) for i, s in enumerate(SHAPES)] for k in range(STEPS)]
    params = [t.clone().requires_grad_(True) for t in init]
    if groups is None:
        opt = cls(params, **options, foreach=False)
    else:
        opt = cls([dict(params=[params[i] for i in idx], **gopts) for idx, gopts in groups], **options, foreach=False)
    history = []
    used_grads = []
    for k in range(STEPS):
        if mode == "loss":
            opt.zero_grad(set_to_none=True)
            loss_fn(params).backward()
            used_grads.append(None)
        else:
            step_grads = []
            for i, p in enumerate(params):
                if (k, i) in missing:
                    p.grad = None
                    step_grads.append(None)
                else:
                    p.grad = grads[k][i].clone()
                    step_grads.append(flat(grads[k][i]))
            used_grads.append(step_grads)
        opt.step()
        history.append([flat(p) for p in params])
    sd = opt.state_dict()
    state = {}
    for idx, entry in sd["state"].items():
        state[str(idx)] = {k: (flat(v) if torch.is_tensor(v) and v.dim() > 0 else (float(v) if torch.is_tensor(v) else v)) for k, v in entry.items()}
    param_groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in sd["param_groups"]]
    return {
        "name": name,
        "optimizer": cls.__name__,
        "options": camel_options(options),
        "groups": None if groups is None else [{"params": list(idx), **camel_options(g)} for idx, g in groups],
        "mode": mode,
        "shapes": SHAPES,
        "init": [flat(t) for t in init],
        "grads": used_grads if mode == "grads" else None,
        "expected": history,
        "stateDict": {"state": state, "param_groups": param_groups},
    }


def optimizer_cases():
    O = torch.optim
    gap = {(1, 2), (3, 0), (3, 2)}
    return [
        optimizer_case("sgd_plain", O.SGD, dict(lr=0.1)),
        optimizer_case("sgd_momentum", O.SGD, dict(lr=0.05, momentum=0.9)),
        optimizer_case("sgd_momentum_dampening_wd", O.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
        optimizer_case("sgd_nesterov_wd_maximize", O.SGD, dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True)),
        optimizer_case("sgd_groups", O.SGD, dict(lr=0.1, momentum=0.5), groups=[([0], dict(momentum=0.9)), ([1, 2], dict(lr=0.01, momentum=0))]),
        optimizer_case("sgd_missing_grads", O.SGD, dict(lr=0.05, momentum=0.9), missing=gap),
        optimizer_case("sgd_loss", O.SGD, dict(lr=0.05, momentum=0.9, nesterov=True), mode="loss"),
        optimizer_case("adam_default", O.Adam, dict(lr=0.01)),
        optimizer_case("adam_wd_amsgrad", O.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
        optimizer_case("adam_maximize", O.Adam, dict(lr=0.02, maximize=True)),
        optimizer_case("adam_groups", O.Adam, dict(lr=0.01), groups=[([0, 2], dict(weight_decay=0.05)), ([1], dict(lr=0.003, betas=(0.5, 0.9), amsgrad=True))]),
        optimizer_case("adam_missing_grads", O.Adam, dict(lr=0.01, amsgrad=True), missing=gap),
        optimizer_case("adam_loss", O.Adam, dict(lr=0.05), mode="loss"),
        optimizer_case("adamw_default", O.AdamW, dict(lr=0.01)),
        optimizer_case("adamw_amsgrad_wd", O.AdamW, dict(lr=0.02, betas=(0.85, 0.95), weight_decay=0.1, amsgrad=True)),
        optimizer_case("adamw_maximize", O.AdamW, dict(lr=0.01, maximize=True, eps=1e-5)),
        optimizer_case("adamw_loss", O.AdamW, dict(lr=0.05, weight_decay=0.2), mode="loss"),
        optimizer_case("rmsprop_default", O.RMSprop, dict(lr=0.01)),
        optimizer_case("rmsprop_centered", O.RMSprop, dict(lr=0.01, alpha=0.9, centered=True)),
        optimizer_case("rmsprop_momentum_wd", O.RMSprop, dict(lr=0.005, momentum=0.9, weight_decay=0.05, eps=1e-6)),
        optimizer_case("rmsprop_centered_momentum_maximize", O.RMSprop, dict(lr=0.003, momentum=0.5, centered=True, maximize=True)),
        optimizer_case("rmsprop_missing_grads", O.RMSprop, dict(lr=0.01, momentum=0.3), missing=gap),
        optimizer_case("rmsprop_loss", O.RMSprop, dict(lr=0.01, centered=True, momentum=0.8), mode="loss"),
    ]


# ---------- schedulers ----------

LR_STEPS = 30
S = torch.optim.lr_scheduler

# Named so the test can supply the same functions.
LAMBDAS = {
    "inverse": lambda epoch: 1.0 / (1.0 + epoch),
    "warmup5": lambda epoch: min(1.0, (epoch + 1) / 5),
    "decay095": lambda epoch: 0.95,
}


def build_scheduler(opt, spec):
    kind, options = spec["scheduler"], dict(spec["options"])
    if kind == "SequentialLR":
        subs = [build_scheduler(opt, s) for s in options.pop("schedulers")]
        return S.SequentialLR(opt, subs, **options)
    if kind == "ChainedScheduler":
        return S.ChainedScheduler([build_scheduler(opt, s) for s in options["schedulers"]])
    if kind in ("LambdaLR", "MultiplicativeLR"):
        names = options.pop("lr_lambda")
        fns = [LAMBDAS[n] for n in names] if isinstance(names, list) else LAMBDAS[names]
        return getattr(S, kind)(opt, fns, **options)
    return getattr(S, kind)(opt, **options)


def to_camel_spec(spec):
    options = {}
    for k, v in spec["options"].items():
        if k == "schedulers":
            v = [to_camel_spec(s) for s in v]
        options["tMax" if k == "T_max" else camel(k)] = v
    return {"scheduler": spec["scheduler"], "options": options}


def scheduler_case(name, spec, optimizer="SGD", lrs=(0.1, 0.01), opt_options=None, metrics=None):
    params = [torch.zeros(2, requires_grad=True) for _ in lrs]
    opt_options = opt_options if opt_options is not None else ({"momentum": 0.9} if optimizer == "SGD" else {})
    opt = getattr(torch.optim, optimizer)([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], **opt_options)
    sched = build_scheduler(opt, spec)

    def momentum():
        return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]

    lr_hist, mom_hist = [sched.get_last_lr() if hasattr(sched, "get_last_lr") else [g["lr"] for g in opt.param_groups]], [momentum()]
    steps = len(metrics) if metrics is not None else LR_STEPS
    for k in range(steps):
        opt.step()
        if metrics is not None:
            sched.step(metrics[k])
            lr_hist.append([g["lr"] for g in opt.param_groups])
        else:
            sched.step()
            lr_hist.append(sched.get_last_lr())
        mom_hist.append(momentum())
    return {
        "name": name,
        "optimizer": optimizer,
        "optimizerOptions": camel_options(opt_options),
        "groupLrs": list(lrs),
        **to_camel_spec(spec),
        "metrics": metrics,
        "lrs": lr_hist,
        "momentum": mom_hist,
        "stateKeys": sorted(sched.state_dict().keys()),
    }


def sch(kind, **options):
    return {"scheduler": kind, "options": options}


def scheduler_cases():
    plateau = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.95, 0.96, 0.97, 0.5, 0.55, 0.56, 0.57, 0.58, 0.59, 0.6, 0.49, 0.5, 0.51, 0.52, 0.53]
    rising = [0.1, 0.2, 0.2, 0.21, 0.3, 0.3, 0.3, 0.3005, 0.31, 0.31, 0.31, 0.31, 0.5, 0.5, 0.5, 0.5]
    return [
        scheduler_case("step", sch("StepLR", step_size=7, gamma=0.5)),
        scheduler_case("multistep", sch("MultiStepLR", milestones=[5, 12, 12, 20], gamma=0.3)),
        scheduler_case("exponential", sch("ExponentialLR", gamma=0.9)),
        scheduler_case("cosine", sch("CosineAnnealingLR", T_max=10, eta_min=0.001)),
        scheduler_case("cosine_nomin", sch("CosineAnnealingLR", T_max=7)),
        scheduler_case("linear_warmup", sch("LinearLR", start_factor=0.25, end_factor=1.0, total_iters=8)),
        scheduler_case("linear_decay", sch("LinearLR", start_factor=1.0, end_factor=0.1, total_iters=12)),
        scheduler_case("constant", sch("ConstantLR", factor=0.5, total_iters=4)),
        scheduler_case("polynomial", sch("PolynomialLR", total_iters=10, power=2.0)),
        scheduler_case("lambda_per_group", sch("LambdaLR", lr_lambda=["inverse", "warmup5"])),
        scheduler_case("multiplicative", sch("MultiplicativeLR", lr_lambda="decay095")),
        scheduler_case("onecycle_cos_sgd", sch("OneCycleLR", max_lr=0.5, total_steps=30)),
        scheduler_case("onecycle_linear_three_phase_adam", sch("OneCycleLR", max_lr=[0.02, 0.01], total_steps=30, pct_start=0.25, anneal_strategy="linear", three_phase=True, base_momentum=0.8, max_momentum=0.9), optimizer="Adam"),
        scheduler_case("onecycle_epochs_no_momentum", sch("OneCycleLR", max_lr=0.3, epochs=5, steps_per_epoch=6, div_factor=10.0, final_div_factor=100.0, cycle_momentum=False), optimizer="Adam"),
        scheduler_case("onecycle_rmsprop", sch("OneCycleLR", max_lr=0.05, total_steps=30, pct_start=0.4), optimizer="RMSprop"),
        scheduler_case("sequential_warmup_cosine", sch("SequentialLR", schedulers=[sch("LinearLR", start_factor=0.1, total_iters=5), sch("CosineAnnealingLR", T_max=20)], milestones=[5])),
        scheduler_case("sequential_three", sch("SequentialLR", schedulers=[sch("ConstantLR", factor=0.5, total_iters=10), sch("ExponentialLR", gamma=0.8), sch("StepLR", step_size=4, gamma=0.5)], milestones=[3, 12])),
        scheduler_case("chained", sch("ChainedScheduler", schedulers=[sch("ExponentialLR", gamma=0.95), sch("StepLR", step_size=6, gamma=0.5)])),
        scheduler_case("plateau_min", sch("ReduceLROnPlateau", mode="min", factor=0.5, patience=2, cooldown=1, min_lr=[0.01, 0.002]), metrics=plateau),
        scheduler_case("plateau_max_abs", sch("ReduceLROnPlateau", mode="max", factor=0.3, patience=1, threshold=0.01, threshold_mode="abs"), metrics=rising),
    ]


# ---------- gradient clipping ----------

def clip_cases():
    gen = torch.Generator().manual_seed(99)
    shapes = [[3, 4], [5], [2, 2]]
    grads = [torch.randn(s, generator=gen) for s in shapes]
    out = {"shapes": shapes, "grads": [flat(g) for g in grads], "hasGrad": [True, True, False], "norm": [], "value": []}
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, math.inf), (2.0, 3.0)]:
        params = [torch.zeros(s, requires_grad=True) for s in shapes]
        for p, g, has in zip(params, grads, out["hasGrad"]):
            p.grad = g.clone() if has else None
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        out["norm"].append({
            "maxNorm": max_norm,
            "normType": "inf" if norm_type == math.inf else norm_type,
            "totalNorm": float(total),
            "clipped": [flat(p.grad) if p.grad is not None else None for p in params],
        })
    for clip in [0.25, 10.0]:
        params = [torch.zeros(s, requires_grad=True) for s in shapes]
        for p, g, has in zip(params, grads, out["hasGrad"]):
            p.grad = g.clone() if has else None
        torch.nn.utils.clip_grad_value_(params, clip)
        out["value"].append({"clipValue": clip, "clipped": [flat(p.grad) if p.grad is not None else None for p in params]})
    return out


def write(name, payload):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, **payload}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    torch.set_default_dtype(torch.float32)
    write("optimizers.json", {"cases": optimizer_cases()})
    write("schedulers.json", {"cases": scheduler_cases()})
    write("clip_grad.json", clip_cases())
