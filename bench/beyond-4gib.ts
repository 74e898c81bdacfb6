/**
 * Issue 13, item 5: a model whose parameters plus Adam state exceed 4 GiB takes training steps on
 * the native backend; on wasm, Adam refuses it at construction, naming the 4 GiB limit.
 *
 *   node --import tsx bench/beyond-4gib.ts [native|wasm]
 *
 * The model is char-gpt widened to d = 2560 (4 blocks, 4 heads): 315 M parameters, 1.17 GiB of
 * float32; with their gradients and Adam's two moments 4.69 GiB. Two steps on one batch of
 * 64 characters; prints one JSON line (loss before/after, seconds per step, peak RSS).
 */
import * as nt from "../src/node.js";
import { createCharGpt } from "../models/char-gpt.js";
import { taskLoss } from "../src/cli/tasks.js";

const backend = process.argv[2] ?? "native";
await nt.setBackend(backend);
nt.manualSeed(0);
const gib = (bytes: number) => +(bytes / 2 ** 30).toFixed(2);
const report: Record<string, unknown> = { backend };
try {
  let t = performance.now();
  const model = createCharGpt({ vocabSize: 96, blockSize: 64, dModel: 2560, numHeads: 4, numLayers: 4, dropout: 0 });
  const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
  Object.assign(report, { params, paramGiB: gib(params * 4), withGradsAndAdamGiB: gib(params * 4 * 4), initSeconds: +((performance.now() - t) / 1000).toFixed(1) });
  const opt = new nt.optim.Adam(model.parameters(), { lr: 1e-4 });
  const x = nt.randint(0, 96, [1, 64], { dtype: "int32" }).keep();
  const y = nt.randint(0, 96, [1, 64], { dtype: "int32" }).keep();
  const losses: number[] = [];
  const stepSeconds: number[] = [];
  for (let i = 0; i < 2; i++) {
    t = performance.now();
    losses.push(
      await nt.tidy(async () => {
        opt.zeroGrad();
        const loss = taskLoss(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
    stepSeconds.push(+((performance.now() - t) / 1000).toFixed(1));
  }
  Object.assign(report, { losses, stepSeconds });
} catch (e) {
  // wasm: the optimizer refuses what its 4 GiB cannot hold (or, before it, the initialisation's
  // temporaries on top of the 1.17 GiB of parameters exceed it), an OutOfMemoryError either way
  report.refused = (e as Error).message;
}
report.peakRssGiB = gib(process.resourceUsage().maxRSS * 1024);
console.log(JSON.stringify(report));
await nt.disposeBackends();
