import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { DataLoader } from "../data/dataloader.js";
import type { Sample } from "../data/dataset.js";
import { manualSeed } from "../tensor/random.js";
import { evaluate, type ForwardFn, type LossFn } from "./evaluate.js";
import { accuracy as accuracyMetric, addSums, metricValues, type Metric } from "./metrics.js";
import { yieldToEventLoop } from "../platform/yield.js";
import type { LoadedCheckpoint } from "./checkpoint.js";
import type { Callback, CheckpointInfo, EpochInfo, FitContext, FitResult, StepInfo, StopReason } from "./loop-types.js";
import { SchedulerStepper, type SchedulerInterval, type SchedulerLike } from "./scheduling.js";
import { trainBatch, type BatchOutcome, type StepSettings } from "./train-step.js";
import { TrainingState } from "./training-state.js";
import { CheckpointWriter } from "./checkpoint-writer.js";
import { recordStep } from "./step-records.js";
import { beginEpoch } from "./training-progress.js";

// fit()'s collaborators live in their own modules; these re-exports keep fit.ts the one import
// for the loop's public types.
export type { StepInfo, EpochInfo, StepRecord, CheckpointInfo, FitContext, Callback, StopReason, FitResult } from "./loop-types.js";
export type { StepScheduler, MetricScheduler, SchedulerLike } from "./scheduling.js";
export type { ForwardFn } from "./evaluate.js";
export { stepScheduler } from "./scheduling.js";
export { TrainingError, NonFiniteLossError, describeCheckpoint } from "./training-errors.js";

export interface FitOptions {
  train: DataLoader<Tensor[]>;
  val?: Iterable<Sample> | AsyncIterable<Sample>;
  optimizer: Optimizer;
  loss: LossFn;
  epochs: number;
  scheduler?: SchedulerLike;
  /** When the scheduler steps: after every optimizer step or after every epoch (default). */
  schedulerInterval?: SchedulerInterval;
  /** Metrics on the training batches and the validation set (default: accuracy; `[]` for none). */
  metrics?: Metric[];
  callbacks?: Callback[];
  /** Clip the global gradient norm to this value before each step. */
  gradClip?: number;
  /** Accumulate gradients over this many batches per optimizer step (the last batch of an epoch always steps). */
  accumulate?: number;
  /**
   * Transforms each training batch's inputs before the forward pass (data augmentation, e.g.
   * models/cnn-bn.ts's `augmentBatch`). Not applied to validation data. Random draws should come
   * from the global generator so that `seed` and resuming reproduce them.
   */
  augment?: (inputs: Tensor) => Tensor;
  /**
   * The forward pass of one batch, when the model needs more than the inputs: a class-conditional
   * diffusion model takes the labels too, `(m, x, y) => m.forward(x, y)`. Its result goes to
   * `loss` and the metrics with the targets, as `model.forward(inputs)`'s does by default. Used for
   * the validation data too.
   */
  forward?: ForwardFn;
  /**
   * Folder for checkpoints (e.g. `runs/mlp/checkpoint`): written every `checkpointEvery`
   * optimizer steps, at the end of every epoch, when training is stopped, and at the end.
   */
  checkpointDir?: string;
  checkpointEvery?: number;
  /** Continue from a checkpoint: a loaded one, a folder, or `true` for `checkpointDir`. */
  resume?: LoadedCheckpoint | string | boolean;
  /**
   * Seeds the global generator (dropout, ...) when not resuming. Create the model after
   * `nt.manualSeed` for reproducible initialisation, and give this a different seed: the same one
   * would replay the initialisation's draws as dropout masks, and even drawn back to back from one
   * sequence the two trained char-gpt measurably worse (docs/results-architectures.md §2, fourth
   * session; `neurite train` passes --seed + 100).
   */
  seed?: number;
  /** Stop (with a checkpoint) once this many optimizer steps have been made in total. */
  maxSteps?: number;
  /** Aborting stops training after the current step, with a checkpoint (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /** JSON saved in every checkpoint's state.json under `config`. */
  config?: Record<string, unknown>;
  /** Metadata stored in the checkpoint's model.safetensors. */
  modelMetadata?: Record<string, string>;
  /** @deprecated use `metrics: []` to skip accuracy. */
  accuracy?: boolean;
}

/**
 * The training loop behind `neurite train`: forward, loss, backward, (clip), step, with running
 * metrics, callbacks, a NaN guard, LR scheduling, gradient accumulation and checkpoints that
 * resume bit for bit (model, optimizer, scheduler, generators, data-loader position, history).
 * Every step runs in a `tidy`, so memory stays flat.
 *
 *   const result = await nt.train.fit(model, { train, val, optimizer, loss: F.crossEntropy, epochs: 5,
 *     checkpointDir: "runs/x/checkpoint", resume: true });
 *
 * The loop is here; its collaborators are trainBatch (train-step.ts), TrainingState (serialize
 * and restore the whole run), CheckpointWriter, SchedulerStepper and the step records.
 */
