import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { DataLoader, DataLoaderState } from "../data/dataloader.js";
import type { Sample } from "../data/dataset.js";
import { tidy } from "../memory/tidy.js";
import { clipGradNorm_ } from "../optim/clip-grad.js";
import { defaultGenerator, manualSeed } from "../tensor/random.js";
import { evaluate, modelOutput, type LossFn, type EvalResult } from "./evaluate.js";
import { accuracy as accuracyMetric, addSums, metricValues, type Metric, type MetricSums } from "./metrics.js";
import { yieldToEventLoop } from "../platform/yield.js";
import { loadCheckpoint, saveCheckpoint, disposeCheckpoint, CheckpointError, type LoadedCheckpoint } from "./checkpoint.js";
import { checkSavedPosition } from "./progress-schema.js";

/** What callbacks see after each batch. */
export interface StepInfo {
  epoch: number;
  epochs: number;
  /** Batch number within the epoch (1-based). */
  step: number;
  stepsPerEpoch: number;
  /** Batches since the start of training (1-based; continues across resumes). */
  globalStep: number;
  /** Optimizer steps since the start of training. */
  optimizerSteps: number;
  loss: number;
  /** Running mean loss and metrics over the epoch so far. */
  epochLoss: number;
  epochAccuracy: number;
  metrics: Record<string, number>;
  samples: number;
  imagesPerSecond: number;
  lr: number;
  /** Training time since the run started (over all resumed sessions). */
  elapsedSeconds: number;
  /** Training time in this session (for ETA). */
  sessionSeconds: number;
  sessionSteps: number;
}

export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  trainMetrics: Record<string, number>;
  val?: EvalResult;
  seconds: number;
  samples: number;
  imagesPerSecond: number;
  lr: number;
}

/** One point of the per-step curves. */
export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  /** The batch's accuracy, when the accuracy metric is computed. */
  accuracy?: number;
}

export interface CheckpointInfo {
  dir: string;
  epoch: number;
  /** Batches done in `epoch` (0 after a completed epoch... equal to stepsPerEpoch). */
  step: number;
  globalStep: number;
  reason: "periodic" | "epoch" | "interrupt" | "final";
}

export interface FitContext {
  model: Module;
  optimizer: Optimizer;
  epochs: number;
  stepsPerEpoch: number;
  /** True when continuing from a checkpoint. */
  resumed: boolean;
  startEpoch: number;
  startStep: number;
}

/**
 * Hooks into the loop. `onStepEnd` or `onEpochEnd` returning `true` stops training (after a
 * checkpoint is written). Callbacks with state that must survive a resume (early stopping's
 * best value) give themselves a `name` and `stateDict`/`loadStateDict`.
 */
export interface Callback {
  name?: string;
  onTrainBegin?(ctx: FitContext): void | Promise<void>;
  onStepEnd?(info: StepInfo): void | boolean | Promise<void | boolean>;
  onEpochEnd?(info: EpochInfo): void | boolean | Promise<void | boolean>;
  onCheckpoint?(info: CheckpointInfo): void | Promise<void>;
  onTrainEnd?(result: FitResult): void | Promise<void>;
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
  /**
   * Tensors that must survive a resume (an EMA's averaged weights): saved in the checkpoint's
   * callbacks.safetensors as `<name>.<key>`, bit for bit, and handed back on resume. Needs a `name`.
   */
  tensorStateDict?(): Map<string, Tensor>;
  loadTensorStateDict?(tensors: Map<string, Tensor>): void;
}

/** A learning-rate scheduler stepped on a schedule (per step or per epoch): `step()`. */
export interface StepScheduler {
  readonly stepsOnMetric?: false;
  step(): void;
  stateDict?(): unknown;
  loadStateDict?(state: never): void;
}

/**
 * A scheduler stepped with a metric (ReduceLROnPlateau): it says so with `stepsOnMetric: true`,
 * and fit() steps it each epoch with the validation loss (the training loss without validation).
 */
