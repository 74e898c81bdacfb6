#!/usr/bin/python3
"""PyTorch side of bench/per-op.ts: times the same per-op cases on request.

Reads one JSON request per line on stdin ({"case": name, "batch_ms": target batch time,
"min_ops": fewest ops per batch, "batches": count}) and answers one JSON line:
{"us": [microseconds per op, one per batch]}. Batches are sized as per-op.ts sizes its own. Tensors are made once
at start-up, like the neurite side. Run by per-op.ts with Debian's /usr/bin/python3 (PyTorch 1.13,
OpenBLAS) and 2 threads.
"""
import json
import sys
import time

import torch

torch.set_num_threads(2)
torch.manual_seed(0)

tiny_a, tiny_b = torch.rand(1), torch.rand(1)
tiny_g = torch.rand(1, requires_grad=True)
mid_a, mid_b = torch.rand(256, 256), torch.rand(256, 256)
big_a, big_b = torch.rand(1 << 20), torch.rand(1 << 20)

def chain_backward():
    x = tiny_g
    for _ in range(10):
        x = x + tiny_b
    x.backward()
    tiny_g.grad = None


CASES = {
    "add 1 element": lambda: tiny_a + tiny_b,
    "add 1 element, requiresGrad": lambda: tiny_g + tiny_b,
    "add 256x256": lambda: mid_a + mid_b,
    "mul 256x256": lambda: mid_a * mid_b,
    "relu 256x256": lambda: torch.relu(mid_a),
    "add 1M elements": lambda: big_a + big_b,
    "10 adds + backward, 1 element (per step)": chain_backward,
}


def calibrate(fn, batch_ms, min_ops):
    for _ in range(20):
        fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        ms = (time.perf_counter() - t0) * 1e3
        if ms >= 1 or n >= 1 << 20:
            return max(min_ops, round(n * batch_ms / max(ms, 1e-3)))
        n *= 4


def timed(fn, n, batches):
    for _ in range(min(n, 50)):
        fn()
    out = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        out.append((time.perf_counter() - t0) / n * 1e6)
    return out


def main():
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        fn = CASES.get(req["case"])
        if fn is None:
            print(json.dumps({"error": f"unknown case {req['case']!r}"}), flush=True)
            continue
        n = calibrate(fn, float(req["batch_ms"]), int(req["min_ops"]))
        print(json.dumps({"us": timed(fn, n, int(req["batches"]))}), flush=True)


if __name__ == "__main__":
    main()
