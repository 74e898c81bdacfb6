// One training batch: forward, loss (with the NaN/Inf guard), backward and, at the end of an
// accumulation, gradient clipping and the optimizer step — all in one `tidy`, so memory stays
// flat. Failures come out as TrainingErrors that say where they happened.
import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import { tidy } from "../memory/tidy.js";
import { asOutOfMemory } from "../memory/out-of-memory.js";
import { clipGradNorm_ } from "../optim/clip-grad.js";
import { modelOutput, type ForwardFn, type LossFn } from "./evaluate.js";
import type { Metric } from "./metrics.js";
import type { CheckpointInfo } from "./loop-types.js";
import { TrainingError, NonFiniteLossError, describeCheckpoint } from "./training-errors.js";

/** How every batch is trained (fit's options). */
export interface StepSettings {
  model: Module;
  optimizer: Optimizer;
  loss: LossFn;
  metrics: readonly Metric[];
  /** Batches per optimizer step; the loss is divided by it. */
  accumulate: number;
  gradClip?: number | undefined;
  augment?: ((inputs: Tensor) => Tensor) | undefined;
  /** The batch's forward pass when the model takes the targets too (FitOptions.forward). */
  forward?: ForwardFn | undefined;
}

/** Where the batch is in the run, for error messages. */
export interface StepPosition {
  epoch: number;
  step: number;
  globalStep: number;
  lastCheckpoint: CheckpointInfo | null;
}

export interface BatchOutcome {
  loss: number;
  samples: number;
  /** Each metric's (sum, count) over the batch. */
  sums: [string, [number, number]][];
}

/**
 * Trains on one batch (and disposes it). `firstOfStep` zeroes the gradients first; `lastOfStep`
 * clips and steps the optimizer after the backward pass.
 */
export async function trainBatch(s: StepSettings, x: Tensor, y: Tensor, when: { firstOfStep: boolean; lastOfStep: boolean }, at: StepPosition): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { loss: 0, samples: x.shape[0]!, sums: [] };
  try {
    await tidy(async () => {
      if (when.firstOfStep) s.optimizer.zeroGrad();
      const inputs = s.augment ? s.augment(x) : x;
      const out = modelOutput(s.forward ? s.forward(s.model, inputs, y) : s.model.forward(inputs));
      const loss = s.loss(out, y);
      outcome.loss = await loss.item();
      if (!Number.isFinite(outcome.loss)) throw new NonFiniteLossError(at.epoch, at.step, outcome.loss, at.globalStep, at.lastCheckpoint);
      (s.accumulate > 1 ? loss.div(s.accumulate) : loss).backward();
      if (when.lastOfStep) {
        if (s.gradClip !== undefined) clipGradNorm_(s.model.parameters(), s.gradClip);
        s.optimizer.step();
      }
      for (const m of s.metrics) outcome.sums.push([m.name, await m.batch(out, y)]);
    });
  } catch (e) {
    if (e instanceof TrainingError) throw e;
    // An allocation failure the ops did not already name becomes an OutOfMemoryError.
    const cause = asOutOfMemory(e, "training step", x.device, () => `a step on a batch of ${outcome.samples} samples`);
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new TrainingError(`${message} (at epoch ${at.epoch}, step ${at.step}, global step ${at.globalStep}); ${describeCheckpoint(at.lastCheckpoint)}`, at.epoch, at.step, at.globalStep, at.lastCheckpoint, { cause });
  } finally {
    x.dispose();
    y.dispose();
  }
  return outcome;
}
