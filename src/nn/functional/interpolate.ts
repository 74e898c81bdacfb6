import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString } from "../../tensor/shape.js";
import * as ops from "../../ops/index.js";
import { constant } from "./window-utils.js";
import { adaptiveAvgPool2d } from "./pooling.js";

export type InterpolateMode = "nearest" | "nearest-exact" | "linear" | "bilinear" | "bicubic" | "area";

export interface InterpolateOptions {
  size?: number | readonly number[] | null;
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}

/** PyTorch's area_pixel_compute_scale. */
function pixelScale(inSize: number, outSize: number, alignCorners: boolean, scale: number | null): number {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return scale !== null && scale > 0 ? 1 / scale : inSize / outSize;
}

/** PyTorch's area_pixel_compute_source_index. */
function sourceIndex(scale: number, dst: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return scale * dst;
  const src = scale * (dst + 0.5) - 0.5;
  return !cubic && src < 0 ? 0 : src;
}

/** Row-index map for nearest / nearest-exact along one dim. */
function nearestIndices(inSize: number, outSize: number, scale: number | null, exact: boolean): number[] {
  const s = Math.fround(scale !== null && scale > 0 ? 1 / scale : inSize / outSize);
  const idx: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const src = exact ? Math.floor(Math.fround((o + 0.5) * s)) : Math.floor(Math.fround(o * s));
    idx.push(Math.min(src, inSize - 1));
  }
  return idx;
}

function cubicWeights(t: number): [number, number, number, number] {
  const A = -0.75;
  const c1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)];
}

/** [outSize, inSize] interpolation matrix (linear or cubic) along one dim. */
function interpMatrix(inSize: number, outSize: number, alignCorners: boolean, scale: number | null, cubic: boolean): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const s = pixelScale(inSize, outSize, alignCorners, scale);
  for (let o = 0; o < outSize; o++) {
    const src = sourceIndex(s, o, alignCorners, cubic);
    if (cubic) {
      const i0 = Math.floor(src);
      const w = cubicWeights(src - i0);
      for (let k = 0; k < 4; k++) {
        const i = Math.min(Math.max(i0 - 1 + k, 0), inSize - 1);
        m[o * inSize + i] += w[k]!;
      }
    } else {
      const i0 = Math.floor(src);
      const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
      const l1 = src - i0;
      m[o * inSize + i0] += 1 - l1;
      m[o * inSize + i1] += l1;
    }
  }
  return m;
}

/**
 * Resizes the spatial dims of x [N, C, W] or [N, C, H, W] to `size` or by `scaleFactor`, with
 * PyTorch's index conventions for each mode. Linear modes are separable matrix products, so
 * gradients come from matmul.
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}, op = "interpolate"): Tensor {
  const { size = null, scaleFactor = null, mode = "nearest", recomputeScaleFactor = null } = options;
  const nd = x.ndim - 2;
  if (nd < 1 || nd > 2) throw new RangeError(`${op}: expected a 3-D [N, C, W] or 4-D [N, C, H, W] input, got shape ${shapeToString(x.shape)}`);
  const linearish = mode === "linear" || mode === "bilinear" || mode === "bicubic";
  if (options.alignCorners !== undefined && options.alignCorners !== null && !linearish) {
    throw new RangeError(`${op}: alignCorners can only be set with mode 'linear', 'bilinear' or 'bicubic' (got mode '${mode}')`);
  }
  if ((mode === "linear" && nd !== 1) || ((mode === "bilinear" || mode === "bicubic") && nd !== 2)) {
    throw new RangeError(`${op}: mode '${mode}' expects a ${mode === "linear" ? "3" : "4"}-D input, got shape ${shapeToString(x.shape)}`);
  }
  const alignCorners = options.alignCorners ?? false;
  const inSizes = x.shape.slice(2);
  if ((size === null) === (scaleFactor === null)) throw new RangeError(`${op}: exactly one of size or scaleFactor must be given`);
  let outSizes: number[];
  let scales: (number | null)[] = inSizes.map(() => null);
  if (size !== null) {
    outSizes = typeof size === "number" ? inSizes.map(() => size) : [...size];
  } else {
    const sf = typeof scaleFactor === "number" ? inSizes.map(() => scaleFactor) : [...scaleFactor!];
    if (sf.length !== nd) throw new RangeError(`${op}: scaleFactor must have ${nd} entries for input of shape ${shapeToString(x.shape)}`);
    outSizes = inSizes.map((s, i) => Math.floor(s * sf[i]!));
    if (!recomputeScaleFactor) scales = sf;
  }
  if (outSizes.length !== nd || outSizes.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new RangeError(`${op}: output size ${JSON.stringify(outSizes)} is invalid for input of shape ${shapeToString(x.shape)}`);
  }
  if (mode === "area") {
    if (nd === 1) return ops.squeeze(adaptiveAvgPool2d(ops.unsqueeze(x, 2), [1, outSizes[0]!], op), 2);
    return adaptiveAvgPool2d(x, outSizes, op);
  }
  let y = x;
  if (mode === "nearest" || mode === "nearest-exact") {
    for (let i = 0; i < nd; i++) {
      if (outSizes[i] === inSizes[i] && scales[i] === null) continue;
      y = ops.indexSelect(y, 2 + i, nearestIndices(inSizes[i]!, outSizes[i]!, scales[i]!, mode === "nearest-exact"));
    }
    return y;
  }
  if (!linearish) throw new RangeError(`${op}: unknown mode '${mode as string}' (expected nearest, nearest-exact, linear, bilinear, bicubic or area)`);
  const cubic = mode === "bicubic";
  // Last dim: y @ Mwᵀ; then (for 2-D) the H dim: Mh @ y.
  const W = inSizes[nd - 1]!;
  const ow = outSizes[nd - 1]!;
  y = ops.matmul(y, ops.transpose(constant(interpMatrix(W, ow, alignCorners, scales[nd - 1]!, cubic), [ow, W], x), 0, 1));
  if (nd === 2) {
    const H = inSizes[0]!;
    const oh = outSizes[0]!;
    y = ops.matmul(constant(interpMatrix(H, oh, alignCorners, scales[0]!, cubic), [oh, H], x), y);
  }
  return y;
}
