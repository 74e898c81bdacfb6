#!/usr/bin/python3
"""PyTorch reference values for neurite's op conformance suite.

Run with Debian's PyTorch: /usr/bin/python3 tools/make_op_fixtures.py
Writes test/fixtures/ops.json: for every case, the inputs, the forward output and the gradient
of sum(output * upstream) with respect to every floating-point input. The case names are the
keys of the matching TypeScript table in test/helpers/op-cases.ts.
"""
import json
import math
import os
import torch
import torch.nn.functional as F

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "ops.json")


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def pos(*shape):
    return torch.rand(*shape, dtype=torch.float64) * 2 + 0.1


def idx(high, *shape):
    return torch.randint(0, high, shape, dtype=torch.int64)


def mask(*shape):
    return torch.rand(*shape) > 0.5


CASES = {
    # unary
    "neg": (lambda x: -x, [randn(3, 4)]),
    "exp": (torch.exp, [randn(3, 4)]),
    "log": (torch.log, [pos(3, 4)]),
    "sqrt": (torch.sqrt, [pos(3, 4)]),
    "rsqrt": (torch.rsqrt, [pos(3, 4)]),
    "abs": (torch.abs, [randn(3, 4)]),
    "sin": (torch.sin, [randn(3, 4)]),
    "cos": (torch.cos, [randn(3, 4)]),
    "tanh": (torch.tanh, [randn(3, 4)]),
    "sigmoid": (torch.sigmoid, [randn(3, 4) * 4]),
    "erf": (torch.erf, [randn(3, 4)]),
    "relu": (torch.relu, [randn(3, 4)]),
    "reciprocal": (torch.reciprocal, [pos(3, 4)]),
    "square": (torch.square, [randn(5)]),
    "gelu": (F.gelu, [randn(3, 5) * 2]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [randn(3, 5) * 2]),
    "silu": (F.silu, [randn(3, 5) * 2]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), [randn(3, 5)]),
    "clamp": (lambda x: torch.clamp(x, -0.5, 0.7), [randn(4, 5)]),
    # binary with broadcasting
    "add_bcast": (torch.add, [randn(3, 1, 4), randn(2, 4)]),
    "sub_bcast": (torch.sub, [randn(2, 4), randn(3, 1, 4)]),
    "mul_bcast": (torch.mul, [randn(3, 4), randn(4)]),
    "div_bcast": (torch.div, [randn(3, 4), pos(3, 1)]),
    "pow_tensor": (torch.pow, [pos(3, 4), randn(3, 4)]),
    "pow_scalar": (lambda x: torch.pow(x, 3), [randn(3, 4)]),
    "maximum": (torch.maximum, [randn(3, 4), randn(1, 4)]),
    "minimum": (torch.minimum, [randn(3, 4), randn(3, 4)]),
    "add_scalar": (lambda x: x + 2.5, [randn(2, 3)]),
    "rsub_scalar": (lambda x: 1 - x, [randn(2, 3)]),
    "where": (lambda c, a, b: torch.where(c, a, b), [mask(3, 4), randn(3, 4), randn(1, 4)]),
    "masked_fill": (lambda x, m: x.masked_fill(m, -1.5), [randn(3, 4), mask(3, 4)]),
    # reductions
    "sum_all": (lambda x: x.sum(), [randn(3, 4, 5)]),
    "sum_d0": (lambda x: x.sum(0), [randn(3, 4, 5)]),
    "sum_d1_keep": (lambda x: x.sum(1, keepdim=True), [randn(3, 4, 5)]),
    "sum_d2": (lambda x: x.sum(-1), [randn(3, 4, 5)]),
    "sum_d02": (lambda x: x.sum((0, 2)), [randn(3, 4, 5)]),
    "mean_d1": (lambda x: x.mean(1), [randn(3, 4, 5)]),
    "mean_all": (lambda x: x.mean(), [randn(3, 4)]),
    "amax_d0": (lambda x: x.amax(0), [randn(3, 4, 5)]),
    "amax_d2_keep": (lambda x: x.amax(2, keepdim=True), [randn(3, 4, 5)]),
    "amin_d1": (lambda x: x.amin(1), [randn(3, 4, 5)]),
    "amax_all": (lambda x: x.amax(), [randn(3, 4)]),
    "var_d1": (lambda x: x.var(1), [randn(3, 6)]),
    "var_unbiased_false": (lambda x: x.var(0, unbiased=False), [randn(5, 3)]),
    "std_all": (lambda x: x.std(), [randn(4, 5)]),
    "logsumexp_d1": (lambda x: torch.logsumexp(x, 1), [randn(3, 5)]),
    "logsumexp_big": (lambda x: torch.logsumexp(x, 1), [randn(3, 5) * 1000]),
    "softmax_d1": (lambda x: torch.softmax(x, 1), [randn(3, 5)]),
    "softmax_d0": (lambda x: torch.softmax(x, 0), [randn(3, 5)]),
    "log_softmax_d1": (lambda x: torch.log_softmax(x, 1), [randn(3, 5)]),
    "log_softmax_big": (lambda x: torch.log_softmax(x, -1), [randn(2, 6) * 1000]),
    "norm2": (lambda x: x.norm(), [randn(3, 4)]),
    # matmul
    "matmul_2d": (torch.matmul, [randn(3, 4), randn(4, 5)]),
    "matmul_vec_mat": (torch.matmul, [randn(4), randn(4, 5)]),
    "matmul_mat_vec": (torch.matmul, [randn(3, 4), randn(4)]),
    "matmul_vec_vec": (torch.matmul, [randn(4), randn(4)]),
    "matmul_batched": (torch.matmul, [randn(2, 3, 4), randn(2, 4, 5)]),
    "matmul_bcast": (torch.matmul, [randn(2, 1, 3, 4), randn(3, 4, 2)]),
    "matmul_3d_2d": (torch.matmul, [randn(2, 3, 4), randn(4, 5)]),
    "matmul_transposed": (lambda a, b: a.t() @ b.t(), [randn(4, 3), randn(5, 4)]),
    # movement
    "reshape": (lambda x: x.reshape(4, 6) * torch.arange(24, dtype=torch.float64).reshape(4, 6), [randn(2, 3, 4)]),
    "permute": (lambda x: x.permute(2, 0, 1).reshape(-1) * torch.arange(24, dtype=torch.float64), [randn(2, 3, 4)]),
    "transpose_reshape": (lambda x: x.transpose(0, 1).reshape(12) * torch.arange(12, dtype=torch.float64), [randn(3, 4)]),
    "expand": (lambda x: x.expand(3, 4, 5) * torch.arange(60, dtype=torch.float64).reshape(3, 4, 5), [randn(4, 1)]),
    "narrow": (lambda x: x.narrow(1, 1, 2), [randn(3, 4)]),
    "slice_index": (lambda x: x[1:3, :, 2], [randn(4, 3, 5)]),
    "index_tensor": (lambda x, i: x[:, i], [randn(3, 5), torch.tensor([4, 0, 4, 2])]),
    "cat_d1": (lambda a, b: torch.cat([a, b], 1), [randn(2, 3), randn(2, 4)]),
    "stack_d0": (lambda a, b: torch.stack([a, b], 0), [randn(2, 3), randn(2, 3)]),
    "pad_2d": (lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), [randn(2, 3, 4)]),
    "squeeze_unsqueeze": (lambda x: x.unsqueeze(0).squeeze(2) * 2, [randn(3, 1, 4)]),
    "flatten": (lambda x: x.flatten(1), [randn(2, 3, 4)]),
    "gather_d1": (lambda x, i: torch.gather(x, 1, i), [randn(3, 5), idx(5, 3, 4)]),
    "index_select_d0": (lambda x, i: torch.index_select(x, 0, i), [randn(5, 3), torch.tensor([3, 3, 0, 4])]),
    "flip": (lambda x: torch.flip(x, [1]) * torch.arange(12, dtype=torch.float64).reshape(3, 4), [randn(3, 4)]),
    "repeat": (lambda x: x.repeat(2, 3), [randn(2, 2)]),
    "triu": (lambda x: torch.triu(x, 1), [randn(4, 4)]),
    "tril": (lambda x: torch.tril(x), [randn(3, 4)]),
    "split": (lambda x: torch.split(x, 2, 1)[1], [randn(3, 5)]),
    # ops added with the op table (appended, so the draws above stay the same)
    "log1p": (torch.log1p, [torch.rand(3, 4, dtype=torch.float64) * 3 - 0.9]),
    "expm1": (torch.expm1, [randn(3, 4)]),
    "atan2": (torch.atan2, [randn(3, 4), randn(3, 4)]),
    "softplus": (F.softplus, [randn(3, 5) * 3]),
    "softplus_beta": (lambda x: F.softplus(x, beta=2, threshold=3), [randn(3, 5) * 3]),
    "logit": (torch.logit, [torch.rand(3, 4, dtype=torch.float64) * 0.9 + 0.05]),
    "logit_eps": (lambda x: torch.logit(x, eps=0.1), [torch.rand(3, 4, dtype=torch.float64)]),
    "hardswish": (F.hardswish, [randn(3, 5) * 3]),
    "mish": (F.mish, [randn(3, 5) * 2]),
}

