import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, checkFinite, checkPositiveInt, type SchedulerOptions } from "./lr-scheduler.js";

export interface CosineAnnealingLROptions extends SchedulerOptions {
  /** Half period of the cosine, in epochs (PyTorch's `T_max`). */
  tMax: number;
  /** Lowest rate (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing from each group's initial rate down to `etaMin` over `tMax` epochs, then back
 * up (the schedule keeps oscillating). Uses PyTorch's recursive form, which derives each rate
 * from the current one, so values match PyTorch's step for step and other changes to the rate
 * carry through.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    checkOptionKeys("CosineAnnealingLR", options, ["tMax", "etaMin", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "CosineAnnealingLR");
    this.tMax = checkPositiveInt(this.name, "tMax", options.tMax);
    this.etaMin = checkFinite(this.name, "etaMin", options.etaMin ?? 0);
    this.initialStep();
  }

  protected getLr(): number[] {
    const { tMax, etaMin, lastEpoch } = this;
    if (lastEpoch === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && lastEpoch > 0) {
      // Resuming from lastEpoch > 0: nothing to recurse from, so use the closed form.
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((lastEpoch * Math.PI) / tMax))) / 2);
    }
    if ((lastEpoch - 1 - tMax) % (2 * tMax) === 0) {
      // At the bottom of the cosine the ratio form below would divide by zero.
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return this.groups.map(
      (g) => ((1 + Math.cos((Math.PI * lastEpoch) / tMax)) / (1 + Math.cos((Math.PI * (lastEpoch - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    const { tMax, etaMin, lastEpoch } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * lastEpoch) / tMax))) / 2);
  }

  protected override stateKeys(): readonly string[] {
    return ["tMax", "etaMin"];
  }
}
