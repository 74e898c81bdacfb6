#!/usr/bin/python3
"""PyTorch reference values for neurite's nn layer parity tests.

Run with Debian's PyTorch: /usr/bin/python3 tools/make_nn_fixtures.py
Writes test/fixtures/nn/{conv,norm,rnn,attention,models}.json.

Every case names a torch.nn module (or a functional op) and its constructor arguments with
PyTorch's names; the TypeScript side builds the neurite layer from the same description
(snake_case keyword names become camelCase options), loads the recorded state_dict, and
compares the forward outputs and the gradients of sum(output * upstream) with respect to every
floating-point input and every parameter. Inputs and parameters are float32-representable
(generated, then rounded to float32) and PyTorch computes in float64, so the only difference
left is neurite's float32 arithmetic.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "nn")
torch.manual_seed(0)


# ---------------------------------------------------------------- helpers

def f32(t):
    """Rounds to float32 and back, so both sides start from identical values."""
    return t.float().double()


def randn(*shape, scale=1.0):
    return f32(torch.randn(*shape, dtype=torch.float64) * scale)


def rand_bool(*shape, p=0.3):
    return torch.rand(*shape) < p


class Ref:
    """Marks an input that is the very same tensor as an earlier input (e.g. self-attention)."""

    def __init__(self, index):
        self.index = index


def num(v):
    """9 significant digits round-trip float32; non-finite values are written as strings."""
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return float("%.9g" % v)


def enc(t):
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "values": [int(v) for v in t.reshape(-1).tolist()]}
    if not t.is_floating_point():
        return {"shape": list(t.shape), "dtype": "int32", "values": [int(v) for v in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "dtype": "float32", "values": [num(v) for v in t.detach().reshape(-1).tolist()]}


def flatten_outputs(y):
    if y is None:
        return []
    if isinstance(y, torch.Tensor):
        return [y]
    out = []
    for item in y:
        out.extend(flatten_outputs(item))
    return out


def prepare_inputs(inputs):
    """Clones inputs (float ones require grad); returns the call structure and the flat leaves."""
    leaves = []
    made = []

    def one(t):
        if isinstance(t, Ref):
            return made[t.index]
        c = t.clone()
        if c.is_floating_point():
            c.requires_grad_(True)
        leaves.append(c)
        return c

    call = []
    for item in inputs:
        if isinstance(item, (list, tuple)):
            group = tuple(one(t) for t in item)
            made.append(group)
            call.append(group)
        else:
            c = one(item)
            made.append(c)
            call.append(c)
    return call, leaves


def enc_inputs(inputs):
    out = []
    for item in inputs:
        if isinstance(item, Ref):
            out.append({"ref": item.index})
        elif isinstance(item, (list, tuple)):
            out.append([enc(t) for t in item])
        else:
            out.append(enc(item))
    return out


def perturb(module, scale=0.1):
    """Moves every parameter off its (often constant) init so all gradients are exercised."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(f32(p + scale * torch.randn_like(p)))
        for name, b in module.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(f32(torch.randn_like(b) * 0.5))
            elif name.endswith("running_var"):
                b.copy_(f32(torch.rand_like(b) + 0.5))


