/**
 * Train the BENCH CNN (or, with --bn, the BatchNorm CNN with shift/flip augmentation) on
 * Fashion-MNIST. Uses the full data set when `dataset-fashion-mnist` is installed, else the
 * bundled 6000/1000 subset.
 *
 *   node --import tsx examples/cnn-fashion-mnist.ts [--bn] [--epochs 2] [--limit 60000]
 */
import * as nt from "neurite";
import { createCnn, createCnnBn, augmentBatch } from "neurite/models";
import { useFastestBackend } from "./_backend.js";

const bn = process.argv.includes("--bn");
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const epochs = arg("--epochs", 2);
const limit = arg("--limit", Infinity);
const backend = await useFastestBackend();
nt.manualSeed(0);

const data = await nt.data.loadFashionMnist(await nt.data.findFashionMnistDir());
const train = new nt.data.DataLoader(nt.data.fashionMnistDataset(data.train, { limit }), { batchSize: 128, shuffle: true, seed: 1 });
const test = new nt.data.DataLoader(nt.data.fashionMnistDataset(data.test, { limit }), { batchSize: 1000 });
console.log(`${bn ? "CNN-BN" : "CNN"} on ${backend}, data: ${data.source}`);

const model = bn ? createCnnBn() : createCnn();
const optimizer = new nt.optim.Adam(model.parameters(), { lr: 1e-3 });

for (let epoch = 1; epoch <= epochs; epoch++) {
  model.train();
  let seen = 0;
  let lossSum = 0;
  const start = performance.now();
  for (const [images, labels] of train) {
    const loss = nt.tidy(() => {
      optimizer.zeroGrad();
      const x = bn ? augmentBatch(images!) : images!;
      const loss = nt.F.crossEntropy(model.forward(x) as nt.Tensor, labels!);
      loss.backward();
      optimizer.step();
      return loss.itemSync();
    });
    lossSum += loss * labels!.shape[0]!;
    seen += labels!.shape[0]!;
    images!.dispose();
    labels!.dispose();
    process.stdout.write(`\repoch ${epoch}: loss ${(lossSum / seen).toFixed(4)}  ${(seen / ((performance.now() - start) / 1000)).toFixed(0)} img/s`);
  }

  model.eval();
  let correct = 0;
  let total = 0;
  for (const [images, labels] of test) {
    correct += nt.noGrad(() => nt.tidy(() => (model.forward(images!) as nt.Tensor).argmax(1).eq(labels!).sum().itemSync()));
    total += labels!.shape[0]!;
    images!.dispose();
    labels!.dispose();
  }
  console.log(`  test accuracy ${((100 * correct) / total).toFixed(2)} %`);
}
