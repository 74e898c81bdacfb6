/**
 * ddpm trained through `nt.train.fit` in code, as `neurite train --model ddpm` does it: the
 * ε-prediction objective with the labels (`forward`), an EMA of the weights and sample grids as
 * callbacks, a resumable checkpoint (docs/diffusion.md).
 *
 *   LIMIT=640 node --import tsx examples/ddpm-fit.ts     # 10 steps; without LIMIT, a whole epoch
 */
import * as nt from "neurite";
import { DDPM } from "neurite/models";

nt.manualSeed(0);
const fm = await nt.data.loadFashionMnist(await nt.data.bundledFashionMnistDir());
const train = new nt.data.DataLoader(nt.data.fashionMnistDataset(fm.train, { limit: Number(process.env.LIMIT ?? fm.train.n) }), { batchSize: 64, shuffle: true, seed: 0 });
const ddpm = DDPM.preset("fashion-mnist");
const ema = new nt.train.EmaCallback(ddpm, { decay: 0.999, applyAtEnd: true });
const sampler = new DDPM(ddpm.config);        // draws grids from the EMA weights
const grids = new nt.diffusion.SampleGridCallback({
  dir: "runs/ddpm-code/samples",
  draw: () => {
    ema.ema.copyTo(sampler);
    sampler.eval();
    const labels = Array.from({ length: 20 }, (_, i) => i >> 1);   // two per class
    return sampler.sample({ n: 20, sampler: "ddim", steps: 25, labels, guidanceScale: 3, generator: new nt.Generator(0) });
  },
  grid: { nrow: 4 },
});
const result = await nt.train.fit(ddpm, {
  train,
  optimizer: new nt.optim.Adam(ddpm.parameters(), { lr: 1.5e-3 }),
  epochs: 1,
  gradClip: 1,
  loss: nt.diffusion.noisePredictionLoss,                                 // mean((ε_θ - ε)²)
  forward: (m, images, labels) => (m as DDPM).forward(images, labels),    // the labels condition the U-Net
  metrics: [],
  callbacks: [new nt.train.ProgressLogger(), ema, grids],
  checkpointDir: "runs/ddpm-code/checkpoint",                             // resume: true continues it
});
console.log(result.history.at(-1)?.trainLoss);
