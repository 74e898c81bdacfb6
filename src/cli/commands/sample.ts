import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import * as registry from "../../backend/registry.js";
import type { Module } from "../../nn/module.js";
import type { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../ops/creation.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { tidy } from "../../memory/tidy.js";
import { Generator } from "../../tensor/random.js";
import { MODEL_ZOO, modelNames } from "../model-zoo.js";
import { UsageError, floatOption, intOption, parseCommandArgs } from "../args.js";
import { loadModelFile } from "./weights.js";
import { modelOutput } from "../../train/evaluate.js";

export const SAMPLE_HELP = `neurite sample --checkpoint FILE [options]     (alias: neurite generate)

Generates text with a trained character-level language model.

Options:
  --checkpoint FILE    model.safetensors written by 'neurite train' (or a run folder)
  --prompt TEXT        text to continue (default: empty)
  --length N           characters to generate (default 200)
  --temperature X      > 0; lower is more conservative (default 0.8)
  --top-k N            sample only among the N most likely characters
  --seed N             random seed (default 0)
  --backend NAME       backend to run on
  --threads N          threads of the wasm and native backends (default: all cores)
  --json               print one JSON object

Examples:
  neurite sample --checkpoint runs/bigram/model.safetensors --prompt "The " --length 120
  neurite generate --checkpoint runs/char-gpt --temperature 0.5 --json`;

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

export async function sampleCommand(argv: string[], name = "sample"): Promise<number> {
  const args = parseCommandArgs(name, argv, {
    checkpoint: { type: "string" },
    prompt: { type: "string" },
    length: { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    seed: { type: "string" },
    ...BACKEND_OPTION_SPEC,
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) {
    console.log(SAMPLE_HELP);
    return 0;
  }
  const checkpoint = args.str("checkpoint");
  if (!checkpoint) throw new UsageError(`neurite ${name}: --checkpoint FILE is required (see neurite ${name} --help)`);
  const length = intOption(name, "length", args.str("length"), 200, 1);
  const temperature = floatOption(name, "temperature", args.str("temperature"), 0.8, 0);
  if (temperature === 0) throw new UsageError(`neurite ${name}: --temperature must be > 0, got '0'`);
  const topK = args.str("top-k") === undefined ? undefined : intOption(name, "top-k", args.str("top-k"), 0, 1);
  const seed = intOption(name, "seed", args.str("seed"), 0, 0);
  const backendName = backendFromArgs(name, args);
  await registry.setBackend(backendName);
  const { model, entry, path, vocab, blockSize: savedBlockSize } = await loadModelFile(name, checkpoint);
  if (entry.task !== "char-lm") {
    const lms = modelNames().filter((n) => MODEL_ZOO[n]!.task === "char-lm");
    throw new UsageError(`neurite ${name}: ${path} holds a '${entry.name}' model, which does not generate text (character models: ${lms.join(", ")}); use neurite predict for image models`);
  }
  if (vocab === undefined) throw new UsageError(`neurite ${name}: ${path} has no vocabulary in its metadata; it was not written by neurite train`);
  const blockSize = savedBlockSize ?? entry.defaults.blockSize ?? 64;
  const prompt = args.str("prompt") ?? "";
  const text = await generateText(model, vocab, { prompt, length, temperature, ...(topK !== undefined ? { topK } : {}), seed, blockSize });
  if (args.flag("json")) console.log(JSON.stringify({ model: entry.name, checkpoint: path, prompt, temperature, topK: topK ?? null, seed, text }));
  else console.log(text);
  model.dispose();
  return 0;
}
