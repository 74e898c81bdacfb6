/**
 * A character-level LSTM language model on a fortune-cookie corpus (Debian's `fortunes`), then
 * sampling with temperature and top-k, streamed to the terminal as it is generated.
 *
 *   node --import tsx examples/char-lstm.ts [--steps 300] [--file /usr/share/games/fortunes/fortunes]
 */
import * as nt from "neurite";
import { createCharLstm, generateCharLstm, CharVocab } from "neurite/models";
import { useFastestBackend } from "./_backend.js";

const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : fallback);
const steps = Number(arg("--steps", "300"));
const text = (await nt.data.readTextFile(arg("--file", "/usr/share/games/fortunes/fortunes"))).slice(0, 200_000);
await useFastestBackend();
nt.manualSeed(0);

const vocab = CharVocab.fromText(text);
const ids = vocab.encode(text);
const [batchSize, seqLen] = [32, 64];
const model = createCharLstm({ vocabSize: vocab.size, embedDim: 64, hiddenSize: 256, numLayers: 2 });
const optimizer = new nt.optim.Adam(model.parameters(), { lr: 3e-3 });
const rng = new nt.Generator(1);

/** A batch of random windows: inputs [B, T] and next-character targets [B, T]. */
function batch(): [nt.Tensor, nt.Tensor] {
  const x = new Int32Array(batchSize * seqLen);
  const y = new Int32Array(batchSize * seqLen);
  for (let b = 0; b < batchSize; b++) {
    const start = rng.int(0, ids.length - seqLen - 1);
    for (let t = 0; t < seqLen; t++) {
      x[b * seqLen + t] = ids[start + t]!;
      y[b * seqLen + t] = ids[start + t + 1]!;
    }
  }
  return [nt.tensor(x, { shape: [batchSize, seqLen] }), nt.tensor(y, { shape: [batchSize * seqLen] })];
}

for (let step = 1; step <= steps; step++) {
  const loss = nt.tidy(() => {
    const [x, y] = batch();
    optimizer.zeroGrad();
    const [logits] = model.forward(x);
    const loss = nt.F.crossEntropy(logits.reshape(-1, vocab.size), y);
    loss.backward();
    nt.optim.clipGradNorm_(model.parameters(), 1);
    optimizer.step();
    return loss.itemSync();
  });
  if (step % 25 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)}`);
}

process.stdout.write("\n--- sample ---\n" + "The ");
await generateCharLstm(model, vocab.encode("The "), {
  maxNewTokens: 400,
  temperature: 0.8,
  topK: 10,
  onToken: (t) => void process.stdout.write(vocab.decode([t])),
});
process.stdout.write("\n");
