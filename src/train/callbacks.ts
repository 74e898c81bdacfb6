import type { Callback, CheckpointInfo, EpochInfo, FitContext, FitResult, StepInfo } from "./loop-types.js";
import { SchedulerStepper, type SchedulerInterval, type SchedulerLike } from "./scheduling.js";
import { ProgressLine, formatProgress, formatDuration } from "./progress.js";
import { nodeBuiltin } from "../platform/node-builtins.js";

/** What needs Node here, and what to do instead in a browser (for NodeOnlyError). */
const NODE_ONLY = ["JsonLinesLogger (writes a file)"] as const;

/**
 * Progress bar while training (redrawn in place on a TTY, a plain line every few seconds
 * otherwise) and one summary line per epoch.
 */
export class ProgressLogger implements Callback {
  private readonly line: ProgressLine;
  private readonly log: (s: string) => void;
  private readonly valLabel: string;

  constructor(options: { stream?: ConstructorParameters<typeof ProgressLine>[0]; intervalMs?: number; enabled?: boolean; log?: (s: string) => void; valLabel?: string } = {}) {
    this.valLabel = options.valLabel ?? "val";
    this.line = new ProgressLine(options.stream, options.intervalMs, options.enabled ?? true);
    this.log = options.log ?? ((s) => this.line.log(s));
  }

  onTrainBegin(ctx: FitContext): void {
    if (ctx.resumed && ctx.startEpoch <= ctx.epochs) this.log(`resuming at epoch ${ctx.startEpoch}, step ${ctx.startStep}/${ctx.stepsPerEpoch}`);
  }

  onStepEnd(s: StepInfo): void {
    const remainingSteps = (s.epochs - s.epoch) * s.stepsPerEpoch + (s.stepsPerEpoch - s.step);
    const secondsPerStep = s.sessionSeconds / Math.max(1, s.sessionSteps);
    this.line.update(
      formatProgress({
        epoch: s.epoch,
        epochs: s.epochs,
        step: s.step,
        steps: s.stepsPerEpoch,
        loss: s.epochLoss,
        ...(Number.isFinite(s.epochAccuracy) ? { accuracy: s.epochAccuracy } : {}),
        imagesPerSecond: s.imagesPerSecond,
        etaSeconds: remainingSteps * secondsPerStep,
      }),
      s.step === s.stepsPerEpoch,
    );
  }

