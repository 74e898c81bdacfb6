import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { DataLoader } from "../data/dataloader.js";
import type { Sample } from "../data/dataset.js";
import { tidy } from "../memory/tidy.js";
import { clipGradNorm_ } from "../optim/clip-grad.js";
import { evaluate, type LossFn, type EvalResult } from "./evaluate.js";

/** What callbacks see after each optimizer step. */
export interface StepInfo {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  globalStep: number;
  loss: number;
  /** Running mean loss and accuracy over the epoch so far. */
  epochLoss: number;
  epochAccuracy: number;
  samples: number;
  imagesPerSecond: number;
  lr: number;
  elapsedSeconds: number;
}

export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  val?: EvalResult;
  seconds: number;
  lr: number;
}

export interface Callback {
  onTrainBegin?(): void | Promise<void>;
  onStepEnd?(info: StepInfo): void | Promise<void>;
  onEpochEnd?(info: EpochInfo): void | boolean | Promise<void | boolean>;
  onTrainEnd?(history: EpochInfo[]): void | Promise<void>;
}

export interface SchedulerLike {
  step(): void;
}

export interface FitOptions {
  train: DataLoader<Tensor[]>;
  val?: Iterable<Sample> | AsyncIterable<Sample>;
  optimizer: Optimizer;
  loss: LossFn;
  epochs: number;
  scheduler?: SchedulerLike;
  /** When the scheduler steps: after every optimizer step or after every epoch (default). */
  schedulerInterval?: "step" | "epoch";
  callbacks?: Callback[];
  /** Clip the global gradient norm to this value before each step. */
  gradClip?: number;
  /** Accumulate gradients over this many batches per optimizer step. */
  accumulate?: number;
  /** Report accuracy (argmax vs integer targets). Default true. */
  accuracy?: boolean;
  /** First epoch number (for resumed runs). */
  startEpoch?: number;
}

/** Raised when the loss becomes NaN or infinite. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly value: number,
  ) {
    super(`training stopped: the loss is ${value} at epoch ${epoch}, step ${step}`);
  }
}

/**
 * The training loop behind `neurite train`: forward, loss, backward, (clip), step, with
 * running metrics, callbacks and a NaN guard. Every step runs in a `tidy`, so memory stays flat.
 */
export async function fit(model: Module, options: FitOptions): Promise<EpochInfo[]> {
  const { train, optimizer, loss: lossFn, epochs, callbacks = [], accumulate = 1, accuracy = true } = options;
  const history: EpochInfo[] = [];
  const started = performance.now();
  let globalStep = 0;
  for (const cb of callbacks) await cb.onTrainBegin?.();
  for (let epoch = options.startEpoch ?? 1; epoch <= epochs; epoch++) {
    model.train();
    const epochStart = performance.now();
    let lossSum = 0;
    let correct = 0;
    let samples = 0;
    let step = train.stateDict().batchIndex;
    let micro = 0;
    for (const batch of train) {
      const [x, y] = batch as Tensor[];
      step++;
      const n = x!.shape[0]!;
      const { lossValue, batchCorrect } = tidy(() => {
        if (micro === 0) optimizer.zeroGrad();
        const out = model.forward(x!) as Tensor;
        const loss = lossFn(out, y!);
        const lossValue = loss.itemSync();
        if (!Number.isFinite(lossValue)) throw new NonFiniteLossError(epoch, step, lossValue);
        (accumulate > 1 ? loss.div(accumulate) : loss).backward();
        micro++;
        if (micro === accumulate) {
          if (options.gradClip !== undefined) clipGradNorm_(model.parameters(), options.gradClip);
          optimizer.step();
          micro = 0;
          if (options.schedulerInterval === "step") options.scheduler?.step();
        }
        const batchCorrect = accuracy ? out.argmax(-1).eq(y!).sum().itemSync() : 0;
        return { lossValue, batchCorrect };
      });
      x!.dispose();
      y!.dispose();
      globalStep++;
      lossSum += lossValue * n;
      correct += batchCorrect;
      samples += n;
      const elapsed = (performance.now() - epochStart) / 1000;
      const info: StepInfo = {
        epoch,
        epochs,
        step,
        stepsPerEpoch: train.length,
        globalStep,
        loss: lossValue,
        epochLoss: lossSum / samples,
        epochAccuracy: correct / samples,
        samples,
        imagesPerSecond: samples / Math.max(elapsed, 1e-9),
        lr: optimizer.paramGroups[0]!.lr,
        elapsedSeconds: (performance.now() - started) / 1000,
      };
      for (const cb of callbacks) await cb.onStepEnd?.(info);
    }
    if (options.schedulerInterval !== "step") options.scheduler?.step();
    const info: EpochInfo = {
      epoch,
      trainLoss: lossSum / Math.max(samples, 1),
      trainAccuracy: correct / Math.max(samples, 1),
      seconds: (performance.now() - epochStart) / 1000,
      lr: optimizer.paramGroups[0]!.lr,
    };
    if (options.val) info.val = await evaluate(model, options.val, lossFn);
    history.push(info);
    let stop = false;
    for (const cb of callbacks) if ((await cb.onEpochEnd?.(info)) === true) stop = true;
    if (stop) break;
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(history);
  return history;
}
