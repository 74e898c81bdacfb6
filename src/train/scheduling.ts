// Learning-rate scheduler stepping for the fit loop. A scheduler says how it is stepped through
// the interface it implements — StepScheduler (`step()`) or MetricScheduler (`step(metric)`,
// `stepsOnMetric: true`) — never through which other properties it happens to have.

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

export type SchedulerInterval = "step" | "epoch";

/** The metric a scheduler is stepped with after an epoch: the validation loss, else the training loss. */
export function stepScheduler(scheduler: SchedulerLike, epoch: { val?: { loss: number }; trainLoss: number }): void {
  if (scheduler.stepsOnMetric === true) scheduler.step(epoch.val?.loss ?? epoch.trainLoss);
  else scheduler.step();
}

/**
 * Steps fit()'s scheduler: after every optimizer step (`interval: "step"`, step schedulers only)
 * or after every epoch (the default), and carries its state into checkpoints.
 */
export class SchedulerStepper {
  constructor(
    private readonly scheduler: SchedulerLike | undefined,
    private readonly interval: SchedulerInterval = "epoch",
  ) {
    if (scheduler?.stepsOnMetric === true && interval === "step") {
      throw new RangeError('fit: a scheduler stepped with a metric (ReduceLROnPlateau) steps once per epoch; pass schedulerInterval: "epoch"');
    }
  }

  /** After each optimizer step. */
  afterOptimizerStep(): void {
    if (this.interval === "step" && this.scheduler && this.scheduler.stepsOnMetric !== true) this.scheduler.step();
  }

  /** After each epoch, with its training loss and validation result. */
  afterEpoch(epoch: { val?: { loss: number }; trainLoss: number }): void {
    if (this.interval === "epoch" && this.scheduler) stepScheduler(this.scheduler, epoch);
  }

  /** The scheduler's state for a checkpoint (undefined without a scheduler or a stateDict). */
  stateDict(): unknown {
    return this.scheduler?.stateDict?.();
  }

  loadStateDict(state: unknown): void {
    if (state !== undefined) this.scheduler?.loadStateDict?.(state as never);
  }
}
