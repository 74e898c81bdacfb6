import type { Module } from "../nn/module.js";
import { Embedding } from "../nn/layers/embedding.js";
import { createMlp } from "../../models/mlp.js";
import { createCnn } from "../../models/cnn.js";
import { augmentBatch, createCnnBn } from "../../models/cnn-bn.js";
import type { Tensor } from "../tensor/tensor.js";
import { createCharLstm } from "../../models/char-lstm.js";
import { createCharGpt } from "../../models/char-gpt.js";
import { createRowGru } from "../../models/row-gru.js";
import { createTabularMlp } from "../../models/tabular-mlp.js";
import { DDPM } from "../../models/ddpm.js";
import type { Callback, ForwardFn } from "../train/fit.js";
import type { LossFn } from "../train/evaluate.js";
import type { Metric } from "../train/metrics.js";
import { EmaCallback } from "../train/ema.js";
import { noisePredictionLoss } from "../diffusion/process.js";
import { SampleGridCallback } from "../diffusion/sample-grids.js";
import { Generator } from "../tensor/random.js";

/**
 * What a model trains on:
 * - "fashion-mnist": images float32 [N, 1, 28, 28] in [0, 1] → logits [N, 10]
 *   or, on an own image folder (`--data DIR`), images [N, C, H, W] → logits [N, classes]
 * - "char-lm": character ids int32 [N, T] → next-character logits [N, T, vocabSize]
 *   (trained on a text file, `--text FILE`, default data/fortunes-sample.txt)
 * - "tabular": encoded table rows float32 [N, F] → logits [N, classes] (`--data table.csv --target COLUMN`)
 * - "diffusion": Fashion-MNIST images float32 [N, 1, 28, 28] in [0, 1] and their labels → a
 *   generative model trained on its own objective (the entry's `loss` and `forward`), sampled
 *   with `neurite generate`
 */
export type Task = "fashion-mnist" | "char-lm" | "tabular" | "diffusion";

/** What a zoo entry's `callbacks` get: the model being trained and where the run writes. */
export interface RunContext {
  model: Module;
  runDir: string;
  log: (line: string) => void;
}

/** Passed to `create`: sizes that come from the data. */
export interface ModelContext {
  /** Number of classes (fashion-mnist: 10). */
  numClasses?: number;
  /** Number of distinct characters (char-lm). */
  vocabSize?: number;
  /** Context length in characters (char-lm). */
  blockSize?: number;
  /** Input shape of one sample: [C, H, W] for images (default [1, 28, 28]), [F] for table rows. */
  inputShape?: number[];
}

/** [C, H, W] of an image model's input (Fashion-MNIST's [1, 28, 28] unless the data says otherwise). */
function imageShape(ctx: ModelContext | undefined): [number, number, number] {
  const s = ctx?.inputShape ?? [1, 28, 28];
  if (s.length !== 3) throw new RangeError(`image models take [C, H, W] inputs, got [${s.join(", ")}]`);
  return s as [number, number, number];
}

/** A square image side that two 2x2 poolings divide (cnn, cnn-bn); a clear error otherwise. */
function squareSide(model: string, ctx: ModelContext | undefined): { inChannels: number; imageSize: number } {
  const [c, h, w] = imageShape(ctx);
  if (h !== w || h % 4 !== 0) throw new RangeError(`${model} needs square images whose side is divisible by 4 (got ${h}x${w}); pass --size N, e.g. --size ${Math.max(4, Math.round(Math.max(h, w) / 4) * 4)}`);
  return { inChannels: c, imageSize: h };
}

