/**
 * Exponential moving average of a model's weights, for sampling:
 *   shadow ← decay · shadow + (1 - decay) · param
 * With `warmup`, the decay used at update n is min(decay, (1 + n) / (10 + n)), so early
 * averages are not dominated by the random initialisation. Buffers are copied as they are.
 */
import type { Tensor } from "../tensor/tensor.js";
import * as ops from "../ops/index.js";
import { noGrad } from "../autograd/grad-mode.js";
import type { Module } from "../nn/module.js";

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
    noGrad(() => {
      for (const [name, t] of model.stateDict()) {
        const s = this.shadow.get(name);
        if (!s) throw new Error(`EMA.update: the model has '${name}', which the EMA does not track`);
        const next = params.has(t) && t.dtype === "float32" ? ops.add(ops.mul(s, d), ops.mul(t, 1 - d)) : ops.contiguousCopy(t);
        s.assign(next);
        next.dispose();
      }
    });
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
