import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, checkInRange, checkPositiveInt, type SchedulerOptions } from "./lr-scheduler.js";

export interface LinearLROptions extends SchedulerOptions {
  /** Multiplier at epoch 0 (default 1/3). */
  startFactor?: number;
  /** Multiplier from `totalIters` on (default 1). */
  endFactor?: number;
  /** Epochs of the linear ramp (default 5). */
  totalIters?: number;
}

/** Ramps the multiplier linearly from `startFactor` to `endFactor` over `totalIters` epochs (warm-up). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    checkOptionKeys("LinearLR", options, ["startFactor", "endFactor", "totalIters", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "LinearLR");
    this.startFactor = checkInRange(this.name, "startFactor", options.startFactor ?? 1 / 3, 0, 1);
    this.endFactor = checkInRange(this.name, "endFactor", options.endFactor ?? 1, 0, 1);
    this.totalIters = checkPositiveInt(this.name, "totalIters", options.totalIters ?? 5);
    this.initialStep();
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * s);
    if (this.lastEpoch > n) return this.groups.map((g) => g.lr);
    // Ratio of consecutive factors, as PyTorch's chainable form.
    const ratio = 1 + (e - s) / (n * s + (this.lastEpoch - 1) * (e - s));
    return this.groups.map((g) => g.lr * ratio);
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, this.lastEpoch)) / n));
  }

  protected override stateKeys(): readonly string[] {
    return ["startFactor", "endFactor", "totalIters"];
  }
}