/** A trainable reference model for `neurite train --model NAME`. */
export interface ZooEntry {
  name: string;
  description: string;
  /** Which data the model trains on. */
  task: Task;
  create(ctx?: ModelContext): Module;
  /** Training-time augmentation of a batch of inputs (on unless `--no-augment`). */
  augment?: (inputs: Tensor) => Tensor;
  /** The training objective when it is not the task's cross-entropy (ddpm: the ε-prediction MSE). */
  loss?: LossFn;
  /** The forward pass of a batch when the model takes the targets too (ddpm: the class labels). */
  forward?: ForwardFn;
  /** Metrics on training and held-out batches (default: accuracy; ddpm: none). */
  metrics?: Metric[];
  /** Callbacks the model always trains with (ddpm: the EMA of its weights and sample grids). */
  callbacks?: (run: RunContext) => Callback[];
  defaults: {
    epochs: number;
    batchSize: number;
    lr: number;
    optimizer: "adam" | "adamw" | "sgd";
    /** char-lm: characters of context per training sequence. */
    blockSize?: number;
    /** Learning-rate schedule (default "none"). */
    scheduler?: "none" | "cosine" | "step" | "onecycle" | "plateau" | "warmup";
    /** Gradient-norm clipping (default: none). */
    gradClip?: number;
  };
}

/** Images per class in a ddpm sample grid (one row per class) and the DDIM steps drawing them. */
const DDPM_GRID = { perClass: 2, steps: 25, guidance: 3, seed: 1234 } as const;

/**
 * ddpm trains with an EMA of its weights (decay 0.999, applied to the model once training
 * completes, so model.safetensors and the test loss are the average's) and writes a sample grid
 * from the EMA weights after every epoch (runs/ddpm/samples/epoch-NNN.png, one row per class).
 */
function ddpmCallbacks(run: RunContext): Callback[] {
  const model = run.model as DDPM;
  const ema = new EmaCallback(model, { decay: 0.999, applyAtEnd: true });
  const sampler = new DDPM(model.config);
  const classes = model.numClasses;
  const per = DDPM_GRID.perClass;
  const grids = new SampleGridCallback({
    dir: `${run.runDir}/samples`,
    draw: async () => {
      ema.ema.copyTo(sampler);
      sampler.eval();
      const labels = classes > 0 ? Array.from({ length: classes * per }, (_, i) => Math.floor(i / per)) : null;
      return sampler.sample({ n: labels?.length ?? 16, sampler: "ddim", steps: DDPM_GRID.steps, labels, guidanceScale: DDPM_GRID.guidance, generator: new Generator(DDPM_GRID.seed) });
    },
    grid: { nrow: classes > 0 ? per * 2 : 4 },
    log: run.log,
  });
  return [ema, grids];
}

/** The classic bigram language model: one embedding row of next-character logits per character. */
class Bigram extends Embedding {
  constructor(vocabSize: number) {
    super(vocabSize, vocabSize);
  }
}

