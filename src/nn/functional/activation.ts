import type { Tensor } from "../../tensor/tensor.js";
import * as ops from "../../ops/index.js";
import { rand } from "../../ops/creation.js";
import { defaultGenerator, type Generator } from "../../tensor/random.js";

export const relu = (x: Tensor): Tensor => ops.relu(x);
export const gelu = (x: Tensor, options: { approximate?: "none" | "tanh" } = {}): Tensor => ops.gelu(x, options.approximate ?? "none");
export const silu = (x: Tensor): Tensor => ops.silu(x);
export const sigmoid = (x: Tensor): Tensor => ops.sigmoid(x);
export const tanh = (x: Tensor): Tensor => ops.tanh(x);
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => ops.leakyRelu(x, negativeSlope);
export const softmax = (x: Tensor, dim: number): Tensor => ops.softmax(x, dim);
export const logSoftmax = (x: Tensor, dim: number): Tensor => ops.logSoftmax(x, dim);
export const elu = (x: Tensor, alpha = 1): Tensor => ops.where(ops.gt(x, 0), x, ops.mul(ops.sub(ops.exp(x), 1), alpha));
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => {
  // log(1 + exp(beta x)) / beta, linear above the threshold for stability (as PyTorch).
  const bx = ops.mul(x, beta);
  const soft = ops.div(ops.add(ops.log1p(ops.exp(ops.neg(ops.abs(bx)))), ops.relu(bx)), beta);
  return ops.where(ops.gt(bx, threshold), x, soft);
};
export const mish = (x: Tensor): Tensor => ops.mul(x, ops.tanh(softplus(x)));
export const hardswish = (x: Tensor): Tensor => ops.hardswish(x);
export const hardtanh = (x: Tensor, min = -1, max = 1): Tensor => ops.clamp(x, min, max);

export interface DropoutOptions {
  p?: number;
  training?: boolean;
  generator?: Generator;
}

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). */
export function dropout(x: Tensor, options: DropoutOptions = {}): Tensor {
  const { p = 0.5, training = true, generator = defaultGenerator } = options;
  if (p < 0 || p > 1) throw new RangeError(`dropout: probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return ops.mul(x, 0);
  const u = rand(x.shape, { device: x.device, generator, dtype: x.dtype === "float64" ? "float64" : "float32" });
  const keep = ops.cast(ops.ge(u, p), x.dtype);
  return ops.mul(x, ops.mul(keep, 1 / (1 - p)));
}