def run_case(name, build, inputs, call_kwargs=None, mode="train", repeat=1, meta=None):
    """build() returns (module_or_None, fn). fn(*call_inputs, **call_kwargs) -> outputs."""
    call_kwargs = call_kwargs or {}
    module, fn = build()
    if module is not None:
        module.double()
        perturb(module)
        module.train(mode == "train")
        state = {k: enc(v) for k, v in module.state_dict().items()}
    else:
        state = None
    call, leaves = prepare_inputs(inputs)
    kw = {k: v for k, v in call_kwargs.items()}
    y = None
    for _ in range(repeat):
        if module is not None:
            module.zero_grad()
        y = fn(*call, **kw)
    outs = flatten_outputs(y)
    assert all(not torch.isnan(o).any() for o in outs if o.is_floating_point()), f"{name}: NaN in outputs"
    ups = [randn(*o.shape) if o.is_floating_point() else None for o in outs]
    objective = sum((o * u).sum() for o, u in zip(outs, ups) if u is not None)
    objective.backward()
    case = dict(meta or {})
    case.update({
        "name": name,
        "mode": mode,
        "repeat": repeat,
        "inputs": enc_inputs(inputs),
        "call_kwargs": {k: (enc(v) if isinstance(v, torch.Tensor) else v) for k, v in call_kwargs.items()},
        "outputs": [enc(o) for o in outs],
        "upstream": [enc(u) if u is not None else None for u in ups],
        "input_grads": [enc(t.grad) if t.grad is not None else None for t in leaves],
    })
    if module is not None:
        case["state_dict"] = state
        case["param_grads"] = {n: (enc(p.grad) if p.grad is not None else None) for n, p in module.named_parameters()}
        case["buffers_after"] = {n: enc(b) for n, b in module.named_buffers()}
    return case


def module_case(name, kind, args, kwargs, inputs, call_kwargs=None, mode="train", repeat=1, extra=None):
    def build():
        m = getattr(nn, kind)(*args, **kwargs)
        return m, m
    meta = {"kind": kind, "args": args, "kwargs": kwargs}
    if extra:
        meta["extra"] = extra
    return run_case(name, build, inputs, call_kwargs, mode, repeat, meta)


def functional_case(name, fn_name, fn, args, kwargs, inputs, call_kwargs=None):
    def build():
        return None, lambda *xs, **kw: fn(*xs, *args, **kwargs, **kw)
    return run_case(name, build, inputs, call_kwargs, "train", 1, {"kind": "F." + fn_name, "args": args, "kwargs": kwargs})


# ---------------------------------------------------------------- conv family

