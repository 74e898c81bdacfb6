/**
 * Speed check of the op-table work (issue 12, item 8): runs `neurite bench --backend wasm` for
 * each model from two source trees — OLD (a worktree at the commit before the op-table work) and
 * this tree — alternating old/new ROUNDS times in the same run, so both see the same machine
 * load, and prints new/old time ratios per model (median and range over rounds; < 1 = faster).
 *
 *   git worktree add /work/wt-12-old b8da3b9^ && ln -s /work/main/node_modules /work/wt-12-old/node_modules
 *   node --import tsx bench/op-table-regression.ts --old /work/wt-12-old [--rounds 5] [--threads 1]
 *        [--models mlp,cnn,char-gpt] [--steps 20] [--clock cpu|wall]
 *
 * --clock cpu (the default) times with the process's CPU time (bench/cpu-clock.mjs replaces
 * performance.now for the bench process), which a shared machine disturbs far less than wall
 * time; it needs --threads 1. --clock wall reports `neurite bench`'s own wall-clock numbers.
 *
 * Both trees run through tsx from their sources (the wasm binaries are committed as
 * src/backend/wasm/binary/*.ts), one process per measurement; the order old/new flips every
 * round so neither side always runs first.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    old: { type: "string" },
    rounds: { type: "string", default: "5" },
    threads: { type: "string", default: "1" },
    models: { type: "string", default: "mlp,cnn,char-gpt" },
    steps: { type: "string", default: "20" },
    clock: { type: "string", default: "cpu" },
  },
});
if (!values.old) throw new Error("op-table-regression: --old DIR (a worktree of the commit before the op-table work) is required");
const trees = { old: resolve(values.old), new: resolve(import.meta.dirname, "..") };
const rounds = Number(values.rounds);
if (values.clock !== "cpu" && values.clock !== "wall") throw new Error(`op-table-regression: --clock must be cpu or wall, got '${values.clock}'`);
if (values.clock === "cpu" && values.threads !== "1") throw new Error("op-table-regression: --clock cpu needs --threads 1 (CPU time adds up over worker threads)");
const cpuClock = resolve(import.meta.dirname, "cpu-clock.mjs");
const models = values.models.split(",");

interface Sample {
  train: number;
  infer: number;
}

function benchOnce(tree: string, model: string): Sample {
  const out = execFileSync(
    process.execPath,
    [...(values.clock === "cpu" ? ["--import", cpuClock] : []), "--import", "tsx", "src/cli/main.ts", "bench", "--model", model, "--backend", "wasm", "--threads", values.threads, "--steps", values.steps, "--json"],
    { cwd: tree, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  const row = (JSON.parse(out) as { results: { trainMsPerStep?: number; inferMsPerBatch?: number; error?: string }[] }).results[0]!;
  if (row.error !== undefined || row.trainMsPerStep === undefined || row.inferMsPerBatch === undefined) {
    throw new Error(`op-table-regression: bench ${model} in ${tree} failed: ${row.error ?? "no timings"}`);
  }
  return { train: row.trainMsPerStep, infer: row.inferMsPerBatch };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const samples = new Map<string, { old: Sample[]; new: Sample[] }>(models.map((m) => [m, { old: [], new: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const model of models) {
    const order = r % 2 === 0 ? (["old", "new"] as const) : (["new", "old"] as const);
    for (const side of order) samples.get(model)![side].push(benchOnce(trees[side], model));
  }
  console.error(`round ${r + 1}/${rounds} done`);
}

console.log(`${values.clock === "cpu" ? "CPU" : "wall-clock"} time, --threads ${values.threads}, ${values.steps} steps, ${rounds} interleaved rounds\n`);
console.log(`| model | train ms/step old → new (median) | new/old train: median [min, max] | inference ms old → new | new/old inference: median [min, max] |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const model of models) {
  const s = samples.get(model)!;
  const cells = (["train", "infer"] as const).map((k) => {
    const ratios = s.new.map((n, i) => n[k] / s.old[i]![k]);
    return [
      `${median(s.old.map((x) => x[k])).toFixed(1)} → ${median(s.new.map((x) => x[k])).toFixed(1)}`,
      `${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(3)}, ${Math.max(...ratios).toFixed(3)}]`,
    ];
  });
  console.log(`| ${model} | ${cells[0]![0]} | ${cells[0]![1]} | ${cells[1]![0]} | ${cells[1]![1]} |`);
}
