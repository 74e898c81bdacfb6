import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, checkFinite, checkPositiveInt, type SchedulerOptions } from "./lr-scheduler.js";

export interface PolynomialLROptions extends SchedulerOptions {
  /** Epochs until the rate reaches 0 (default 5). */
  totalIters?: number;
  /** Power of the polynomial (default 1). */
  power?: number;
}

/** Decays the rate as `(1 - epoch / totalIters) ** power`, reaching 0 at `totalIters`. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  constructor(optimizer: Optimizer, options: PolynomialLROptions = {}) {
    checkOptionKeys("PolynomialLR", options, ["totalIters", "power", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "PolynomialLR");
    this.totalIters = checkPositiveInt(this.name, "totalIters", options.totalIters ?? 5);
    this.power = checkFinite(this.name, "power", options.power ?? 1);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return this.groups.map((g) => g.lr);
    const n = this.totalIters;
    const decay = ((1 - this.lastEpoch / n) / (1 - (this.lastEpoch - 1) / n)) ** this.power;
    return this.groups.map((g) => g.lr * decay);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }

  protected override stateKeys(): readonly string[] {
    return ["totalIters", "power"];
  }
}