export const MODEL_ZOO: Record<string, ZooEntry> = {
  mlp: {
    name: "mlp",
    description: "reference MLP (neurite bench mlp): Flatten → Linear(784,256) → ReLU → Linear(256,256) → ReLU → Linear(256,10)",
    task: "fashion-mnist",
    create: (ctx) => createMlp({ inFeatures: imageShape(ctx).reduce((a, b) => a * b, 1), numClasses: ctx?.numClasses ?? 10 }),
    defaults: { epochs: 5, batchSize: 128, lr: 1e-3, optimizer: "adam" },
  },
  cnn: {
    name: "cnn",
    description: "reference CNN (neurite bench cnn): 2 x (Conv2d 3x3 → ReLU → MaxPool2d) → Linear(3136,128) → ReLU → Linear(128,10); Adam 1e-3, batch 128",
    task: "fashion-mnist",
    create: (ctx) => createCnn({ ...squareSide("cnn", ctx), numClasses: ctx?.numClasses ?? 10 }),
    defaults: { epochs: 2, batchSize: 128, lr: 1e-3, optimizer: "adam" },
  },
  "cnn-bn": {
    name: "cnn-bn",
    description: "CNN with BatchNorm and dropout (models/cnn-bn.ts)",
    task: "fashion-mnist",
    create: (ctx) => createCnnBn({ ...squareSide("cnn-bn", ctx), numClasses: ctx?.numClasses ?? 10 }),
    augment: (x) => augmentBatch(x),
    defaults: { epochs: 15, batchSize: 128, lr: 2e-3, optimizer: "adam", scheduler: "cosine" },
  },
  "row-gru": {
    name: "row-gru",
    description: "sequence classifier: a GRU(128) reads each image as 28 rows of 28 pixels → Linear (models/row-gru.ts)",
    task: "fashion-mnist",
    create: (ctx) => {
      const [c, , w] = imageShape(ctx);
      if (c !== 1) throw new RangeError(`row-gru reads gray images (1 channel), got ${c} channels; pass --color grey`);
      return createRowGru({ rowSize: w, numClasses: ctx?.numClasses ?? 10 });
    },
    defaults: { epochs: 3, batchSize: 128, lr: 2e-3, optimizer: "adam" },
  },
  "tabular-mlp": {
    name: "tabular-mlp",
    description: "MLP for table rows (--data table.csv --target COLUMN): Linear(F,64) → ReLU → Dropout(0.1) → Linear(64,64) → ReLU → Linear(64,classes)",
    task: "tabular",
    create: (ctx) => createTabularMlp({ inFeatures: ctx?.inputShape?.[0] ?? 1, numClasses: ctx?.numClasses ?? 2 }),
    defaults: { epochs: 30, batchSize: 64, lr: 3e-3, optimizer: "adam" },
  },
  "char-lstm": {
    name: "char-lstm",
    description: "character LSTM language model: Embedding → 2-layer LSTM(256) → Linear",
    task: "char-lm",
    create: (ctx) => createCharLstm({ vocabSize: ctx?.vocabSize ?? 128 }),
    defaults: { epochs: 5, batchSize: 32, lr: 2e-3, optimizer: "adam", blockSize: 64 },
  },
  "char-gpt": {
    name: "char-gpt",
    description: "character GPT: 4 pre-norm Transformer blocks (d=128, 4 heads), causal, tied head",
    task: "char-lm",
    create: (ctx) => createCharGpt({ vocabSize: ctx?.vocabSize ?? 128, blockSize: ctx?.blockSize ?? 64 }),
    defaults: { epochs: 5, batchSize: 32, lr: 1e-3, optimizer: "adamw", blockSize: 64 },
  },
  ddpm: {
    name: "ddpm",
    description: "class-conditional diffusion model (DDPM/DDIM): a 0.55M-parameter U-Net predicting the noise, EMA weights, sample grids per epoch (docs/diffusion.md)",
    task: "diffusion",
    create: (ctx) => {
      const [c, h, w] = imageShape(ctx);
      if (c !== 1 || h !== 28 || w !== 28) throw new RangeError(`ddpm is built for Fashion-MNIST's [1, 28, 28] images, got [${c}, ${h}, ${w}]`);
      return DDPM.preset("fashion-mnist", { unet: { numClasses: ctx?.numClasses ?? 10 } });
    },
    loss: noisePredictionLoss,
    forward: (model, images, labels) => (model as DDPM).forward(images, labels),
    metrics: [],
    callbacks: ddpmCallbacks,
    defaults: { epochs: 2, batchSize: 64, lr: 1.5e-3, optimizer: "adam", scheduler: "warmup", gradClip: 1 },
  },
  bigram: {
    name: "bigram",
    description: "character bigram language model: Embedding(vocab, vocab) of next-character logits",
    task: "char-lm",
    create: (ctx) => new Bigram(ctx?.vocabSize ?? 128),
    defaults: { epochs: 5, batchSize: 32, lr: 5e-2, optimizer: "adam", blockSize: 64 },
  },
};

export const modelNames = (): string[] => Object.keys(MODEL_ZOO);

/**
 * The zoo entry called `name`, or undefined. Own properties only: `MODEL_ZOO["constructor"]`
 * would otherwise find Object's constructor.
 */
export function findModel(name: string): ZooEntry | undefined {
  return Object.hasOwn(MODEL_ZOO, name) ? MODEL_ZOO[name] : undefined;
}
