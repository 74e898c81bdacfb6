/**
 * Trains the cnn-bn Fashion-MNIST classifier that scores diffusion samples
 * (`neurite eval-samples --classifier ...`), and saves it as safetensors.
 *
 *   node --import tsx tools/train_diffusion_classifier.ts --epochs 1 --out runs/cnn-bn-scorer/model.safetensors [--backend wasm]
 */
import { parseArgs } from "node:util";
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import * as nt from "../src/index.js";
import "../src/backend/register-all.js";
import { findFashionMnistDir, loadFashionMnist } from "../src/data/fashion-mnist.js";
import { fashionMnistTensors } from "../src/data/fashion-mnist-tensors.js";
import { createCnnBn, augmentBatch } from "../models/cnn-bn.js";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "1" },
    "batch-size": { type: "string", default: "128" },
    lr: { type: "string", default: "0.002" },
    out: { type: "string", default: "runs/cnn-bn-scorer/model.safetensors" },
    backend: { type: "string", default: "cpu" },
    augment: { type: "boolean", default: false },
    seed: { type: "string", default: "0" },
    "max-steps": { type: "string" },
  },
});
await nt.setBackend(values.backend!);
nt.manualSeed(Number(values.seed));
const fm = await loadFashionMnist(await findFashionMnistDir());
const train = fashionMnistTensors(fm.train);
const test = fashionMnistTensors(fm.test);
const model = createCnnBn();
const opt = new nt.optim.Adam(model.parameters(), { lr: Number(values.lr) });
const B = Number(values["batch-size"]);
const epochs = Number(values.epochs);
const N = fm.train.n;
const stepsPerEpoch = Math.min(Math.floor(N / B), values["max-steps"] ? Number(values["max-steps"]) : Infinity);
const sched = new nt.optim.lrScheduler.OneCycleLR(opt, { maxLr: Number(values.lr), totalSteps: stepsPerEpoch * epochs });
const g = new nt.Generator(Number(values.seed));
const t0 = performance.now();
for (let e = 0; e < epochs; e++) {
  model.train();
  const perm = (await nt.randperm(N, { generator: g }).data()) as Int32Array;
  let lossSum = 0;
  for (let s = 0; s < stepsPerEpoch; s++) {
    const idx = Array.from(perm.subarray(s * B, (s + 1) * B));
    const l = nt.tidy(() => {
      let x = nt.indexSelect(train.images, 0, idx);
      if (values.augment) x = augmentBatch(x, { generator: g });
      const y = nt.indexSelect(train.labels, 0, idx);
      opt.zeroGrad();
      const loss = nt.F.crossEntropy(model.forward(x) as nt.Tensor, y);
      loss.backward();
      opt.step();
      return loss.itemSync();
    });
    sched.step();
    lossSum += l;
    if ((s + 1) % 50 === 0) console.error(`epoch ${e + 1} step ${s + 1}/${stepsPerEpoch} loss ${(lossSum / 50).toFixed(4)} ${(((s + 1) * B) / ((performance.now() - t0) / 1000)).toFixed(0)} img/s`), (lossSum = 0);
  }
}
model.eval();
let correct = 0;
for (let i = 0; i < fm.test.n; i += 500) {
  const n = Math.min(500, fm.test.n - i);
  correct += nt.tidy(() => {
    const x = test.images.narrow(0, i, n);
    const pred = (model.forward(x) as nt.Tensor).argmax(1);
    return pred.eq(test.labels.narrow(0, i, n)).astype("int32").sum().itemSync();
  });
}
const out = resolve(values.out!);
await mkdir(dirname(out), { recursive: true });
await nt.io.save(model.stateDict(), out, { format: "neurite-cnn-bn", testAccuracy: String(correct / fm.test.n) });
console.log(JSON.stringify({ out, testAccuracy: correct / fm.test.n, seconds: (performance.now() - t0) / 1000 }));
await nt.disposeBackends();
