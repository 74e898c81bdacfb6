/**
 * Why native's MLP-training calls in bench/run-cpu.ts are bimodal: the benchmark peers keep one
 * model and one batch per task across rounds, so later rounds train a model that has memorised
 * its batch (loss ~1e-5). Its softmax outputs and gradients then reach the float32 subnormal
 * range, where the CPU's arithmetic is many times slower (a multiply by subnormals: ~260 µs vs
 * ~10 µs for 32k elements on this Xeon, on native and wasm alike). This script trains one MLP on
 * one batch for 5 × 300 steps and prints the speed and loss of each block.
 *
 *   node --import tsx bench/memorized-batch.ts native|wasm
 */
import * as nt from "../src/index.js";
import "../src/backend/register-native.js";
import { createMlp } from "../models/mlp.js";
import { taskLoss } from "../src/cli/tasks.js";
await nt.setBackend(process.argv[2] ?? "native");
nt.manualSeed(0);
const model = createMlp();
const opt = new nt.optim.Adam(model.parameters(), { lr: 1e-3 });
const x = nt.rand([128, 1, 28, 28]);
const y = nt.randint(0, 10, [128], { dtype: "int32" });
for (let run = 0; run < 5; run++) {
  const t0 = performance.now();
  let last = 0;
  for (let s = 0; s < 300; s++) {
    nt.tidy(() => {
      opt.zeroGrad();
      const loss = taskLoss(model.forward(x) as nt.Tensor, y);
      loss.backward();
      opt.step();
      last = loss.dataSync()[0]!;
    });
  }
  let denorm = 0;
  for (const p of model.parameters()) { const g = p.grad!.dataSync() as Float32Array; for (const v of g) if (v !== 0 && Math.abs(v) < 1.1754944e-38) denorm++; }
  console.log(`run ${run}: ${(300 * 128 / ((performance.now() - t0) / 1000)).toFixed(0)} img/s, loss ${last.toExponential(4)}, denormal grads ${denorm}`);
}
