/**
 * The BENCH MLP on Fashion-MNIST with a plain training loop (the `neurite train` command does
 * the same with checkpoints and progress).
 *
 *   node --import tsx examples/mlp-fashion-mnist.ts
 */
import * as nt from "neurite";
import { createMlp } from "neurite/models";
import { useFastestBackend } from "./_backend.js";

await useFastestBackend();
nt.manualSeed(0);
const data = await nt.data.loadFashionMnist(await nt.data.findFashionMnistDir());
const train = new nt.data.DataLoader(nt.data.fashionMnistDataset(data.train), { batchSize: 128, shuffle: true, seed: 1 });
const test = nt.data.fashionMnistTensors(data.test);

const model = createMlp();
const optimizer = new nt.optim.Adam(model.parameters(), { lr: 1e-3 });

for (let epoch = 1; epoch <= 5; epoch++) {
  model.train();
  for (const [images, labels] of train) {
    nt.tidy(() => {
      optimizer.zeroGrad();
      nt.F.crossEntropy(model.forward(images!) as nt.Tensor, labels!).backward();
      optimizer.step();
    });
    images!.dispose();
    labels!.dispose();
  }
  model.eval();
  const acc = nt.noGrad(() => nt.tidy(() => (model.forward(test.images) as nt.Tensor).argmax(1).eq(test.labels).astype("float32").mean().itemSync()));
  console.log(`epoch ${epoch}: test accuracy ${(100 * acc).toFixed(2)} %`);
}
