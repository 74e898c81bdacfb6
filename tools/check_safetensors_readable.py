#!/usr/bin/python3
"""Check that a neurite-written safetensors file is readable by a spec-following reader
and loads into torch tensors.

Usage: /usr/bin/python3 tools/check_safetensors_readable.py FILE [EXPECTED.json]
       /usr/bin/python3 tools/check_safetensors_readable.py --pairs FILE EXPECTED.json [FILE EXPECTED.json ...]
(--pairs checks several files in one run, paying for the torch import once.)

EXPECTED.json (optional): {"metadata": {...}?, "tensors": {name: {"dtype": "F32"|...,
"shape": [...], "values": [...]}}} with "nan"/"inf"/"-inf"/"-0" spelled as strings.
Beyond the spec, it also checks what the reference writer guarantees and zero-copy
readers (e.g. safetensors' mmap path) rely on: the header is padded to a multiple
of 8 bytes and every tensor starts at an offset aligned to its item size.
Prints "OK <file>: ..." per good file; exits non-zero, with reasons on stderr, if any file fails.
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_spec  # noqa: E402


def as_float(v):
    if isinstance(v, str):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "-0": -0.0}[v]
    return float(v)


def same(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def check(path, expected_path=None):
    metadata, tensors, info = safetensors_spec.read(path)
    errors = []
    if info["header_size"] % 8 != 0:
        errors.append(f"header size {info['header_size']} is not a multiple of 8")
    for name, t in tensors.items():
        begin = info["offsets"][name][0]
        if begin % t.element_size() != 0:
            errors.append(f"{name}: offset {begin} not aligned to item size {t.element_size()}")
    if expected_path is not None:
        with open(expected_path) as f:
            expected = json.load(f)
        if "metadata" in expected and expected["metadata"] != metadata:
            errors.append(f"metadata {metadata!r} != expected {expected['metadata']!r}")
        want = expected["tensors"]
        if set(want) != set(tensors):
            errors.append(f"tensor names {sorted(tensors)} != expected {sorted(want)}")
        for name, spec in want.items():
            t = tensors.get(name)
            if t is None:
                continue
            if t.dtype != safetensors_spec.DTYPES[spec["dtype"]]:
                errors.append(f"{name}: dtype {t.dtype} != {spec['dtype']}")
            if list(t.shape) != spec["shape"]:
                errors.append(f"{name}: shape {list(t.shape)} != {spec['shape']}")
            got = t.reshape(-1).tolist()
            vals = spec["values"]
            if len(got) != len(vals):
                errors.append(f"{name}: {len(got)} values != {len(vals)}")
                continue
            for i, (g, w) in enumerate(zip(got, vals)):
                if t.dtype.is_floating_point:
                    ok = same(float(g), as_float(w))
                else:
                    ok = int(g) == int(w)
                if not ok:
                    errors.append(f"{name}[{i}]: {g!r} != expected {w!r}")
                    break
    if errors:
        for e in errors:
            print(f"MISMATCH: {path}: {e}", file=sys.stderr)
        return 1
    summary = ", ".join(f"{n}:{str(t.dtype).replace('torch.', '')}{list(t.shape)}" for n, t in tensors.items())
    print(f"OK {path}: {summary}")
    return 0


def check_reporting(path, expected_path):
    try:
        return check(path, expected_path)
    except (safetensors_spec.SpecError, ValueError, KeyError, TypeError) as e:
        print(f"UNREADABLE: {path}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


def main(argv):
    args = argv[1:]
    if args[:1] == ["--pairs"] and len(args) >= 3 and len(args) % 2 == 1:
        pairs = list(zip(args[1::2], args[2::2]))
    elif len(args) in (1, 2) and not args[0].startswith("--"):
        pairs = [(args[0], args[1] if len(args) == 2 else None)]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    failed = [check_reporting(f, e) for f, e in pairs]
    return 1 if any(failed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
