import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString, shapesEqual } from "../../tensor/shape.js";
import { isFloat } from "../../tensor/dtype.js";
import * as ops from "../../ops/index.js";

export type Reduction = "mean" | "sum" | "none";

function reduce(loss: Tensor, reduction: Reduction, op: string): Tensor {
  switch (reduction) {
    case "mean":
      return ops.mean(loss);
    case "sum":
      return ops.sum(loss);
    case "none":
      return loss;
    default:
      throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${reduction as string}'`);
  }
}

function checkSameShape(input: Tensor, target: Tensor, op: string): void {
  if (!shapesEqual(input.shape, target.shape)) {
    throw new RangeError(`${op}: input shape ${shapeToString(input.shape)} and target shape ${shapeToString(target.shape)} must match`);
  }
}

/** Moves the class dim (1) last and flattens: [N, C, d1..] -> [N*d1*.., C]; targets alike. */
function flattenClassDim(input: Tensor, target: Tensor | null, op: string): { logits: Tensor; target: Tensor | null; spatial: number[] } {
  if (input.ndim === 1) return { logits: ops.unsqueeze(input, 0), target: target && target.ndim === 0 ? ops.unsqueeze(target, 0) : target, spatial: [] };
  if (input.ndim === 2) return { logits: input, target, spatial: [input.shape[0]!] };
  const c = input.shape[1]!;
  const perm = [0, ...[...Array(input.ndim - 2).keys()].map((i) => i + 2), 1];
  const logits = ops.reshape(ops.permute(input, perm), [-1, c]);
  const spatial = [input.shape[0]!, ...input.shape.slice(2)];
  if (target && target.ndim === input.ndim) {
    // Probability targets have the class dim too.
    return { logits, target: ops.reshape(ops.permute(target, perm), [-1, c]), spatial };
  }
  void op;
  return { logits, target: target ? ops.reshape(target, [-1]) : null, spatial };
}

export interface NllOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/**
 * Picks -w[y]·logp[y] per sample, with ignored samples contributing 0 (and no weight). `w` is null
 * when every sample counts with weight 1 (no class weights, no ignored target): the mask, its
 * product and its sum are then skipped, which changes no value (x·1 is x, and Σ1 is n exactly).
 */
function pickedLoss(logp: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number, op: string): { loss: Tensor; w: Tensor | null } {
  const [n, c] = logp.shape as [number, number];
  if (target.dtype !== "int32") throw new TypeError(`${op}: class-index targets must be int32, got ${target.dtype} (use float probability targets of the input's shape instead)`);
  if (target.ndim !== 1 || target.shape[0] !== n) {
    throw new RangeError(`${op}: target of shape ${shapeToString(target.shape)} does not match input with ${n} samples`);
  }
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== c)) {
    throw new RangeError(`${op}: weight of shape ${shapeToString(weight.shape)} must be 1-D with ${c} entries (one per class)`);
  }
  let anyIgnored = true;
  if (target.backend.canReadSync) {
    const t = target.dataSync();
    anyIgnored = false;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === ignoreIndex) anyIgnored = true;
      else if (t[i]! < 0 || t[i]! >= c) throw new RangeError(`${op}: target ${t[i]} is out of bounds for ${c} classes (sample ${i})`);
    }
  }
  if (!anyIgnored && !weight) return { loss: ops.neg(ops.reshape(ops.gather(logp, 1, ops.unsqueeze(target, 1)), [n])), w: null };
  const valid = ops.ne(target, ignoreIndex);
  const safeTarget = ops.where(valid, target, 0);
  const picked = ops.reshape(ops.gather(logp, 1, ops.unsqueeze(safeTarget, 1)), [n]);
  let w = ops.cast(valid, logp.dtype);
  if (weight) w = ops.mul(w, ops.indexSelect(weight, 0, safeTarget));
  return { loss: ops.neg(ops.mul(picked, w)), w };
}

