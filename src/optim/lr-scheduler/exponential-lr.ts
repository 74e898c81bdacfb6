import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, checkFinite, type SchedulerOptions } from "./lr-scheduler.js";

export interface ExponentialLROptions extends SchedulerOptions {
  /** Decay factor per epoch. */
  gamma: number;
}

/** Multiplies the rate by `gamma` every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    checkOptionKeys("ExponentialLR", options, ["gamma", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "ExponentialLR");
    this.gamma = checkFinite(this.name, "gamma", options.gamma);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }

  protected override stateKeys(): readonly string[] {
    return ["gamma"];
  }
}
