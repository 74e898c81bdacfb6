import type { Tensor } from "../tensor/tensor.js";
import { isFloat } from "../tensor/dtype.js";
import { isRowMajor, normalizeDim, numel, shapeToString } from "../tensor/shape.js";
import { applyPrim } from "./dispatch.js";
import { cast, sub, div, mul, sqrt, log, exp, add, abs, pow, where, eq, lt, logicalAnd } from "./elementwise.js";
import { reshape } from "./movement.js";
import { BOOL_REDUCE_PIECE, reduceBoolInPieces } from "./bool-reduce-pieces.js";
import { isGradEnabled, noGrad } from "../autograd/grad-mode.js";

export type DimArg = number | readonly number[] | null | undefined;

/** Normalised, sorted, de-duplicated reduction axes (all axes when `dim` is omitted). */
export function reductionAxes(x: Tensor, dim: DimArg, op: string): number[] {
  if (dim === undefined || dim === null) return [...Array(x.ndim).keys()];
  const dims = typeof dim === "number" ? [dim] : [...dim];
  if (dims.length === 0) return [...Array(x.ndim).keys()];
  const axes = [...new Set(dims.map((d) => normalizeDim(d, x.ndim, op)))].sort((a, b) => a - b);
  if (x.ndim === 0) return [];
  return axes;
}

function keepShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reducePrim(prim: "sum" | "max" | "min", x: Tensor, dim: DimArg, keepdim: boolean): Tensor {
  const axes = reductionAxes(x, dim, prim);
  if ((prim === "max" || prim === "min") && axes.some((a) => x.shape[a] === 0)) {
    throw new RangeError(`${prim}: cannot reduce over a zero-size dimension of shape ${shapeToString(x.shape)}`);
  }
  if (axes.length === 0) return applyPrim("reshape", [x], { shape: x.shape });
  if (x.dtype === "bool" && x.size > BOOL_REDUCE_PIECE) {
    const out = reduceBoolInPieces(prim, x, axes);
    return keepdim ? reshape(out, keepShape(x.shape, axes)) : out;
  }
  const input = prim === "sum" && (x.dtype === "bool") ? cast(x, "int32") : x;
  const out = prim === "sum" ? sumInMemoryOrder(input, axes) : applyPrim(prim, [input], { axes });
  return keepdim ? reshape(out, keepShape(x.shape, axes)) : out;
}

/**
 * A sum over trailing dims and over dims before a kept one (a bias's gradient: [N, C, H, W]
 * over N, H and W) runs as two sums, the trailing dims first: each pass then reads memory in
 * order, where one pass per output would jump across the batch (several times slower on the
 * 12 MB activations of a small CNN).
 */
function sumInMemoryOrder(x: Tensor, axes: readonly number[]): Tensor {
  const n = x.ndim;
  let k = 0;
  while (k < axes.length && axes[axes.length - 1 - k] === n - 1 - k) k++;
  const inner = axes.slice(axes.length - k);
  const outer = axes.slice(0, axes.length - k);
  const innerSize = numel(inner.map((a) => x.shape[a]!));
  if (k === 0 || outer.length === 0 || innerSize < 64 || !isRowMajor(x.shape, x.strides)) return applyPrim("sum", [x], { axes });
  return applyPrim("sum", [applyPrim("sum", [x], { axes: inner })], { axes: outer });
}

export const sum = (x: Tensor, dim?: DimArg, keepdim = false): Tensor => reducePrim("sum", x, dim, keepdim);
export const amax = (x: Tensor, dim?: DimArg, keepdim = false): Tensor => reducePrim("max", x, dim, keepdim);
export const amin = (x: Tensor, dim?: DimArg, keepdim = false): Tensor => reducePrim("min", x, dim, keepdim);

export function mean(x: Tensor, dim?: DimArg, keepdim = false): Tensor {
  const axes = reductionAxes(x, dim, "mean");
  const count = numel(axes.map((a) => x.shape[a]!));
  const xf = isFloat(x.dtype) ? x : cast(x, "float32");
  return div(sum(xf, axes, keepdim), count);
}

export interface VarOptions {
  correction?: number;
  keepdim?: boolean;
}

