// Writes fit()'s checkpoints: the model, the optimizer, the run's state (TrainingState's
// serialization plus the caller's config) and the callbacks' tensors, and tells the callbacks. Remembers the last good
// checkpoint, which errors name so that a user knows where to resume from.
import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import { saveCheckpoint } from "./checkpoint.js";
import type { Callback, CheckpointInfo } from "./loop-types.js";
import type { SavedTrainingState } from "./training-progress.js";
import type { ResumePosition } from "./training-state.js";

export interface CheckpointContents {
  model: Module;
  optimizer: Optimizer;
  /** JSON saved in state.json under `config`. */
  config?: Record<string, unknown>;
  /** Metadata stored in the checkpoint's model.safetensors. */
  modelMetadata?: Record<string, string>;
}

export class CheckpointWriter {
  private lastGood: CheckpointInfo | null = null;

  /** `dir` undefined: nothing is written (fit without checkpointDir). */
  constructor(
    private readonly dir: string | undefined,
    private readonly contents: CheckpointContents,
    private readonly callbacks: readonly Callback[],
  ) {}

  /** The last checkpoint written, or resumed from; null when there is none. */
  get last(): CheckpointInfo | null {
    return this.lastGood;
  }

  /** A resumed run's checkpoint is its last good one until the next is written. */
  resumedFrom(at: ResumePosition): void {
    this.lastGood = { dir: at.dir, epoch: at.epoch, step: at.step, globalStep: at.globalStep, reason: "final" };
  }

  /** `callbackTensors`: TrainingState.callbackTensors(), saved as callbacks.safetensors when there are any. */
  async write(reason: CheckpointInfo["reason"], state: SavedTrainingState, callbackTensors?: Map<string, Tensor>): Promise<void> {
    if (!this.dir) return;
    const { model, optimizer, config, modelMetadata } = this.contents;
    const dir = await saveCheckpoint(this.dir, {
      model,
      optimizer,
      ...(callbackTensors ? { callbackTensors } : {}),
      state: { train: state, config: config ?? {} },
      ...(modelMetadata ? { modelMetadata } : {}),
    });
    this.lastGood = { dir, epoch: state.epoch, step: state.stepInEpoch, globalStep: state.globalStep, reason };
    for (const cb of this.callbacks) await cb.onCheckpoint?.(this.lastGood);
  }
}
