#!/usr/bin/python3
"""Generate test/fixtures/safetensors/*: files written by an independent spec-following
writer (tools/safetensors_spec.py), with PyTorch producing the F16/BF16/I64 bytes and
the expected float32 values. neurite's decoder must reproduce these exactly.

Run:  /usr/bin/python3 tools/make_safetensors_fixtures.py
Outputs (deterministic):
  dtypes.safetensors      one tensor per dtype, packed with unaligned offsets, plus metadata
  dtypes.expected.json    for each tensor: neurite dtype, shape and values as torch computes them
  half-all.safetensors    all 65536 F16 bit patterns plus torch's float32 conversions
  int64-overflow.safetensors  an I64 tensor holding 2**31 (must be rejected)
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_spec  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "safetensors")

# The dtype neurite is expected to decode each safetensors dtype into.
NEURITE_DTYPE = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float32",
    "BF16": "float32",
    "I64": "int32",
    "I32": "int32",
    "I16": "int32",
    "I8": "int32",
    "U8": "int32",
    "BOOL": "bool",
}

INF = float("inf")
NAN = float("nan")


def json_value(x):
    """JSON has no inf/nan; spell them as strings."""
    if isinstance(x, bool):
        return 1 if x else 0
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
    return x


def expected_values(t):
    """What neurite should produce: floats go through torch's own conversion to float32
    (float64 stays float64); `.tolist()` then gives exact Python floats."""
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    return [json_value(v) for v in t.reshape(-1).tolist()]


def dtypes_fixture():
    # Values chosen to hit the edges of each conversion: signed zeros, the largest
    # finite value, smallest/largest subnormals, smallest normal, inf and nan, and
    # values that are rounded when stored.
    half = torch.tensor(
        [0.0, -0.0, 1.0, -2.0, 0.1, 65504.0, -65504.0, 2.0**-24, 2.0**-14 - 2.0**-24, 2.0**-14, 3.0 * 2.0**-20, INF, -INF, NAN],
        dtype=torch.float16,
    )
    bf16 = torch.tensor(
        [0.0, -0.0, 1.0, -3.5, 0.1, 3.3895313892515355e38, 2.0**-133, 2.0**-126, 1e-40, INF, -INF, NAN, 1234.5678],
        dtype=torch.bfloat16,
    )
    tensors = [
        # A 3-byte tensor first, so that every later tensor sits at an unaligned offset.
        ("u8", torch.tensor([0, 128, 255], dtype=torch.uint8)),
        ("f16", half.reshape(2, 7)),
        ("bf16", bf16),
        ("f32", torch.tensor([[1.5, -0.25, 3.4028234663852886e38], [1.401298464324817e-45, -1e-30, 7.0]], dtype=torch.float32)),
        ("f64", torch.tensor([math.pi, -1e300, 5e-324, 0.1], dtype=torch.float64)),
        ("i64", torch.tensor([0, -1, 2**31 - 1, -(2**31), 123456789], dtype=torch.int64)),
        ("i32", torch.tensor([[-(2**31), 2**31 - 1], [0, -7]], dtype=torch.int32)),
        ("i16", torch.tensor([-32768, 32767, -1], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127, -1, 0], dtype=torch.int8)),
        ("bool", torch.tensor([True, False, True], dtype=torch.bool)),
        ("scalar", torch.tensor(2.5, dtype=torch.float32)),
        ("empty", torch.zeros(0, 3, dtype=torch.float32)),
    ]
    metadata = {"format": "pt", "producer": "tools/make_safetensors_fixtures.py"}
    safetensors_spec.write(os.path.join(OUT, "dtypes.safetensors"), tensors, metadata=metadata, align=False)

    expected = {
        "metadata": metadata,
        "tensors": {
            name: {
                "safetensors_dtype": safetensors_spec.TORCH_TO_ST[t.dtype],
                "dtype": NEURITE_DTYPE[safetensors_spec.TORCH_TO_ST[t.dtype]],
                "shape": list(t.shape),
                "values": expected_values(t),
            }
            for name, t in tensors
        },
    }
    with open(os.path.join(OUT, "dtypes.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, allow_nan=False)
        f.write("\n")


def half_all_fixture():
    # Every 16-bit pattern as F16, with torch's float32 conversion alongside: an
    # exhaustive check of the F16 decoder (subnormals, NaN payloads and all).
    # BF16 is only a shift, so the hand-picked values in dtypes.safetensors cover it
    # and the fixture stays small (384 KiB).
    bits = torch.arange(0, 65536, dtype=torch.int32).to(torch.int16)  # wraps to the same bit patterns
    f16 = bits.view(torch.float16)
    tensors = [("f16_as_f32", f16.to(torch.float32)), ("f16", f16)]
    safetensors_spec.write(os.path.join(OUT, "half-all.safetensors"), tensors)


def overflow_fixture():
    tensors = [("ok", torch.tensor([1, 2], dtype=torch.int64)), ("too_big", torch.tensor([5, 2**31, 6], dtype=torch.int64))]
    safetensors_spec.write(os.path.join(OUT, "int64-overflow.safetensors"), tensors)


def main():
    os.makedirs(OUT, exist_ok=True)
    dtypes_fixture()
    half_all_fixture()
    overflow_fixture()
    # Read every file back with the spec reader as a self-check of the writer.
    for name in ("dtypes", "half-all", "int64-overflow"):
        safetensors_spec.read(os.path.join(OUT, name + ".safetensors"))
    print("wrote fixtures to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
