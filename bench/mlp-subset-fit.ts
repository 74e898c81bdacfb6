/**
 * The playground's in-tab training run, in Node: the reference MLP, 1 epoch of fit() on the
 * bundled Fashion-MNIST subset (6,000 images, batch 128, Adam 1e-3, seed 0), wasm with
 * THREADS threads (default 1 and all cores). Prints images/s as fit measures it, so the number
 * sits next to the page's (test/web-playground.test.ts prints those).
 *
 *   node --import tsx bench/mlp-subset-fit.ts
 */
import * as nt from "neurite";
import { createMlp } from "neurite/models";

const fm = await nt.data.loadFashionMnist(await nt.data.bundledFashionMnistDir());
const cores = nt.getNumThreads();
for (const threads of [1, cores]) {
  nt.setNumThreads(threads);
  await nt.setBackend("wasm");
  nt.manualSeed(0);
  const model = createMlp();
  const result = await nt.train.fit(model, {
    train: new nt.data.DataLoader(nt.data.fashionMnistDataset(fm.train), { batchSize: 128, shuffle: true, seed: 0 }),
    val: new nt.data.DataLoader(nt.data.fashionMnistDataset(fm.test), { batchSize: 500 }),
    optimizer: new nt.optim.Adam(model.parameters(), { lr: 1e-3 }),
    loss: (out, target) => nt.F.crossEntropy(out, target),
    epochs: 1,
  });
  const e = result.history[0]!;
  console.log(`node, wasm ${threads} thread(s): ${Math.round(e.imagesPerSecond)} images/s, test accuracy ${((e.val?.accuracy ?? NaN) * 100).toFixed(2)} %`);
}