def conv_cases():
    c = []
    m = module_case
    c.append(m("conv2d_basic", "Conv2d", [3, 4, 3], {}, [randn(2, 3, 6, 5)]))
    c.append(m("conv2d_stride_pad", "Conv2d", [2, 3, [3, 2]], {"stride": [2, 1], "padding": [1, 2]}, [randn(2, 2, 7, 6)]))
    c.append(m("conv2d_dilation", "Conv2d", [2, 2, 3], {"dilation": 2, "padding": 1, "bias": False}, [randn(1, 2, 7, 7)]))
    c.append(m("conv2d_groups", "Conv2d", [4, 6, 3], {"groups": 2, "padding": 1, "stride": 2}, [randn(2, 4, 5, 5)]))
    c.append(m("conv2d_depthwise", "Conv2d", [3, 3, 3], {"groups": 3, "padding": 1}, [randn(2, 3, 5, 4)]))
    c.append(m("conv2d_same_even", "Conv2d", [2, 3, [4, 3]], {"padding": "same", "dilation": [1, 2]}, [randn(1, 2, 6, 7)]))
    c.append(m("conv2d_valid_1x1", "Conv2d", [3, 2, 1], {"padding": "valid"}, [randn(2, 3, 4, 4)]))
    c.append(m("conv2d_reflect", "Conv2d", [2, 2, 3], {"padding": 1, "padding_mode": "reflect"}, [randn(1, 2, 5, 5)]))
    c.append(m("conv2d_circular", "Conv2d", [2, 2, 3], {"padding": [1, 2], "padding_mode": "circular"}, [randn(1, 2, 4, 5)]))
    c.append(m("conv2d_unbatched", "Conv2d", [2, 2, 2], {}, [randn(2, 4, 4)]))
    c.append(m("conv1d_basic", "Conv1d", [3, 4, 3], {"stride": 2, "padding": 1}, [randn(2, 3, 9)]))
    c.append(m("conv1d_groups_dilation", "Conv1d", [4, 4, 2], {"groups": 4, "dilation": 3, "padding": "same"}, [randn(2, 4, 8)]))
    c.append(m("conv_transpose2d_basic", "ConvTranspose2d", [3, 2, 3], {}, [randn(2, 3, 4, 4)]))
    c.append(m("conv_transpose2d_stride_outpad", "ConvTranspose2d", [2, 3, 3], {"stride": 2, "padding": 1, "output_padding": 1}, [randn(2, 2, 3, 4)]))
    c.append(m("conv_transpose2d_groups_dilation", "ConvTranspose2d", [4, 2, [2, 3]], {"stride": [1, 2], "groups": 2, "dilation": [2, 1], "bias": False}, [randn(1, 4, 3, 3)]))
    c.append(m("conv_transpose2d_outpad_dilation", "ConvTranspose2d", [2, 2, 2], {"stride": 1, "dilation": 3, "output_padding": 2}, [randn(1, 2, 3, 3)]))
    c.append(m("conv_transpose1d", "ConvTranspose1d", [2, 3, 3], {"stride": 3, "padding": 1, "output_padding": 2}, [randn(2, 2, 4)]))
    c.append(m("maxpool2d_basic", "MaxPool2d", [2], {}, [randn(2, 3, 6, 6)]))
    c.append(m("maxpool2d_stride_pad", "MaxPool2d", [3], {"stride": 2, "padding": 1}, [randn(2, 2, 7, 6)]))
    c.append(m("maxpool2d_dilation_ceil", "MaxPool2d", [2], {"stride": 2, "dilation": 2, "ceil_mode": True}, [randn(1, 2, 7, 8)]))
    c.append(m("maxpool2d_ties", "MaxPool2d", [2], {}, [torch.ones(1, 2, 4, 4, dtype=torch.float64)]))
    c.append(m("maxpool2d_indices", "MaxPool2d", [3], {"stride": 2, "padding": 1, "return_indices": True}, [randn(1, 2, 5, 6)]))
    c.append(m("avgpool2d_basic", "AvgPool2d", [2], {}, [randn(2, 3, 6, 6)]))
    c.append(m("avgpool2d_pad_include", "AvgPool2d", [3], {"stride": 2, "padding": 1}, [randn(1, 2, 6, 7)]))
    c.append(m("avgpool2d_pad_exclude_ceil", "AvgPool2d", [3], {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, [randn(1, 2, 6, 7)]))
    c.append(m("avgpool2d_ceil_include", "AvgPool2d", [2], {"stride": 2, "ceil_mode": True}, [randn(1, 1, 5, 5)]))
    c.append(m("avgpool2d_divisor", "AvgPool2d", [2], {"divisor_override": 3}, [randn(1, 2, 4, 4)]))
    c.append(m("adaptive_avgpool2d_uneven", "AdaptiveAvgPool2d", [[3, 2]], {}, [randn(2, 2, 7, 5)]))
    c.append(m("adaptive_avgpool2d_global", "AdaptiveAvgPool2d", [1], {}, [randn(2, 3, 4, 5)]))
    c.append(m("adaptive_avgpool2d_none", "AdaptiveAvgPool2d", [[None, 3]], {}, [randn(1, 2, 4, 7)]))
    c.append(m("adaptive_maxpool2d", "AdaptiveMaxPool2d", [[2, 3]], {}, [randn(1, 2, 5, 7)]))
    c.append(m("maxpool1d", "MaxPool1d", [3], {"stride": 2, "padding": 1}, [randn(2, 2, 9)]))
    c.append(m("avgpool1d", "AvgPool1d", [3], {"stride": 2, "padding": 1, "count_include_pad": False}, [randn(2, 2, 9)]))
    c.append(m("adaptive_avgpool1d", "AdaptiveAvgPool1d", [4], {}, [randn(2, 2, 9)]))
    c.append(m("upsample_nearest", "Upsample", [], {"scale_factor": 2, "mode": "nearest"}, [randn(1, 2, 3, 4)]))
    c.append(m("upsample_nearest_size", "Upsample", [], {"size": [5, 7], "mode": "nearest"}, [randn(1, 2, 3, 4)]))
    c.append(m("upsample_bilinear", "Upsample", [], {"scale_factor": 2, "mode": "bilinear"}, [randn(1, 2, 3, 4)]))
    c.append(m("upsample_bilinear_align", "Upsample", [], {"size": [5, 6], "mode": "bilinear", "align_corners": True}, [randn(2, 1, 3, 4)]))
    f = functional_case
    c.append(f("interpolate_bilinear_frac", "interpolate", F.interpolate, [], {"scale_factor": 1.5, "mode": "bilinear"}, [randn(1, 2, 4, 5)]))
    c.append(f("interpolate_bilinear_down", "interpolate", F.interpolate, [], {"size": [3, 2], "mode": "bilinear"}, [randn(1, 1, 7, 5)]))
    c.append(f("interpolate_nearest_frac", "interpolate", F.interpolate, [], {"scale_factor": 1.7, "mode": "nearest"}, [randn(1, 1, 4, 5)]))
    c.append(f("interpolate_nearest_exact", "interpolate", F.interpolate, [], {"size": [7, 3], "mode": "nearest-exact"}, [randn(1, 1, 4, 5)]))
    c.append(f("interpolate_bicubic", "interpolate", F.interpolate, [], {"size": [6, 5], "mode": "bicubic", "align_corners": False}, [randn(1, 2, 4, 3)]))
    c.append(f("interpolate_linear_1d", "interpolate", F.interpolate, [], {"size": 7, "mode": "linear", "align_corners": True}, [randn(2, 2, 4)]))
    c.append(f("interpolate_area", "interpolate", F.interpolate, [], {"size": [3, 4], "mode": "area"}, [randn(1, 2, 7, 6)]))
    c.append(f("pad_constant", "pad", F.pad, [[1, 2, 0, 1]], {"value": 0.5}, [randn(2, 3, 4)]))
    c.append(f("pad_reflect", "pad", F.pad, [[2, 1, 1, 2]], {"mode": "reflect"}, [randn(1, 2, 4, 5)]))
    c.append(f("pad_replicate", "pad", F.pad, [[2, 1, 1, 3]], {"mode": "replicate"}, [randn(1, 2, 3, 4)]))
    c.append(f("pad_circular", "pad", F.pad, [[1, 2, 2, 1]], {"mode": "circular"}, [randn(1, 2, 3, 4)]))
    c.append(f("pad_negative", "pad", F.pad, [[-1, 2, 1, -1]], {}, [randn(2, 4, 5)]))
    c.append(f("conv2d_functional", "conv2d", F.conv2d, [], {"stride": 2, "padding": 1, "groups": 2}, [randn(2, 4, 5, 5), randn(6, 2, 3, 3), randn(6)]))
    c.append(f("conv_transpose2d_functional", "conv_transpose2d", F.conv_transpose2d, [], {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, [randn(2, 4, 3, 3), randn(4, 3, 3, 3), randn(6)]))
    return c


# ---------------------------------------------------------------- normalisation family

def norm_cases():
    c = []
    m = module_case
    c.append(m("batchnorm2d_train", "BatchNorm2d", [3], {}, [randn(4, 3, 3, 2, scale=2) + 1]))
    c.append(m("batchnorm2d_train_twice", "BatchNorm2d", [2], {"momentum": 0.3, "eps": 1e-3}, [randn(3, 2, 2, 3)], repeat=2))
    c.append(m("batchnorm2d_cumulative", "BatchNorm2d", [2], {"momentum": None}, [randn(3, 2, 2, 2)], repeat=3))
    c.append(m("batchnorm2d_eval", "BatchNorm2d", [3], {}, [randn(2, 3, 3, 3)], mode="eval"))
    c.append(m("batchnorm2d_no_affine", "BatchNorm2d", [2], {"affine": False}, [randn(3, 2, 2, 2)]))
    c.append(m("batchnorm2d_no_stats_eval", "BatchNorm2d", [2], {"track_running_stats": False}, [randn(3, 2, 2, 2)], mode="eval"))
    c.append(m("batchnorm1d_2d_train", "BatchNorm1d", [5], {}, [randn(6, 5)]))
    c.append(m("batchnorm1d_3d_train", "BatchNorm1d", [3], {}, [randn(4, 3, 5)]))
    c.append(m("batchnorm1d_eval", "BatchNorm1d", [4], {}, [randn(3, 4)], mode="eval"))
    c.append(m("layernorm_last", "LayerNorm", [6], {}, [randn(2, 3, 6, scale=3)]))
    c.append(m("layernorm_two_dims", "LayerNorm", [[3, 4]], {"eps": 1e-3}, [randn(2, 3, 4)]))
    c.append(m("layernorm_no_affine", "LayerNorm", [5], {"elementwise_affine": False}, [randn(4, 5)]))
    c.append(m("groupnorm_basic", "GroupNorm", [2, 6], {}, [randn(2, 6, 3, 2)]))
    c.append(m("groupnorm_instance_like", "GroupNorm", [4, 4], {"eps": 1e-3}, [randn(3, 4, 5)]))
    c.append(m("groupnorm_layer_like", "GroupNorm", [1, 3], {"affine": False}, [randn(2, 3, 2, 2)]))
    c.append(m("instancenorm2d_affine", "InstanceNorm2d", [3], {"affine": True}, [randn(2, 3, 3, 4)]))
    return c


# ---------------------------------------------------------------- recurrent family

def rnn_cases():
    c = []
    m = module_case
    c.append(m("rnn_tanh", "RNN", [3, 4], {}, [randn(5, 2, 3)]))
    c.append(m("rnn_relu_h0", "RNN", [3, 4], {"nonlinearity": "relu", "num_layers": 2}, [randn(4, 2, 3), randn(2, 2, 4)]))
    c.append(m("rnn_bidir_batch_first", "RNN", [2, 3], {"bidirectional": True, "batch_first": True, "bias": False}, [randn(2, 4, 2)]))
    c.append(m("lstm_basic", "LSTM", [3, 4], {}, [randn(5, 2, 3)]))
    c.append(m("lstm_multilayer_bidir_bf", "LSTM", [3, 4], {"num_layers": 2, "bidirectional": True, "batch_first": True},
               [randn(2, 4, 3), [randn(4, 2, 4), randn(4, 2, 4)]]))
    c.append(m("lstm_unbatched", "LSTM", [2, 3], {"num_layers": 2}, [randn(4, 2)]))
    c.append(m("lstm_proj", "LSTM", [3, 5], {"proj_size": 2, "bidirectional": True}, [randn(3, 2, 3)]))
    c.append(m("gru_basic", "GRU", [3, 4], {}, [randn(5, 2, 3), randn(1, 2, 4)]))
    c.append(m("gru_multilayer_bidir_bf", "GRU", [3, 3], {"num_layers": 3, "bidirectional": True, "batch_first": True}, [randn(2, 5, 3)]))
    c.append(m("gru_no_bias", "GRU", [2, 3], {"bias": False, "num_layers": 2}, [randn(3, 2, 2)]))
    c.append(m("rnn_cell", "RNNCell", [3, 4], {}, [randn(2, 3), randn(2, 4)]))
    c.append(m("rnn_cell_relu_nobias", "RNNCell", [3, 4], {"nonlinearity": "relu", "bias": False}, [randn(2, 3)]))
    c.append(m("lstm_cell", "LSTMCell", [3, 4], {}, [randn(2, 3), [randn(2, 4), randn(2, 4)]]))
    c.append(m("lstm_cell_unbatched", "LSTMCell", [3, 2], {}, [randn(3)]))
    c.append(m("gru_cell", "GRUCell", [3, 4], {}, [randn(2, 3), randn(2, 4)]))
    return c


# ---------------------------------------------------------------- attention family

def sdpa_ref(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """PyTorch 2's documented reference for F.scaled_dot_product_attention (not in torch 1.13)."""
    L, S = q.size(-2), k.size(-2)
    scale = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    bias = torch.zeros(L, S, dtype=q.dtype)
    if is_causal:
        bias = bias.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(0), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            bias = bias.masked_fill(~attn_mask, float("-inf"))
        else:
            bias = bias + attn_mask
    w = torch.softmax(q @ k.transpose(-2, -1) * scale + bias, dim=-1)
    return w @ v


def attention_cases():
    c = []
    m = module_case
    f = functional_case
    c.append(m("embedding_basic", "Embedding", [7, 3], {}, [torch.tensor([[1, 4, 6], [0, 4, 2]])]))
    c.append(m("embedding_padding", "Embedding", [6, 4], {"padding_idx": 2}, [torch.tensor([[2, 1, 2, 5]])]))
    x = randn(4, 2, 8)
    c.append(m("mha_self", "MultiheadAttention", [8, 2], {}, [x, Ref(0), Ref(0)]))
    c.append(m("mha_cross_masks", "MultiheadAttention", [8, 4], {},
               [randn(3, 2, 8), randn(5, 2, 8), randn(5, 2, 8)],
               {"attn_mask": rand_bool(3, 5, p=0.3) & ~torch.eye(3, 5, dtype=torch.bool), "key_padding_mask": torch.tensor([[False, False, False, True, True], [False, True, False, False, False]])}))
    c.append(m("mha_float_mask_batch_first", "MultiheadAttention", [6, 3], {"batch_first": True},
               [randn(2, 4, 6), randn(2, 3, 6), randn(2, 3, 6)],
               {"attn_mask": randn(4, 3), "average_attn_weights": False}))
    c.append(m("mha_kdim_vdim_3d_mask", "MultiheadAttention", [4, 2], {"kdim": 3, "vdim": 5},
               [randn(3, 2, 4), randn(4, 2, 3), randn(4, 2, 5)],
               {"attn_mask": randn(4, 3, 4)}))
    c.append(m("mha_bias_kv_zero_attn", "MultiheadAttention", [4, 2], {"add_bias_kv": True, "add_zero_attn": True},
               [randn(3, 2, 4), randn(3, 2, 4), randn(3, 2, 4)],
               {"key_padding_mask": torch.tensor([[False, False, True], [False, False, False]])}))
    c.append(m("mha_no_weights_unbatched", "MultiheadAttention", [4, 1], {"bias": False},
               [randn(3, 4), randn(2, 4), randn(2, 4)], {"need_weights": False}))
    kv = randn(2, 5, 4)
    c.append(m("mha_kv_same", "MultiheadAttention", [4, 2], {"batch_first": True}, [randn(2, 3, 4), kv, Ref(1)]))
    c.append(f("sdpa_basic", "scaled_dot_product_attention", sdpa_ref, [], {}, [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 3)]))
    c.append(f("sdpa_causal_scale", "scaled_dot_product_attention", sdpa_ref, [], {"is_causal": True, "scale": 0.3}, [randn(2, 2, 4, 3), randn(2, 2, 4, 3), randn(2, 2, 4, 3)]))
    c.append(f("sdpa_bool_mask", "scaled_dot_product_attention", sdpa_ref, [], {}, [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 4)],
               {"attn_mask": (rand_bool(3, 5, p=0.6) | torch.eye(3, 5, dtype=torch.bool))}))
    c.append(f("sdpa_float_mask_big", "scaled_dot_product_attention", sdpa_ref, [], {}, [randn(1, 3, 4, scale=30), randn(1, 4, 4, scale=30), randn(1, 4, 2)],
               {"attn_mask": randn(1, 3, 4)}))
    enc = "TransformerEncoderLayer"
    c.append(m("encoder_layer_post_relu", enc, [8, 2], {"dim_feedforward": 16, "dropout": 0.0}, [randn(5, 2, 8)],
               {"src_key_padding_mask": torch.tensor([[False] * 5, [False, False, False, True, True]])}))
    c.append(m("encoder_layer_pre_gelu_bf", enc, [8, 4], {"dim_feedforward": 12, "dropout": 0.0, "activation": "gelu", "norm_first": True, "batch_first": True},
               [randn(2, 4, 8)], {"src_mask": torch.triu(torch.ones(4, 4, dtype=torch.bool), 1)}))
    dec = "TransformerDecoderLayer"
    c.append(m("decoder_layer_post", dec, [6, 2], {"dim_feedforward": 10, "dropout": 0.0}, [randn(4, 2, 6), randn(5, 2, 6)],
               {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(4).double(), "memory_key_padding_mask": torch.tensor([[False] * 5, [False, False, True, False, True]])}))
    c.append(m("decoder_layer_pre_gelu_bf", dec, [6, 3], {"dim_feedforward": 8, "dropout": 0.0, "norm_first": True, "activation": "gelu", "batch_first": True},
               [randn(2, 3, 6), randn(2, 4, 6)], {"tgt_mask": torch.triu(torch.ones(3, 3, dtype=torch.bool), 1), "memory_mask": rand_bool(3, 4, p=0.3) & ~torch.eye(3, 4, dtype=torch.bool)}))
    c.append(stack_case("encoder_stack_norm", "TransformerEncoder", 8, 2, 2, {"dim_feedforward": 16, "dropout": 0.0, "norm_first": True}, True,
                        [randn(4, 2, 8)], {"mask": nn.Transformer.generate_square_subsequent_mask(4).double()}))
    c.append(stack_case("decoder_stack", "TransformerDecoder", 6, 3, 2, {"dim_feedforward": 8, "dropout": 0.0, "batch_first": True}, False,
                        [randn(2, 3, 6), randn(2, 4, 6)], {"tgt_mask": torch.triu(torch.ones(3, 3, dtype=torch.bool), 1)}))
    return c


def stack_case(name, kind, d_model, nhead, num_layers, layer_kwargs, with_norm, inputs, call_kwargs):
    def build():
        layer_cls = nn.TransformerEncoderLayer if kind == "TransformerEncoder" else nn.TransformerDecoderLayer
        layer = layer_cls(d_model, nhead, **layer_kwargs)
        norm = nn.LayerNorm(d_model) if with_norm else None
        mod = getattr(nn, kind)(layer, num_layers, norm=norm)
        return mod, mod
    meta = {"kind": kind, "args": [d_model, nhead, num_layers], "kwargs": layer_kwargs, "extra": {"norm": with_norm}}
    return run_case(name, build, inputs, call_kwargs, "train", 1, meta)


# ---------------------------------------------------------------- reference models (small configs)

class CharLSTM(nn.Module):
    """Mirror of models/char-lstm.ts."""

    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx):
        out, _ = self.lstm(self.embed(idx))
        return self.head(out)


