/** `neurite train --model ddpm`: trains the Fashion-MNIST DDPM (see docs/diffusion.md for the recipe). */
import { BACKEND_OPTION_SPEC, backendFromArgs } from "../../cli/backend-options.js";
import { join, resolve } from "node:path";
import * as registry from "../../backend/registry.js";
import { manualSeed } from "../../tensor/random.js";
import { findFashionMnistDir, loadFashionMnist } from "../../data/fashion-mnist.js";
import { ProgressLine } from "../../train/progress.js";
import { UsageError, choiceOption, floatOption, intOption, parseCommandArgs } from "../../cli/args.js";
import { DDPM, DDPM_PRESETS } from "../../../models/ddpm.js";
import { imageSetFromSplit } from "../data.js";
import { trainDdpm } from "../trainer.js";

export const TRAIN_DDPM_HELP = `neurite train --model ddpm [options]

Trains a class-conditional DDPM (U-Net ε-predictor) on Fashion-MNIST. Writes OUT/model.safetensors
(EMA weights, read by 'neurite generate'), OUT/train-state.safetensors (for --resume), sample
grids OUT/samples/step-*.png (one row per class) and OUT/log.jsonl.

Options:
  --preset NAME        ${Object.keys(DDPM_PRESETS).join(", ")} (default fashion-mnist)
  --steps N            optimizer steps (default 1500)
  --batch-size N       images per step (default 64)
  --lr X               Adam learning rate after warm-up (default 1.5e-3)
  --warmup N           linear warm-up steps (default 100)
  --ema X              EMA decay (default 0.999)
  --schedule NAME      linear or cosine (preset default)
  --timesteps N        diffusion steps T (preset default 1000)
  --p-uncond X         label dropout for classifier-free guidance (default 0.1)
  --sample-every N     write a sample grid every N steps (default 250; 0 = only at the end)
  --checkpoint-every N save checkpoints every N steps (default 50)
  --guidance X         guidance scale of the periodic grids (default 3)
  --data DIR           Fashion-MNIST IDX folder (default: system copy, else the bundled subset)
  --limit N            use only the first N training images
  --out DIR            output folder (default runs/ddpm)
  --resume             continue from OUT/train-state.safetensors
  --backend NAME       ${registry.backends().join(", ")} (default ${registry.getBackend()})
  --threads N          threads of the wasm backend (default: all cores)
  --seed N             random seed (default 0)
  --json               print one JSON result line at the end
  --quiet              no progress output`;

export async function trainDdpmCommand(argv: string[]): Promise<number> {
  const cmd = "train";
  const args = parseCommandArgs(cmd, argv, {
    model: { type: "string", default: "ddpm" },
    preset: { type: "string", default: "fashion-mnist" },
    steps: { type: "string" },
    "batch-size": { type: "string" },
    lr: { type: "string" },
    warmup: { type: "string" },
    ema: { type: "string" },
    schedule: { type: "string" },
    timesteps: { type: "string" },
    "p-uncond": { type: "string" },
    "sample-every": { type: "string" },
    "checkpoint-every": { type: "string" },
    guidance: { type: "string" },
    data: { type: "string" },
    limit: { type: "string" },
    out: { type: "string" },
    resume: { type: "boolean", default: false },
    ...BACKEND_OPTION_SPEC,
    seed: { type: "string" },
    json: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) {
    console.log(TRAIN_DDPM_HELP);
    return 0;
  }
  const preset = args.str("preset")!;
  if (!DDPM_PRESETS[preset]) throw new UsageError(`neurite ${cmd}: unknown --preset '${preset}' (choose one of: ${Object.keys(DDPM_PRESETS).join(", ")})`);
  const base = DDPM_PRESETS[preset]!;
  const schedule = choiceOption(cmd, "schedule", args.str("schedule"), ["linear", "cosine"] as const, base.schedule.schedule);
  const timesteps = intOption(cmd, "timesteps", args.str("timesteps"), base.schedule.timesteps, 2);
  const backendName = backendFromArgs(cmd, args);
  const seed = intOption(cmd, "seed", args.str("seed"), 0, 0);
  const outDir = resolve(args.str("out") ?? join("runs", "ddpm"));
  const json = args.flag("json");
  const quiet = args.flag("quiet");
  const line = new ProgressLine(process.stderr, undefined, !quiet);
  const log = (s: string) => (json ? line.log(s) : quiet ? undefined : console.log(s));

  await registry.setBackend(backendName);
  manualSeed(seed);
  const fm = await loadFashionMnist(await findFashionMnistDir(args.str("data")));
  const limit = args.str("limit") === undefined ? undefined : intOption(cmd, "limit", args.str("limit"), 1);
  const imageSize = base.unet.imageSize;
  const data = imageSetFromSplit(fm.train, { ...(limit ? { limit } : {}), pad: (imageSize - 28) / 2 });
  const ddpm = DDPM.preset(preset, { schedule: { schedule, timesteps } });
  const nParams = ddpm.unet.parameters().reduce((s, p) => s + p.size, 0);
  const steps = intOption(cmd, "steps", args.str("steps"), 1500);
  const batchSize = intOption(cmd, "batch-size", args.str("batch-size"), 64);
  log(`neurite: training ddpm (${preset}, ${(nParams / 1e6).toFixed(2)}M parameters, ${schedule} schedule T=${timesteps}) on ${data.n} images (${fm.source}), backend ${backendName}, ${steps} steps of ${batchSize}`);
  const result = await trainDdpm({
    ddpm,
    data,
    outDir,
    steps,
    batchSize,
    lr: floatOption(cmd, "lr", args.str("lr"), 1.5e-3, 0),
    warmupSteps: intOption(cmd, "warmup", args.str("warmup"), 100, 0),
    emaDecay: floatOption(cmd, "ema", args.str("ema"), 0.999, 0),
    pUncond: floatOption(cmd, "p-uncond", args.str("p-uncond"), 0.1, 0),
    sampleEvery: intOption(cmd, "sample-every", args.str("sample-every"), 250, 0),
    checkpointEvery: intOption(cmd, "checkpoint-every", args.str("checkpoint-every"), 50),
    guidanceScale: floatOption(cmd, "guidance", args.str("guidance"), 3, 0),
    seed,
    resume: args.flag("resume"),
    log,
    progress: (s) => (quiet ? undefined : json ? line.update(s, true) : line.update(s, true)),
  });
  line.done();
  const summary = { model: "ddpm", preset, backend: backendName, ...result };
  if (json) console.log(JSON.stringify(summary));
  else log(`neurite: done: ${result.steps} steps, final loss ${result.finalLoss.toFixed(4)}, ${result.imagesPerSecond.toFixed(1)} img/s, ${result.seconds.toFixed(0)} s; checkpoint ${result.checkpoint}`);
  return 0;
}
