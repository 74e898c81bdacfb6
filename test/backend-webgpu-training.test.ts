/**
 * A training loop on the webgpu backend whose GPU memory must stay flat (the op conformance
 * suite, test/conformance.test.ts, covers webgpu's values and gradients). Skipped with a note
 * where no WebGPU adapter can be created, unless NEURITE_REQUIRE_WEBGPU=1.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { createWebGPUBackend, type WebGPUBackend } from "../src/backend/webgpu/index.js";

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

describe("webgpu training memory", { skip: backend ? false : unavailable }, () => {
  before(async () => {
    await nt.setBackend("webgpu");
  });
  after(async () => {
    await nt.setBackend("cpu");
    await backend!.dispose();
  });
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
