import { Tensor } from "../tensor/tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { tidy } from "../memory/tidy.js";
import { add, clamp, div, stack, zeros } from "../ops/index.js";

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite instead of scaling by it (PyTorch's `error_if_nonfinite`). */
  errorIfNonfinite?: boolean;
}

function gradsOf(parameters: Tensor | Iterable<Tensor>, op: string): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : [...parameters];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: parameter ${i} is not a Tensor`);
  });
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/**
 * Scales the gradients in place so that their joint norm (all gradients seen as one vector) is
 * at most `maxNorm`; returns the norm before clipping as a 0-d tensor (PyTorch's
 * `clip_grad_norm_`). `normType` may be `Infinity`. The scale is `maxNorm / (norm + 1e-6)`
 * clamped to 1, applied even when it is 1 (so no value has to be read back to decide).
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): Tensor {
  const grads = gradsOf(parameters, "clipGradNorm_");
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm)) throw new TypeError(`clipGradNorm_: maxNorm must be a number, got ${String(maxNorm)}`);
  if (typeof normType !== "number" || !(normType > 0)) throw new RangeError(`clipGradNorm_: normType must be a positive number or Infinity, got ${String(normType)}`);
  if (grads.length === 0) return zeros([]);
  return noGrad(() => {
    const total = tidy(() => {
      if (normType === Infinity) {
        const maxes = grads.map((g) => g.abs().max());
        return maxes.length === 1 ? maxes[0]! : stack(maxes).max();
      }
      return stack(grads.map((g) => g.norm(normType))).norm(normType);
    });
    if (options.errorIfNonfinite) {
      const v = total.itemSync();
      if (!Number.isFinite(v)) {
        total.dispose();
        throw new RangeError(`clipGradNorm_: the total norm of order ${normType} of the gradients is ${v}, so it cannot be clipped; set errorIfNonfinite: false to scale by it anyway`);
      }
    }
    tidy(() => {
      const coef = clamp(div(maxNorm, add(total, 1e-6)), null, 1);
      for (const g of grads) g.assign(g.mul(coef));
    });
    return total;
  });
}

/** Clamps every gradient in place to [-clipValue, clipValue] (PyTorch's `clip_grad_value_`). */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const grads = gradsOf(parameters, "clipGradValue_");
  if (typeof clipValue !== "number" || Number.isNaN(clipValue)) throw new TypeError(`clipGradValue_: clipValue must be a number, got ${String(clipValue)}`);
  noGrad(() =>
    tidy(() => {
      for (const g of grads) g.assign(g.clamp(-clipValue, clipValue));
    }),
  );
}
