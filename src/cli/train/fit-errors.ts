// How `neurite train` reports a failed fit(): told apart by the errors' classes.
import { AnomalyError } from "../../autograd/anomaly.js";
import { OutOfMemoryError } from "../../memory/out-of-memory.js";
import { NonFiniteLossError, TrainingError } from "../../train/training-errors.js";

/** Exit code of a run whose loss became NaN/Inf. */
export const EXIT_NON_FINITE = 3;

/** A training step ran out of memory; the message says where and suggests a smaller batch. */
export class TrainingOutOfMemoryError extends Error {
  override name = "TrainingOutOfMemoryError";
  constructor(readonly failure: TrainingError) {
    // The OutOfMemoryError's message, which starts the step's, already says "out of memory".
    super(`${failure.message}; try a smaller --batch-size`, { cause: failure });
  }
}

/**
 * Prints a diverged run's error and returns its exit code (3); rethrows anything else, an
 * out-of-memory step as a TrainingOutOfMemoryError.
 */
export function reportFitError(e: unknown, detectAnomaly: boolean): number {
  if (e instanceof NonFiniteLossError) {
    console.error(`neurite train: ${e.message}${detectAnomaly ? "" : "; rerun with --detect-anomaly to find the operation that produced it, or lower --lr"}`);
    return EXIT_NON_FINITE;
  }
  if (e instanceof TrainingError && e.cause instanceof AnomalyError) {
    console.error(`neurite train: ${e.message}`);
    return EXIT_NON_FINITE;
  }
  if (e instanceof TrainingError && e.cause instanceof OutOfMemoryError) throw new TrainingOutOfMemoryError(e);
  throw e;
}
