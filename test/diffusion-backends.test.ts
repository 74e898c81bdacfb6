import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import "../src/backend/register-all.js";
import { backendsUnderTest } from "./helpers/backends.js";
import { assertClose } from "./helpers/fixtures.js";
import { DDPM } from "../models/ddpm.js";
import { diffusionLoss } from "../src/diffusion/process.js";

/** One training step's loss and gradient, and a 3-step DDIM sample with guidance, on `backend`. */
async function run(backend: string) {
  await nt.setBackend(backend);
  nt.manualSeed(0);
  const ddpm = DDPM.preset("tiny");
  const g = new nt.Generator(5);
  for (const p of ddpm.unet.parameters()) p.assign(p.add(nt.randn(p.shape, { generator: g }).mul(0.05)));
  const x0 = nt.randn([3, 1, 8, 8], { generator: g }).clamp(-1, 1);
  const noise = nt.randn([3, 1, 8, 8], { generator: g });
  const loss = diffusionLoss(ddpm.unet, ddpm.schedule, x0, { labels: nt.tensor([0, 1, 2], { dtype: "int32" }), nullLabel: 3, pUncond: 0, timesteps: [5, 50, 99], noise });
  loss.backward();
  const grad = await ddpm.unet.conv_in.weight.grad!.data();
  const xT = nt.randn([3, 1, 8, 8], { generator: g });
  ddpm.unet.eval();
  const x = await ddpm.sample({ n: 3, steps: 3, labels: [0, 1, null], guidanceScale: 2, xT });
  const out = { loss: await loss.item(), grad: Array.from(grad), sample: Array.from(await x.data()) };
  await nt.setBackend("cpu");
  return out;
}

test("diffusion training step and DDIM sampling agree across backends", async () => {
  const backends = (await backendsUnderTest()).filter((b) => b !== "cpu");
  const ref = await run("cpu");
  assert.ok(Number.isFinite(ref.loss));
  for (const b of backends) {
    const r = await run(b);
    assert.ok(Math.abs(r.loss - ref.loss) < 1e-4 * Math.max(1, ref.loss), `${b} loss ${r.loss} vs cpu ${ref.loss}`);
    assertClose(r.grad, ref.grad, `${b} conv_in grad`, 1e-3, 1e-4);
    assertClose(r.sample, ref.sample, `${b} DDIM sample`, 1e-3, 1e-3);
  }
});
