/**
 * Speed of the Fashion-MNIST DDPM on a backend: training images/s (batch 64, fashion-mnist
 * preset) and seconds for a sample grid (20 images, DDIM 25 steps, guidance 3).
 *
 *   node --import tsx tools/bench_diffusion.ts --backend wasm [--steps 5] [--grid-steps 25]
 */
import { parseArgs } from "node:util";
import * as nt from "../src/index.js";
import "../src/backend/register-all.js";
import { DDPM } from "../models/ddpm.js";
import { diffusionLoss } from "../src/diffusion/process.js";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    steps: { type: "string", default: "5" },
    batch: { type: "string", default: "64" },
    "grid-steps": { type: "string", default: "25" },
    "grid-n": { type: "string", default: "20" },
    checkpoint: { type: "string" },
  },
});
await nt.setBackend(values.backend!);
nt.manualSeed(0);
const ddpm = values.checkpoint ? await DDPM.load(values.checkpoint) : DDPM.preset("fashion-mnist");
const B = Number(values.batch);
const opt = new nt.optim.Adam(ddpm.unet.parameters(), { lr: 1e-3 });
const x0 = nt.rand([B, 1, 28, 28]).mul(2).sub(1);
const y = nt.randint(0, 10, [B]);
const times: number[] = [];
ddpm.unet.train();
for (let i = 0; i < Number(values.steps) + 1; i++) {
  const t0 = performance.now();
  const l = nt.tidy(() => {
    opt.zeroGrad();
    const l = diffusionLoss(ddpm.unet, ddpm.schedule, x0, { labels: y, nullLabel: 10 });
    l.backward();
    opt.step();
    return l.detach();
  });
  await l.item();
  l.dispose();
  if (i > 0) times.push(performance.now() - t0); // first step warms up kernels
}
const stepS = times.reduce((a, b) => a + b, 0) / times.length / 1000;
ddpm.unet.eval();
const n = Number(values["grid-n"]);
const t0 = performance.now();
const s = await ddpm.sample({ n, steps: Number(values["grid-steps"]), labels: Array.from({ length: n }, (_, i) => i % 10), guidanceScale: 3, generator: new nt.Generator(0) });
await s.data();
const gridS = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ backend: values.backend, batch: B, secondsPerStep: stepS, trainImagesPerSecond: B / stepS, gridImages: n, gridDdimSteps: Number(values["grid-steps"]), secondsPerGrid: gridS, sampleImagesPerSecond: n / gridS }));
await nt.disposeBackends();
