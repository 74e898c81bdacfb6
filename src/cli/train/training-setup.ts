// What a run trains with, built from its settings and data: the model, its objective, the
// optimizer, the learning-rate scheduler, the data loaders and the metadata stored with the weights.
import type { Tensor } from "../../tensor/tensor.js";
import type { Module } from "../../nn/module.js";
import { Adam } from "../../optim/adam.js";
import { AdamW } from "../../optim/adamw.js";
import { SGD } from "../../optim/sgd.js";
import type { Optimizer } from "../../optim/optimizer.js";
import { CosineAnnealingLR } from "../../optim/lr-scheduler/cosine-annealing-lr.js";
import { LinearLR } from "../../optim/lr-scheduler/linear-lr.js";
import { StepLR } from "../../optim/lr-scheduler/step-lr.js";
import { OneCycleLR } from "../../optim/lr-scheduler/one-cycle-lr.js";
import { ReduceLROnPlateau } from "../../optim/lr-scheduler/reduce-lr-on-plateau.js";
import type { DataLoader } from "../../data/dataloader.js";
import type { SchedulerLike } from "../../train/scheduling.js";
import type { ForwardFn, LossFn } from "../../train/evaluate.js";
import type { Metric } from "../../train/metrics.js";
import type { ZooEntry } from "../model-zoo.js";
import { evalBatchSize, hostLoader, taskLoss, type TaskData } from "../tasks.js";
import { WARMUP_STEPS, type RunConfig } from "./run-config.js";

/**
 * What training minimises and measures, for fit() and the final evaluation alike: the model's
 * own objective where its zoo entry has one (ddpm: the ε-prediction error, with the labels, no
 * metrics), else the task's cross-entropy with accuracy.
 */
export interface Objective {
  loss: LossFn;
  forward?: ForwardFn;
  metrics?: Metric[];
}

export interface TrainingSetup {
  model: Module;
  objective: Objective;
  optimizer: Optimizer;
  scheduler: { scheduler?: SchedulerLike; interval: "step" | "epoch" };
  trainLoader: DataLoader<Tensor[]>;
  testLoader: DataLoader<Tensor[]> | null;
  valLoader: DataLoader<Tensor[]> | null;
  /** What each epoch is evaluated on: the validation split, else (as before splits existed) the test set. */
  epochLoader: DataLoader<Tensor[]> | null;
  epochLabel: "val" | "test";
  /** Stored in the weights' and the checkpoint's metadata (eval and predict read it). */
  modelMetadata: Record<string, string>;
}

export function buildTraining(entry: ZooEntry, config: RunConfig, data: TaskData): TrainingSetup {
  const model = entry.create(data.ctx);
  const optimizer = makeOptimizer(config, model.parameters());
  const trainLoader = hostLoader(data.train, { batchSize: config.batchSize, shuffle: true, seed: config.seed });
  const testLoader = data.test ? hostLoader(data.test, { batchSize: evalBatchSize(entry) }) : null;
  const valLoader = data.val ? hostLoader(data.val, { batchSize: evalBatchSize(entry) }) : null;
  return {
    model,
    objective: objectiveOf(entry),
    optimizer,
    scheduler: makeScheduler(config, optimizer, trainLoader.length),
    trainLoader,
    testLoader,
    valLoader,
    epochLoader: valLoader ?? testLoader,
    epochLabel: valLoader ? "val" : "test",
    modelMetadata: modelMetadata(entry, data),
  };
}

function objectiveOf(entry: ZooEntry): Objective {
  return { loss: entry.loss ?? taskLoss, ...(entry.forward ? { forward: entry.forward } : {}), ...(entry.metrics ? { metrics: entry.metrics } : {}) };
}

function makeOptimizer(config: RunConfig, params: Tensor[]): Optimizer {
  const { lr } = config;
  if (config.optimizer === "adam") return new Adam(params, { lr });
  if (config.optimizer === "adamw") return new AdamW(params, { lr });
  return new SGD(params, { lr, momentum: 0.9 });
}

function makeScheduler(config: RunConfig, optimizer: Optimizer, stepsPerEpoch: number): TrainingSetup["scheduler"] {
  const optSteps = Math.ceil(stepsPerEpoch / config.accumulate);
  switch (config.scheduler) {
    case "cosine":
      return { scheduler: new CosineAnnealingLR(optimizer, { tMax: Math.max(1, optSteps * config.epochs) }), interval: "step" };
    case "onecycle":
      return { scheduler: new OneCycleLR(optimizer, { maxLr: config.lr, totalSteps: Math.max(1, optSteps * config.epochs) }), interval: "step" };
    case "step":
      return { scheduler: new StepLR(optimizer, { stepSize: Math.max(1, Math.ceil(config.epochs / 3)), gamma: 0.1 }), interval: "epoch" };
    case "plateau":
      return { scheduler: new ReduceLROnPlateau(optimizer, { patience: 1, factor: 0.5 }), interval: "epoch" };
    case "warmup":
      return { scheduler: new LinearLR(optimizer, { startFactor: 1 / WARMUP_STEPS, endFactor: 1, totalIters: WARMUP_STEPS }), interval: "step" };
    default:
      return { interval: "epoch" };
  }
}

function modelMetadata(entry: ZooEntry, data: TaskData): Record<string, string> {
  const metadata: Record<string, string> = { model: entry.name, task: entry.task };
  if (data.vocab !== undefined) metadata.vocab = JSON.stringify(data.vocab);
  if (data.ctx.blockSize !== undefined) metadata.block_size = String(data.ctx.blockSize);
  if (data.classNames) metadata.classes = JSON.stringify(data.classNames);
  if (data.input) metadata.input = JSON.stringify(data.input);
  return metadata;
}
