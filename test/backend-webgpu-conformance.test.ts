/**
 * The op conformance suite (PyTorch fixtures, forward values and gradients) on the webgpu
 * backend, reading results asynchronously (the shared suite reads with dataSync, which a GPU
 * backend cannot offer), plus a training loop whose GPU memory must stay flat. Skipped with a
 * note where no WebGPU adapter can be created, unless NEURITE_REQUIRE_WEBGPU=1.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { OP_CASES } from "./helpers/op-cases.js";
import { loadFixture, fromFixture, assertClose, type FixtureTensor } from "./helpers/fixtures.js";
import { createWebGPUBackend, type WebGPUBackend } from "../src/backend/webgpu/index.js";

interface OpFixture {
  inputs: FixtureTensor[];
  output: { shape: number[]; values: number[] };
  upstream: number[];
  grads: (number[] | null)[];
}

if (!nt.backends().includes("webgpu")) nt.registerBackend("webgpu", createWebGPUBackend);
let backend: WebGPUBackend | null = null;
let unavailable = "";
try {
  backend = (await nt.initBackend("webgpu")) as WebGPUBackend;
} catch (e) {
  unavailable = (e as Error).message;
  if (process.env["NEURITE_REQUIRE_WEBGPU"] === "1") throw e;
  console.log(`# webgpu unavailable here, skipping: ${unavailable}`);
}
const fixtures = loadFixture<Record<string, OpFixture>>("ops.json");

describe("conformance on webgpu (async reads)", { skip: backend ? false : unavailable }, () => {
  before(async () => {
    await nt.setBackend("webgpu");
  });
  after(async () => {
    await nt.setBackend("cpu");
    await backend!.dispose();
  });
  for (const [name, fn] of Object.entries(OP_CASES)) {
    test(name, async () => {
      const fx = fixtures[name]!;
      await nt.tidy(async () => {
        const inputs = fx.inputs.map((f) => fromFixture(f, "float32", true));
        const out = fn(...inputs);
        assert.deepEqual([...out.shape], fx.output.shape, `${name}: output shape`);
        assertClose(await out.data(), fx.output.values, `${name} forward on webgpu`, 1e-5, 1e-5);
        const upstream = nt.tensor(fx.upstream, { shape: fx.output.shape });
        out.backward(upstream);
        for (let i = 0; i < inputs.length; i++) {
          const expected = fx.grads[i];
          if (!expected) continue;
          const x = inputs[i]!;
          assert.ok(x.grad, `${name}: input ${i} got no gradient`);
          assertClose(await x.grad.data(), expected, `${name} grad ${i} on webgpu`, 1e-4, 1e-5);
        }
      });
    });
  }

  test("training steps keep GPU memory flat", async () => {
    const gen = new nt.Generator(7);
    const model = new nt.nn.Sequential(new nt.nn.Linear(64, 32), new nt.nn.ReLU(), new nt.nn.Linear(32, 10));
    const opt = new nt.optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = nt.randn([16, 64], { generator: gen });
    const y = nt.tensor(Array.from({ length: 16 }, (_, i) => i % 10), { dtype: "int32" });
    let first = 0;
    let firstLoss = 0;
    let lastLoss = 0;
    for (let step = 0; step < 150; step++) {
      const loss = await nt.tidy(async () => {
        opt.zeroGrad();
        const l = nt.F.crossEntropy(model.forward(x) as nt.Tensor, y);
        l.backward();
        opt.step();
        return (await l.data())[0]!;
      });
      if (step === 0) firstLoss = loss;
      lastLoss = loss;
      const m = backend!.gpuMemory();
      if (step === 9) first = m.liveBytes + m.pooledBytes;
      if (step > 9) assert.equal(m.liveBytes + m.pooledBytes, first, `GPU bytes changed at step ${step}`);
    }
    assert.ok(lastLoss < firstLoss, `loss did not fall: ${firstLoss} -> ${lastLoss}`);
    const mem = nt.memory().backends["webgpu"]!;
    nt.dispose([x, y, model.parameters()]);
    assert.ok(mem.bytes > 0);
  });
});
