/**
 * `neurite eval-samples --checkpoint runs/ddpm --classifier runs/cnn-bn-scorer/model.safetensors`
 * Scores generated images with the cnn-bn Fashion-MNIST classifier: mean max-class confidence,
 * class histogram, agreement with the requested class, and Fréchet distances of the classifier's
 * penultimate features against real test images — for the samples, for other real held-out
 * test images (the floor) and for pure noise (the ceiling).
 */
import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import { resolve } from "node:path";
import { writeFile } from "node:fs/promises";
import type { Tensor } from "../../tensor/tensor.js";
import * as ops from "../../ops/index.js";
import * as registry from "../../backend/registry.js";
import { Generator } from "../../tensor/random.js";
import { ProgressLine, formatDuration } from "../../train/progress.js";
import { UsageError, floatOption, intOption, parseCommandArgs } from "../args.js";
import { loadWithMetadata } from "../../io/safetensors.js";
import { CLASS_NAMES, findFashionMnistDir, loadFashionMnist, type FashionMnistSplit } from "../../data/fashion-mnist.js";
import { createCnnBn } from "../../../models/cnn-bn.js";
import { classify, featureGaussian, splitSequentialClassifier, summarizeConfidence, type ConfidenceSummary, type ImageBatchSource } from "../../diffusion/metrics/classifier-score.js";
import { frechetDistance } from "../../diffusion/metrics/frechet.js";
import { generationLabels } from "./generate.js";
import { saveImageGrid } from "../../diffusion/grid-png.js";
import { loadGenerativeModel } from "../diffusion-checkpoint.js";

export const EVAL_SAMPLES_HELP = `neurite eval-samples --classifier FILE (--checkpoint FILE | --samples FILE) [options]

Scores generated Fashion-MNIST images with a cnn-bn classifier: mean max-class confidence, the
class histogram, agreement with the requested class, and the Fréchet distance between the
classifier's penultimate features of the samples and of real test images, next to the same
distance for other real held-out images (floor) and for pure noise (ceiling).

Options:
  --classifier FILE   cnn-bn weights (safetensors; e.g. from tools/train_diffusion_classifier.ts)
  --checkpoint PATH   diffusion run folder (e.g. runs/ddpm; its EMA weights) or model file
  --samples FILE      or: samples saved by 'neurite generate --save-tensors'
  --n N               images to generate and score (default 500, classes in turn)
  --steps N           DDIM steps (default 50)
  --eta X             DDIM eta (default 0)
  --guidance X        classifier-free guidance scale (default 3)
  --reference N       real test images for the reference statistics (default 5000)
  --batch N           sampling batch size (default 100)
  --grid FILE         also write the scored samples as a PNG grid
  --data DIR          Fashion-MNIST folder
  --backend NAME      ${registry.backends().join(", ")} (default ${registry.getBackend()})
  --threads N         threads of the wasm and native backends (default: all cores)
  --seed N            random seed (default 0)
  --json              print one JSON result line
  --out FILE          also write the JSON result to FILE`;

function splitSource(split: FashionMnistSplit, start: number, n: number, device: string): ImageBatchSource {
  return {
    n,
    batch: (i, count) => {
      const px = new Float32Array(count * 784);
      for (let k = 0; k < count * 784; k++) px[k] = split.images[(start + i) * 784 + k]! / 255;
      return ops.tensor(px, { shape: [count, 1, 28, 28], device });
    },
  };
}

/** Images in [-1, 1] (flat n·1·S·S) → classifier input [0, 1], centre-cropped to 28×28. */
function arraySource(values: Float32Array, n: number, side: number, device: string): ImageBatchSource {
  const off = (side - 28) / 2;
  return {
    n,
    batch: (i, count) => {
      const px = new Float32Array(count * 784);
      for (let k = 0; k < count; k++) {
        for (let y = 0; y < 28; y++) {
          for (let x = 0; x < 28; x++) {
            const v = values[(i + k) * side * side + (y + off) * side + x + off]!;
            px[k * 784 + y * 28 + x] = Math.min(1, Math.max(0, (v + 1) / 2));
          }
        }
      }
      return ops.tensor(px, { shape: [count, 1, 28, 28], device });
    },
  };
}

export interface EvalSamplesResult {
  n: number;
  samples: ConfidenceSummary & { frechet: number };
  realHeldOut: ConfidenceSummary & { frechet: number };
  noise: ConfidenceSummary & { frechet: number };
  referenceImages: number;
  classNames: readonly string[];
  sampling?: { steps: number; guidance: number; eta: number; seconds: number; imagesPerSecond: number; backend: string };
}

