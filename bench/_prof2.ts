import * as nt from "../src/index.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { createMlp } from "../models/mlp.js";
import { createCnn } from "../models/cnn.js";
if (!nt.backends().includes("wasm")) nt.registerBackend("wasm", () => createWasmBackend({ threads: 2 }));
const be = (await nt.initBackend("wasm")) as any;

await nt.setBackend("wasm");
const stats = new Map<string, { n: number; t: number }>();
for (const name of ["alloc", "upload", "free", "readSync", "unary", "binary", "where", "cast", "contiguous", "fill", "reduce", "argReduce", "matmul", "gather", "scatterAdd", "indexSelect", "indexAdd", "cat", "pad", "im2col", "col2im"]) {
  const orig = (be as any)[name].bind(be);
  (be as any)[name] = (...a: any[]) => {
    const t = performance.now();
    const r = orig(...a);
    const dt = performance.now() - t;
    let key = name;
    if (name === "unary" || name === "binary" || name === "reduce") key += ":" + a[0];
    if (name === "matmul") key += `:${a[0].shape}x${a[1].shape}`;
    const s = stats.get(key) ?? { n: 0, t: 0 };
    s.n++; s.t += dt; stats.set(key, s);
    return r;
  };
}
const which = process.argv[2] ?? "cnn";
nt.manualSeed(0);
const m = which === "mlp" ? createMlp() : createCnn();
const opt = new nt.optim.Adam(m.parameters(), { lr: 1e-3 });
const x = nt.rand([128, 1, 28, 28]); const y = nt.randint(0, 10, [128], { dtype: "int32" });
const step = () => nt.tidy(() => { opt.zeroGrad(); const loss = nt.F.crossEntropy(m.forward(x) as nt.Tensor, y); loss.backward(); opt.step(); loss.dataSync(); });
const n = which === "mlp" ? 200 : 10;
for (let i = 0; i < 3; i++) step();
stats.clear();
const t = performance.now();
for (let i = 0; i < n; i++) step();
const total = performance.now() - t;
console.log(which, (128 * n / (total / 1000)).toFixed(0), "img/s", (total / n).toFixed(2), "ms/step");
let sum = 0;
for (const [, s] of stats) sum += s.t;
console.log("in backend:", (sum / n).toFixed(2), "ms/step; calls/step", [...stats.values()].reduce((a, s) => a + s.n, 0) / n);
[...stats].sort((a, b) => b[1].t - a[1].t).slice(0, 25).forEach(([k, s]) => console.log((s.t / n).toFixed(3).padStart(8), "ms", (s.n / n).toFixed(1).padStart(5), k));
await be.dispose();
