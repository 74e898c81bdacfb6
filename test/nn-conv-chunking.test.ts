import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";

test("conv2d splits the batch when im2col would exceed the backend's buffer limit, with identical results", () => {
  nt.manualSeed(5);
  const x = nt.randn([5, 3, 8, 8], { requiresGrad: true });
  const w = nt.randn([4, 3, 3, 3], { requiresGrad: true });
  const full = nt.F.conv2d(x, w, null, { padding: 1 });
  full.sum().backward();
  const gx = Array.from(x.grad!.dataSync());
  const gw = Array.from(w.grad!.dataSync());
  x.grad = null;
  w.grad = null;
  const backend = x.backend as { maxBufferBytes?: number };
  const saved = Object.getOwnPropertyDescriptor(backend, "maxBufferBytes");
  // Room for two images' columns per chunk: 5 images -> chunks of 2, 2, 1.
  Object.defineProperty(backend, "maxBufferBytes", { value: 4 * 27 * 64 * 2, configurable: true });
  try {
    const chunked = nt.F.conv2d(x, w, null, { padding: 1 });
    chunked.sum().backward();
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
    assert.ok(maxDiff(full.dataSync(), chunked.dataSync()) < 1e-6);
    assert.ok(maxDiff(gx, x.grad!.dataSync()) < 1e-5);
    assert.ok(maxDiff(gw, w.grad!.dataSync()) < 1e-4);
  } finally {
    if (saved) Object.defineProperty(backend, "maxBufferBytes", saved);
    else delete backend.maxBufferBytes;
  }
});