# PyTorch's NaN/Inf semantics: forward values only (no gradients), deterministic inputs. The
# names start with "special_"; test/helpers/op-cases.ts has the neurite side.
nan, inf = float("nan"), float("inf")
SPECIAL = torch.tensor([nan, inf, -inf, 0.0, -0.0, 1.5, -2.5, 0.5, 1.0, -1.0, 3.0, -3.0], dtype=torch.float64)
GRID_A = SPECIAL.repeat_interleave(len(SPECIAL))
GRID_B = SPECIAL.repeat(len(SPECIAL))
ROWS = torch.tensor(
    [[nan, 1, 2], [inf, 1, 2], [-inf, 1, 2], [inf, -inf, 1], [-inf, -inf, -inf], [1, nan, inf], [2, 2, 1], [inf, inf, 1], [nan, nan, 1]],
    dtype=torch.float64,
)
UNARY_SPECIAL = {
    "neg": torch.neg, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt, "abs": torch.abs,
    "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "erf": torch.erf,
    "relu": torch.relu, "reciprocal": torch.reciprocal, "sign": torch.sign, "floor": torch.floor, "ceil": torch.ceil,
    "round": torch.round, "logical_not": torch.logical_not, "log1p": torch.log1p, "expm1": torch.expm1,
    "square": torch.square, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1), "clamp": lambda x: torch.clamp(x, -0.5, 0.7),
    "clamp_min": lambda x: torch.clamp(x, min=0.25), "softplus": F.softplus, "mish": F.mish, "hardswish": F.hardswish,
    "logit": torch.logit, "logit_eps": lambda x: torch.logit(x, eps=0.1), "elu": F.elu,
}
BINARY_SPECIAL = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "maximum": torch.maximum, "minimum": torch.minimum, "atan2": torch.atan2, "eq": torch.eq, "ne": torch.ne,
    "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge, "logical_and": torch.logical_and,
    "logical_or": torch.logical_or,
}
ROW_SPECIAL = {
    "sum": lambda x: x.sum(1), "mean": lambda x: x.mean(1), "amax": lambda x: x.amax(1), "amin": lambda x: x.amin(1),
    "prod": lambda x: x.prod(1), "argmax": lambda x: x.argmax(1), "argmin": lambda x: x.argmin(1),
    "softmax": lambda x: torch.softmax(x, 1), "log_softmax": lambda x: torch.log_softmax(x, 1),
    "logsumexp": lambda x: torch.logsumexp(x, 1), "var": lambda x: x.var(1), "amax_all": lambda x: x.amax(),
    "argmax_all": lambda x: x.argmax(), "max_d0": lambda x: x.amax(0), "sum_d0": lambda x: x.sum(0),
}
SPECIAL_CASES = {}
for k, f in UNARY_SPECIAL.items():
    SPECIAL_CASES[f"special_{k}"] = (f, [SPECIAL])
