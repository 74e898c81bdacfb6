/**
 * A small character-level GPT (decoder-only Transformer with a tied output head) on a
 * fortune-cookie corpus, then streamed sampling with temperature and top-k.
 *
 *   node --import tsx examples/char-gpt.ts [--steps 300] [--file /usr/share/games/fortunes/fortunes]
 */
import * as nt from "neurite";
import { createCharGpt, generateCharGpt, CharVocab } from "neurite/models";
import { useFastestBackend } from "./_backend.js";

const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const steps = Number(arg("--steps", "300"));
const text = (await nt.data.readTextFile(arg("--file", "/usr/share/games/fortunes/fortunes"))).slice(0, 200_000);
await useFastestBackend();
nt.manualSeed(0);

const vocab = CharVocab.fromText(text);
const ids = vocab.encode(text);
const [batchSize, blockSize] = [32, 64];
const model = createCharGpt({ vocabSize: vocab.size, blockSize, dModel: 128, numHeads: 4, numLayers: 4, dropout: 0.1, tieWeights: true });
const optimizer = new nt.optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
const rng = new nt.Generator(1);
console.log(`${model.numParameters()} parameters, vocabulary of ${vocab.size} characters`);

function batch(): [nt.Tensor, nt.Tensor] {
  const x = new Int32Array(batchSize * blockSize);
  const y = new Int32Array(batchSize * blockSize);
  for (let b = 0; b < batchSize; b++) {
    const start = rng.int(0, ids.length - blockSize - 1);
    for (let t = 0; t < blockSize; t++) {
      x[b * blockSize + t] = ids[start + t]!;
      y[b * blockSize + t] = ids[start + t + 1]!;
    }
  }
  return [nt.tensor(x, { shape: [batchSize, blockSize] }), nt.tensor(y, { shape: [batchSize * blockSize] })];
}

for (let step = 1; step <= steps; step++) {
  const loss = nt.tidy(() => {
    const [x, y] = batch();
    optimizer.zeroGrad();
    const loss = nt.F.crossEntropy(model.forward(x).reshape(-1, vocab.size), y);
    loss.backward();
    nt.optim.clipGradNorm_(model.parameters(), 1);
    optimizer.step();
    return loss.itemSync();
  });
  if (step % 25 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)}`);
}

process.stdout.write("\n--- sample ---\n" + "A ");
await generateCharGpt(model, vocab.encode("A "), {
  maxNewTokens: 300,
  temperature: 0.8,
  topK: 10,
  onToken: (t) => void process.stdout.write(vocab.decode([t])),
});
process.stdout.write("\n");
