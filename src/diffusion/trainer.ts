/**
 * The DDPM training loop: random batches of Fashion-MNIST in [-1, 1], the ε-prediction loss
 * with label dropout (for classifier-free guidance), Adam with a linear warm-up and gradient
 * clipping, an EMA of the weights, progress lines, periodic PNG sample grids from the EMA
 * weights, and resumable checkpoints:
 *   OUT/model.safetensors        EMA weights + config (what `neurite generate` reads)
 *   OUT/train-state.safetensors  raw weights, EMA, Adam state, step and RNG state (for --resume)
 *   OUT/samples/step-NNNNNN.png  sample grids (one row per class)
 *   OUT/log.jsonl                one line per log interval
 */
import { join } from "node:path";
import { mkdir, appendFile, access } from "node:fs/promises";
import type { Tensor } from "../tensor/tensor.js";
import { tidy } from "../memory/tidy.js";
import { Generator } from "../tensor/random.js";
import { Adam } from "../optim/adam.js";
import { clipGradNorm_ } from "../optim/clip-grad.js";
import type { OptimizerStateDict } from "../optim/optimizer.js";
import { save, loadWithMetadata } from "../io/safetensors.js";
import { formatDuration } from "../train/progress.js";
import { DDPM } from "../../models/ddpm.js";
import { diffusionLoss } from "./process.js";
import { EMA } from "./ema.js";
import { randomBatch, type ImageSet } from "./data.js";
import { saveImageGrid } from "./grid-png.js";

export interface TrainDdpmOptions {
  ddpm: DDPM;
  data: ImageSet;
  outDir: string;
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps?: number;
  emaDecay?: number;
  pUncond?: number;
  gradClip?: number;
  seed?: number;
  device?: string;
  resume?: boolean;
  logEvery?: number;
  checkpointEvery?: number;
  sampleEvery?: number;
  /** Per sample grid: images per class (one row per class), DDIM steps and guidance scale. */
  samplePerClass?: number;
  sampleSteps?: number;
  guidanceScale?: number;
  log?: (line: string) => void;
  progress?: (line: string) => void;
}

