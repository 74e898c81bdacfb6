"""A tiny, independent safetensors reader/writer that follows the published spec.

The official `safetensors` Python package is not installable here (no PyPI), so
the fixture generator and the readability checker share this module instead.
It is deliberately written from the format description, not from neurite's
TypeScript code, so that the two implementations check each other.

Format: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON
{"__metadata__": {str: str}?, name: {"dtype", "shape", "data_offsets": [begin, end]}},
then the data buffer (little-endian), offsets relative to its start.
"""

import json
import struct

import torch

DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
TORCH_TO_ST = {v: k for k, v in DTYPES.items()}


def tensor_bytes(t: torch.Tensor) -> bytes:
    """Raw little-endian bytes of a tensor, via an untyped byte view (works for bf16 too)."""
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def write(path, tensors, metadata=None, align=True):
    """Write `tensors` (list of (name, torch.Tensor)) in the given order.

    align=False packs tensors back to back with no padding, which produces
    unaligned data offsets on purpose (legal in the format).
    """
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, t in tensors:
        raw = tensor_bytes(t)
        if align:
            pad = (-offset) % t.element_size()
            assert pad == 0, "aligned writer expects callers to order by item size"
        header[name] = {"dtype": TORCH_TO_ST[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for c in chunks:
            f.write(c)


class SpecError(Exception):
    pass


def read(path):
    """Strictly parse a safetensors file; returns (metadata, {name: torch.Tensor}, info)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise SpecError("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise SpecError(f"header size {n} larger than file")
    header_bytes = data[8 : 8 + n]
    header = json.loads(header_bytes.decode("utf-8"))
    if not isinstance(header, dict):
        raise SpecError("header is not an object")
    buf = data[8 + n :]
    metadata = header.pop("__metadata__", None)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            raise SpecError("__metadata__ must map strings to strings")
    items = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    cursor = 0
    out = {}
    for name, info in items:
        dtype = DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise SpecError(f"{name}: unknown dtype {info.get('dtype')}")
        shape = info["shape"]
        begin, end = info["data_offsets"]
        if begin != cursor:
            raise SpecError(f"{name}: begins at {begin}, expected {cursor} (gap or overlap)")
        numel = 1
        for d in shape:
            numel *= d
        itemsize = torch.empty((), dtype=dtype).element_size()
        if end - begin != numel * itemsize:
            raise SpecError(f"{name}: {end - begin} bytes for shape {shape} {info['dtype']}")
        if end > len(buf):
            raise SpecError(f"{name}: data truncated")
        raw = bytearray(buf[begin:end])
        if numel == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=torch.uint8).view(dtype).reshape(shape).clone()
        out[name] = t
        cursor = end
    if cursor != len(buf):
        raise SpecError(f"buffer has {len(buf)} bytes, tensors cover {cursor}")
    return metadata, out, {"header_size": n, "offsets": {k: v["data_offsets"] for k, v in header.items()}}
