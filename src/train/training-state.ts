// The full state of a training run — model, optimizer, scheduler, data-loader position, both
// generators, named callbacks (their JSON state and their tensors) and the loop's progress —
// serialized into a checkpoint and restored from one, so that a resumed run continues bit for bit.
import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { DataLoader } from "../data/dataloader.js";
import { defaultGenerator } from "../tensor/random.js";
import { loadCheckpoint, disposeCheckpoint, CheckpointError, type LoadedCheckpoint } from "./checkpoint.js";
import { checkSavedPosition } from "./progress-schema.js";
import { freshProgress, type Progress, type SavedTrainingState } from "./training-progress.js";
import type { SchedulerStepper } from "./scheduling.js";
import type { Callback } from "./loop-types.js";

/** What a run's state is made of besides its progress. */
export interface TrainingParts {
  model: Module;
  optimizer: Optimizer;
  train: DataLoader<Tensor[]>;
  scheduler: SchedulerStepper;
  callbacks: readonly Callback[];
}

/** Where a resumed run continued from. */
export interface ResumePosition {
  dir: string;
  epoch: number;
  step: number;
  globalStep: number;
}

export class TrainingState {
  /** The loop's position and sums (replaced by `resume`). */
  progress: Progress;

  constructor(
    private readonly parts: TrainingParts,
    epochs: number,
  ) {
    this.progress = freshProgress(epochs);
  }

  /**
   * Everything to save as state.json "train". `sessionSeconds`, the training time of this
   * session so far, is added to the saved total.
   */
  serialize(sessionSeconds = 0): SavedTrainingState {
    const { train, scheduler, callbacks } = this.parts;
    const p = this.progress;
    return {
      ...p,
      trainSeconds: p.trainSeconds + sessionSeconds,
      dataLoader: train.stateDict(),
      loaderRng: train.rng.getState(),
      rng: defaultGenerator.getState(),
      scheduler: scheduler.stateDict(),
      callbacks: Object.fromEntries(callbacks.filter((c) => c.name && c.stateDict).map((c) => [c.name!, c.stateDict!()])),
    };
  }

  /**
   * The callbacks' tensors (an EMA's averaged weights), keyed `<callback name>.<key>`: saved as
   * the checkpoint's callbacks.safetensors. The tensors are the callbacks' own (not copies).
   */
  callbackTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const cb of this.parts.callbacks) if (cb.tensorStateDict) for (const [k, v] of cb.tensorStateDict()) out.set(`${cb.name}.${k}`, v);
    return out;
  }

  /**
   * Restores the run from a checkpoint (a loaded one, or a folder that is loaded and disposed
   * here). Every field is checked before anything is restored: a bad one changes nothing.
   */
  async resume(source: LoadedCheckpoint | string): Promise<ResumePosition> {
    const loaded = typeof source === "string" ? await loadCheckpoint(source) : source;
    try {
      return this.restore(loaded);
    } finally {
      if (typeof source === "string") disposeCheckpoint(loaded);
    }
  }

  private restore(loaded: LoadedCheckpoint): ResumePosition {
    const { model, optimizer, train, scheduler, callbacks } = this.parts;
    const saved = loaded.state.train;
    checkSavedPosition(saved, train.length, `checkpoint ${loaded.dir}`);
    if (!loaded.optimizer) throw new CheckpointError(`checkpoint ${loaded.dir} has no optimizer state (optimizer.json); refusing to resume with a fresh optimizer`);
    const tensorStates = callbackTensorStates(callbacks, loaded);
    model.loadStateDict(loaded.model);
    optimizer.loadStateDict(loaded.optimizer);
    scheduler.loadStateDict(saved.scheduler);
    train.loadStateDict(saved.dataLoader);
    train.rng.setState(saved.loaderRng);
    defaultGenerator.setState(saved.rng);
    for (const cb of callbacks) {
      const own = cb.name === undefined ? undefined : saved.callbacks?.[cb.name];
      if (own !== undefined) cb.loadStateDict?.(own);
    }
    for (const [cb, tensors] of tensorStates) cb.loadTensorStateDict!(tensors);
    const { dataLoader: _d, loaderRng: _l, rng: _r, scheduler: _s, callbacks: _c, ...progress } = saved;
    this.progress = { ...progress, epochs: this.progress.epochs, stopReason: null };
    return { dir: loaded.dir, epoch: progress.epoch, step: progress.stepInEpoch, globalStep: progress.globalStep };
  }
}

/**
 * Each callback's tensors in a checkpoint's callbacks.safetensors (saved under "<name>."), for
 * the callbacks that load tensor state; a checkpoint without a callback's tensors is refused
 * (checked before anything is restored).
 */
function callbackTensorStates(callbacks: readonly Callback[], loaded: LoadedCheckpoint): [Callback, Map<string, Tensor>][] {
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