class CharGPT(nn.Module):
    """Mirror of models/char-gpt.ts: pre-norm causal TransformerEncoderLayers, tied head."""

    def __init__(self, vocab, block, d, heads, layers, tie):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, d)
        self.pos_emb = nn.Embedding(block, d)
        self.drop = nn.Dropout(0.0)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(d, heads, dim_feedforward=4 * d, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
            for _ in range(layers)
        ])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        if tie:
            self.head.weight = self.tok_emb.weight

    def forward(self, idx):
        T = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
        x = self.drop(x)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        for b in self.blocks:
            x = b(x, src_mask=mask)
        return self.head(self.ln_f(x))


class SeqClassifier(nn.Module):
    """Mirror of models/seq-classifier.ts: embedding → bidirectional GRU → linear on [h_fwd, h_bwd]."""

    def __init__(self, vocab, embed, hidden, layers, classes):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed, padding_idx=0)
        self.gru = nn.GRU(embed, hidden, num_layers=layers, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, idx):
        _, h = self.gru(self.embed(idx))
        return self.head(torch.cat([h[-2], h[-1]], dim=1))


class RowGru(nn.Module):
    """Mirror of models/row-gru.ts: a GRU over the image rows → linear on the final state."""

    def __init__(self, row, hidden, layers, bidirectional, classes):
        super().__init__()
        self.bidirectional = bidirectional
        self.gru = nn.GRU(row, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear((2 if bidirectional else 1) * hidden, classes)

    def forward(self, images):
        _, h = self.gru(images.squeeze(1))
        return self.head(torch.cat([h[-2], h[-1]], dim=1) if self.bidirectional else h[-1])


def cnn(ch1, ch2, hidden, classes=10):
    return nn.Sequential(
        nn.Conv2d(1, ch1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(ch1, ch2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(ch2 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def cnn_bn(ch1, ch2, hidden, classes=10, image_size=28):
    """Mirror of models/cnn-bn.ts."""
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(
        *block(1, ch1), *block(ch1, ch1), nn.MaxPool2d(2), nn.Dropout(0.25),
        *block(ch1, ch2), *block(ch2, ch2), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(ch2 * (image_size // 4) ** 2, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(hidden, classes))


def mlp(inp, hidden, classes):
    return nn.Sequential(nn.Flatten(), nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def model_case(name, factory, config, module, x):
    module.double()
    perturb(module, 0.02)
    module.eval()
    with torch.no_grad():
        y = module(x)
    return {
        "name": name,
        "factory": factory,
        "config": config,
        "state_dict": {k: enc(v) for k, v in module.state_dict().items()},
        "input": enc(x),
        "output": enc(y),
    }


def model_cases():
    c = []
    c.append(model_case("mlp", "createMlp", {"inFeatures": 784, "hidden": 16, "numClasses": 10}, mlp(784, 16, 10), randn(2, 1, 28, 28)))
    c.append(model_case("cnn", "createCnn", {"channels": [4, 6], "hidden": 12}, cnn(4, 6, 12), randn(2, 1, 28, 28)))
    c.append(model_case("cnn_bn", "createCnnBn", {"channels": [4, 6], "hidden": 12}, cnn_bn(4, 6, 12), randn(3, 1, 28, 28)))
    c.append(model_case("char_lstm", "createCharLstm", {"vocabSize": 11, "embedDim": 5, "hiddenSize": 6, "numLayers": 2, "dropout": 0},
                        CharLSTM(11, 5, 6, 2), torch.randint(0, 11, (2, 7))))
    c.append(model_case("char_gpt", "createCharGpt", {"vocabSize": 13, "blockSize": 8, "dModel": 8, "numHeads": 2, "numLayers": 2, "dropout": 0, "tieWeights": True},
                        CharGPT(13, 8, 8, 2, 2, True), torch.randint(0, 13, (2, 6))))
    c.append(model_case("char_gpt_untied", "createCharGpt", {"vocabSize": 9, "blockSize": 6, "dModel": 6, "numHeads": 3, "numLayers": 1, "dropout": 0, "tieWeights": False},
                        CharGPT(9, 6, 6, 3, 1, False), torch.randint(0, 9, (1, 6))))
    c.append(model_case("seq_classifier", "createSeqClassifier", {"vocabSize": 10, "embedDim": 4, "hiddenSize": 5, "numLayers": 2, "numClasses": 3},
                        SeqClassifier(10, 4, 5, 2, 3), torch.randint(1, 10, (3, 6))))
    c.append(model_case("row_gru", "createRowGru", {"rowSize": 7, "hiddenSize": 6, "numLayers": 2, "bidirectional": False, "numClasses": 4},
                        RowGru(7, 6, 2, False, 4), randn(3, 1, 5, 7)))
    c.append(model_case("row_gru_bidirectional", "createRowGru", {"rowSize": 6, "hiddenSize": 5, "numLayers": 1, "bidirectional": True, "numClasses": 3},
                        RowGru(6, 5, 1, True, 3), randn(2, 1, 4, 6)))
    return c


def write(name, cases):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.relpath(path)} ({os.path.getsize(path) // 1024} KiB)")


def main():
    torch.set_default_dtype(torch.float64)
    write("conv", conv_cases())
    write("norm", norm_cases())
    write("rnn", rnn_cases())
    write("attention", attention_cases())
    write("models", model_cases())


if __name__ == "__main__":
    main()
