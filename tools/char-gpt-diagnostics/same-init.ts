/**
 * Same-start training, neurite side of same_init.py: loads runs/char-gpt-init.safetensors
 * (written by same_init.py), trains the same AdamW steps on the same windows in file order with
 * the given dropout and dropout seed, prints every 10th loss and the validation loss.
 *
 *   node --import tsx tools/char-gpt-diagnostics/same-init.ts DROPOUT STEPS [SEED [shuffle]]
 */
import * as nt from "../../src/index.js";
import { createCharGpt } from "../../models/index.js";
import { loadTaskData, taskLoss } from "../../src/cli/tasks.js";
import { MODEL_ZOO } from "../../src/cli/model-zoo.js";
import { load } from "../../src/io/safetensors.js";
const dropout = Number(process.argv[2]); const steps = Number(process.argv[3]);
nt.setNumThreads(1);
await nt.setBackend("wasm");
nt.manualSeed(Number(process.argv[4] ?? 0));
const data = await loadTaskData(MODEL_ZOO["char-gpt"]!, { command: "x", text: "/usr/share/games/fortunes/computers" });
const model = createCharGpt({ vocabSize: data.ctx.vocabSize!, blockSize: 64, dropout });
const sd = await load(process.env["INIT"] ?? "runs/char-gpt-init.safetensors");
model.loadStateDict(sd);
const opt = new nt.optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
const [X, Y] = [data.train.tensors[0]!, data.train.tensors[1]!];
const N = X.shape[0]!;
model.train(); const losses: number[] = [];
const shuffle = process.argv[5] === "shuffle";
const perEpoch = Math.ceil(N / 32);
const loaderGenerator = new nt.Generator(Number(process.argv[4] ?? 0));
/** A fresh permutation per epoch, as DataLoader({ shuffle: true }) draws it. */
const shuffled = (n: number): number[] => {
  const o = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = loaderGenerator.int(0, i + 1);
    [o[i], o[j]] = [o[j]!, o[i]!];
  }
  return o;
};
let order: number[] = [];
for (let s = 0; s < steps; s++) {
  nt.tidy(() => {
    const inEpoch = s % perEpoch;
    if (shuffle && inEpoch === 0) order = shuffled(N);
    const idx = nt.tensor(shuffle ? order.slice(inEpoch * 32, inEpoch * 32 + 32) : Array.from({ length: 32 }, (_, b) => (s * 32 + b) % N), { dtype: "int32" });
    opt.zeroGrad(); const loss = taskLoss(model.forward(X.indexSelect(0, idx)), Y.indexSelect(0, idx)); loss.backward(); opt.step(); losses.push(loss.itemSync());
  });
}
model.eval();
const [XV, YV] = [data.test!.tensors[0]!, data.test!.tensors[1]!];
let tot = 0; const M = XV.shape[0]!;
nt.noGrad(() => { for (let i = 0; i < M; i += 64) nt.tidy(() => { const n = Math.min(64, M - i); tot += taskLoss(model.forward(XV.narrow(0, i, n)), YV.narrow(0, i, n)).itemSync() * n; }); });
console.log(JSON.stringify({ dropout, losses: losses.filter((_, i) => i % 10 === 9).map((l) => +l.toFixed(4)), val: tot / M }));
