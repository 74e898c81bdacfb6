import * as registry from "../../backend/registry.js";
import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import { manualSeed } from "../../tensor/random.js";
import { rand, randint, TensorTooLargeError } from "../../ops/creation.js";
import { OutOfMemoryError, isAllocationFailure } from "../../memory/out-of-memory.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { tidy } from "../../memory/tidy.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Adam } from "../../optim/adam.js";
import { findModel, modelNames, type ZooEntry } from "../model-zoo.js";
import { taskLoss } from "../tasks.js";
import { UsageError, intOption, parseCommandArgs } from "../args.js";
import { ProgressLine } from "../../train/progress.js";
import { modelOutput } from "../../train/evaluate.js";

export const BENCH_HELP = `neurite bench [options]

Measures a zoo model's training step (forward, backward, Adam) and inference speed on random
data of the right shape, on one backend or all of them.

Options:
  --model NAME        ${modelNames().join(", ")} (default mlp)
  --backend NAME|all  ${registry.backends().join(", ")} or all (default ${registry.getBackend()})
  --batch-size N      samples per step (default: the model's training batch size)
  --steps N           timed steps (default 20)
  --warmup N          untimed steps first (default 3)
  --threads N         threads of the wasm and native backends (default: all cores)
  --json              print one JSON object

Examples:
  neurite bench --model mlp
  neurite bench --backend all --steps 50 --json`;

interface BenchRow {
  backend: string;
  trainSamplesPerSecond?: number;
  trainMsPerStep?: number;
  inferSamplesPerSecond?: number;
  inferMsPerBatch?: number;
  error?: string;
}

/** What `neurite bench` was asked to do. */
export type BenchRequest = { kind: "help" } | { kind: "bench"; entry: ZooEntry; batch: number; steps: number; warmup: number; backends: string[]; json: boolean };

/** Parses `neurite bench`'s argv; every option error is a UsageError. */
export function parseBenchArgs(argv: string[]): BenchRequest {
  const args = parseCommandArgs("bench", argv, {
    model: { type: "string", default: "mlp" },
    ...BACKEND_OPTION_SPEC,
    "batch-size": { type: "string" },
    steps: { type: "string" },
    warmup: { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) return { kind: "help" };
  const entry = findModel(args.str("model") ?? "");
  if (!entry) throw new UsageError(`neurite bench: unknown model '${args.str("model")}' (choose one of: ${modelNames().join(", ")})`);
  const batch = intOption("bench", "batch-size", args.str("batch-size"), entry.defaults.batchSize);
  const steps = intOption("bench", "steps", args.str("steps"), 20);
  const warmup = intOption("bench", "warmup", args.str("warmup"), 3, 0);
  const which = backendFromArgs("bench", args, ["all"]);
  return { kind: "bench", entry, batch, steps, warmup, backends: which === "all" ? registry.backends() : [which], json: args.flag("json") };
}

export async function benchCommand(argv: string[]): Promise<number> {
  const request = parseBenchArgs(argv);
  if (request.kind === "help") {
    console.log(BENCH_HELP);
    return 0;
  }
  const { entry, batch, steps, warmup, backends: list } = request;
  const progress = new ProgressLine(process.stderr, undefined, !request.json);
  const rows: BenchRow[] = [];
  const T = entry.defaults.blockSize ?? 64;
  const vocab = 96;
  for (const backend of list) {
    try {
      await registry.setBackend(backend);
      manualSeed(0);
      const model = entry.create({ numClasses: 10, vocabSize: vocab, blockSize: T });
      const opt = new Adam(model.parameters(), { lr: 1e-3 });
      const x = (entry.task === "char-lm" ? randint(0, vocab, [batch, T], { dtype: "int32" }) : rand([batch, 1, 28, 28])).keep();
      const y = (entry.task === "char-lm" ? randint(0, vocab, [batch, T], { dtype: "int32" }) : randint(0, 10, [batch], { dtype: "int32" })).keep();
      // The model's own objective where it has one (ddpm: the ε-prediction error, with labels).
      const output = () => modelOutput(entry.forward ? entry.forward(model, x, y) : model.forward(x));
      const trainStep = async () =>
        tidy(async () => {
          opt.zeroGrad();
          const loss = (entry.loss ?? taskLoss)(output(), y);
          loss.backward();
          opt.step();
          await loss.item();
        });
      const infer = async () => noGrad(() => tidy(async () => void (await output().sum().item())));
      for (let i = 0; i < warmup; i++) await trainStep();
      let t0 = performance.now();
      for (let i = 0; i < steps; i++) {
        await trainStep();
        progress.update(`bench ${entry.name} on ${backend}: training step ${i + 1}/${steps}`);
      }
      const trainMs = (performance.now() - t0) / steps;
      model.eval();
      for (let i = 0; i < warmup; i++) await infer();
      t0 = performance.now();
      for (let i = 0; i < steps; i++) {
        await infer();
        progress.update(`bench ${entry.name} on ${backend}: inference ${i + 1}/${steps}`);
      }
      const inferMs = (performance.now() - t0) / steps;
      progress.done();
      rows.push({ backend, trainSamplesPerSecond: (batch * 1000) / trainMs, trainMsPerStep: trainMs, inferSamplesPerSecond: (batch * 1000) / inferMs, inferMsPerBatch: inferMs });
      x.dispose();
      y.dispose();
      opt.dispose();
      model.dispose();
    } catch (e) {
      progress.done();
      const msg = (e as Error).message.split("\n")[0]!;
      const tooBig = e instanceof OutOfMemoryError || e instanceof TensorTooLargeError || isAllocationFailure(e);
      rows.push({ backend, error: tooBig ? `out of memory at batch size ${batch} (${msg}); try a smaller --batch-size` : msg });
    }
  }
  const ok = rows.some((r) => !r.error);
  if (request.json) {
    console.log(JSON.stringify({ model: entry.name, batchSize: batch, steps, results: rows }));
  } else {
    console.log(`${entry.name}, batch ${batch}, ${steps} steps:`);
    for (const r of rows) {
      if (r.error) console.log(`  ${r.backend.padEnd(8)} failed: ${r.error}`);
      else console.log(`  ${r.backend.padEnd(8)} train ${Math.round(r.trainSamplesPerSecond!)} samples/s (${r.trainMsPerStep!.toFixed(1)} ms/step)   inference ${Math.round(r.inferSamplesPerSecond!)} samples/s (${r.inferMsPerBatch!.toFixed(1)} ms/batch)`);
    }
  }
  return ok ? 0 : 1;
}
