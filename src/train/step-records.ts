// The per-step curve fit() keeps (loss, learning rate, batch accuracy) for reports. A long run
// would make it grow without bound, so it is thinned: past MAX_STEP_RECORDS points, every other
// one is dropped and only every `stride`-th step is recorded from then on. The log is part of
// the training state, so a resumed run's curve matches an uninterrupted one.
import type { StepRecord } from "./loop-types.js";

export const MAX_STEP_RECORDS = 10_000;

/** The recorded points and the current stride (fields of the saved training position). */
export interface StepLog {
  steps: StepRecord[];
  stepStride: number;
}

/** Records `record` if its step falls on the stride, thinning the log when it is full. */
export function recordStep(log: StepLog, record: StepRecord): void {
  if (record.step % log.stepStride !== 0) return;
  log.steps.push(record);
  if (log.steps.length > MAX_STEP_RECORDS) {
    log.stepStride *= 2;
    log.steps = log.steps.filter((r) => r.step % log.stepStride === 0);
  }
}
