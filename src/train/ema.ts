/**
 * Exponential moving average of a model's weights (diffusion models sample from it):
 *   shadow ← decay · shadow + (1 - decay) · param
 * With `warmup`, the decay used at update n is min(decay, (1 + n) / (10 + n)), so early
 * averages are not dominated by the random initialisation. Buffers are copied as they are.
 */
import type { Tensor } from "../tensor/tensor.js";
import * as ops from "../ops/index.js";
import { noGrad } from "../autograd/grad-mode.js";
import type { Module } from "../nn/module.js";
import { tidy } from "../memory/tidy.js";
import type { Callback, StepInfo } from "./fit.js";

export class EMA {
  readonly shadow = new Map<string, Tensor>();
  numUpdates = 0;

  constructor(
    model: Module,
    readonly decay = 0.999,
    readonly warmup = true,
  ) {
    if (!(decay >= 0 && decay <= 1)) throw new RangeError(`EMA: decay must lie in [0, 1], got ${decay}`);
    noGrad(() => {
      for (const [name, t] of model.stateDict()) this.shadow.set(name, ops.contiguousCopy(t.detach()).keep());
    });
  }

  /** The decay the next update will use. */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.numUpdates) / (10 + this.numUpdates)) : this.decay;
  }

  update(model: Module): void {
    const d = this.currentDecay();
    const params = new Set(model.parameters());
    // tidy: the products are temporaries; the shadow tensors are kept (and assigned in place).
    tidy(() => noGrad(() => {
      for (const [name, t] of model.stateDict()) {
        const s = this.shadow.get(name);
        if (!s) throw new Error(`EMA.update: the model has '${name}', which the EMA does not track`);
        const next = params.has(t) && t.dtype === "float32" ? ops.add(ops.mul(s, d), ops.mul(t, 1 - d)) : ops.contiguousCopy(t);
        s.assign(next);
      }
    }));
    this.numUpdates++;
  }

  /** Copies the averaged weights into `model` (same architecture). */
  copyTo(model: Module): void {
    model.loadStateDict(this.shadow);
  }

  stateDict(): Map<string, Tensor> {
    return this.shadow;
  }

  loadStateDict(sd: Map<string, Tensor>, numUpdates = this.numUpdates): void {
    noGrad(() => {
      for (const [name, s] of this.shadow) {
        const v = sd.get(name);
        if (!v) throw new Error(`EMA.loadStateDict: missing '${name}'`);
        const c = ops.contiguousCopy(v.dtype === s.dtype ? v : ops.cast(v, s.dtype));
        s.assign(c.device === s.device ? c : c.to(s.device));
        c.dispose();
      }
    });
    this.numUpdates = numUpdates;
  }

  dispose(): void {
    for (const s of this.shadow.values()) s.dispose();
    this.shadow.clear();
  }
}

/**
 * Keeps an EMA of the model's weights while `fit` trains it: one update after every optimizer
 * step. Its averages and update count are saved in checkpoints (callbacks.safetensors and
 * state.json), so a resumed run averages exactly as an uninterrupted one.
 *
 * With `applyAtEnd`, the averaged weights replace the model's once training completes (after the
 * last checkpoint, which keeps the raw weights to resume from), as Keras's `use_ema` does: what
 * is saved and evaluated afterwards is the average.
 *
 *   const ema = new nt.train.EmaCallback(model, { decay: 0.999 });
 *   await nt.train.fit(model, { ..., callbacks: [ema] });
 */
export class EmaCallback implements Callback {
  readonly name: string;
  readonly ema: EMA;
  readonly applyAtEnd: boolean;
  private lastOptimizerSteps = 0;

  constructor(
    readonly model: Module,
    options: { decay?: number; warmup?: boolean; applyAtEnd?: boolean; name?: string } = {},
  ) {
    this.name = options.name ?? "ema";
    this.ema = new EMA(model, options.decay ?? 0.999, options.warmup ?? true);
    this.applyAtEnd = options.applyAtEnd ?? false;
  }

  onStepEnd(s: StepInfo): void {
    // Accumulated micro-batches end without an optimizer step: nothing to average yet.
    if (s.optimizerSteps === this.lastOptimizerSteps) return;
    this.lastOptimizerSteps = s.optimizerSteps;
    this.ema.update(this.model);
  }

  onTrainEnd(result: { stopReason: string }): void {
    if (this.applyAtEnd && (result.stopReason === "completed" || result.stopReason === "early-stop")) this.ema.copyTo(this.model);
  }

  stateDict(): unknown {
    return { numUpdates: this.ema.numUpdates, lastOptimizerSteps: this.lastOptimizerSteps };
  }

  loadStateDict(state: unknown): void {
    const s = state as { numUpdates?: unknown; lastOptimizerSteps?: unknown };
    if (!Number.isSafeInteger(s?.numUpdates) || !Number.isSafeInteger(s?.lastOptimizerSteps)) {
      throw new RangeError(`EmaCallback.loadStateDict: expected { numUpdates, lastOptimizerSteps } integers, got ${JSON.stringify(state)?.slice(0, 80)}`);
    }
    this.ema.numUpdates = s.numUpdates as number;
    this.lastOptimizerSteps = s.lastOptimizerSteps as number;
  }

  tensorStateDict(): Map<string, Tensor> {
    return this.ema.stateDict();
  }

  loadTensorStateDict(tensors: Map<string, Tensor>): void {
    this.ema.loadStateDict(tensors);
  }

  dispose(): void {
    this.ema.dispose();
  }
}
