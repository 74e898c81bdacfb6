/**
 * Time of one optimizer step over the reference MLP's parameters (269,322 floats), fused
 * (Backend.optimizerStep) against the composed ops it replaced, interleaved in one run, plus
 * PyTorch 1.13's Adam on the same shapes when /usr/bin/python3 has torch.
 *
 *   node --import tsx bench/optimizer-step.ts [--backend wasm|native] [--optimizer Adam] [--steps 200]
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import * as nt from "../src/index.js";
// The `native` backend registers from this module (as the CLI and the test helpers load it).
import "../src/backend/register-native.js";
import { setFusedOptimizerSteps } from "../src/optim/fused-step.js";

const { values } = parseArgs({ options: { backend: { type: "string", default: "wasm" }, optimizer: { type: "string", default: "Adam" }, steps: { type: "string", default: "200" } } });
const steps = Number(values.steps);
const kinds = { Adam: nt.optim.Adam, AdamW: nt.optim.AdamW, SGD: nt.optim.SGD, RMSprop: nt.optim.RMSprop } as const;
const Ctor = kinds[values.optimizer as keyof typeof kinds];
if (!Ctor) throw new Error(`optimizer-step: unknown optimizer '${values.optimizer}' (known: ${Object.keys(kinds).join(", ")})`);
const SHAPES = [[256, 784], [256], [256, 256], [256], [10, 256], [10]];

await nt.setBackend(values.backend!);
for (const fused of [false, true, false, true]) {
  setFusedOptimizerSteps(fused);
  const params = SHAPES.map((s) => nt.randn(s).requiresGrad_());
  for (const p of params) p.grad = nt.randn(p.shape).keep();
  const opt = new (Ctor as unknown as new (p: nt.Tensor[], o: object) => nt.optim.Optimizer)(params, values.optimizer === "SGD" ? { lr: 1e-3, momentum: 0.9 } : { lr: 1e-3 });
  for (let i = 0; i < 10; i++) opt.step();
  await params[0]!.data();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) opt.step();
  await params[0]!.data();
  console.log(`neurite ${nt.getBackend()} ${values.optimizer} step, ${fused ? "fused   " : "composed"}: ${((performance.now() - t0) / steps).toFixed(3)} ms`);
  opt.dispose();
  for (const p of params) p.dispose();
}
await nt.disposeBackends();

const torch = spawnSync("/usr/bin/python3", ["-c", `
import torch, time
torch.set_num_threads(2)
ps = [torch.randn(s, requires_grad=True) for s in ${JSON.stringify(SHAPES)}]
for p in ps: p.grad = torch.randn_like(p)
for foreach in (False, True):
    o = torch.optim.Adam(ps, lr=1e-3, foreach=foreach)
    for i in range(10): o.step()
    t = time.perf_counter()
    for i in range(${steps}): o.step()
    print(f"PyTorch {torch.__version__} Adam step, foreach={foreach}: {(time.perf_counter() - t) / ${steps} * 1e3:.3f} ms")
`], { encoding: "utf8" });
console.log(torch.status === 0 ? torch.stdout.trim() : `PyTorch not measured: ${torch.stderr?.trim().split("\n").pop() ?? torch.error?.message}`);
