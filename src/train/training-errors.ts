// The errors fit() throws from a training step. Callers tell them apart by class (and by the
// class of `cause`: AnomalyError, OutOfMemoryError), never by their messages.
import type { CheckpointInfo } from "./loop-types.js";

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