export async function fit(model: Module, options: FitOptions): Promise<FitResult> {
  const { train, optimizer, loss: lossFn, epochs, callbacks = [], accumulate = 1 } = options;
  const scheduler = new SchedulerStepper(options.scheduler, options.schedulerInterval);
  checkCounts(options);
  checkCallbacks(callbacks);
  const metrics = options.metrics ?? (options.accuracy === false ? [] : [accuracyMetric()]);
  const stepSettings: StepSettings = { model, optimizer, loss: lossFn, metrics, accumulate, gradClip: options.gradClip, augment: options.augment, forward: options.forward };
  const every = options.checkpointEvery;

  const state = new TrainingState({ model, optimizer, train, scheduler, callbacks }, epochs);
  const checkpoints = new CheckpointWriter(options.checkpointDir, { model, optimizer, ...pick(options, "config", "modelMetadata") }, callbacks);
  let resumedFrom: FitResult["resumedFrom"] = null;
  const resume = resumeSource(options);
  if (resume) {
    const at = await state.resume(resume);
    checkpoints.resumedFrom(at);
    resumedFrom = { epoch: at.epoch, step: at.step, globalStep: at.globalStep };
  } else if (options.seed !== undefined) {
    manualSeed(options.seed);
  }
  const p = state.progress;

  const ctx: FitContext = {
    model,
    optimizer,
    epochs,
    stepsPerEpoch: train.length,
    resumed: resumedFrom !== null,
    startEpoch: p.epochDone ? p.epoch + 1 : p.epoch,
    startStep: p.epochDone ? 0 : p.stepInEpoch,
  };
  for (const cb of callbacks) await cb.onTrainBegin?.(ctx);

  const sessionStart = performance.now();
  const sessionSeconds = () => (performance.now() - sessionStart) / 1000;
  let sessionSteps = 0;
  const lr = () => optimizer.paramGroups[0]!.lr;
  const checkpointAt = (reason: CheckpointInfo["reason"]) => checkpoints.write(reason, state.serialize(sessionSeconds()), state.callbackTensors());
  const stopRequested = (): StopReason | null => {
    if (options.signal?.aborted) return "interrupted";
    if (options.maxSteps !== undefined && p.optimizerSteps >= options.maxSteps) return "max-steps";
    return null;
  };

  /** Adds a batch to the epoch's sums and the step records; what the callbacks see. */
  const account = (batch: BatchOutcome, segmentBase: number, segmentStart: number): StepInfo => {
    sessionSteps++;
    p.lossSum += batch.loss * batch.samples;
    p.samples += batch.samples;
    for (const [name, s] of batch.sums) addSums(p.metricSums, name, s);
    p.epochSeconds = segmentBase + (performance.now() - segmentStart) / 1000;
    const acc = batch.sums.find(([name]) => name === "accuracy")?.[1];
    recordStep(p, { step: p.globalStep, epoch: p.epoch, loss: batch.loss, lr: lr(), ...(acc && acc[1] > 0 ? { accuracy: acc[0] / acc[1] } : {}) });
    const values = metricValues(p.metricSums);
    return {
      epoch: p.epoch,
      epochs,
      step: p.stepInEpoch,
      stepsPerEpoch: train.length,
      globalStep: p.globalStep,
      optimizerSteps: p.optimizerSteps,
      loss: batch.loss,
      epochLoss: p.lossSum / p.samples,
      epochAccuracy: values.accuracy ?? NaN,
      metrics: values,
      samples: p.samples,
      imagesPerSecond: p.samples / Math.max(p.epochSeconds, 1e-9),
      lr: lr(),
      elapsedSeconds: p.trainSeconds + sessionSeconds(),
      sessionSeconds: sessionSeconds(),
      sessionSteps,
    };
  };

  /** The epoch's summary, with the validation result; steps epoch schedulers. */
  const finishEpoch = async (): Promise<EpochInfo> => {
    const trainMetrics = metricValues(p.metricSums);
    const info: EpochInfo = {
      epoch: p.epoch,
      trainLoss: p.lossSum / Math.max(p.samples, 1),
      trainAccuracy: trainMetrics.accuracy ?? NaN,
      trainMetrics,
      seconds: p.epochSeconds,
      samples: p.samples,
      imagesPerSecond: p.samples / Math.max(p.epochSeconds, 1e-9),
      lr: lr(),
    };
    if (options.val) info.val = await evaluate(model, options.val, lossFn, { metrics, ...pick(options, "forward") });
    scheduler.afterEpoch(info);
    p.history.push(info);
    p.epochDone = true;
    return info;
  };

  let stop: StopReason | null = p.epochDone && p.epoch >= epochs ? "completed" : stopRequested();
  while (stop === null) {
    if (p.epochDone) {
      if (p.epoch >= epochs) {
        stop = "completed";
        break;
      }
      beginEpoch(p);
    }
    model.train();
    let micro = 0;
    const segmentStart = performance.now();
    const segmentBase = p.epochSeconds;
    for (const batch of train) {
      const [x, y] = batch as Tensor[];
      p.stepInEpoch++;
      p.globalStep++;
      const lastOfEpoch = p.stepInEpoch >= train.length;
      // The optimizer steps every `accumulate` batches and at the epoch's last batch.
      const lastOfStep = micro + 1 === accumulate || lastOfEpoch;
      const at = { epoch: p.epoch, step: p.stepInEpoch, globalStep: p.globalStep, lastCheckpoint: checkpoints.last };
      const outcome = await trainBatch(stepSettings, x!, y!, { firstOfStep: micro === 0, lastOfStep }, at);
      if (lastOfStep) {
        p.optimizerSteps++;
        scheduler.afterOptimizerStep();
      }
      micro = lastOfStep ? 0 : micro + 1;
      const info = account(outcome, segmentBase, segmentStart);
      let callbackStop = false;
      for (const cb of callbacks) if ((await cb.onStepEnd?.(info)) === true) callbackStop = true;
      // Let signal handlers (Ctrl-C) run: they are macrotasks.
      await yieldToEventLoop();
      if (micro !== 0) continue;
      stop = stopRequested() ?? (callbackStop ? "early-stop" : null);
      // At the epoch's last batch the loop ends by itself (breaking would leave the loader mid-epoch).
      if (stop !== null && !lastOfEpoch) break;
      if (every !== undefined && p.optimizerSteps % every === 0 && !lastOfEpoch) await checkpointAt("periodic");
    }
    if (stop !== null && p.stepInEpoch < train.length) break;

    const info = await finishEpoch();
    let callbackStop = false;
    for (const cb of callbacks) if ((await cb.onEpochEnd?.(info)) === true) callbackStop = true;
    if (callbackStop && stop === null) stop = "early-stop";
    stop ??= stopRequested();
    if (p.epoch >= epochs && stop !== "early-stop") stop = "completed";
    p.stopReason = stop;
    await checkpointAt(stop !== null ? "final" : "epoch");
  }
  if (stop !== null && stop !== "completed" && !p.epochDone) {
    // Stopped mid-epoch: a checkpoint to resume from.
    p.stopReason = stop;
    await checkpointAt(stop === "interrupted" ? "interrupt" : "final");
  }

  const result: FitResult = {
    history: p.history,
    steps: p.steps,
    stopReason: stop ?? "completed",
    epoch: p.epoch,
    globalStep: p.globalStep,
    optimizerSteps: p.optimizerSteps,
    trainSeconds: p.trainSeconds + sessionSeconds(),
    checkpoint: checkpoints.last,
    resumedFrom,
  };
  for (const cb of callbacks) await cb.onTrainEnd?.(result);
  return result;
}

function checkCounts(options: FitOptions): void {
  const { epochs, accumulate = 1, checkpointEvery: every } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`fit: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(accumulate) || accumulate < 1) throw new RangeError(`fit: accumulate must be a positive integer, got ${accumulate}`);
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new RangeError(`fit: checkpointEvery must be a positive integer, got ${every}`);
}

/** A callback's tensors are saved under its name: one with tensor state needs a name. */
function checkCallbacks(callbacks: readonly Callback[]): void {
  const unnamed = callbacks.find((cb) => (cb.tensorStateDict || cb.loadTensorStateDict) && !cb.name);
  if (unnamed) throw new RangeError(`fit: the callback ${unnamed.constructor.name} has tensor state but no name (its tensors are saved under the name)`);
}

/** The checkpoint to resume from, if any: `resume: true` means `checkpointDir`. */
function resumeSource(options: FitOptions): LoadedCheckpoint | string | null {
  const { resume } = options;
  if (resume === true) {
    if (!options.checkpointDir) throw new Error("fit: resume: true needs checkpointDir");
    return options.checkpointDir;
  }
  return resume || null;
}

/** The keys of `o` among `keys` that are set (exactOptionalPropertyTypes-friendly). */
function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
