import type { Tensor } from "../tensor/tensor.js";
import { normalizeDim } from "../tensor/shape.js";
import { add, clamp, erf, mul, sigmoid, sub, tanh, exp, div, rsub, log } from "./elementwise.js";
import { amax, sum } from "./reduce.js";
import { noGrad } from "../autograd/grad-mode.js";
import { recordAsOne } from "./trace-hook.js";

/**
 * The max along `dim` (no gradient), subtracted before exp for stability. As in PyTorch it is not
 * made safe: a row that is all -inf, or holds +inf or NaN, gives NaN (logsumexp differs).
 */
const maxShift = (x: Tensor, d: number): Tensor => noGrad(() => amax(x, d, true));

/** Softmax along `dim`, shifted by the max for stability. */
export function softmax(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.ndim, "softmax");
  return recordAsOne("softmax", [x], { dim: d }, () => {
    const e = exp(sub(x, maxShift(x, d)));
    return div(e, sum(e, d, true));
  });
}

/** (x - max) - log(sum(exp(x - max))): subtracting the max first keeps float32 precision. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.ndim, "logSoftmax");
  return recordAsOne("logSoftmax", [x], { dim: d }, () => {
    const shifted = sub(x, maxShift(x, d));
    return sub(shifted, log(sum(exp(shifted), d, true)));
  });
}

/** GELU: exact (erf) by default, or the tanh approximation. */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (approximate === "tanh") {
    const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  }
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  // x if x > 0 else slope * x, written so the gradient at 0 is the slope (as PyTorch).
  const pos = x.gt(0).astype(x.dtype);
  return mul(x, add(pos, mul(rsub(1, pos), negativeSlope)));
}

/** log(x / (1 - x)); with `eps`, x is first clamped to [eps, 1 - eps] (no gradient outside). */
export function logit(x: Tensor, eps?: number | null): Tensor {
  const z = eps === undefined || eps === null ? x : clamp(x, eps, 1 - eps);
  return log(div(z, rsub(1, z)));
}
