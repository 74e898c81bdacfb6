import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString, windowOutputLength } from "../../tensor/shape.js";
import * as ops from "../../ops/index.js";
import { recordAsOne } from "../../ops/trace-hook.js";
import { checkRank, constant, expandInts, geometry, type IntOrTuple } from "./window-utils.js";

export interface MaxPoolOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

export interface AvgPoolOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

interface PoolPlan {
  x: Tensor; // [N, C, H, W]
  batched: boolean;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  oh: number;
  ow: number;
  /** Extra rows/cols appended at the bottom/right so that ceil-mode windows exist. */
  extra: [number, number];
}

function plan(x: Tensor, kernelSize: IntOrTuple, stride: IntOrTuple | null | undefined, padding: IntOrTuple | undefined, dilation: IntOrTuple | undefined, ceilMode: boolean, op: string): PoolPlan {
  checkRank(x, [4, 3], op, "[N, C, H, W]");
  const batched = x.ndim === 4;
  const xb = batched ? x : ops.unsqueeze(x, 0);
  const kernel = expandInts(kernelSize, 2, op, "kernelSize") as [number, number];
  const s = expandInts(stride ?? kernelSize, 2, op, "stride") as [number, number];
  const p = expandInts(padding ?? 0, 2, op, "padding", 0) as [number, number];
  const d = expandInts(dilation ?? 1, 2, op, "dilation") as [number, number];
  p.forEach((pi, i) => {
    if (pi > Math.floor(kernel[i]! / 2)) throw new RangeError(`${op}: padding ${pi} should be at most half of the kernel size ${kernel[i]} (dim ${i})`);
  });
  const [H, W] = xb.shape.slice(2) as [number, number];
  const oh = windowOutputLength(H, kernel[0], p[0], s[0], d[0], ceilMode);
  const ow = windowOutputLength(W, kernel[1], p[1], s[1], d[1], ceilMode);
  if (oh <= 0 || ow <= 0) {
    throw new RangeError(`${op}: output size ${oh}x${ow} is too small for input of shape ${shapeToString(x.shape)} (kernel ${kernel.join("x")}, stride ${s.join("x")}, padding ${p.join("x")})`);
  }
  const need = (o: number, i: 0 | 1) => Math.max(0, (o - 1) * s[i] + d[i] * (kernel[i] - 1) + 1 - 2 * p[i] - (i === 0 ? H : W));
  return { x: xb, batched, kernel, stride: s, padding: p, dilation: d, oh, ow, extra: [need(oh, 0), need(ow, 1)] };
}

/** im2col windows as [N, C, kh*kw, oh*ow], out-of-range taps reading `padValue`. */
function windows(pl: PoolPlan, padValue: number): Tensor {
  const { x, extra } = pl;
  const [N, C] = x.shape as [number, number];
  const xin = extra[0] || extra[1] ? ops.pad(x, [0, 0, 0, 0], [0, 0, extra[0], extra[1]], padValue) : x;
  const cols = ops.im2col(xin, geometry(pl.kernel, pl.stride, pl.padding, pl.dilation), padValue);
  return ops.reshape(cols, [N, C, pl.kernel[0] * pl.kernel[1], pl.oh * pl.ow]);
}

/**
 * Max pooling over 2-D windows, as PyTorch's max_pool2d_with_indices and its backward: kernels
 * find each window's max (first of ties; a NaN is the max) and, for the gradient, add the output
 * gradient at the max's position. With `returnIndices`, returns [values, flat indices into H*W].
 */
export function maxPool2d(x: Tensor, kernelSize: IntOrTuple, options: MaxPoolOptions & { returnIndices: true }, op?: string): [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: IntOrTuple, options?: MaxPoolOptions, op?: string): Tensor;
export function maxPool2d(x: Tensor, kernelSize: IntOrTuple, options: MaxPoolOptions = {}, op = "maxPool2d"): Tensor | [Tensor, Tensor] {
  // A tracer (the ONNX exporter) sees one maxPool2d op, not the kernels below.
  if (!options.returnIndices) return recordAsOne("maxPool2d", [x], { kernelSize, options }, () => maxPool2dBody(x, kernelSize, options, op) as Tensor);
  return maxPool2dBody(x, kernelSize, options, op);
}

