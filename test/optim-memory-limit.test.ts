/**
 * Optimizers refuse up front a model whose parameters, gradients and state exceed the backend's
 * address space (wasm32: 4 GiB), naming the limit; backends without one (native) accept it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { OutOfMemoryError } from "../src/memory/out-of-memory.js";

/** 1.17 GiB of float32 parameters: they fit in wasm's memory, with Adam's two moments and the gradient they do not. */
const SHAPE = [300, 1024, 1024];

test("on wasm, Adam over 1.17 GiB of parameters is refused at construction, naming the 4 GiB limit; SGD with momentum fits", async () => {
  await nt.setBackend("wasm");
  const p = nt.zeros(SHAPE, { requiresGrad: true });
  try {
    assert.throws(
      () => new nt.optim.Adam([p], { lr: 1e-3 }),
      (e: unknown) => e instanceof OutOfMemoryError && /Adam on 'wasm'/.test(e.message) && /4\.00 GiB/.test(e.message) && /4\.69 GiB/.test(e.message),
    );
    // RMSprop with momentum and centering keeps 3 buffers: 5 copies, 5.86 GiB
    assert.throws(() => new nt.optim.RMSprop([p], { lr: 1e-3, momentum: 0.9, centered: true }), OutOfMemoryError);
    // SGD with momentum: parameter, gradient and one buffer, 3.52 GiB
    const sgd = new nt.optim.SGD([p], { lr: 1e-3, momentum: 0.9 });
    sgd.dispose();
  } finally {
    p.dispose();
  }
});

test("a backend without an address-space limit (cpu) accepts the same Adam", async () => {
  await nt.setBackend("cpu");
  const p = nt.zeros(SHAPE, { requiresGrad: true });
  try {
    const adam = new nt.optim.Adam([p], { lr: 1e-3 });
    adam.dispose();
  } finally {
    p.dispose();
    await nt.setBackend("wasm");
  }
});