/** Negative log-likelihood of log-probabilities [N, C] (or [N, C, d1..]) given class indices. */
export function nllLoss(input: Tensor, target: Tensor, options: NllOptions = {}): Tensor {
  const { weight = null, ignoreIndex = -100, reduction = "mean" } = options;
  const { logits, target: t, spatial } = flattenClassDim(input, target, "nllLoss");
  const { loss, w } = pickedLoss(logits, t!, weight, ignoreIndex, "nllLoss");
  if (reduction === "mean") return ops.div(ops.sum(loss), w ? ops.sum(w) : loss.shape[0]!);
  if (reduction === "none") return spatial.length ? ops.reshape(loss, spatial) : ops.reshape(loss, []);
  return reduce(loss, reduction, "nllLoss");
}

export interface CrossEntropyOptions extends NllOptions {
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N, C] (or [N, C, d1..] / [C]) against class indices (int32) or class
 * probabilities (float, same shape as the input), with PyTorch's weight, ignoreIndex,
 * labelSmoothing and reduction semantics. Uses a stable log-softmax, so logits near ±1000
 * are fine.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { weight = null, ignoreIndex = -100, reduction = "mean", labelSmoothing = 0 } = options;
  if (!isFloat(input.dtype)) throw new TypeError(`crossEntropy: input must be floating point (logits), got ${input.dtype}`);
  if (labelSmoothing < 0 || labelSmoothing > 1) throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  if (input.ndim === 0) throw new RangeError("crossEntropy: input must have at least 1 dim (classes)");
  const probTargets = isFloat(target.dtype);
  if (probTargets) checkSameShape(input, target, "crossEntropy");
  else if (input.ndim >= 2 && (target.ndim !== input.ndim - 1 || target.shape[0] !== input.shape[0] || !shapesEqual(target.shape.slice(1), input.shape.slice(2)))) {
    throw new RangeError(`crossEntropy: expected target of shape ${shapeToString([input.shape[0]!, ...input.shape.slice(2)])} for input of shape ${shapeToString(input.shape)}, got ${shapeToString(target.shape)}`);
  }
  const { logits, target: t, spatial } = flattenClassDim(input, target, "crossEntropy");
  const c = logits.shape[1]!;
  const logp = ops.logSoftmax(logits, 1);
  const finish = (perSample: Tensor) => (spatial.length ? ops.reshape(perSample, spatial) : ops.reshape(perSample, []));

  if (probTargets) {
    let probs = t!;
    if (labelSmoothing > 0) probs = ops.add(ops.mul(probs, 1 - labelSmoothing), labelSmoothing / c);
    let terms = ops.mul(logp, probs);
    if (weight) terms = ops.mul(terms, weight);
    const perSample = ops.neg(ops.sum(terms, 1));
    if (reduction === "mean") return ops.div(ops.sum(perSample), logits.shape[0]!);
    return reduction === "none" ? finish(perSample) : reduce(perSample, reduction, "crossEntropy");
  }

  const { loss: nll, w } = pickedLoss(logp, t!, weight, ignoreIndex, "crossEntropy");
  let nllReduced: Tensor;
  if (reduction === "mean") nllReduced = ops.div(ops.sum(nll), w ? ops.sum(w) : nll.shape[0]!);
  else if (reduction === "sum") nllReduced = ops.sum(nll);
  else nllReduced = nll;
  if (labelSmoothing === 0) return reduction === "none" ? finish(nllReduced) : nllReduced;

  // PyTorch: (1-ε)·nll + ε/C · smooth, smooth = -Σ_c w_c·logp_c (0 for ignored samples).
  const valid = ops.cast(ops.ne(t!, ignoreIndex), logp.dtype);
  let smoothTerms = logp;
  if (weight) smoothTerms = ops.mul(smoothTerms, weight);
  const smooth = ops.mul(ops.neg(ops.sum(smoothTerms, 1)), valid);
  let smoothReduced: Tensor;
  if (reduction === "mean") smoothReduced = ops.div(ops.sum(smooth), weight ? ops.sum(w!) : ops.sum(valid));
  else if (reduction === "sum") smoothReduced = ops.sum(smooth);
  else smoothReduced = smooth;
  const out = ops.add(ops.mul(nllReduced, 1 - labelSmoothing), ops.mul(smoothReduced, labelSmoothing / c));
  return reduction === "none" ? finish(out) : out;
}

