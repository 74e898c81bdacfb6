import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import * as registry from "../../backend/registry.js";
import { MODEL_ZOO, modelNames } from "../model-zoo.js";
import { UsageError, floatOption, intOption, parseCommandArgs } from "../args.js";
import { loadModelFile } from "./weights.js";
import { generateText } from "../text-generation.js";

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

/** The options of text generation only (generate accepts them and hands a character model here). */
export const SAMPLE_OPTIONS = {
  prompt: { type: "string" },
  length: { type: "string" },
  temperature: { type: "string" },
  "top-k": { type: "string" },
} as const;

/** What `neurite sample` (or `generate` for a text model) was asked to do. */
export type SampleRequest = { kind: "help" } | { kind: "sample"; checkpoint: string; prompt: string; length: number; temperature: number; topK: number | null; seed: number; backend: string; json: boolean };

/** Parses `neurite sample`'s argv (`name`: the command as typed, for messages); every option error is a UsageError. */
export function parseSampleArgs(argv: string[], name = "sample"): SampleRequest {
  const args = parseCommandArgs(name, argv, {
    checkpoint: { type: "string" },
    ...SAMPLE_OPTIONS,
    seed: { type: "string" },
    ...BACKEND_OPTION_SPEC,
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) return { kind: "help" };
  const checkpoint = args.str("checkpoint");
  if (!checkpoint) throw new UsageError(`neurite ${name}: --checkpoint FILE is required (see neurite ${name} --help)`);
  const length = intOption(name, "length", args.str("length"), 200, 1);
  const temperature = floatOption(name, "temperature", args.str("temperature"), 0.8, 0);
  if (temperature === 0) throw new UsageError(`neurite ${name}: --temperature must be > 0, got '0'`);
  const topK = args.str("top-k") === undefined ? null : intOption(name, "top-k", args.str("top-k"), 0, 1);
  const seed = intOption(name, "seed", args.str("seed"), 0, 0);
  const backend = backendFromArgs(name, args);
  return { kind: "sample", checkpoint, prompt: args.str("prompt") ?? "", length, temperature, topK, seed, backend, json: args.flag("json") };
}

export async function sampleCommand(argv: string[], name = "sample"): Promise<number> {
  const request = parseSampleArgs(argv, name);
  if (request.kind === "help") {
    console.log(SAMPLE_HELP);
    return 0;
  }
  const { checkpoint, length, temperature, topK, seed, prompt } = request;
  await registry.setBackend(request.backend);
  const { model, entry, path, vocab, blockSize: savedBlockSize } = await loadModelFile(name, checkpoint);
  if (entry.task !== "char-lm") {
    const lms = modelNames().filter((n) => MODEL_ZOO[n]!.task === "char-lm");
    const hint = entry.task === "diffusion" ? `draw images with 'neurite generate --checkpoint ${checkpoint}'` : "use neurite predict for image models";
    throw new UsageError(`neurite ${name}: ${path} holds a '${entry.name}' model, which does not generate text (character models: ${lms.join(", ")}); ${hint}`);
  }
  if (vocab === undefined) throw new UsageError(`neurite ${name}: ${path} has no vocabulary in its metadata; it was not written by neurite train`);
  const blockSize = savedBlockSize ?? entry.defaults.blockSize ?? 64;
  const text = await generateText(model, vocab, { prompt, length, temperature, ...(topK !== null ? { topK } : {}), seed, blockSize });
  if (request.json) console.log(JSON.stringify({ model: entry.name, checkpoint: path, prompt, temperature, topK, seed, text }));
  else console.log(text);
  model.dispose();
  return 0;
}
