// Text from a character language model, one sampled character at a time: used by
// `neurite sample` (and `generate` on a character model) and by a training run's report.
import type { Module } from "../nn/module.js";
import { tensor } from "../ops/creation.js";
import { noGrad } from "../autograd/grad-mode.js";
import { tidy } from "../memory/tidy.js";
import { Generator } from "../tensor/random.js";
import { modelOutput } from "../train/evaluate.js";
import { UsageError } from "./args.js";

export interface GenerateOptions {
  prompt: string;
  length: number;
  temperature: number;
  topK?: number;
  seed: number;
  blockSize: number;
}

/** Autoregressive sampling: the model maps ids [1, T] to logits [1, T, V]. */
export async function generateText(model: Module, vocab: string, o: GenerateOptions): Promise<string> {
  const chars = [...vocab];
  const index = new Map(chars.map((c, i) => [c, i]));
  const ids = [...o.prompt].map((c) => {
    const i = index.get(c);
    if (i === undefined) throw new UsageError(`neurite sample: the prompt has a character the model has never seen: ${JSON.stringify(c)}`);
    return i;
  });
  // Start from a newline (or the first character) when there is no prompt.
  if (ids.length === 0) ids.push(index.get("\n") ?? 0);
  const start = o.prompt.length === 0 ? 1 : 0;
  const rng = new Generator(o.seed);
  const wasTraining = model.training;
  model.eval();
  try {
    for (let n = 0; n < o.length; n++) {
      const context = ids.slice(-o.blockSize);
      const logits = await noGrad(() =>
        tidy(async () => {
          const x = tensor(Int32Array.from(context), { shape: [1, context.length], dtype: "int32" });
          const out = modelOutput(model.forward(x));
          const last = out.shape.length === 3 ? out.narrow(1, context.length - 1, 1).reshape([-1]) : out.reshape([-1]);
          return Float64Array.from(await last.data());
        }),
      );
      ids.push(sampleIndex(logits, o.temperature, o.topK, rng));
    }
  } finally {
    model.train(wasTraining);
  }
  return ids
    .slice(start)
    .map((i) => chars[i])
    .join("");
}

function sampleIndex(logits: Float64Array, temperature: number, topK: number | undefined, rng: Generator): number {
  let cut = -Infinity;
  if (topK !== undefined && topK < logits.length) cut = [...logits].sort((a, b) => b - a)[topK - 1]!;
  let max = -Infinity;
  for (const v of logits) if (v >= cut && v > max) max = v;
  const p = logits.map((v) => (v >= cut ? Math.exp((v - max) / temperature) : 0));
  const total = p.reduce((a, b) => a + b, 0);
  let r = rng.random() * total;
  for (let i = 0; i < p.length; i++) {
    r -= p[i]!;
    if (r < 0) return i;
  }
  return p.length - 1;
}
