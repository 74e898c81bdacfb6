// Backward cost of many slice reads of one tensor (RNN time steps): run with
// `node --import tsx bench/autograd-slices.ts` (default backend; NEURITE_BACKEND=cpu for the reference).
import * as nt from "../src/index.js";
nt.manualSeed(0);
const lstm = new nt.nn.LSTM(64, 128, { batchFirst: true });
const x = nt.randn([32, 64, 64]).keep();
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  nt.tidy(() => { const [out] = lstm.forward(x) as [nt.Tensor, unknown]; out.sum().backward(); });
  console.log("lstm step", (performance.now() - t0).toFixed(0), "ms");
}
// Naive per-step narrow of a [T, ...] tensor: gradient join cost.
const big = nt.randn([256, 64, 64], { requiresGrad: true });
const t0 = performance.now();
nt.tidy(() => { let s = nt.zeros([64, 64]); for (let t = 0; t < 256; t++) s = s.add(big.narrow(0, t, 1).squeeze(0)); s.sum().backward(); });
console.log("256 narrows backward", (performance.now() - t0).toFixed(0), "ms");
