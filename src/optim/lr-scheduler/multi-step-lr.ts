import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, checkFinite, type SchedulerOptions } from "./lr-scheduler.js";

export interface MultiStepLROptions extends SchedulerOptions {
  /** Epochs at which to decay; an epoch listed twice decays twice. */
  milestones: number[];
  /** Decay factor (default 0.1). */
  gamma?: number;
}

/** Multiplies the rate by `gamma` at each milestone epoch. */
export class MultiStepLR extends LRScheduler {
  /** Sorted, with repeats (PyTorch keeps a Counter). */
  milestones: number[];
  gamma: number;

  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    checkOptionKeys("MultiStepLR", options, ["milestones", "gamma", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "MultiStepLR");
    if (!Array.isArray(options.milestones) || options.milestones.some((m) => !Number.isInteger(m))) {
      throw new TypeError(`${this.name}: milestones must be an array of integers, got ${JSON.stringify(options.milestones)}`);
    }
    this.milestones = [...options.milestones].sort((a, b) => a - b);
    this.gamma = checkFinite(this.name, "gamma", options.gamma ?? 0.1);
    this.initialStep();
  }

  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** hits);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }

  protected override stateKeys(): readonly string[] {
    return ["milestones", "gamma"];
  }
}
