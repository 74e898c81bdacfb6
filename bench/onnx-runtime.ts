/**
 * Per zoo model: export to ONNX (dynamic batch), then the largest |ONNX Runtime − neurite| over
 * a batch, and the inference time of onnxruntime-node (CPU) next to neurite's on one backend.
 * Untrained weights (the speed and the agreement do not depend on training). Times are the best
 * of --reps runs after a warm-up.
 *
 *   node --import tsx bench/onnx-runtime.ts [--batch 64] [--reps 10] [--threads 2]
 *   NEURITE_BACKEND=cpu node --import tsx bench/onnx-runtime.ts
 */
import * as ort from "onnxruntime-node";
import * as nt from "../src/index.js";
import { MODEL_ZOO } from "../src/cli/model-zoo.js";
import { DDPM } from "../models/ddpm.js";
import { flattenTensors } from "../src/onnx/trace.js";
import { useFastestBackend } from "../examples/_backend.js";

const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const batch = arg("--batch", 64);
const reps = arg("--reps", 10);
const threads = arg("--threads", 2);

interface Case {
  name: string;
  model: nt.nn.Module;
  inputNames: string[];
  inputs: (b: number) => nt.Tensor[];
}

const images = (b: number) => [nt.rand([b, 1, 28, 28])];
const chars = (b: number) => [nt.randint(0, 96, [b, 64], { dtype: "int32" })];
const zoo = (name: string, inputs: (b: number) => nt.Tensor[], inputNames: string[]): Case => ({
  name,
  model: MODEL_ZOO[name]!.create({ numClasses: 10, vocabSize: 96, blockSize: 64 }),
  inputs,
  inputNames,
});

/** Best of `reps` timed runs after one warm-up: the least disturbed by other processes. */
async function bestTime(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const toOrt = (t: nt.Tensor) => (t.dtype === "int32" ? new ort.Tensor("int32", Int32Array.from(t.dataSync()), [...t.shape]) : new ort.Tensor("float32", Float32Array.from(t.dataSync()), [...t.shape]));

const backend = await useFastestBackend();
nt.manualSeed(0);
const ddpm = DDPM.preset("fashion-mnist");
const cases: Case[] = [
  zoo("mlp", images, ["image"]),
  zoo("cnn", images, ["image"]),
  zoo("cnn-bn", images, ["image"]),
  zoo("row-gru", images, ["image"]),
  zoo("char-lstm", chars, ["ids"]),
  zoo("char-gpt", chars, ["ids"]),
  {
    name: "ddpm (fashion-mnist U-Net)",
    model: ddpm.unet,
    inputNames: ["x_t", "t", "class"],
    inputs: (b) => [nt.randn([b, 1, 28, 28]), nt.randint(0, 1000, [b], { dtype: "int32" }), nt.randint(0, 11, [b], { dtype: "int32" })],
  },
];

console.log(`batch ${batch}, best of ${reps}; neurite backend '${backend}', onnxruntime-node CPU with ${threads} intra-op threads\n`);
console.log("| model | ONNX KiB | max abs diff | neurite ms | ORT ms | ORT speed-up |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const c of cases) {
  c.model.eval();
  const bytes = nt.onnx.exportModel(c.model, c.inputs(1), { inputNames: c.inputNames, dynamicAxes: Object.fromEntries(c.inputNames.map((n) => [n, [0]])) });
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const inputs = c.inputs(batch);
  const feeds = Object.fromEntries(inputs.map((t, i) => [c.inputNames[i]!, toOrt(t)]));
  const got = await session.run(feeds);
  const want = nt.tidy(() => nt.noGrad(() => flattenTensors(c.model.forward(...inputs))));
  let maxDiff = 0;
  for (const [i, w] of want.entries()) {
    const a = got[session.outputNames[i]!]!.data as Float32Array;
    const b = await w.data();
    for (let j = 0; j < b.length; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j]! - b[j]!));
  }
  const neuriteMs = await bestTime(async () => {
    const outs = nt.tidy(() => nt.noGrad(() => flattenTensors(c.model.forward(...inputs))));
    await outs[0]!.data();
    outs.forEach((o) => o.dispose());
  });
  const ortMs = await bestTime(() => session.run(feeds));
  want.forEach((w) => w.dispose());
  inputs.forEach((t) => t.dispose());
  console.log(`| ${c.name} | ${(bytes.length / 1024).toFixed(0)} | ${maxDiff.toExponential(1)} | ${neuriteMs.toFixed(1)} | ${ortMs.toFixed(1)} | ${(neuriteMs / ortMs).toFixed(1)}x |`);
}
