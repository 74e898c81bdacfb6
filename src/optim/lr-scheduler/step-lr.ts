import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, checkFinite, checkPositiveInt, type SchedulerOptions } from "./lr-scheduler.js";

export interface StepLROptions extends SchedulerOptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Decay factor (default 0.1). */
  gamma?: number;
}

/** Multiplies the rate by `gamma` every `stepSize` epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    checkOptionKeys("StepLR", options, ["stepSize", "gamma", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "StepLR");
    this.stepSize = checkPositiveInt(this.name, "stepSize", options.stepSize);
    this.gamma = checkFinite(this.name, "gamma", options.gamma ?? 0.1);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected override stateKeys(): readonly string[] {
    return ["stepSize", "gamma"];
  }
}
