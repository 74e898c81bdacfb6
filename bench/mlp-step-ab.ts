/**
 * A/B of BENCH.md's MLP training step (batch 128, Adam) between source trees, in one process:
 * each tree's neurite is imported separately (its own wasm backend and worker pool), and steps
 * alternate between the trees, so load from other processes on a shared machine falls on all of
 * them alike. Every round starts fresh models (seed 0) and times 27 steps after 3 warm-up steps:
 * a batch trained on for hundreds of steps is memorised and its gradients go subnormal
 * (bench/memorized-batch.ts). Prints step-time quantiles per tree and the final loss (equal
 * losses: the trees compute the same trajectory).
 *
 *   node --import tsx bench/mlp-step-ab.ts [--threads 2] [--rounds 10] [--backend wasm] /work/main .
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const opt = (n: string, d: string): string => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1]! : d);
const threads = Number(opt("threads", "2"));
const rounds = Number(opt("rounds", "10"));
const backend = opt("backend", "wasm");
const roots = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--")).map((r) => resolve(r));
if (roots.length === 0) {
  console.error("usage: node --import tsx bench/mlp-step-ab.ts [--threads N] [--rounds N] [--backend NAME] TREE...");
  process.exit(2);
}

interface Tree {
  root: string;
  nt: typeof import("../src/index.js");
  createMlp: typeof import("../models/mlp.js").createMlp;
  taskLoss: typeof import("../src/cli/tasks.js").taskLoss;
  x: import("../src/index.js").Tensor;
  y: import("../src/index.js").Tensor;
  times: number[];
  loss: number;
}

const trees: Tree[] = [];
for (const root of roots) {
  const load = (p: string) => import(pathToFileURL(`${root}/${p}`).href);
  const nt = (await load("src/index.ts")) as Tree["nt"];
  await load("src/backend/register-native.ts");
  const { createMlp } = (await load("models/mlp.ts")) as { createMlp: Tree["createMlp"] };
  const { taskLoss } = (await load("src/cli/tasks.ts")) as { taskLoss: Tree["taskLoss"] };
  await nt.setBackend(backend);
  const be = (await nt.initBackend(backend)) as unknown as { setThreads?(n: number): void };
  be.setThreads?.(threads);
  nt.manualSeed(1);
  trees.push({ root, nt, createMlp, taskLoss, x: nt.rand([128, 1, 28, 28]), y: nt.randint(0, 10, [128], { dtype: "int32" }), times: [], loss: NaN });
}

for (let r = 0; r < rounds; r++) {
  const live = trees.map((t) => {
    t.nt.manualSeed(0);
    const model = t.createMlp();
    const opt = new t.nt.optim.Adam(model.parameters(), { lr: 1e-3 });
    const step = (): void =>
      t.nt.tidy(() => {
        opt.zeroGrad();
        const loss = t.taskLoss(model.forward(t.x) as typeof t.x, t.y);
        loss.backward();
        opt.step();
        t.loss = loss.dataSync()[0]!;
      });
    return { t, model, opt, step };
  });
  for (let i = 0; i < 30; i++) {
    // alternate the order too, so that neither tree always runs right after the other
    for (const l of i & 1 ? [...live].reverse() : live) {
      const t0 = performance.now();
      l.step();
      if (i >= 3) l.t.times.push(performance.now() - t0);
    }
  }
  for (const l of live) {
    l.model.dispose();
    l.opt.dispose();
  }
}

for (const t of trees) {
  const s = [...t.times].sort((a, b) => a - b);
  const q = (f: number): string => s[Math.floor(f * (s.length - 1))]!.toFixed(3);
  console.log(`${t.root}: ${backend} ${threads}T, ${s.length} steps: min ${q(0)}  p10 ${q(0.1)}  p25 ${q(0.25)}  median ${q(0.5)} ms; last loss ${t.loss}`);
}
