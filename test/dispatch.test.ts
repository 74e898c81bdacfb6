/**
 * Every op reaches its backend through the one dispatch point (src/ops/dispatch.ts), with or
 * without a gradient: the device check, the use-after-dispose check and anomaly detection apply
 * to comparisons, rounding, sign, logicalNot, prod, argmax/argmin and copies too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";

const NON_DIFFERENTIABLE_OPS: Record<string, (x: nt.Tensor, y: nt.Tensor) => nt.Tensor> = {
  eq: (x, y) => x.eq(y),
  lt: (x, y) => x.lt(y),
  logicalAnd: (x, y) => x.logicalAnd(y),
  maximum: (x, y) => x.maximum(y),
};

test("comparisons refuse tensors on different backends, naming the op", async () => {
  await nt.initBackend("wasm");
  await nt.initBackend("cpu");
  const a = nt.tensor([1, 2, 3], { device: "cpu" });
  const b = nt.tensor([1, 0, 3], { device: "wasm" });
  for (const [name, f] of Object.entries(NON_DIFFERENTIABLE_OPS)) {
    assert.throws(() => f(a, b), new RegExp(`${name}: tensors are on different backends`), name);
  }
  nt.dispose([a, b]);
});

test("non-differentiable ops refuse disposed tensors", () => {
  const x = nt.tensor([1.5, -2.5]);
  x.dispose();
  const ops: ((t: nt.Tensor) => nt.Tensor)[] = [(t) => t.sign(), (t) => t.floor(), (t) => t.round(), (t) => t.logicalNot(), (t) => t.argmax(), (t) => nt.prod(t)];
  for (const f of ops) {
    assert.throws(() => f(x), /disposed/);
  }
});

test("anomaly detection sees ops without gradients (floor of NaN)", () => {
  const x = nt.tensor([1.5, NaN]);
  nt.setDetectAnomaly(true);
  try {
    assert.throws(() => x.floor(), /anomaly: 'floor' produced NaN/);
    assert.throws(() => nt.prod(x), /anomaly: 'prod' produced NaN/);
  } finally {
    nt.setDetectAnomaly(false);
  }
  x.dispose();
});

test("comparisons and argmax record no gradient but accept inputs that require one", () => {
  const x = nt.tensor([3.5, 1, 2], { requiresGrad: true });
  const m = nt.gt(x, 1.5);
  assert.equal(m.requiresGrad, false);
  assert.equal(m.gradFn, null);
  assert.deepEqual([...m.dataSync()], [1, 0, 1]);
  assert.equal(x.argmax().dataSync()[0], 0);
  assert.equal(x.sign().requiresGrad, false);
});
