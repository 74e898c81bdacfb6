/**
 * neurite on WebGPU: matmul GFLOP/s and BENCH.md MLP/CNN training throughput (images/s), printed
 * as JSON lines (and, with --torch FILE holding bench_torch.py's JSON lines, as a table of
 * neurite/PyTorch ratios). Synthetic 28x28 inputs: throughput does not depend on pixel values.
 *
 *   node bench-webgpu.mjs [--quick] [--sizes 1024,2048,4096,8192] [--batches 128,1024]
 *                         [--torch torch.jsonl] [--out neurite.jsonl]
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as nt from "../../src/index.js";
import { createWebGPUBackend, type WebGPUBackend } from "../../src/backend/webgpu/index.js";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : dflt;
};
const quick = flag("quick");
const sizes = opt("sizes", quick ? "256,512" : "1024,2048,4096,8192").split(",").map(Number);
const batches = opt("batches", quick ? "32" : "128,1024").split(",").map(Number);
const minSeconds = Number(opt("seconds", quick ? "0.5" : "3"));

interface Row {
  bench: string;
  framework: string;
  mode: string;
  size?: number;
  batch?: number;
  value: number;
  unit: string;
  note?: string;
}
const rows: Row[] = [];
function emit(r: Row): void {
  rows.push(r);
  console.log(JSON.stringify(r));
}

nt.registerBackend("webgpu", createWebGPUBackend);
const backend = (await nt.initBackend("webgpu")) as WebGPUBackend;
await nt.setBackend("webgpu");
console.error(`# device: ${backend.description}`);

/** Runs `step` (which must end with a GPU sync) until `minSeconds` have passed; returns seconds per step. */
async function timeIt(step: () => Promise<void>, warmup: number, minSteps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await step();
  let n = 0;
  const t0 = performance.now();
  while (n < minSteps || performance.now() - t0 < minSeconds * 1000) {
    await step();
    n++;
  }
  return (performance.now() - t0) / 1000 / n;
}

// ---- matmul ----
for (const n of sizes) {
  try {
    const gen = new nt.Generator(1);
    const a = nt.randn([n, n], { generator: gen });
    const b = nt.randn([n, n], { generator: gen });
    const reps = Math.max(1, Math.round(2 ** 33 / n ** 3)); // ~8 GFLOP per timed step
    const s = await timeIt(
      async () => {
        for (let r = 0; r < reps; r++) a.matmul(b).dispose();
        await backend.sync();
      },
      1,
      3,
    );
    emit({ bench: "matmul", framework: "neurite-webgpu", mode: "fp32", size: n, value: (2 * n ** 3 * reps) / s / 1e9, unit: "GFLOP/s" });
    a.dispose();
    b.dispose();
  } catch (e) {
    emit({ bench: "matmul", framework: "neurite-webgpu", mode: "fp32", size: n, value: NaN, unit: "GFLOP/s", note: (e as Error).message });
  }
}

// ---- training (BENCH.md reference models) ----
function mlp(): nt.nn.Sequential {
  return new nt.nn.Sequential(new nt.nn.Flatten(), new nt.nn.Linear(784, 256), new nt.nn.ReLU(), new nt.nn.Linear(256, 256), new nt.nn.ReLU(), new nt.nn.Linear(256, 10));
}
function cnn(): nt.nn.Sequential {
  return new nt.nn.Sequential(
    new nt.nn.Conv2d(1, 32, 3, { padding: 1 }),
    new nt.nn.ReLU(),
    new nt.nn.MaxPool2d(2),
    new nt.nn.Conv2d(32, 64, 3, { padding: 1 }),
    new nt.nn.ReLU(),
    new nt.nn.MaxPool2d(2),
    new nt.nn.Flatten(),
    new nt.nn.Linear(3136, 128),
    new nt.nn.ReLU(),
    new nt.nn.Linear(128, 10),
  );
}

// Each model runs with elementwise fusion on (the default) and off, to show what fusion buys.
for (const [name, make] of [["mlp", mlp], ["cnn", cnn]] as const) {
  for (const batch of batches) {
   for (const fusion of flag("no-fusion-compare") ? [true] : [true, false]) {
    backend.fusion = fusion;
    const mode = fusion ? "fp32" : "fp32-unfused";
    try {
      nt.manualSeed(0);
      const model = make();
      const opt = new nt.optim.Adam(model.parameters(), { lr: 1e-3 });
      const x = nt.rand([batch, 1, 28, 28]);
      const y = nt.randint(0, 10, [batch], { dtype: "int32" });
      let dispatchesPerStep = 0;
      const step = async () => {
        const before = backend.dispatchStats().dispatches;
        await nt.tidy(async () => {
          opt.zeroGrad();
          const loss = nt.F.crossEntropy(model.forward(x) as nt.Tensor, y);
          loss.backward();
          opt.step();
          await loss.data();
        });
        dispatchesPerStep = backend.dispatchStats().dispatches - before;
      };
      const s = await timeIt(step, 3, 5);
      emit({ bench: `${name}-train`, framework: "neurite-webgpu", mode, batch, value: batch / s, unit: "img/s", note: `${dispatchesPerStep} kernels/step` });
      nt.dispose([x, y, model.parameters()]);
      opt.zeroGrad();
    } catch (e) {
      emit({ bench: `${name}-train`, framework: "neurite-webgpu", mode, batch, value: NaN, unit: "img/s", note: (e as Error).message });
    }
   }
  }
}
backend.fusion = true;

const outFile = opt("out", "");
if (outFile) writeFileSync(outFile, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");

// ---- ratios against PyTorch measured in the same run ----
const torchFile = opt("torch", "");
if (torchFile) {
  let peers: Row[] = [];
  try {
    peers = readFileSync(torchFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row);
  } catch (e) {
    console.log(`(no PyTorch results: ${(e as Error).message})`);
  }
  const key = (r: Row) => `${r.bench}|${r.size ?? ""}|${r.batch ?? ""}`;
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "n/a" : v >= 100 ? v.toFixed(0) : v.toFixed(2));
  console.log("\n| bench | size/batch | unit | neurite-webgpu | torch fp32 (TF32 off) | ratio | torch TF32 on | ratio |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows.filter((x) => x.mode === "fp32")) {
    const off = peers.find((p) => key(p) === key(r) && p.mode === "fp32")?.value;
    const on = peers.find((p) => key(p) === key(r) && p.mode === "tf32")?.value;
    const ratio = (p: number | undefined) => (p && Number.isFinite(r.value) ? (r.value / p).toFixed(3) : "n/a");
    console.log(`| ${r.bench} | ${r.size ?? r.batch} | ${r.unit} | ${fmt(r.value)} | ${fmt(off)} | ${ratio(off)} | ${fmt(on)} | ${ratio(on)} |`);
  }
}
const unfused = rows.filter((r) => r.mode === "fp32-unfused");
if (unfused.length) {
  console.log("\n| model | batch | fused img/s | kernels/step | unfused img/s | kernels/step | fusion speed-up |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const u of unfused) {
    const f = rows.find((r) => r.mode === "fp32" && r.bench === u.bench && r.batch === u.batch);
    if (!f) continue;
    const k = (r: Row) => r.note?.match(/^(\d+) kernels/)?.[1] ?? "?";
    console.log(`| ${u.bench} | ${u.batch} | ${f.value.toFixed(1)} | ${k(f)} | ${u.value.toFixed(1)} | ${k(u)} | ${(f.value / u.value).toFixed(2)} |`);
  }
}
await nt.setBackend("cpu");
await backend.dispose();