/** Variance with Bessel's correction by default (`correction = 1`), as `torch.var`. */
export function variance(x: Tensor, dim?: DimArg, options: VarOptions = {}): Tensor {
  const { correction = 1, keepdim = false } = options;
  const axes = reductionAxes(x, dim, "var");
  const count = numel(axes.map((a) => x.shape[a]!));
  const centered = sub(x, mean(x, axes, true));
  return div(sum(mul(centered, centered), axes, keepdim), Math.max(0, count - correction));
}

export function std(x: Tensor, dim?: DimArg, options: VarOptions = {}): Tensor {
  return sqrt(variance(x, dim, options));
}

/** Product; differentiable only where no element is zero is not guaranteed, so it records no gradient. */
export function prod(x: Tensor, dim?: DimArg, keepdim = false): Tensor {
  if (x.requiresGrad && isGradEnabled()) {
    throw new Error(`prod: gradients of prod are not implemented (input of shape ${shapeToString(x.shape)} requires grad); use exp(sum(log(x))) for positive inputs`);
  }
  const axes = reductionAxes(x, dim, "prod");
  if (axes.length === 0) return reshape(x, x.shape);
  const out = applyPrim("prod", [x], { axes });
  return keepdim ? reshape(out, keepShape(x.shape, axes)) : out;
}

/** argmax/argmin answer int32 indices (neurite has no int64): an extent beyond int32 has positions they cannot name. */
function checkIndexable(op: string, extent: number, what: string): void {
  if (extent > 0x7fffffff) throw new RangeError(`${op}: ${what} has ${extent} elements, more than the int32 indices it returns can address (2147483647); reduce pieces of it (narrow)`);
}

function argReduce(op: "argmax" | "argmin", x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  x.assertAlive(op);
  if (dim === undefined) {
    if (x.size === 0) throw new RangeError(`${op}: empty tensor`);
    checkIndexable(op, x.size, `the flattened tensor of shape ${shapeToString(x.shape)}`);
    const out = applyPrim(op, [reshape(x, [x.size])], { axis: 0 });
    return keepdim ? reshape(out, x.shape.map(() => 1)) : out;
  }
  const axis = normalizeDim(dim, x.ndim, op);
  if (x.ndim === 0) return applyPrim(op, [reshape(x, [1])], { axis: 0 });
  if (x.shape[axis] === 0) throw new RangeError(`${op}: cannot reduce over a zero-size dim ${axis} of shape ${shapeToString(x.shape)}`);
  checkIndexable(op, x.shape[axis]!, `dim ${axis} of shape ${shapeToString(x.shape)}`);
  const out = applyPrim(op, [x], { axis });
  return keepdim ? reshape(out, keepShape(x.shape, [axis])) : out;
}

export const argmax = (x: Tensor, dim?: number, keepdim = false): Tensor => argReduce("argmax", x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number, keepdim = false): Tensor => argReduce("argmin", x, dim, keepdim);

/** log(sum(exp(x))) computed stably: the max is subtracted first (and detached). */
export function logsumexp(x: Tensor, dim: DimArg, keepdim = false): Tensor {
  const axes = reductionAxes(x, dim, "logsumexp");
  const safeM = stableShift(x, axes);
  const s = log(sum(exp(sub(x, safeM)), axes, true));
  const out = add(s, safeM);
  return keepdim ? out : reshape(out, x.shape.filter((_, i) => !axes.includes(i)));
}

/**
 * The max over `axes` (keepdim) to subtract before exp, for softmax/logsumexp stability. It
 * carries no gradient, so it is computed without recording (no dangling graph node), and
 * non-finite maxima become 0: a row that is entirely -inf would otherwise give
 * (-inf) - (-inf) = NaN.
 */
export function stableShift(x: Tensor, axes: number | readonly number[]): Tensor {
  return noGrad(() => {
    const m = amax(x, axes, true);
    return where(logicalAnd(eq(m, m), lt(abs(m), Infinity)), m, 0);
  });
}

export function norm(x: Tensor, p: number, dim?: DimArg, keepdim = false): Tensor {
  if (p === 2) return sqrt(sum(mul(x, x), dim, keepdim));
  if (p === 1) return sum(abs(x), dim, keepdim);
  if (p === Infinity) return amax(abs(x), dim, keepdim);
  return pow(sum(pow(abs(x), p), dim, keepdim), 1 / p);
}

