/**
 * Dropout in expectation, neurite side of dropout_moments.py (same measurements, same
 * checkpoint).
 *
 *   node --import tsx tools/char-gpt-diagnostics/dropout-moments.ts DROPOUT CHECKPOINT [BACKEND]
 */
import * as nt from "../../src/index.js";
import { createCharGpt } from "../../models/index.js";
import { loadTaskData, taskLoss } from "../../src/cli/tasks.js";
import { MODEL_ZOO } from "../../src/cli/model-zoo.js";
import { load } from "../../src/io/safetensors.js";
nt.setNumThreads(1);
await nt.setBackend(process.argv[4] ?? "wasm");
nt.manualSeed(1);
const data = await loadTaskData(MODEL_ZOO["char-gpt"]!, { command: "x", text: "/usr/share/games/fortunes/computers" });
const model = createCharGpt({ vocabSize: data.ctx.vocabSize!, blockSize: 64, dropout: Number(process.argv[2]) });
model.loadStateDict(await load(process.argv[3]!));
model.train();
const X = data.train.tensors[0]!.narrow(0, 0, 32), Y = data.train.tensors[1]!.narrow(0, 0, 32);
const ls: number[] = [];
nt.noGrad(() => { for (let i = 0; i < 200; i++) nt.tidy(() => { ls.push(taskLoss(model.forward(X), Y).itemSync()); }); });
const m = ls.reduce((a, b) => a + b) / ls.length; const sd = Math.sqrt(ls.reduce((a, b) => a + (b - m) ** 2, 0) / (ls.length - 1));
console.log(JSON.stringify({ mean: m, std: sd }));
const names = ["tok_emb.weight", "pos_emb.weight", "blocks.0.self_attn.in_proj_weight", "blocks.0.linear1.weight", "blocks.3.linear2.weight", "blocks.2.norm1.weight", "ln_f.weight"];
const params = new Map(model.namedParameters());
const acc = new Map(names.map((n) => [n, new Float64Array(params.get(n)!.size)]));
const sq = new Map(names.map((n) => [n, 0]));
for (let i = 0; i < 100; i++) nt.tidy(() => {
  model.zeroGrad(); taskLoss(model.forward(X), Y).backward();
  for (const n of names) { const g = params.get(n)!.grad!.dataSync(); const a = acc.get(n)!; let q = 0; for (let j = 0; j < a.length; j++) { a[j]! += g[j]! / 100; q += g[j]! * g[j]!; } sq.set(n, sq.get(n)! + q / 100); }
});
const out: Record<string, number[]> = {};
for (const n of names) { const a = acc.get(n)!; out[n] = [...Array.from(a.slice(0, 6), (v) => +v.toFixed(6)), +Math.sqrt(a.reduce((s, v) => s + v * v, 0)).toFixed(6)]; }
console.log(JSON.stringify(out));
console.log(JSON.stringify(Object.fromEntries(names.map((n) => [n, +(sq.get(n)! - acc.get(n)!.reduce((s, v) => s + v * v, 0)).toFixed(7)]))));