for k, f in BINARY_SPECIAL.items():
    SPECIAL_CASES[f"special_{k}"] = (f, [GRID_A, GRID_B])
for k, f in ROW_SPECIAL.items():
    SPECIAL_CASES[f"special_{k}"] = (f, [ROWS])
SPECIAL_CASES["special_where"] = (lambda c, a, b: torch.where(c, a, b), [SPECIAL > 0, SPECIAL, SPECIAL.flip(0)])
SPECIAL_CASES["special_where_nan_cond"] = (lambda x: torch.where(x > 1, x, torch.zeros_like(x)), [SPECIAL])


def to_list(t):
    t = t.detach().reshape(-1)
    if t.dtype == torch.bool:
        t = t.to(torch.int64)
    # JSON has no NaN/Infinity: they are written as strings (test/helpers/fixtures.ts reads them back)
    return [v if math.isfinite(v) else ("NaN" if v != v else "Infinity" if v > 0 else "-Infinity") for v in t.tolist()]


def dtype_name(t):
    if t.dtype == torch.bool:
        return "bool"
    if t.dtype in (torch.int64, torch.int32):
        return "int32"
    return "float64"


def main():
    out = {}
    for name, (fn, inputs) in CASES.items():
        inputs = [t.clone().requires_grad_(t.is_floating_point()) for t in inputs]
        y = fn(*inputs)
        upstream = torch.randn(y.shape, dtype=torch.float64)
        (y * upstream).sum().backward()
        out[name] = {
            "inputs": [{"shape": list(t.shape), "dtype": dtype_name(t), "values": to_list(t)} for t in inputs],
            "output": {"shape": list(y.shape), "values": to_list(y)},
            "upstream": to_list(upstream),
            "grads": [to_list(t.grad) if t.is_floating_point() else None for t in inputs],
        }
    for name, (fn, inputs) in SPECIAL_CASES.items():
        y = fn(*inputs)
        out[name] = {
            "inputs": [{"shape": list(t.shape), "dtype": dtype_name(t), "values": to_list(t)} for t in inputs],
            "output": {"shape": list(y.shape), "values": to_list(y)},
            "forwardOnly": True,
        }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, allow_nan=False)
    print(f"wrote {len(out)} cases to {OUT}")


if __name__ == "__main__":
    main()
