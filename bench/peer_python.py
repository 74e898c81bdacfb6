#!/usr/bin/python3
"""Benchmark peer for bench/run-cpu.ts: numpy (OpenBLAS sgemm) and PyTorch (MLP/CNN train and
inference), 2 threads. Same line protocol as peer-neurite.ts: one JSON task per line on stdin,
one JSON answer per line on stdout. Run with Debian's /usr/bin/python3 (python3-numpy,
python3-torch, libopenblas0-pthread)."""
import json
import os
import resource
import sys
import time

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402
    import torch.nn as nn  # noqa: E402

    torch.set_num_threads(THREADS)
except Exception as e:  # torch is optional: sgemm still works
    torch = None
    torch_error = str(e)


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


BEST = [float("nan")]


def time_calls(fn, warm, seconds):
    for _ in range(warm):
        fn()
    times = []
    t0 = time.perf_counter()
    while len(times) < 3 or time.perf_counter() - t0 < seconds:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    BEST[0] = min(times)
    return median(times)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )


state = {}


def setup(model, batch, fresh):
    # A training task starts from a fresh model, as in peer-neurite.ts: one kept across rounds
    # memorises its batch and later rounds would time the subnormal-gradient regime.
    key = (model, batch)
    if fresh:
        state.pop(key, None)
    if key not in state:
        torch.manual_seed(0)
        m = {"mlp": mlp, "cnn": cnn}[model]()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        x = torch.rand(batch, 1, 28, 28)
        y = torch.randint(0, 10, (batch,))
        state[key] = (m, opt, x, y)
    return state[key]


def run(task):
    kind = task["task"]
    if kind == "rss":
        mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        return mib, mib
    if kind == "sgemm":
        n = task["n"]
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        if task.get("lib") == "torch":
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            s = time_calls(lambda: torch.mm(ta, tb), max(2, round(2e9 / n**3)), task["seconds"])
        else:
            s = time_calls(lambda: a @ b, max(2, round(2e9 / n**3)), task["seconds"])
        return 2 * n**3 / s / 1e9, 2 * n**3 / BEST[0] / 1e9
    if torch is None:
        raise RuntimeError("torch unavailable: " + torch_error)
    m, opt, x, y = setup(task["model"], task["batch"], kind == "train")
    if kind == "train":
        m.train()
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(m(x), y)
            loss.backward()
            opt.step()
            loss.item()

        s = time_calls(step, 3, task["seconds"])
        return task["batch"] / s, task["batch"] / BEST[0]
    if kind == "infer":
        m.eval()

        def fwd():
            with torch.no_grad():
                m(x).numpy()

        s = time_calls(fwd, 2, task["seconds"])
        return task["batch"] / s, task["batch"] / BEST[0]
    raise ValueError("unknown task " + kind)


info = {"ready": True, "name": "python", "threads": THREADS, "numpy": np.__version__}
if torch is not None:
    info["torch"] = torch.__version__
print(json.dumps(info), flush=True)
for line in sys.stdin:
    if not line.strip():
        continue
    task = json.loads(line)
    if task["task"] == "quit":
        break
    try:
        value, best = run(task)
        print(json.dumps({"value": value, "best": best}), flush=True)
    except Exception as e:
        print(json.dumps({"error": repr(e)}), flush=True)
