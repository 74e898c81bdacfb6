import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, perGroup, type SchedulerOptions, type SchedulerStateDict } from "./lr-scheduler.js";

/** Maps an epoch index to a multiplier. */
export type LrLambda = (epoch: number) => number;

export interface LambdaLROptions extends SchedulerOptions {
  /** One function for all groups, or one per group. */
  lrLambda: LrLambda | LrLambda[];
}

function lambdasFor(name: string, options: LambdaLROptions, groups: number): LrLambda[] {
  const fns = perGroup(name, "lrLambda", options.lrLambda, groups);
  fns.forEach((f, i) => {
    if (typeof f !== "function") throw new TypeError(`${name}: lrLambda ${i} must be a function, got ${typeof f}`);
  });
  return fns;
}

/**
 * Sets each rate to the group's initial rate times `lrLambda(epoch)`.
 * Functions are not part of `stateDict()` (PyTorch saves them as None too): pass the same
 * functions to the scheduler you load the state into.
 */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    checkOptionKeys("LambdaLR", options, ["lrLambda", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "LambdaLR");
    this.lrLambdas = lambdasFor(this.name, options, optimizer.paramGroups.length);
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

/** Multiplies each rate by `lrLambda(epoch)` every epoch after the first (compounding, unlike LambdaLR). */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    checkOptionKeys("MultiplicativeLR", options, ["lrLambda", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "MultiplicativeLR");
    this.lrLambdas = lambdasFor(this.name, options, optimizer.paramGroups.length);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch > 0) return this.groups.map((g, i) => g.lr * this.lrLambdas[i]!(this.lastEpoch));
    return this.groups.map((g) => g.lr);
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}
