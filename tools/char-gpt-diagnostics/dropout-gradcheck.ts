/**
 * Is the gradient with dropout the gradient of the forward that was run? Draws one set of dropout
 * masks (the generator state is saved and restored, so every forward below uses the same masks),
 * takes the analytic gradient g of the char-gpt loss at its seed-0 initialisation on BATCH
 * training windows, and compares |g| with the central finite difference of the loss along g/|g|.
 * With dropout 0 the same check is the control. Float32 on BACKEND (default wasm).
 *
 *   node --import tsx tools/char-gpt-diagnostics/dropout-gradcheck.ts [DROPOUT [BACKEND [BATCH]]]
 */
import * as nt from "../../src/index.js";
import { createCharGpt } from "../../models/index.js";
import { loadTaskData, taskLoss } from "../../src/cli/tasks.js";
import { MODEL_ZOO } from "../../src/cli/model-zoo.js";
import { defaultGenerator } from "../../src/tensor/random.js";

const dropout = Number(process.argv[2] ?? 0.1);
await nt.setBackend(process.argv[3] ?? "wasm");
const batch = Number(process.argv[4] ?? 8);
nt.manualSeed(0);
const data = await loadTaskData(MODEL_ZOO["char-gpt"]!, { command: "x", text: "/usr/share/games/fortunes/computers" });
const model = createCharGpt({ vocabSize: data.ctx.vocabSize!, blockSize: 64, dropout });
model.train();
const x = data.train.tensors[0]!.narrow(0, 0, batch).to(nt.getBackend());
const y = data.train.tensors[1]!.narrow(0, 0, batch).to(nt.getBackend());
const masks = defaultGenerator.getState();
const lossAt = (): number => {
  defaultGenerator.setState(masks);
  return nt.noGrad(() => nt.tidy(() => taskLoss(model.forward(x), y).itemSync()));
};
defaultGenerator.setState(masks);
model.zeroGrad();
nt.tidy(() => taskLoss(model.forward(x), y).backward());
const params = model.parameters();
const grads = params.map((p) => Float64Array.from(p.grad!.dataSync() as Float32Array));
const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, v) => a + v * v, 0), 0));
const original = params.map((p) => Float64Array.from(p.dataSync() as Float32Array));
const shifted = (eps: number): number => {
  nt.noGrad(() => params.forEach((p, i) => p.copy_(nt.tensor(Float32Array.from(original[i]!, (v, j) => v + (eps * grads[i]![j]!) / norm), { dtype: "float32", device: p.device }).reshape(p.shape))));
  return lossAt();
};
const rows = [1e-3, 3e-3, 1e-2].map((eps) => {
  const fd = (shifted(eps) - shifted(-eps)) / (2 * eps);
  return { eps, finiteDifference: +fd.toFixed(5), relativeError: +Math.abs(fd / norm - 1).toExponential(2) };
});
console.log(JSON.stringify({ dropout, backend: nt.getBackend(), gradientNorm: +norm.toFixed(5), rows }));
