import type { Optimizer } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, type SchedulerOptions, type SchedulerStateDict } from "./lr-scheduler.js";

export interface SequentialLROptions extends SchedulerOptions {
  /** Schedulers of the same optimizer, used one after another. */
  schedulers: LRScheduler[];
  /** Epochs at which to switch to the next scheduler (one fewer than schedulers). */
  milestones: number[];
}

/** Index of the first milestone greater than `x` (Python's `bisect_right`). */
function bisectRight(sorted: readonly number[], x: number): number {
  let i = 0;
  while (i < sorted.length && sorted[i]! <= x) i++;
  return i;
}

/**
 * Runs `schedulers[0]` until `milestones[0]`, then `schedulers[1]` (restarted at its epoch 0),
 * and so on: e.g. a LinearLR warm-up followed by CosineAnnealingLR.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  milestones: number[];

  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    checkOptionKeys("SequentialLR", options, ["schedulers", "milestones", "lastEpoch"]);
    super(optimizer, options.lastEpoch, "SequentialLR");
    const { schedulers, milestones } = options;
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new TypeError(`${this.name}: schedulers must be a non-empty array`);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new TypeError(`${this.name}: schedulers[${i}] is not an LRScheduler`);
      if (s.optimizer !== optimizer) throw new Error(`${this.name}: schedulers[${i}] belongs to a different optimizer than the one passed in`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new RangeError(`${this.name}: expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${Array.isArray(milestones) ? milestones.length : String(milestones)}`);
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    // Undo the steps the schedulers took when they were built, then restart the first one.
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    for (const g of this.groups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  protected getLr(): number[] {
    return this.groups.map((g) => g.lr);
  }

  override step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  protected override stateKeys(): readonly string[] {
    return ["milestones"];
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    super.loadStateDict(state);
    const subs = state._schedulers;
    if (Array.isArray(subs)) subs.forEach((s, i) => this.schedulers[i]?.loadStateDict(s as SchedulerStateDict));
  }
}

/** Steps several schedulers together, each multiplying its effect into the same rates. */
export class ChainedScheduler extends LRScheduler {
  readonly schedulers: LRScheduler[];

  constructor(schedulers: LRScheduler[]) {
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new TypeError("ChainedScheduler: schedulers must be a non-empty array");
    super(schedulers[0]!.optimizer, -1, "ChainedScheduler");
    schedulers.forEach((s, i) => {
      if (s.optimizer !== this.optimizer) throw new Error(`${this.name}: schedulers[${i}] belongs to a different optimizer than schedulers[0]`);
    });
    this.schedulers = [...schedulers];
    this.lastLr = this.groups.map((g) => g.lr);
  }

  protected getLr(): number[] {
    return this.groups.map((g) => g.lr);
  }

  override step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.groups.map((g) => g.lr);
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    super.loadStateDict(state);
    const subs = state._schedulers;
    if (Array.isArray(subs)) subs.forEach((s, i) => this.schedulers[i]?.loadStateDict(s as SchedulerStateDict));
  }
}
