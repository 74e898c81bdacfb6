import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString } from "../../tensor/shape.js";
import * as ops from "../../ops/index.js";
import { noGrad } from "../../autograd/grad-mode.js";

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  /** A number, or a 0-d tensor (BatchNorm's cumulative average passes 1 / batches seen). */
  momentum?: number | Tensor;
  eps?: number;
}

/** Shape [1, C, 1, ...] for broadcasting per-channel values against x. */
const channelShape = (x: Tensor): number[] => x.shape.map((d, i) => (i === 1 ? d : 1));

/**
 * Batch normalisation over all dims but 1 (channels). In training, normalises with the biased
 * batch variance and, when running stats are given, updates them in place with the unbiased
 * one: running = (1 - momentum) * running + momentum * batch (as PyTorch's F.batch_norm).
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}, op = "batchNorm"): Tensor {
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 } = options;
  if (x.ndim < 2) throw new RangeError(`${op}: expected an input with at least 2 dims [N, C, ...], got shape ${shapeToString(x.shape)}`);
  const C = x.shape[1]!;
  for (const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar], ["weight", weight], ["bias", bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== C)) throw new RangeError(`${op}: expected ${name} of shape [${C}] for input of shape ${shapeToString(x.shape)}, got ${shapeToString(t.shape)}`);
  }
  const cs = channelShape(x);
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let y: Tensor;
  if (training || !runningMean || !runningVar) {
    const n = x.size / C;
    if (training && n <= 1) throw new RangeError(`${op}: expected more than 1 value per channel when training, got input of shape ${shapeToString(x.shape)}`);
    const mean = ops.mean(x, axes, true);
    const centered = ops.sub(x, mean);
    const v = ops.mean(ops.mul(centered, centered), axes, true);
    y = ops.mul(centered, ops.rsqrt(ops.add(v, eps)));
    if (training && runningMean && runningVar) {
      noGrad(() => {
        const m = ops.reshape(mean, [C]);
        const unbiased = ops.mul(ops.reshape(v, [C]), n / (n - 1));
        const keep = typeof momentum === "number" ? 1 - momentum : ops.rsub(1, momentum);
        updateInPlace(runningMean, ops.add(ops.mul(runningMean, keep), ops.mul(m, momentum)));
        updateInPlace(runningVar, ops.add(ops.mul(runningVar, keep), ops.mul(unbiased, momentum)));
      });
    }
  } else {
    // Eval: fold the statistics into one scale and shift per channel.
    let scale = ops.rsqrt(ops.add(runningVar, eps));
    if (weight) scale = ops.mul(scale, weight);
    let shift = ops.neg(ops.mul(runningMean, scale));
    if (bias) shift = ops.add(shift, bias);
    return ops.add(ops.mul(x, ops.reshape(scale, cs)), ops.reshape(shift, cs));
  }
  if (weight) y = ops.mul(y, ops.reshape(weight, cs));
  if (bias) y = ops.add(y, ops.reshape(bias, cs));
  return y;
}

/** Replaces `target`'s values by `value` (same shape) and frees `value`. */
export function updateInPlace(target: Tensor, value: Tensor): void {
  const v = value.dtype === target.dtype ? value : ops.cast(value, target.dtype);
  target.assign(ops.contiguous(v));
  if (v !== value) v.dispose();
  value.dispose();
}

/** Layer normalisation over the trailing dims `normalizedShape` (biased variance). */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5, op = "layerNorm"): Tensor {
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const k = shape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (x.ndim < k || tail.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${op}: expected input with trailing shape ${shapeToString(shape)}, got shape ${shapeToString(x.shape)}`);
  }
  const axes = shape.map((_, i) => x.ndim - k + i);
  const mean = ops.mean(x, axes, true);
  const centered = ops.sub(x, mean);
  const v = ops.mean(ops.mul(centered, centered), axes, true);
  let y = ops.mul(centered, ops.rsqrt(ops.add(v, eps)));
  if (weight) y = ops.mul(y, weight);
  if (bias) y = ops.add(y, bias);
  return y;
}

/** Group normalisation: channels split into `numGroups` groups, each normalised over its channels and positions. */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5, op = "groupNorm"): Tensor {
  if (x.ndim < 2) throw new RangeError(`${op}: expected an input with at least 2 dims [N, C, ...], got shape ${shapeToString(x.shape)}`);
  const [N, C] = x.shape as [number, number];
  if (C % numGroups !== 0) throw new RangeError(`${op}: expected a channel count divisible by ${numGroups} groups, got shape ${shapeToString(x.shape)}`);
  const g = ops.reshape(x, [N, numGroups, -1]);
  const mean = ops.mean(g, 2, true);
  const centered = ops.sub(g, mean);
  const v = ops.mean(ops.mul(centered, centered), 2, true);
  let y = ops.reshape(ops.mul(centered, ops.rsqrt(ops.add(v, eps))), x.shape);
  const cs = channelShape(x);
  if (weight) y = ops.mul(y, ops.reshape(weight, cs));
  if (bias) y = ops.add(y, ops.reshape(bias, cs));
  return y;
}

/** Instance normalisation: each (sample, channel) normalised over its positions. */
export function instanceNorm(x: Tensor, options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {}, op = "instanceNorm"): Tensor {
  const { weight = null, bias = null, eps = 1e-5 } = options;
  if (x.ndim < 3) throw new RangeError(`${op}: expected an input with at least 3 dims [N, C, ...], got shape ${shapeToString(x.shape)}`);
  const axes = x.shape.map((_, i) => i).slice(2);
  const mean = ops.mean(x, axes, true);
  const centered = ops.sub(x, mean);
  const v = ops.mean(ops.mul(centered, centered), axes, true);
  let y = ops.mul(centered, ops.rsqrt(ops.add(v, eps)));
  const cs = channelShape(x);
  if (weight) y = ops.mul(y, ops.reshape(weight, cs));
  if (bias) y = ops.add(y, ops.reshape(bias, cs));
  return y;
}
