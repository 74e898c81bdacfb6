import { Optimizer, type ParamGroup } from "../optimizer.js";
import { copyJson, toCamel, toSnake, type JsonValue } from "../state-keys.js";

/** A scheduler's state: PyTorch's attribute names (`last_epoch`, `base_lrs`, `_last_lr`, ...), plain JSON. */
export type SchedulerStateDict = Record<string, JsonValue>;

export interface SchedulerOptions {
  /** Index of the last epoch when resuming; -1 (the default) starts a new schedule. */
  lastEpoch?: number;
}

let warnedOrder = false;

/**
 * Base of the epoch-indexed learning-rate schedulers (PyTorch's `_LRScheduler`). Each `step()`
 * advances `lastEpoch` and writes the new rates into the optimizer's groups. Most schedulers
 * are "chainable": they compute the new rate from the group's current one, so several can act
 * on one optimizer, and their values match PyTorch step for step (including its rounding).
 *
 * Subclasses set their own fields and then call `initialStep()` at the end of their constructor
 * (PyTorch's base `__init__` performs that step, but runs after the subclass attributes exist).
 */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** The rates at epoch 0 (each group's `initialLr`). */
  baseLrs: number[];
  lastEpoch: number;
  /** Calls to `step()`, the constructor's included (PyTorch's `_step_count`). */
  stepCount = 0;
  protected lastLr: number[] = [];
  private optimizerStepsAtStart = 0;

  /** @param name used in error messages. */
  protected constructor(optimizer: Optimizer, lastEpoch = -1, readonly name = "LRScheduler") {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${name}: expected an Optimizer, got ${optimizer === null ? "null" : typeof optimizer}`);
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) throw new RangeError(`${name}: lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    this.optimizer = optimizer;
    optimizer.paramGroups.forEach((group, i) => {
      if (lastEpoch === -1) group.initialLr ??= group.lr;
      else if (group.initialLr === undefined) {
        throw new Error(`${name}: paramGroups[${i}] has no initialLr, which resuming (lastEpoch = ${lastEpoch}) requires; load the optimizer's state dict first`);
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups;
  }

  /** The rates for the current `lastEpoch` (called by `step`). */
  protected abstract getLr(): number[];

  /** Rates as a function of `lastEpoch` alone, used by `step(epoch)`; null where there is none. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Field names (camelCase) saved by `stateDict` besides the base ones. */
  protected stateKeys(): readonly string[] {
    return [];
  }

  /** Resets the counters and performs the first step (epoch 0). Internal: constructors call it. */
  initialStep(): void {
    this.optimizerStepsAtStart = this.optimizer.stepCount;
    this.stepCount = 0;
    this.step();
  }

  /**
   * Advances one epoch and updates the optimizer's rates. Call it after `optimizer.step()`.
   * `epoch` jumps to that epoch (using the closed form where the scheduler has one); PyTorch
   * deprecates that use, but `SequentialLR` relies on it.
   */
  step(epoch?: number): void {
    if (this.stepCount === 1 && this.optimizer.stepCount === this.optimizerStepsAtStart && !warnedOrder) {
      warnedOrder = true;
      console.warn(
        "neurite: lrScheduler.step() was called before optimizer.step(); call optimizer.step() first, otherwise the first value of the schedule is skipped",
      );
    }
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.groups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The rates set by the last `step()`, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      _step_count: this.stepCount,
      _last_lr: [...this.lastLr],
    };
    const fields = this as unknown as Record<string, JsonValue>;
    for (const key of this.stateKeys()) out[toSnake(key)] = copyJson(fields[key]!);
    return out;
  }

  /** Restores a state from `stateDict()`; unknown keys are ignored. Load the optimizer's state as well. */
  loadStateDict(state: SchedulerStateDict): void {
    if (state === null || typeof state !== "object") throw new TypeError(`${this.name}.loadStateDict: expected an object from stateDict()`);
    if (Array.isArray(state.base_lrs)) this.baseLrs = state.base_lrs.map(Number);
    if (typeof state.last_epoch === "number") this.lastEpoch = state.last_epoch;
    if (typeof state._step_count === "number") this.stepCount = state._step_count;
    if (Array.isArray(state._last_lr)) this.lastLr = state._last_lr.map(Number);
    const fields = this as unknown as Record<string, JsonValue>;
    const known = new Set(this.stateKeys());
    for (const [key, value] of Object.entries(state)) {
      const field = toCamel(key);
      if (known.has(field)) fields[field] = copyJson(value);
    }
  }
}

/** Schedulers that take one value per group accept a single value for all of them. */
export function perGroup<T>(name: string, what: string, value: T | readonly T[], groups: number): T[] {
  if (Array.isArray(value)) {
    if (value.length !== groups) throw new RangeError(`${name}: expected ${groups} values for ${what} (one per parameter group), got ${value.length}`);
    return [...value];
  }
  return Array.from({ length: groups }, () => value as T);
}

export function checkPositiveInt(name: string, label: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name}: ${label} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function checkInRange(name: string, label: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== "number" || !(value >= lo && value <= hi)) {
    throw new RangeError(`${name}: ${label} must be between ${lo} and ${hi}, got ${String(value)}`);
  }
  return value;
}

export function checkFinite(name: string, label: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new RangeError(`${name}: ${label} must be a finite number, got ${String(value)}`);
  return value;
}