function maxPool2dBody(x: Tensor, kernelSize: IntOrTuple, options: MaxPoolOptions, op: string): Tensor | [Tensor, Tensor] {
  const pl = plan(x, kernelSize, options.stride, options.padding, options.dilation, options.ceilMode ?? false, op);
  const g = geometry(pl.kernel, pl.stride, pl.padding, pl.dilation);
  const unbatch = (t: Tensor): Tensor => (pl.batched ? t : ops.squeeze(t, 0));
  // Indices first: with returnIndices they are what an ONNX export stops at.
  const indices = options.returnIndices ? ops.maxPool2dIndices(pl.x, g, [pl.oh, pl.ow], op) : null;
  const result = unbatch(ops.maxPool2dValues(pl.x, g, [pl.oh, pl.ow], op));
  return indices ? [result, unbatch(indices)] : result;
}

/**
 * Average pooling over 2-D windows with PyTorch's divisor rules (countIncludePad, ceilMode
 * windows clipped at the padded border, divisorOverride).
 */
export function avgPool2d(x: Tensor, kernelSize: IntOrTuple, options: AvgPoolOptions = {}, op = "avgPool2d"): Tensor {
  // A tracer (the ONNX exporter) sees one avgPool2d op, not the im2col + mean below.
  return recordAsOne("avgPool2d", [x], { kernelSize, options }, () => avgPool2dBody(x, kernelSize, options, op));
}

function avgPool2dBody(x: Tensor, kernelSize: IntOrTuple, options: AvgPoolOptions, op: string): Tensor {
  const { countIncludePad = true, divisorOverride = null } = options;
  const pl = plan(x, kernelSize, options.stride, options.padding, 1, options.ceilMode ?? false, op);
  const [N, C, H, W] = pl.x.shape as [number, number, number, number];
  const sums = ops.reshape(ops.sum(windows(pl, 0), 2), [N, C, pl.oh, pl.ow]);
  let out: Tensor;
  if (divisorOverride) {
    out = ops.div(sums, divisorOverride);
  } else {
    const div = new Float64Array(pl.oh * pl.ow);
    const span = (o: number, i: 0 | 1, size: number): number => {
      const start = o * pl.stride[i] - pl.padding[i];
      const end = Math.min(start + pl.kernel[i], size + pl.padding[i]);
      return countIncludePad ? end - start : Math.min(end, size) - Math.max(start, 0);
    };
    for (let i = 0; i < pl.oh; i++) for (let j = 0; j < pl.ow; j++) div[i * pl.ow + j] = span(i, 0, H) * span(j, 1, W);
    const uniform = div.every((v) => v === div[0]);
    out = uniform ? ops.div(sums, div[0]!) : ops.div(sums, constant(div, [pl.oh, pl.ow], sums));
  }
  return pl.batched ? out : ops.squeeze(out, 0);
}

/**
 * [outSize, inSize] matrix averaging PyTorch's adaptive windows
 * [floor(i*in/out), ceil((i+1)*in/out)).
 */
function adaptiveMatrix(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = start; j < end; j++) m[i * inSize + j] = 1 / (end - start);
  }
  return m;
}

export type AdaptiveSize = number | readonly (number | null)[];

