/**
 * A bidirectional-GRU sequence classifier on a synthetic task: does a sequence of tokens 1..9
 * (left-padded with 0) contain more odd than even tokens?
 *
 *   node --import tsx examples/seq-classifier.ts
 */
import * as nt from "neurite";
import { createSeqClassifier } from "neurite/models";
import { useFastestBackend } from "./_backend.js";

await useFastestBackend();
nt.manualSeed(0);
const rng = new nt.Generator(2);
const maxLen = 12;

/** n left-padded sequences of random length and their labels (1 = more odd tokens). */
function makeData(n: number): [nt.Tensor, nt.Tensor] {
  const x = new Int32Array(n * maxLen);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const len = rng.int(3, maxLen + 1);
    let odd = 0;
    for (let t = maxLen - len; t < maxLen; t++) {
      const tok = rng.int(1, 10);
      x[i * maxLen + t] = tok;
      odd += tok % 2 === 1 ? 1 : -1;
    }
    y[i] = odd > 0 ? 1 : 0;
  }
  return [nt.tensor(x, { shape: [n, maxLen] }).keep(), nt.tensor(y, { shape: [n] }).keep()];
}

const [trainX, trainY] = makeData(2000);
const [testX, testY] = makeData(500);
const model = createSeqClassifier({ vocabSize: 10, embedDim: 16, hiddenSize: 32, numClasses: 2 });
const optimizer = new nt.optim.Adam(model.parameters(), { lr: 3e-3 });
const batchSize = 64;

for (let epoch = 1; epoch <= 5; epoch++) {
  model.train();
  let lossSum = 0;
  for (let i = 0; i < 2000; i += batchSize) {
    lossSum += nt.tidy(() => {
      const n = Math.min(batchSize, 2000 - i);
      optimizer.zeroGrad();
      const loss = nt.F.crossEntropy(model.forward(trainX.narrow(0, i, n)), trainY.narrow(0, i, n));
      loss.backward();
      optimizer.step();
      return loss.itemSync() * n;
    });
  }
  model.eval();
  const acc = nt.noGrad(() => nt.tidy(() => model.forward(testX).argmax(1).eq(testY).astype("float32").mean().itemSync()));
  console.log(`epoch ${epoch}: train loss ${(lossSum / 2000).toFixed(4)}, test accuracy ${(100 * acc).toFixed(1)} %`);
}