export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkSameShape(input, target, "mseLoss");
  const d = ops.sub(input, target);
  return reduce(ops.mul(d, d), options.reduction ?? "mean", "mseLoss");
}

export function l1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  checkSameShape(input, target, "l1Loss");
  return reduce(ops.abs(ops.sub(input, target)), options.reduction ?? "mean", "l1Loss");
}

export function smoothL1Loss(input: Tensor, target: Tensor, options: { reduction?: Reduction; beta?: number } = {}): Tensor {
  checkSameShape(input, target, "smoothL1Loss");
  const beta = options.beta ?? 1;
  const d = ops.abs(ops.sub(input, target));
  const quad = ops.div(ops.mul(ops.mul(d, d), 0.5), beta);
  const lin = ops.sub(d, 0.5 * beta);
  return reduce(ops.where(ops.lt(d, beta), quad, lin), options.reduction ?? "mean", "smoothL1Loss");
}

export function huberLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction; delta?: number } = {}): Tensor {
  const delta = options.delta ?? 1;
  return ops.mul(smoothL1Loss(input, target, { reduction: options.reduction ?? "mean", beta: delta }), delta);
}

/** Binary cross-entropy on probabilities; logs are clamped at -100 as in PyTorch. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: { weight?: Tensor | null; reduction?: Reduction } = {}): Tensor {
  checkSameShape(input, target, "binaryCrossEntropy");
  const logP = ops.clamp(ops.log(input), -100);
  const log1mP = ops.clamp(ops.log(ops.rsub(1, input)), -100);
  let loss = ops.neg(ops.add(ops.mul(target, logP), ops.mul(ops.rsub(1, target), log1mP)));
  if (options.weight) loss = ops.mul(loss, options.weight);
  return reduce(loss, options.reduction ?? "mean", "binaryCrossEntropy");
}

/** Numerically stable BCE on logits: (1-t)·x + (1+(pw-1)·t)·(log(1+e^{-|x|}) + max(-x, 0)). */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {},
): Tensor {
  checkSameShape(input, target, "binaryCrossEntropyWithLogits");
  const softplusNeg = ops.add(ops.log(ops.add(ops.exp(ops.neg(ops.abs(input))), 1)), ops.relu(ops.neg(input)));
  const coef = options.posWeight ? ops.add(ops.mul(ops.sub(options.posWeight, 1), target), 1) : null;
  let loss = ops.add(ops.mul(ops.rsub(1, target), input), coef ? ops.mul(coef, softplusNeg) : softplusNeg);
  if (options.weight) loss = ops.mul(loss, options.weight);
  return reduce(loss, options.reduction ?? "mean", "binaryCrossEntropyWithLogits");
}

/** KL divergence with log-probability input (PyTorch's kl_div, reduction 'batchmean' supported). */
export function klDiv(input: Tensor, target: Tensor, options: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {}): Tensor {
  const { reduction = "mean", logTarget = false } = options;
  const loss = logTarget
    ? ops.mul(ops.exp(target), ops.sub(target, input))
    : ops.where(ops.gt(target, 0), ops.mul(target, ops.sub(ops.log(ops.where(ops.gt(target, 0), target, 1)), input)), 0);
  if (reduction === "batchmean") return ops.div(ops.sum(loss), input.shape[0] ?? 1);
  return reduce(loss, reduction, "klDiv");
}