function adaptiveSize(outputSize: AdaptiveSize, input: readonly number[], n: number, op: string): number[] {
  const arr = typeof outputSize === "number" ? Array<number>(n).fill(outputSize) : [...outputSize];
  if (arr.length !== n) throw new RangeError(`${op}: outputSize must be a number or a list of ${n}, got ${JSON.stringify(outputSize)}`);
  return arr.map((s, i) => {
    const v = s ?? input[i]!;
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${op}: outputSize entries must be positive integers, got ${JSON.stringify(outputSize)}`);
    return v;
  });
}

/** Adaptive average pooling to `outputSize` (separable: two small matmuls with averaging matrices). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize, op = "adaptiveAvgPool2d"): Tensor {
  checkRank(x, [4, 3], op, "[N, C, H, W]");
  const [H, W] = x.shape.slice(-2) as [number, number];
  const [oh, ow] = adaptiveSize(outputSize, [H, W], 2, op) as [number, number];
  if (oh === 1 && ow === 1) return ops.mean(x, [-2, -1], true);
  if (H % oh === 0 && W % ow === 0) return avgPool2d(x, [H / oh, W / ow], {}, op);
  let y = oh === H ? x : ops.matmul(constant(adaptiveMatrix(H, oh), [oh, H], x), x);
  if (ow !== W) y = ops.matmul(y, ops.transpose(constant(adaptiveMatrix(W, ow), [ow, W], x), 0, 1));
  return y;
}

function as2d(x: Tensor, op: string): { x2: Tensor; batched: boolean } {
  checkRank(x, [3, 2], op, "[N, C, L]");
  const batched = x.ndim === 3;
  return { x2: ops.unsqueeze(batched ? x : ops.unsqueeze(x, 0), 2), batched };
}

function from2d(y: Tensor, batched: boolean): Tensor {
  const z = ops.squeeze(y, 2);
  return batched ? z : ops.squeeze(z, 0);
}

const single = (v: IntOrTuple, op: string, what: string, min: number): number => expandInts(v, 1, op, what, min)[0]!;

export function maxPool1d(x: Tensor, kernelSize: IntOrTuple, options: Omit<MaxPoolOptions, "returnIndices"> = {}, op = "maxPool1d"): Tensor {
  const { x2, batched } = as2d(x, op);
  const k = single(kernelSize, op, "kernelSize", 1);
  const out = maxPool2d(x2, [1, k], {
    stride: [1, single(options.stride ?? k, op, "stride", 1)],
    padding: [0, single(options.padding ?? 0, op, "padding", 0)],
    dilation: [1, single(options.dilation ?? 1, op, "dilation", 1)],
    ceilMode: options.ceilMode ?? false,
  }, op);
  return from2d(out, batched);
}

export function avgPool1d(x: Tensor, kernelSize: IntOrTuple, options: Omit<AvgPoolOptions, "divisorOverride"> = {}, op = "avgPool1d"): Tensor {
  const { x2, batched } = as2d(x, op);
  const k = single(kernelSize, op, "kernelSize", 1);
  const out = avgPool2d(x2, [1, k], {
    stride: [1, single(options.stride ?? k, op, "stride", 1)],
    padding: [0, single(options.padding ?? 0, op, "padding", 0)],
    ceilMode: options.ceilMode ?? false,
    countIncludePad: options.countIncludePad ?? true,
  }, op);
  return from2d(out, batched);
}

export function adaptiveAvgPool1d(x: Tensor, outputSize: number, op = "adaptiveAvgPool1d"): Tensor {
  const { x2, batched } = as2d(x, op);
  return from2d(adaptiveAvgPool2d(x2, [1, outputSize], op), batched);
}

/** Adaptive max pooling (one max per output cell; meant for small outputs). */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize, op = "adaptiveMaxPool2d"): Tensor {
  checkRank(x, [4, 3], op, "[N, C, H, W]");
  const [H, W] = x.shape.slice(-2) as [number, number];
  const [oh, ow] = adaptiveSize(outputSize, [H, W], 2, op) as [number, number];
  if (H % oh === 0 && W % ow === 0) return maxPool2d(x, [H / oh, W / ow], {}, op);
  const hd = x.ndim - 2;
  const rows: Tensor[] = [];
  for (let i = 0; i < oh; i++) {
    const h0 = Math.floor((i * H) / oh);
    const h1 = Math.ceil(((i + 1) * H) / oh);
    const cells: Tensor[] = [];
    for (let j = 0; j < ow; j++) {
      const w0 = Math.floor((j * W) / ow);
      const w1 = Math.ceil(((j + 1) * W) / ow);
      const win = ops.narrow(ops.narrow(x, hd, h0, h1 - h0), hd + 1, w0, w1 - w0);
      const flat = ops.flatten(win, hd);
      cells.push(ops.gather(flat, hd, ops.argmax(flat, hd, true)));
    }
    rows.push(ops.cat(cells, hd));
  }
  return ops.stack(rows, hd);
}