/** What `neurite eval-samples` was asked to do: score images generated now from `checkpoint`, or saved in `samples`. */
export type EvalSamplesRequest =
  | { kind: "help" }
  | {
      kind: "eval-samples";
      classifier: string;
      source: { kind: "checkpoint"; path: string } | { kind: "samples"; path: string };
      /** Images to generate (from a checkpoint). */
      n: number;
      steps: number;
      eta: number;
      guidance: number;
      /** Real test images for the reference statistics (at most the test set less n). */
      reference: number;
      /** Sampling batch size. */
      batch: number;
      grid: string | null;
      data: string | undefined;
      backend: string;
      seed: number;
      json: boolean;
      out: string | null;
    };

/** Parses `neurite eval-samples`'s argv; every option error is a UsageError. */
export function parseEvalSamplesArgs(argv: string[]): EvalSamplesRequest {
  const cmd = "eval-samples";
  const args = parseCommandArgs(cmd, argv, {
    classifier: { type: "string" },
    checkpoint: { type: "string" },
    samples: { type: "string" },
    n: { type: "string" },
    steps: { type: "string" },
    eta: { type: "string" },
    guidance: { type: "string" },
    reference: { type: "string" },
    batch: { type: "string" },
    grid: { type: "string" },
    data: { type: "string" },
    ...BACKEND_OPTION_SPEC,
    seed: { type: "string" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.flag("help")) return { kind: "help" };
  const classifier = args.str("classifier");
  if (!classifier) throw new UsageError(`neurite ${cmd}: --classifier FILE is required (see neurite ${cmd} --help)`);
  const checkpoint = args.str("checkpoint");
  const samples = args.str("samples");
  if (!checkpoint === !samples) throw new UsageError(`neurite ${cmd}: give exactly one of --checkpoint or --samples`);
  const path = (v: string | undefined) => (v === undefined ? null : resolve(v));
  return {
    kind: "eval-samples",
    classifier: resolve(classifier),
    source: checkpoint ? { kind: "checkpoint", path: resolve(checkpoint) } : { kind: "samples", path: resolve(samples!) },
    n: intOption(cmd, "n", args.str("n"), 500, 2),
    steps: intOption(cmd, "steps", args.str("steps"), 50),
    eta: floatOption(cmd, "eta", args.str("eta"), 0, 0),
    guidance: floatOption(cmd, "guidance", args.str("guidance"), 3, 0),
    reference: intOption(cmd, "reference", args.str("reference"), 5000, 2),
    batch: intOption(cmd, "batch", args.str("batch"), 100),
    grid: path(args.str("grid")),
    data: args.str("data"),
    backend: backendFromArgs(cmd, args),
    seed: intOption(cmd, "seed", args.str("seed"), 0, 0),
    json: args.flag("json"),
    out: path(args.str("out")),
  };
}

export async function evalSamplesCommand(argv: string[]): Promise<number> {
  const cmd = "eval-samples";
  const request = parseEvalSamplesArgs(argv);
  if (request.kind === "help") {
    console.log(EVAL_SAMPLES_HELP);
    return 0;
  }
  const backendName = request.backend;
  await registry.setBackend(backendName);
  const device = backendName;
  const { seed, json } = request;
  const line = new ProgressLine(process.stderr);
  const say = (s: string) => (json ? line.log(s) : console.log(s));

  const clfModel = createCnnBn();
  const { tensors } = await loadWithMetadata(request.classifier);
  clfModel.loadStateDict(tensors);
  for (const t of tensors.values()) t.dispose();
  const clf = splitSequentialClassifier(clfModel);

  // Samples: generated now, or loaded.
  let values: Float32Array;
  let n: number;
  let side: number;
  let labels: (number | null)[] | null = null;
  let sampling: EvalSamplesResult["sampling"];
  let samplesTensor: Tensor | null = null;
  if (request.source.kind === "checkpoint") {
    const found = await loadGenerativeModel(cmd, request.source.path);
    if (found.kind !== "diffusion") throw new UsageError(`neurite ${cmd}: ${found.path} holds a '${found.entry.name}' model; eval-samples scores the images of a diffusion model (ddpm)`);
    const ddpm = found.ddpm;
    ({ n } = request);
    const { steps, guidance, eta, batch } = request;
    labels = generationLabels(n, ddpm.numClasses, undefined, false);
    if (labels) labels = labels.map((_, i) => i % ddpm.numClasses); // interleave so every batch has all classes
    side = ddpm.config.unet.imageSize;
    values = new Float32Array(n * side * side);
    const g = new Generator(seed);
    const t0 = performance.now();
    for (let i = 0; i < n; i += batch) {
      const count = Math.min(batch, n - i);
      const x = await ddpm.sample({
        n: count,
        sampler: "ddim",
        steps,
        eta,
        labels: labels ? labels.slice(i, i + count) : null,
        guidanceScale: guidance,
        generator: g,
        device,
        onStep: (s, total) => {
          const done = i + (count * s) / total;
          const el = (performance.now() - t0) / 1000;
          line.update(`sampling ${Math.floor(done)}/${n} images (step ${s}/${total}) ${formatDuration(el)} ETA ${formatDuration((el / done) * (n - done))}`);
        },
      });
      values.set((await x.data()) as Float32Array, i * side * side);
      x.dispose();
    }
    const seconds = (performance.now() - t0) / 1000;
    line.done();
    sampling = { steps, guidance, eta, seconds, imagesPerSecond: n / seconds, backend: backendName };
    say(`neurite: sampled ${n} images in ${seconds.toFixed(1)} s (${(n / seconds).toFixed(2)} images/s, ${steps} DDIM steps, guidance ${guidance})`);
  } else {
    const { tensors: st, metadata } = await loadWithMetadata(request.source.path);
    samplesTensor = st.get("samples") ?? null;
    if (!samplesTensor || samplesTensor.ndim !== 4) throw new Error(`neurite ${cmd}: ${request.source.path} has no 'samples' tensor [n, 1, H, W]`);
    [n, , side] = samplesTensor.shape as [number, number, number];
    values = (await samplesTensor.data()) as Float32Array;
    labels = metadata.labels ? (JSON.parse(metadata.labels) as (number | null)[] | null) : null;
  }
  if (request.grid) {
    const t = ops.tensor(values, { shape: [n, 1, side, side] });
    await saveImageGrid(t, request.grid, { nrow: 20 });
    t.dispose();
  }
  samplesTensor?.dispose();

  const fm = await loadFashionMnist(await findFashionMnistDir(request.data));
  const refN = Math.min(request.reference, fm.test.n - n);
  if (refN < 2) throw new UsageError(`neurite ${cmd}: the test set (${fm.test.n}) is too small for --n ${n} plus reference images`);
  const reference = featureGaussian(await classify(clf, splitSource(fm.test, 0, refN, device)));
  const score = async (src: ImageBatchSource, l?: (number | null)[] | null) => {
    const out = await classify(clf, src);
    return { ...summarizeConfidence(out, l ?? undefined), frechet: frechetDistance(featureGaussian(out), reference) };
  };
  const samples = await score(arraySource(values, n, side, device), labels);
  const realHeldOut = await score(splitSource(fm.test, refN, n, device), Array.from(fm.test.labels.subarray(refN, refN + n)));
  const noiseVals = new Float32Array(n * 784);
  const g = new Generator(seed + 1);
  for (let i = 0; i < noiseVals.length; i++) noiseVals[i] = Math.max(-1, Math.min(1, g.normal()));
  const noise = await score(arraySource(noiseVals, n, 28, device));
  const result: EvalSamplesResult = { n, samples, realHeldOut, noise, referenceImages: refN, classNames: CLASS_NAMES, ...(sampling ? { sampling } : {}) };

  if (request.out) await writeFile(request.out, JSON.stringify(result, null, 2) + "\n");
  if (json) {
    console.log(JSON.stringify(result));
    return 0;
  }
  const row = (name: string, s: ConfidenceSummary & { frechet: number }) =>
    `${name.padEnd(22)} ${s.meanConfidence.toFixed(3).padStart(10)} ${String(s.classesPresent).padStart(7)} ${(s.agreement === undefined ? "-" : s.agreement.toFixed(3)).padStart(9)} ${s.frechet.toFixed(3).padStart(10)}`;
  console.log(`\nscored by cnn-bn (${reference.dim} penultimate features); Fréchet distances against ${refN} real test images`);
  console.log(`${"".padEnd(22)} ${"confidence".padStart(10)} ${"classes".padStart(7)} ${"agreement".padStart(9)} ${"Fréchet".padStart(10)}`);
  console.log(row(`samples (n=${n})`, samples));
  console.log(row(`real held-out (floor)`, realHeldOut));
  console.log(row(`pure noise (ceiling)`, noise));
  console.log(`\nclass histogram of the samples (classifier's predictions):`);
  samples.histogram.forEach((h, c) => console.log(`  ${String(c).padStart(2)} ${CLASS_NAMES[c]!.padEnd(12)} ${String(h).padStart(5)} ${"▇".repeat(Math.round((40 * h) / n))}`));
  return 0;
}