export interface MetricScheduler {
  readonly stepsOnMetric: true;
  step(metric: number): void;
  stateDict?(): unknown;
  loadStateDict?(state: never): void;
}

export type SchedulerLike = StepScheduler | MetricScheduler;

/** The metric a scheduler is stepped with after an epoch: the validation loss, else the training loss. */
export function stepScheduler(scheduler: SchedulerLike, epoch: { val?: { loss: number }; trainLoss: number }): void {
  if (scheduler.stepsOnMetric === true) scheduler.step(epoch.val?.loss ?? epoch.trainLoss);
  else scheduler.step();
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
  /** Seeds the global generator (dropout, ...) when not resuming. Create the model after `nt.manualSeed` for reproducible initialisation. */
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

/** See FitOptions.forward. */
export type ForwardFn = (model: Module, inputs: Tensor, targets: Tensor) => unknown;

export type StopReason = "completed" | "early-stop" | "interrupted" | "max-steps";

export interface FitResult {
  history: EpochInfo[];
  steps: StepRecord[];
  stopReason: StopReason;
  epoch: number;
  globalStep: number;
  optimizerSteps: number;
  trainSeconds: number;
  /** The last checkpoint written, if any. */
  checkpoint: CheckpointInfo | null;
  resumedFrom: { epoch: number; step: number; globalStep: number } | null;
}

/** An error during a training step, with where it happened and the last good checkpoint. */
export class TrainingError extends Error {
  override name = "TrainingError";
  constructor(
    message: string,
    readonly epoch: number,
    readonly step: number,
    readonly globalStep: number,
    readonly lastCheckpoint: CheckpointInfo | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Raised when the loss becomes NaN or infinite. */
export class NonFiniteLossError extends TrainingError {
  override name = "NonFiniteLossError";
  constructor(
    epoch: number,
    step: number,
    readonly value: number,
    globalStep = step,
    lastCheckpoint: CheckpointInfo | null = null,
  ) {
    super(`training stopped: the loss is ${value} at epoch ${epoch}, step ${step} (global step ${globalStep}); ${describeCheckpoint(lastCheckpoint)}`, epoch, step, globalStep, lastCheckpoint);
  }
}

export function describeCheckpoint(c: CheckpointInfo | null): string {
  return c ? `last good checkpoint: ${c.dir} (epoch ${c.epoch}, step ${c.step}, global step ${c.globalStep})` : "no checkpoint was written";
}

/** Everything needed to continue a run; saved as `train` in state.json. */
interface Progress {
  epoch: number;
  epochs: number;
  epochDone: boolean;
  stepInEpoch: number;
  globalStep: number;
  optimizerSteps: number;
  lossSum: number;
  samples: number;
  metricSums: MetricSums;
  epochSeconds: number;
  trainSeconds: number;
  history: EpochInfo[];
  steps: StepRecord[];
  stepStride: number;
  stopReason: StopReason | null;
}

const MAX_STEP_RECORDS = 10_000;

function freshProgress(epochs: number): Progress {
  return {
    epoch: 0,
    epochs,
    epochDone: true,
    stepInEpoch: 0,
    globalStep: 0,
    optimizerSteps: 0,
    lossSum: 0,
    samples: 0,
    metricSums: {},
    epochSeconds: 0,
    trainSeconds: 0,
    history: [],
    steps: [],
    stepStride: 1,
    stopReason: null,
  };
}


/**
 * Each callback's tensors in a checkpoint's callbacks.safetensors (saved under "<name>."), for
 * the callbacks that load tensor state; a callback without any is refused (checked before
 * anything is restored).
 */
function callbackTensorStates(callbacks: Callback[], loaded: LoadedCheckpoint): [Callback, Map<string, Tensor>][] {
  const out: [Callback, Map<string, Tensor>][] = [];
  for (const cb of callbacks) {
    if (!cb.name || !cb.loadTensorStateDict) continue;
    const prefix = `${cb.name}.`;
    const own = new Map([...(loaded.callbackTensors ?? [])].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    if (own.size === 0) throw new CheckpointError(`checkpoint ${loaded.dir} has no tensors of callback '${cb.name}' (callbacks.safetensors); refusing to resume it from scratch`);
    out.push([cb, own]);
  }
  return out;
}

/**
 * The training loop behind `neurite train`: forward, loss, backward, (clip), step, with running
 * metrics, callbacks, a NaN guard, LR scheduling, gradient accumulation and checkpoints that
 * resume bit for bit (model, optimizer, scheduler, generators, data-loader position, history).
 * Every step runs in a `tidy`, so memory stays flat.
 *
 *   const result = await nt.train.fit(model, { train, val, optimizer, loss: F.crossEntropy, epochs: 5,
 *     checkpointDir: "runs/x/checkpoint", resume: true });
 */
export async function fit(model: Module, options: FitOptions): Promise<FitResult> {
  const { train, optimizer, loss: lossFn, epochs, callbacks = [], accumulate = 1, scheduler } = options;
  if (scheduler?.stepsOnMetric === true && options.schedulerInterval === "step") {
    throw new RangeError('fit: a scheduler stepped with a metric (ReduceLROnPlateau) steps once per epoch; pass schedulerInterval: "epoch"');
  }
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`fit: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(accumulate) || accumulate < 1) throw new RangeError(`fit: accumulate must be a positive integer, got ${accumulate}`);
  const metrics = options.metrics ?? (options.accuracy === false ? [] : [accuracyMetric()]);
  const every = options.checkpointEvery;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new RangeError(`fit: checkpointEvery must be a positive integer, got ${every}`);
  const unnamed = callbacks.find((cb) => (cb.tensorStateDict || cb.loadTensorStateDict) && !cb.name);
  if (unnamed) throw new RangeError(`fit: the callback ${unnamed.constructor.name} has tensor state but no name (its tensors are saved under the name)`);

  let p = freshProgress(epochs);
  let lastCheckpoint: CheckpointInfo | null = null;
  let resumedFrom: FitResult["resumedFrom"] = null;

  // ---- resume ----
  let resume = options.resume;
  if (resume === true) {
    if (!options.checkpointDir) throw new Error("fit: resume: true needs checkpointDir");
    resume = options.checkpointDir;
  }
  if (resume) {
    const loaded = typeof resume === "string" ? await loadCheckpoint(resume) : resume;
    try {
      // Every field is checked before anything is restored: a bad one changes nothing.
      checkSavedPosition(loaded.state.train, train.length, `checkpoint ${loaded.dir}`);
      const s = loaded.state.train as unknown as Progress & { dataLoader: DataLoaderState; loaderRng: number[]; rng: number[]; scheduler?: unknown; callbacks?: Record<string, unknown> };
      if (!loaded.optimizer) throw new CheckpointError(`checkpoint ${loaded.dir} has no optimizer state (optimizer.json); refusing to resume with a fresh optimizer`);
      const tensorStates = callbackTensorStates(callbacks, loaded);
      model.loadStateDict(loaded.model);
      optimizer.loadStateDict(loaded.optimizer);
      if (scheduler?.loadStateDict && s.scheduler !== undefined) scheduler.loadStateDict(s.scheduler as never);
      train.loadStateDict(s.dataLoader);
      train.rng.setState(s.loaderRng);
      defaultGenerator.setState(s.rng);
      for (const cb of callbacks) if (cb.name && cb.loadStateDict && s.callbacks?.[cb.name] !== undefined) cb.loadStateDict(s.callbacks[cb.name]);
      for (const [cb, tensors] of tensorStates) cb.loadTensorStateDict!(tensors);
      const { dataLoader: _d, loaderRng: _l, rng: _r, scheduler: _s, callbacks: _c, ...rest } = s;
      p = { ...rest, epochs };
      p.stopReason = null;
      resumedFrom = { epoch: p.epoch, step: p.stepInEpoch, globalStep: p.globalStep };
      lastCheckpoint = { dir: loaded.dir, epoch: p.epoch, step: p.stepInEpoch, globalStep: p.globalStep, reason: "final" };
    } finally {
      if (typeof resume === "string") disposeCheckpoint(loaded);
    }
  } else if (options.seed !== undefined) {
    manualSeed(options.seed);
  }

  const serialize = () => ({
    ...p,
    dataLoader: train.stateDict(),
    loaderRng: train.rng.getState(),
    rng: defaultGenerator.getState(),
    scheduler: scheduler?.stateDict?.(),
    callbacks: Object.fromEntries(callbacks.filter((c) => c.name && c.stateDict).map((c) => [c.name!, c.stateDict!()])),
  });

  const callbackTensors = () => {
    const out = new Map<string, Tensor>();
    for (const cb of callbacks) if (cb.tensorStateDict) for (const [k, v] of cb.tensorStateDict()) out.set(`${cb.name}.${k}`, v);
    return out;
  };

  const checkpoint = async (reason: CheckpointInfo["reason"]) => {
    if (!options.checkpointDir) return;
    const dir = await saveCheckpoint(options.checkpointDir, {
      model,
      optimizer,
      callbackTensors: callbackTensors(),
      state: { train: serialize(), config: options.config ?? {} },
      ...(options.modelMetadata ? { modelMetadata: options.modelMetadata } : {}),
    });
    lastCheckpoint = { dir, epoch: p.epoch, step: p.stepInEpoch, globalStep: p.globalStep, reason };
    for (const cb of callbacks) await cb.onCheckpoint?.(lastCheckpoint);
  };

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
  let sessionSteps = 0;
  const lr = () => optimizer.paramGroups[0]!.lr;
  const stopRequested = (): StopReason | null => {
    if (options.signal?.aborted) return "interrupted";
    if (options.maxSteps !== undefined && p.optimizerSteps >= options.maxSteps) return "max-steps";
    return null;
  };
  let stop: StopReason | null = p.epochDone && p.epoch >= epochs ? "completed" : stopRequested();

  while (stop === null) {
    if (p.epochDone) {
      if (p.epoch >= epochs) {
        stop = "completed";
        break;
      }
      p.epoch++;
      p.epochDone = false;
      p.stepInEpoch = 0;
      p.lossSum = 0;
      p.samples = 0;
      p.metricSums = {};
      p.epochSeconds = 0;
    }
    model.train();
    let micro = 0;
    let segmentStart = performance.now();
    const segmentBase = p.epochSeconds;
    for (const batch of train) {
      const [x, y] = batch as Tensor[];
      p.stepInEpoch++;
      p.globalStep++;
      const n = x!.shape[0]!;
      const lastOfEpoch = p.stepInEpoch >= train.length;
      let lossValue = 0;
      const sums: [string, [number, number]][] = [];
      try {
        await tidy(async () => {
          if (micro === 0) optimizer.zeroGrad();
          const inputs = options.augment ? options.augment(x!) : x!;
          const out = modelOutput(options.forward ? options.forward(model, inputs, y!) : model.forward(inputs));
          const loss = lossFn(out, y!);
          lossValue = await loss.item();
          if (!Number.isFinite(lossValue)) throw new NonFiniteLossError(p.epoch, p.stepInEpoch, lossValue, p.globalStep, lastCheckpoint);
          (accumulate > 1 ? loss.div(accumulate) : loss).backward();
          micro++;
          if (micro === accumulate || lastOfEpoch) {
            if (options.gradClip !== undefined) clipGradNorm_(model.parameters(), options.gradClip);
            optimizer.step();
            micro = 0;
            p.optimizerSteps++;
            if (options.schedulerInterval === "step" && scheduler && scheduler.stepsOnMetric !== true) scheduler.step();
          }
          for (const m of metrics) sums.push([m.name, await m.batch(out, y!)]);
        });
      } catch (e) {
        x!.dispose();
        y!.dispose();
        if (e instanceof TrainingError) throw e;
        const err = e as Error;
        throw new TrainingError(
          `${err.message} (at epoch ${p.epoch}, step ${p.stepInEpoch}, global step ${p.globalStep}); ${describeCheckpoint(lastCheckpoint)}`,
          p.epoch,
          p.stepInEpoch,
          p.globalStep,
          lastCheckpoint,
          { cause: e },
        );
      }
      x!.dispose();
      y!.dispose();
      sessionSteps++;
      p.lossSum += lossValue * n;
      p.samples += n;
      for (const [name, s] of sums) addSums(p.metricSums, name, s);
      p.epochSeconds = segmentBase + (performance.now() - segmentStart) / 1000;
      if (p.globalStep % p.stepStride === 0) {
        const acc = sums.find(([name]) => name === "accuracy")?.[1];
        p.steps.push({ step: p.globalStep, epoch: p.epoch, loss: lossValue, lr: lr(), ...(acc && acc[1] > 0 ? { accuracy: acc[0] / acc[1] } : {}) });
        if (p.steps.length > MAX_STEP_RECORDS) {
          p.stepStride *= 2;
          p.steps = p.steps.filter((r) => r.step % p.stepStride === 0);
        }
      }
      const values = metricValues(p.metricSums);
      const now = performance.now();
      const info: StepInfo = {
        epoch: p.epoch,
        epochs,
        step: p.stepInEpoch,
        stepsPerEpoch: train.length,
        globalStep: p.globalStep,
        optimizerSteps: p.optimizerSteps,
        loss: lossValue,
        epochLoss: p.lossSum / p.samples,
        epochAccuracy: values.accuracy ?? NaN,
        metrics: values,
        samples: p.samples,
        imagesPerSecond: p.samples / Math.max(p.epochSeconds, 1e-9),
        lr: lr(),
        elapsedSeconds: p.trainSeconds + (now - sessionStart) / 1000,
        sessionSeconds: (now - sessionStart) / 1000,
        sessionSteps,
      };
      let cbStop = false;
      for (const cb of callbacks) if ((await cb.onStepEnd?.(info)) === true) cbStop = true;
      // Let signal handlers (Ctrl-C) run: they are macrotasks.
      await yieldToEventLoop();
      if (micro !== 0) continue;
      stop = stopRequested() ?? (cbStop ? "early-stop" : null);
      // At the epoch's last batch the loop ends by itself (breaking would leave the loader mid-epoch).
      if (stop !== null && !lastOfEpoch) break;
      if (every !== undefined && p.optimizerSteps % every === 0 && !lastOfEpoch) await checkpointAt("periodic");
    }
    if (stop !== null && p.stepInEpoch < train.length) break;

    // ---- end of epoch ----
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
    if (options.val) info.val = await evaluate(model, options.val, lossFn, { metrics, ...(options.forward ? { forward: options.forward } : {}) });
    if (options.schedulerInterval !== "step" && scheduler) {
      // ReduceLROnPlateau-style schedulers step on a metric: the validation loss, else the training loss.
      stepScheduler(scheduler, info);
    }
    p.history.push(info);
    p.epochDone = true;
    let cbStop = false;
    for (const cb of callbacks) if ((await cb.onEpochEnd?.(info)) === true) cbStop = true;
    if (cbStop && stop === null) stop = "early-stop";
    stop ??= stopRequested();
    if (p.epoch >= epochs && stop !== "early-stop") stop = "completed";
    p.stopReason = stop;
    await checkpointAt(stop !== null ? "final" : "epoch");
  }
  if (stop !== null && stop !== "completed" && !p.epochDone) {
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
    trainSeconds: p.trainSeconds + (performance.now() - sessionStart) / 1000,
    checkpoint: lastCheckpoint,
    resumedFrom,
  };
  for (const cb of callbacks) await cb.onTrainEnd?.(result);
  return result;

  async function checkpointAt(reason: CheckpointInfo["reason"]): Promise<void> {
    const saved = p.trainSeconds;
    p.trainSeconds = saved + (performance.now() - sessionStart) / 1000;
    try {
      await checkpoint(reason);
    } finally {
      p.trainSeconds = saved;
    }
  }
}
