import { Tensor } from "../../tensor/tensor.js";
import { Optimizer, checkOptionKeys } from "../optimizer.js";
import { perGroup, type SchedulerStateDict } from "./lr-scheduler.js";

export interface ReduceLROnPlateauOptions {
  /** "min": the metric should decrease (a loss); "max": increase (an accuracy). Default "min". */
  mode?: "min" | "max";
  /** new lr = lr * factor (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimal change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** "rel": relative to the best value; "abs": absolute (default "rel"). */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the rate, one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the rate by `factor` when a metric has stopped improving for `patience` epochs.
 * Unlike the epoch schedulers, `step(metric)` takes the metric (a number or a one-element tensor).
 */
export class ReduceLROnPlateau {
  readonly name = "ReduceLROnPlateau";
  /** Stepped with a metric (train.fit passes the validation loss): see train/fit.ts MetricScheduler. */
  readonly stepsOnMetric = true as const;
  readonly optimizer: Optimizer;
  mode: "min" | "max";
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: "rel" | "abs";
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** Best metric so far (±Infinity before the first step). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    checkOptionKeys(this.name, options, ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"]);
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${this.name}: expected an Optimizer`);
    this.optimizer = optimizer;
    this.factor = options.factor ?? 0.1;
    if (!(this.factor < 1)) throw new RangeError(`${this.name}: factor must be < 1, got ${this.factor}`);
    this.mode = options.mode ?? "min";
    if (this.mode !== "min" && this.mode !== "max") throw new RangeError(`${this.name}: mode must be "min" or "max", got ${String(this.mode)}`);
    this.thresholdMode = options.thresholdMode ?? "rel";
    if (this.thresholdMode !== "rel" && this.thresholdMode !== "abs") throw new RangeError(`${this.name}: thresholdMode must be "rel" or "abs", got ${String(this.thresholdMode)}`);
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.minLrs = perGroup(this.name, "minLr", options.minLr ?? 0, optimizer.paramGroups.length);
    this.eps = options.eps ?? 1e-8;
    this.best = this.modeWorse;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private get modeWorse(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === "rel" ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Records one epoch's metric and reduces the rates if it has plateaued. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.itemSync() : Number(metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // ignore bad epochs during cooldown
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const newLr = Math.max(g.lr * this.factor, this.minLrs[i]!);
      if (g.lr - newLr > this.eps) g.lr = newLr;
    });
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** PyTorch's attribute names. `best` may be ±Infinity, which JSON.stringify writes as null; loading null restores it. */
  stateDict(): SchedulerStateDict {
    return {
      mode: this.mode,
      factor: this.factor,
      patience: this.patience,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter,
      min_lrs: [...this.minLrs],
      eps: this.eps,
      best: this.best,
      num_bad_epochs: this.numBadEpochs,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
    };
  }

  loadStateDict(state: SchedulerStateDict): void {
    const num = (key: string, fallback: number): number => (typeof state[key] === "number" ? (state[key] as number) : fallback);
    if (state.mode === "min" || state.mode === "max") this.mode = state.mode;
    if (state.threshold_mode === "rel" || state.threshold_mode === "abs") this.thresholdMode = state.threshold_mode;
    this.factor = num("factor", this.factor);
    this.patience = num("patience", this.patience);
    this.threshold = num("threshold", this.threshold);
    this.cooldown = num("cooldown", this.cooldown);
    this.cooldownCounter = num("cooldown_counter", this.cooldownCounter);
    this.eps = num("eps", this.eps);
    this.best = num("best", this.modeWorse);
    this.numBadEpochs = num("num_bad_epochs", this.numBadEpochs);
    this.lastEpoch = num("last_epoch", this.lastEpoch);
    if (Array.isArray(state.min_lrs)) this.minLrs = state.min_lrs.map(Number);
    if (Array.isArray(state._last_lr)) this.lastLr = state._last_lr.map(Number);
  }
}
