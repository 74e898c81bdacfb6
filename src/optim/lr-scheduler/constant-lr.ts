import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, checkInRange, type SchedulerOptions } from "./lr-scheduler.js";

export interface ConstantLROptions extends SchedulerOptions {
  /** Multiplier applied until `totalIters` (default 1/3). */
  factor?: number;
  /** Epochs with the reduced rate (default 5). */
  totalIters?: number;
}

/** Multiplies the rate by `factor` for the first `totalIters` epochs, then restores it. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: Optimizer, options: ConstantLROptions = {}) {
    checkOptionKeys("ConstantLR", options, ["factor", "totalIters", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "ConstantLR");
    this.factor = checkInRange(this.name, "factor", options.factor ?? 1 / 3, 0, 1);
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    const f = this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor);
    return this.baseLrs.map((b) => b * f);
  }

  protected override stateKeys(): readonly string[] {
    return ["factor", "totalIters"];
  }
}
