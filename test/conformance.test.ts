import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { OP_CASES } from "./helpers/op-cases.js";
import { loadFixture, fromFixture, assertClose, type FixtureTensor } from "./helpers/fixtures.js";
import { backendsUnderTest } from "./helpers/backends.js";

interface OpFixture {
  inputs: FixtureTensor[];
  output: { shape: number[]; values: number[] };
  upstream?: number[];
  grads?: (number[] | null)[];
  /** NaN/Inf cases: PyTorch's forward values only. */
  forwardOnly?: boolean;
}

const fixtures = loadFixture<Record<string, OpFixture>>("ops.json");
const backends = await backendsUnderTest();

/**
 * The op conformance suite: every case's forward values and input gradients must match
 * PyTorch's (float32 tolerance), on every backend. The `special_*` cases hold NaN and
 * infinities: NaN must come out exactly where PyTorch's does, infinities exactly equal.
 */
for (const backend of backends) {
  describe(`conformance on ${backend}`, () => {
    before(async () => {
      await nt.setBackend(backend);
    });
    for (const [name, fn] of Object.entries(OP_CASES)) {
      test(name, async () => {
        const fx = fixtures[name];
        assert.ok(fx, `${name}: no fixture in ops.json (run /usr/bin/python3 tools/make_op_fixtures.py)`);
        await nt.tidy(async () => {
          const inputs = fx.inputs.map((f) => fromFixture(f, "float32", !fx.forwardOnly));
          const out = fn(...inputs);
          assert.deepEqual([...out.shape], fx.output.shape, `${name}: output shape`);
          assertClose(await out.data(), fx.output.values, `${name} forward on ${backend}`, 1e-5, 1e-5);
          if (fx.forwardOnly) return;
          const upstream = nt.tensor(fx.upstream!, { shape: fx.output.shape });
          out.backward(upstream);
          for (const [i, x] of inputs.entries()) {
            const expected = fx.grads![i];
            if (!expected) continue;
            assert.ok(x.grad, `${name}: input ${i} got no gradient`);
            assertClose(await x.grad.data(), expected, `${name} grad ${i} on ${backend}`, 1e-4, 1e-5);
          }
        });
      });
    }
  });
}