export interface TrainDdpmResult {
  steps: number;
  finalLoss: number;
  seconds: number;
  imagesPerSecond: number;
  checkpoint: string;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

export async function trainDdpm(o: TrainDdpmOptions): Promise<TrainDdpmResult> {
  const { ddpm, data, outDir } = o;
  const log = o.log ?? ((s: string) => console.log(s));
  const progress = o.progress ?? log;
  const unet = ddpm.unet;
  const numClasses = ddpm.numClasses;
  const warmup = o.warmupSteps ?? 200;
  const logEvery = o.logEvery ?? 25;
  const ckptEvery = o.checkpointEvery ?? 100;
  const sampleEvery = o.sampleEvery ?? 500;
  await mkdir(join(outDir, "samples"), { recursive: true });
  const g = new Generator(o.seed ?? 0);
  const opt = new Adam(unet.parameters(), { lr: o.lr });
  const ema = new EMA(unet, o.emaDecay ?? 0.999);
  const statePath = join(outDir, "train-state.safetensors");
  const modelPath = join(outDir, "model.safetensors");
  let step = 0;

  if (o.resume && (await exists(statePath))) {
    step = await loadTrainState(statePath, unet, ema, opt, g);
    log(`neurite: resumed from ${statePath} at step ${step}`);
  }

  const sampler = new DDPM(ddpm.config);
  const writeGrid = async (name: string) => {
    ema.copyTo(sampler.unet);
    sampler.unet.eval();
    const per = o.samplePerClass ?? 2;
    const labels = numClasses > 0 ? Array.from({ length: numClasses * per }, (_, i) => Math.floor(i / per)) : null;
    const n = labels ? labels.length : 16;
    const t0 = performance.now();
    const x = await sampler.sample({
      n,
      sampler: "ddim",
      steps: o.sampleSteps ?? 25,
      labels,
      guidanceScale: o.guidanceScale ?? 3,
      generator: new Generator(1234),
      ...(o.device ? { device: o.device } : {}),
    });
    const path = join(outDir, "samples", `${name}.png`);
    await saveImageGrid(x, path, { nrow: labels ? per * 2 : 4 });
    x.dispose();
    log(`neurite: wrote ${path} (${n} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };

  const started = performance.now();
  let window = 0;
  let windowLoss = 0;
  let windowStart = performance.now();
  let lastLoss = NaN;
  const startStep = step;
  while (step < o.steps) {
    const lr = o.lr * Math.min(1, (step + 1) / Math.max(1, warmup));
    for (const group of opt.paramGroups) group.lr = lr;
    const lossT = tidy(() => {
      const { x, y } = randomBatch(data, o.batchSize, g, o.device);
      opt.zeroGrad();
      const l = diffusionLoss(unet, ddpm.schedule, x, {
        labels: numClasses > 0 ? y : null,
        pUncond: o.pUncond ?? 0.1,
        nullLabel: numClasses,
        generator: g,
      });
      l.backward();
      if (o.gradClip !== 0) clipGradNorm_(unet.parameters(), o.gradClip ?? 1).dispose();
      opt.step();
      return l.detach();
    });
    // Async read: works on every backend (webgpu has no synchronous reads).
    const loss = await lossT.item();
    lossT.dispose();
    if (!Number.isFinite(loss)) throw new Error(`trainDdpm: loss became ${loss} at step ${step + 1}; lower --lr`);
    ema.update(unet);
    step++;
    lastLoss = loss;
    window++;
    windowLoss += loss;
    if (step % logEvery === 0 || step === o.steps) {
      const secs = (performance.now() - windowStart) / 1000;
      const ips = (window * o.batchSize) / secs;
      const eta = ((o.steps - step) * secs) / window;
      progress(`step ${step}/${o.steps} loss ${(windowLoss / window).toFixed(4)} lr ${lr.toExponential(2)} ${ips.toFixed(1)} img/s ${(secs / window).toFixed(2)} s/step ETA ${formatDuration(eta)}`);
      await appendFile(join(outDir, "log.jsonl"), JSON.stringify({ step, loss: windowLoss / window, imagesPerSecond: ips, secondsPerStep: secs / window, time: new Date().toISOString() }) + "\n");
      window = 0;
      windowLoss = 0;
      windowStart = performance.now();
    }
    if (step % ckptEvery === 0 || step === o.steps) {
      await saveTrainState(statePath, unet, ema, opt, g, step);
      await ddpm.save(modelPath, ema.stateDict(), { step: String(step) });
    }
    if (sampleEvery > 0 && (step % sampleEvery === 0 || step === o.steps)) {
      await writeGrid(`step-${String(step).padStart(6, "0")}`);
      windowStart = performance.now();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  ema.dispose();
  return { steps: step, finalLoss: lastLoss, seconds, imagesPerSecond: ((step - startStep) * o.batchSize) / seconds, checkpoint: modelPath };
}

async function saveTrainState(path: string, unet: DDPM["unet"], ema: EMA, opt: Adam, g: Generator, step: number): Promise<void> {
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of unet.stateDict()) tensors.set(`model.${k}`, v);
  for (const [k, v] of ema.stateDict()) tensors.set(`ema.${k}`, v);
  const sd = opt.stateDict();
  const scalars: Record<string, Record<string, number | null>> = {};
  for (const [i, s] of Object.entries(sd.state)) {
    for (const [k, v] of Object.entries(s)) {
      if (v !== null && typeof v === "object") tensors.set(`optim.${i}.${k}`, v);
      else (scalars[i] ??= {})[k] = v as number | null;
    }
  }
  try {
    await save(tensors, path, {
      step: String(step),
      emaUpdates: String(ema.numUpdates),
      generator: JSON.stringify(g.getState().map((v) => (Number.isNaN(v) ? null : v))),
      paramGroups: JSON.stringify(sd.param_groups),
      scalars: JSON.stringify(scalars),
    });
  } finally {
    for (const [k, v] of tensors) if (k.startsWith("optim.")) v.dispose();
  }
}

async function loadTrainState(path: string, unet: DDPM["unet"], ema: EMA, opt: Adam, g: Generator): Promise<number> {
  const { tensors, metadata } = await loadWithMetadata(path);
  const pick = (prefix: string) => new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  unet.loadStateDict(pick("model."));
  ema.loadStateDict(pick("ema."), Number(metadata.emaUpdates ?? 0));
  const scalars = JSON.parse(metadata.scalars ?? "{}") as Record<string, Record<string, number | null>>;
  const state: OptimizerStateDict["state"] = {};
  for (const [k, v] of pick("optim.")) {
    const [i, key] = k.split(".") as [string, string];
    (state[i] ??= { ...scalars[i] })[key] = v;
  }
  opt.loadStateDict({ state, param_groups: JSON.parse(metadata.paramGroups!) as OptimizerStateDict["param_groups"] });
  const gs = JSON.parse(metadata.generator!) as (number | null)[];
  g.setState(gs.map((v) => (v === null ? NaN : v)));
  for (const t of tensors.values()) t.dispose();
  return Number(metadata.step);
}