  onEpochEnd(e: EpochInfo): void {
    this.line.done();
    const acc = Number.isFinite(e.trainAccuracy) ? `, train accuracy ${(e.trainAccuracy * 100).toFixed(2)}%` : "";
    const v = this.valLabel;
    const val = e.val ? `, ${v} loss ${e.val.loss.toFixed(4)}${Number.isFinite(e.val.accuracy) ? `, ${v} accuracy ${(e.val.accuracy * 100).toFixed(2)}%` : ""}` : "";
    this.log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}${acc}${val}, lr ${e.lr.toPrecision(3)}, ${formatDuration(e.seconds)} (${Math.round(e.imagesPerSecond)} samples/s)`);
  }

  onCheckpoint(c: CheckpointInfo): void {
    if (c.reason === "interrupt") {
      this.line.done();
      this.log(`checkpoint saved: ${c.dir} (epoch ${c.epoch}, step ${c.step})`);
    }
  }

  onTrainEnd(_r: FitResult): void {
    this.line.done();
  }
}

export type Monitor = "val.loss" | "val.accuracy" | "train.loss" | "train.accuracy" | (string & {});

function monitored(e: EpochInfo, monitor: Monitor): number | undefined {
  const [where, name] = monitor.split(".") as [string, string];
  if (where === "val") {
    if (!e.val) return undefined;
    return name === "loss" ? e.val.loss : e.val.metrics[name];
  }
  return name === "loss" ? e.trainLoss : e.trainMetrics[name];
}

/**
 * Stops training when a monitored value has not improved for `patience` epochs. Its best value
 * and counter are saved in checkpoints, so a resumed run stops at the same epoch.
 */
export class EarlyStopping implements Callback {
  readonly name = "earlyStopping";
  readonly monitor: Monitor;
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: "min" | "max";
  best: number | null = null;
  bestEpoch = 0;
  wait = 0;
  stoppedEpoch = 0;

  constructor(options: { monitor?: Monitor; patience?: number; minDelta?: number; mode?: "min" | "max" } = {}) {
    this.monitor = options.monitor ?? "val.loss";
    this.patience = options.patience ?? 3;
    this.minDelta = options.minDelta ?? 0;
    this.mode = options.mode ?? (this.monitor.endsWith("loss") ? "min" : "max");
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new RangeError(`EarlyStopping: patience must be an integer >= 0, got ${this.patience}`);
  }

  onEpochEnd(e: EpochInfo): boolean {
    const v = monitored(e, this.monitor);
    if (v === undefined || Number.isNaN(v)) return false;
    const better = this.best === null || (this.mode === "min" ? v < this.best - this.minDelta : v > this.best + this.minDelta);
    if (better) {
      this.best = v;
      this.bestEpoch = e.epoch;
      this.wait = 0;
      return false;
    }
    this.wait++;
    if (this.wait > this.patience) {
      this.stoppedEpoch = e.epoch;
      return true;
    }
    return false;
  }

  stateDict(): unknown {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  loadStateDict(s: unknown): void {
    const st = s as { best: number | null; bestEpoch: number; wait: number };
    this.best = st.best;
    this.bestEpoch = st.bestEpoch;
    this.wait = st.wait;
  }
}

/**
 * Steps a learning-rate scheduler after every optimizer step or every epoch, and keeps its state
 * in checkpoints (an alternative to fit's `scheduler` option for several schedulers). Stepped
 * by fit's own SchedulerStepper, so a metric scheduler (ReduceLROnPlateau) is refused per step.
 */
export class LRSchedulerCallback implements Callback {
  readonly name: string;
  private readonly stepper: SchedulerStepper;
  private lastOptimizerSteps = 0;

  constructor(
    readonly scheduler: SchedulerLike,
    readonly interval: SchedulerInterval = "epoch",
    name = "lrScheduler",
  ) {
    this.name = name;
    this.stepper = new SchedulerStepper(scheduler, interval);
  }

  onStepEnd(s: StepInfo): void {
    // Called after every batch; the scheduler steps after optimizer steps (accumulation makes fewer).
    if (s.optimizerSteps !== this.lastOptimizerSteps) this.stepper.afterOptimizerStep();
    this.lastOptimizerSteps = s.optimizerSteps;
  }

  onEpochEnd(e: EpochInfo): void {
    this.stepper.afterEpoch(e);
  }

  stateDict(): unknown {
    return { scheduler: this.stepper.stateDict() ?? null, lastOptimizerSteps: this.lastOptimizerSteps };
  }

  loadStateDict(s: unknown): void {
    const st = s as { scheduler: unknown; lastOptimizerSteps: number };
    if (st.scheduler !== null) this.stepper.loadStateDict(st.scheduler);
    this.lastOptimizerSteps = st.lastOptimizerSteps;
  }
}

/** Appends one JSON line per epoch (and optionally per step) to a file: easy to plot or tail. */
export class JsonLinesLogger implements Callback {
  constructor(
    readonly path: string,
    readonly options: { steps?: boolean } = {},
  ) {}

  private async append(obj: unknown): Promise<void> {
    const fs = nodeBuiltin("fs/promises", ...NODE_ONLY);
    const { dirname } = nodeBuiltin("path", ...NODE_ONLY);
    const { makeDirectories } = await import("../io/node-file.js");
    await makeDirectories(dirname(this.path));
    await fs.appendFile(this.path, JSON.stringify(obj) + "\n");
  }

  async onStepEnd(s: StepInfo): Promise<void> {
    if (this.options.steps) await this.append({ type: "step", epoch: s.epoch, step: s.step, globalStep: s.globalStep, loss: s.loss, lr: s.lr });
  }

  async onEpochEnd(e: EpochInfo): Promise<void> {
    const { val, ...rest } = e;
    await this.append({ type: "epoch", ...rest, ...(val ? { val: { loss: val.loss, metrics: val.metrics } } : {}) });
  }
}
