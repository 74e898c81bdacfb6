/**
 * `neurite generate --checkpoint runs/ddpm --n 64 --steps 50 --sampler ddim [--class 7]
 *  [--guidance 3] --out samples.png`: draws samples from a diffusion model trained by
 * `neurite train --model ddpm` and writes them as a PNG grid, with a progress bar over the
 * denoising steps. Given a character model, it generates text as `neurite sample` does.
 */
import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import { resolve } from "node:path";
import * as registry from "../../backend/registry.js";
import { Generator } from "../../tensor/random.js";
import { ProgressLine, formatDuration } from "../../train/progress.js";
import { UsageError, choiceOption, floatOption, intOption, parseCommandArgs } from "../args.js";
import { save } from "../../io/safetensors.js";
import { CLASS_NAMES } from "../../data/fashion-mnist.js";
import { saveImageGrid } from "../../diffusion/grid-png.js";
import { loadGenerativeModel, notGenerative } from "../diffusion-checkpoint.js";
import { SAMPLE_OPTIONS, sampleCommand } from "./sample.js";

export const GENERATE_HELP = `neurite generate --checkpoint PATH [options]

Draws images from a diffusion model trained by 'neurite train --model ddpm' and writes a PNG
grid. A run folder (or its checkpoint/, while the run is unfinished) is sampled with its EMA
weights. Given a character model, generates text instead: see 'neurite sample --help'.

Options:
  --checkpoint PATH   run folder (e.g. runs/ddpm), its checkpoint/, or a model file (required)
  --n N               number of images (default 64)
  --sampler NAME      ddim or ddpm (default ddim; ddpm runs all T steps)
  --steps N           DDIM steps (default 50)
  --eta X             DDIM stochasticity, 0 = deterministic (default 0)
  --class C           class index 0-9 for every image (class-conditional models); default:
                      classes in turn, one per grid row block
  --guidance X        classifier-free guidance scale (default 3; 1 = no guidance)
  --unconditional     ignore classes (null label)
  --nrow N            images per grid row (default 8, or n/10 per class when cycling classes)
  --out FILE          PNG to write (default samples.png)
  --save-tensors FILE also save the raw samples [n,1,H,W] in [-1,1] as safetensors
  --backend NAME      ${registry.backends().join(", ")} (default ${registry.getBackend()})
  --threads N         threads of the wasm and native backends (default: all cores)
  --seed N            random seed (default 0)
  --json              print one JSON result line
  --quiet             no progress output`;

export function generationLabels(n: number, numClasses: number, cls: number | undefined, unconditional: boolean): (number | null)[] | null {
  if (numClasses === 0 || unconditional) return null;
  if (cls !== undefined) return new Array<number>(n).fill(cls);
  const per = Math.max(1, Math.ceil(n / numClasses));
  return Array.from({ length: n }, (_, i) => Math.min(numClasses - 1, Math.floor(i / per)));
}

/** Options of image generation only (a character model's checkpoint refuses them). */
const IMAGE_OPTIONS = ["n", "sampler", "steps", "eta", "class", "guidance", "unconditional", "nrow", "out", "save-tensors", "quiet"] as const;

/** What `neurite generate` was asked to do. The options that depend on the model (--steps, --class, --nrow) are checked against it once it is loaded. */
export type GenerateRequest =
  | { kind: "help" }
  | {
      kind: "generate";
      checkpoint: string;
      n: number;
      sampler: "ddim" | "ddpm";
      /** DDIM steps; null: min(50, T). */
      steps: number | null;
      eta: number;
      /** One class for every image; null: classes in turn. */
      cls: number | null;
      guidance: number;
      unconditional: boolean;
      /** Images per grid row; null: 8, or n/10 per class when cycling classes. */
      nrow: number | null;
      out: string;
      saveTensors: string | null;
      backend: string;
      seed: number;
      json: boolean;
      quiet: boolean;
      /** The first image option given, if any: a character model's checkpoint refuses it. */
      imageOption: string | null;
      /** The first text option given (neurite sample's), if any: a diffusion model refuses it. */
      textOption: string | null;
    };

