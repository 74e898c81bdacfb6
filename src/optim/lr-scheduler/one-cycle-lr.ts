import type { Optimizer, ParamGroup, SchedulerGroupFields } from "../optimizer.js";
import { checkOptionKeys } from "../optimizer.js";
import { LRScheduler, checkFinite, checkInRange, checkPositiveInt, perGroup, type SchedulerOptions } from "./lr-scheduler.js";

export interface OneCycleLROptions extends SchedulerOptions {
  /** Peak rate, one for all groups or one per group. */
  maxLr: number | number[];
  /** Length of the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate (default 0.3). */
  pctStart?: number;
  /** Shape of each phase (default "cos"). */
  annealStrategy?: "cos" | "linear";
  /** Cycle momentum (SGD/RMSprop `momentum`, Adam's beta1) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to initialLr, annihilate to minLr) instead of two (default false). */
  threePhase?: boolean;
}

type RateKey = keyof Pick<SchedulerGroupFields, "initialLr" | "maxLr" | "minLr">;
type MomentumKey = keyof Pick<SchedulerGroupFields, "maxMomentum" | "baseMomentum">;

/** One phase of the cycle: it ends at `endStep` and anneals between the named group fields. */
export interface OneCyclePhase {
  endStep: number;
  startLr: RateKey;
  endLr: RateKey;
  startMomentum: MomentumKey;
  endMomentum: MomentumKey;
}

/** Group fields a momentum-cycling scheduler reads and writes. */
type MomentumGroup = ParamGroup & { momentum?: number; betas?: [number, number] };

const anneal = {
  cos: (start: number, end: number, pct: number): number => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1),
  linear: (start: number, end: number, pct: number): number => (end - start) * pct + start,
};

/**
 * The 1cycle policy (Smith & Topsom): the rate rises from maxLr / divFactor to maxLr over
 * `pctStart` of the steps, then anneals to a minimum far below the start, while momentum moves
 * the opposite way. Step it after every batch, `totalSteps` times in all.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  schedulePhases: OneCyclePhase[];
  annealStrategy: "cos" | "linear";
  cycleMomentum: boolean;
  /** Whether momentum is Adam's beta1 rather than a `momentum` hyper-parameter. */
  useBeta1: boolean;

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    checkOptionKeys("OneCycleLR", options, [
      "maxLr", "totalSteps", "epochs", "stepsPerEpoch", "pctStart", "annealStrategy", "cycleMomentum",
      "baseMomentum", "maxMomentum", "divFactor", "finalDivFactor", "threePhase", "lastEpoch",
    ]);
    super(optimizer, options.lastEpoch, "OneCycleLR");
    const name = this.name;
    if (options.totalSteps !== undefined) {
      this.totalSteps = checkPositiveInt(name, "totalSteps", options.totalSteps);
    } else if (options.epochs !== undefined || options.stepsPerEpoch !== undefined) {
      this.totalSteps = checkPositiveInt(name, "epochs", options.epochs) * checkPositiveInt(name, "stepsPerEpoch", options.stepsPerEpoch);
    } else {
      throw new TypeError(`${name}: give either totalSteps or both epochs and stepsPerEpoch`);
    }
    const pct = checkInRange(name, "pctStart", options.pctStart ?? 0.3, 0, 1);
    const total = this.totalSteps;
    this.schedulePhases = options.threePhase
      ? [
          { endStep: pct * total - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
          { endStep: 2 * pct * total - 2, startLr: "maxLr", endLr: "initialLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
          { endStep: total - 1, startLr: "initialLr", endLr: "minLr", startMomentum: "maxMomentum", endMomentum: "maxMomentum" },
        ]
      : [
          { endStep: pct * total - 1, startLr: "initialLr", endLr: "maxLr", startMomentum: "maxMomentum", endMomentum: "baseMomentum" },
          { endStep: total - 1, startLr: "maxLr", endLr: "minLr", startMomentum: "baseMomentum", endMomentum: "maxMomentum" },
        ];
    const strategy = options.annealStrategy ?? "cos";
    if (strategy !== "cos" && strategy !== "linear") throw new RangeError(`${name}: annealStrategy must be "cos" or "linear", got ${String(strategy)}`);
    this.annealStrategy = strategy;

    const groups = this.groups;
    const resuming = (options.lastEpoch ?? -1) !== -1;
    const divFactor = checkFinite(name, "divFactor", options.divFactor ?? 25);
    const finalDivFactor = checkFinite(name, "finalDivFactor", options.finalDivFactor ?? 1e4);
    const maxLrs = perGroup(name, "maxLr", options.maxLr, groups.length);
    if (!resuming) {
      groups.forEach((g, i) => {
        g.initialLr = checkFinite(name, "maxLr", maxLrs[i]) / divFactor;
        g.maxLr = maxLrs[i]!;
        g.minLr = g.initialLr / finalDivFactor;
      });
      this.baseLrs = groups.map((g) => g.initialLr!);
    }

    this.cycleMomentum = options.cycleMomentum ?? true;
    this.useBeta1 = "betas" in optimizer.defaults;
    if (this.cycleMomentum) {
      if (!("momentum" in optimizer.defaults) && !this.useBeta1) {
        throw new TypeError(`${name}: cycleMomentum needs an optimizer with momentum (SGD, RMSprop) or betas (Adam, AdamW); ${optimizer.name} has neither, pass cycleMomentum: false`);
      }
      const maxMomentums = perGroup(name, "maxMomentum", options.maxMomentum ?? 0.95, groups.length);
      const baseMomentums = perGroup(name, "baseMomentum", options.baseMomentum ?? 0.85, groups.length);
      if (!resuming) {
        groups.forEach((g, i) => {
          this.setMomentum(g, maxMomentums[i]!);
          g.maxMomentum = maxMomentums[i]!;
          g.baseMomentum = baseMomentums[i]!;
        });
      }
    }
    this.initialStep();
  }

  private setMomentum(group: MomentumGroup, value: number): void {
    if (this.useBeta1) group.betas = [value, group.betas![1]];
    else group.momentum = value;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new RangeError(`${this.name}: tried to step ${stepNum + 1} times; the schedule has totalSteps = ${this.totalSteps}`);
    }
    const f = anneal[this.annealStrategy];
    const phases = this.schedulePhases;
    return this.groups.map((group) => {
      let startStep = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i]!;
        if (stepNum <= phase.endStep || i === phases.length - 1) {
          const pct = (stepNum - startStep) / (phase.endStep - startStep);
          if (this.cycleMomentum) this.setMomentum(group, f(group[phase.startMomentum]!, group[phase.endMomentum]!, pct));
          return f(group[phase.startLr]!, group[phase.endLr]!, pct);
        }
        startStep = phase.endStep;
      }
      throw new Error("unreachable: the last phase always matches");
    });
  }

  protected override stateKeys(): readonly string[] {
    return ["totalSteps", "schedulePhases", "annealStrategy", "cycleMomentum", "useBeta1"];
  }
}