/** Parses `neurite generate`'s argv; every option error is a UsageError. */
export function parseGenerateArgs(argv: string[]): GenerateRequest {
  const cmd = "generate";
  const args = parseCommandArgs(cmd, argv, {
    checkpoint: { type: "string" },
    n: { type: "string" },
    sampler: { type: "string" },
    steps: { type: "string" },
    eta: { type: "string" },
    class: { type: "string" },
    guidance: { type: "string" },
    unconditional: { type: "boolean", default: false },
    nrow: { type: "string" },
    out: { type: "string" },
    "save-tensors": { type: "string" },
    ...BACKEND_OPTION_SPEC,
    seed: { type: "string" },
    json: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    // A character model's options: its checkpoint goes to 'neurite sample' with them.
    ...SAMPLE_OPTIONS,
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) return { kind: "help" };
  const checkpoint = args.str("checkpoint");
  if (!checkpoint) throw new UsageError(`neurite ${cmd}: --checkpoint PATH is required (see neurite ${cmd} --help)`);
  const optionalInt = (flag: string, min: number) => (args.str(flag) === undefined ? null : intOption(cmd, flag, args.str(flag), 0, min));
  return {
    kind: "generate",
    checkpoint: resolve(checkpoint),
    n: intOption(cmd, "n", args.str("n"), 64),
    sampler: choiceOption(cmd, "sampler", args.str("sampler"), ["ddim", "ddpm"] as const, "ddim"),
    steps: optionalInt("steps", 1),
    eta: floatOption(cmd, "eta", args.str("eta"), 0, 0),
    cls: optionalInt("class", 0),
    guidance: floatOption(cmd, "guidance", args.str("guidance"), 3, 0),
    unconditional: args.flag("unconditional"),
    nrow: optionalInt("nrow", 1),
    out: resolve(args.str("out") ?? "samples.png"),
    saveTensors: args.str("save-tensors") === undefined ? null : resolve(args.str("save-tensors")!),
    backend: backendFromArgs(cmd, args),
    seed: intOption(cmd, "seed", args.str("seed"), 0, 0),
    json: args.flag("json"),
    quiet: args.flag("quiet"),
    imageOption: IMAGE_OPTIONS.find((k) => args.str(k) !== undefined || args.flag(k)) ?? null,
    textOption: Object.keys(SAMPLE_OPTIONS).find((k) => args.str(k) !== undefined) ?? null,
  };
}

export async function generateCommand(argv: string[]): Promise<number> {
  const cmd = "generate";
  const request = parseGenerateArgs(argv);
  if (request.kind === "help") {
    console.log(GENERATE_HELP);
    return 0;
  }
  const { n, sampler, eta, guidance, seed, quiet, out } = request;
  const backendName = request.backend;
  await registry.setBackend(backendName);
  const found = await loadGenerativeModel(cmd, request.checkpoint);
  if (found.kind === "text") {
    if (request.imageOption) throw new UsageError(`neurite ${cmd}: --${request.imageOption} is for diffusion models; ${found.path} holds the character model '${found.entry.name}' (its options: neurite sample --help)`);
    return sampleCommand(argv, cmd);
  }
  if (found.kind === "other") throw notGenerative(cmd, found.path, found.entry);
  if (request.textOption) throw new UsageError(`neurite ${cmd}: --${request.textOption} is for character models; ${found.path} holds a diffusion model`);
  const ddpm = found.ddpm;
  const steps = request.steps ?? Math.min(50, ddpm.schedule.T);
  if (sampler === "ddim" && steps > ddpm.schedule.T) throw new UsageError(`neurite ${cmd}: --steps must be at most T = ${ddpm.schedule.T}`);
  const cls = request.cls ?? undefined;
  if (cls !== undefined && (ddpm.numClasses === 0 || cls >= ddpm.numClasses)) {
    throw new UsageError(ddpm.numClasses === 0 ? `neurite ${cmd}: this model is unconditional; --class needs a class-conditional checkpoint` : `neurite ${cmd}: --class must lie in 0..${ddpm.numClasses - 1}, got ${cls}`);
  }
  const labels = generationLabels(n, ddpm.numClasses, cls, request.unconditional);
  const nrow = request.nrow ?? (labels && cls === undefined ? Math.max(1, Math.ceil(n / ddpm.numClasses)) : 8);
  const line = new ProgressLine(process.stderr, undefined, !quiet);
  const what = cls !== undefined && ddpm.numClasses === 10 ? ` of class ${cls} (${CLASS_NAMES[cls]})` : labels ? " (classes in turn)" : "";
  line.log(`neurite: generating ${n} images${what} with ${sampler} (${sampler === "ddim" ? `${steps} steps, eta ${eta}` : `${ddpm.schedule.T} steps`}${labels ? `, guidance ${guidance}` : ""}) on ${backendName}`);
  const t0 = performance.now();
  const x = await ddpm.sample({
    n,
    sampler,
    steps,
    eta,
    labels,
    guidanceScale: guidance,
    generator: new Generator(seed),
    onStep: (i, total) => {
      const el = (performance.now() - t0) / 1000;
      const w = 24;
      const done = Math.round((i / total) * w);
      line.update(`denoising ${"█".repeat(done)}${"░".repeat(w - done)} ${i}/${total} ${formatDuration(el)} ETA ${formatDuration((el / i) * (total - i))}`, i === total);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  line.done();
  await saveImageGrid(x, out, { nrow });
  if (request.saveTensors) await save(new Map([["samples", x]]), request.saveTensors, { labels: JSON.stringify(labels) });
  x.dispose();
  ddpm.dispose();
  const result = { out, checkpoint: found.path, weights: found.weights, n, sampler, steps: sampler === "ddim" ? steps : ddpm.schedule.T, guidance, backend: backendName, seconds, imagesPerSecond: n / seconds };
  if (request.json) console.log(JSON.stringify(result));
  else if (!quiet) console.log(`neurite: wrote ${out} (${n} images in ${seconds.toFixed(1)} s, ${(n / seconds).toFixed(2)} images/s)`);
  return 0;
}
