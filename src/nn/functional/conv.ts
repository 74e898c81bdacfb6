import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString } from "../../tensor/shape.js";
import * as ops from "../../ops/index.js";
import { windowOutputSize } from "../../tensor/shape.js";
import { recordAsOne } from "../../ops/trace-hook.js";
import { checkRank, expandInts, geometry, type IntOrTuple } from "./window-utils.js";

/** Convolution padding: per-dim amounts, or PyTorch's "same" / "valid" strings. */
export type ConvPadding = IntOrTuple | "same" | "valid";

export interface ConvOptions {
  stride?: IntOrTuple;
  padding?: ConvPadding;
  dilation?: IntOrTuple;
  groups?: number;
}

export interface ConvTransposeOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  groups?: number;
  dilation?: IntOrTuple;
}

/**
 * Resolves padding for `nd` spatial dims to symmetric amounts plus extra trailing padding
 * ("same" with an even effective kernel pads one more at the end, as PyTorch does).
 */
function resolvePadding(padding: ConvPadding, kernel: number[], dilation: number[], stride: number[], op: string): { sym: number[]; extra: number[] } {
  const nd = kernel.length;
  if (padding === "valid") return { sym: Array<number>(nd).fill(0), extra: Array<number>(nd).fill(0) };
  if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions (stride ${JSON.stringify(stride)})`);
    const total = kernel.map((k, i) => dilation[i]! * (k - 1));
    const sym = total.map((t) => Math.floor(t / 2));
    return { sym, extra: total.map((t, i) => t - 2 * sym[i]!) };
  }
  if (typeof padding === "string") throw new RangeError(`${op}: padding must be a number, a list, 'same' or 'valid', got '${padding as string}'`);
  return { sym: expandInts(padding, nd, op, "padding", 0), extra: Array<number>(nd).fill(0) };
}

function withBatch(x: Tensor, spatial: number, op: string, layout: string): { xb: Tensor; batched: boolean } {
  checkRank(x, [spatial + 2, spatial + 1], op, layout);
  const batched = x.ndim === spatial + 2;
  return { xb: batched ? x : ops.unsqueeze(x, 0), batched };
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): x [N, C, H, W] (or [C, H, W]), weight
 * [O, C/groups, kh, kw], bias [O]. Built as im2col + one (grouped) matmul.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvOptions = {}, op = "conv2d"): Tensor {
  // A tracer (the ONNX exporter) sees one conv2d op, not the im2col + matmul below.
  return recordAsOne("conv2d", bias ? [x, weight, bias] : [x, weight], { options }, () => conv2dBody(x, weight, bias, options, op));
}

function conv2dBody(x: Tensor, weight: Tensor, bias: Tensor | null, options: ConvOptions, op: string): Tensor {
  const { xb, batched } = withBatch(x, 2, op, "[N, C, H, W]");
  if (weight.ndim !== 4) throw new RangeError(`${op}: expected a 4-D weight [O, C/groups, kh, kw], got shape ${shapeToString(weight.shape)}`);
  const groups = options.groups ?? 1;
  const [O, Cg, kh, kw] = weight.shape as [number, number, number, number];
  const [N, C, H0, W0] = xb.shape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || O % groups !== 0) {
    throw new RangeError(`${op}: groups (${groups}) must be a positive integer dividing the ${O} output channels`);
  }
  if (C !== Cg * groups) {
    throw new RangeError(`${op}: expected input with ${Cg * groups} channels (weight ${shapeToString(weight.shape)}, groups ${groups}), got shape ${shapeToString(x.shape)}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) throw new RangeError(`${op}: expected bias of shape [${O}], got ${shapeToString(bias.shape)}`);
  const stride = expandInts(options.stride ?? 1, 2, op, "stride") as [number, number];
  const dilation = expandInts(options.dilation ?? 1, 2, op, "dilation") as [number, number];
  const { sym, extra } = resolvePadding(options.padding ?? 0, [kh, kw], dilation, stride, op);
  const xin = extra.some((e) => e > 0) ? ops.pad(xb, [0, 0, 0, 0], [0, 0, extra[0]!, extra[1]!]) : xb;
  const H = H0 + extra[0]!;
  const W = W0 + extra[1]!;
  const g = geometry([kh, kw], stride, sym as [number, number], dilation);
  const { oh, ow } = windowOutputSize(H, W, g);
  if (oh <= 0 || ow <= 0) {
    throw new RangeError(`${op}: kernel ${kh}x${kw} (dilation ${dilation.join("x")}, padding ${sym.join("x")}) is larger than the padded input of shape ${shapeToString(x.shape)}`);
  }
  const K = Cg * kh * kw;
  // Backends with a per-buffer limit (WebGPU) get the batch in chunks whose im2col fits.
  const limit = xb.backend.maxBufferBytes;
  const colBytes = 4 * K * groups * oh * ow;
  if (limit !== undefined && N > 1 && N * colBytes > limit) {
    const per = Math.max(1, Math.floor(limit / colBytes));
    const parts: Tensor[] = [];
    for (let start = 0; start < N; start += per) {
      parts.push(conv2d(ops.narrow(xb, 0, start, Math.min(per, N - start)), weight, bias, options, op));
    }
    const joined = ops.cat(parts, 0);
    return batched ? joined : ops.squeeze(joined, 0);
  }
  const pointwise = kh === 1 && kw === 1 && stride[0] === 1 && stride[1] === 1 && sym[0] === 0 && sym[1] === 0;
  if (groups === 1 && !pointwise) {
    // The convolution primitive saves x, not its columns, and adds the bias as it writes (see ops/convolution.ts).
    const out = ops.reshape(ops.convolution(xin, ops.reshape(weight, [O, K]), g, bias), [N, O, oh, ow]);
    return batched ? out : ops.squeeze(out, 0);
  }
  let out: Tensor;
  if (groups === 1) {
    out = ops.matmul(ops.reshape(weight, [O, K]), ops.reshape(xin, [N, C, H * W]));
  } else {
    const cols = pointwise ? ops.reshape(xin, [N, C, H * W]) : ops.im2col(xin, g, 0); // [N, C*kh*kw, L]
    const grouped = ops.matmul(ops.reshape(weight, [groups, O / groups, K]), ops.reshape(cols, [N, groups, K, oh * ow]));
    out = ops.reshape(grouped, [N, O, oh * ow]);
  }
  out = ops.reshape(out, [N, O, oh, ow]);
  if (bias) out = ops.add(out, ops.reshape(bias, [1, O, 1, 1]));
  return batched ? out : ops.squeeze(out, 0);
}

/** 1-D convolution: x [N, C, L] (or [C, L]), weight [O, C/groups, k]; runs as conv2d with H = 1. */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvOptions = {}, op = "conv1d"): Tensor {
  const { xb, batched } = withBatch(x, 1, op, "[N, C, L]");
  if (weight.ndim !== 3) throw new RangeError(`${op}: expected a 3-D weight [O, C/groups, k], got shape ${shapeToString(weight.shape)}`);
  const one = (v: IntOrTuple | undefined, what: string, min: number) => [1, expandInts(v ?? (min === 0 ? 0 : 1), 1, op, what, min)[0]!];
  const padding = options.padding === "same" || options.padding === "valid" ? options.padding : [0, expandInts(options.padding ?? 0, 1, op, "padding", 0)[0]!];
  const out = conv2d(ops.unsqueeze(xb, 2), ops.unsqueeze(weight, 2), bias, { stride: one(options.stride, "stride", 1), dilation: one(options.dilation, "dilation", 1), padding, groups: options.groups ?? 1 }, op);
  const y = ops.squeeze(out, 2);
  return batched ? y : ops.squeeze(y, 0);
}

/** Output size of a transposed convolution along one dim. */
export function convTransposeOutputSize(inSize: number, kernel: number, stride: number, padding: number, dilation: number, outputPadding: number): number {
  return (inSize - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;
}

/**
 * Transposed 2-D convolution (the adjoint of conv2d): x [N, Cin, H, W], weight
 * [Cin, Cout/groups, kh, kw]. Built as one (grouped) matmul to columns, then col2im.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvTransposeOptions = {}, op = "convTranspose2d"): Tensor {
  // A tracer (the ONNX exporter) sees one convTranspose2d op, not the matmul + col2im below.
  return recordAsOne("convTranspose2d", bias ? [x, weight, bias] : [x, weight], { options }, () => convTranspose2dBody(x, weight, bias, options, op));
}

function convTranspose2dBody(x: Tensor, weight: Tensor, bias: Tensor | null, options: ConvTransposeOptions, op: string): Tensor {
  const { xb, batched } = withBatch(x, 2, op, "[N, C, H, W]");
  if (weight.ndim !== 4) throw new RangeError(`${op}: expected a 4-D weight [Cin, Cout/groups, kh, kw], got shape ${shapeToString(weight.shape)}`);
  const groups = options.groups ?? 1;
  const [Cin, Cog, kh, kw] = weight.shape as [number, number, number, number];
  const [N, C, H, W] = xb.shape as [number, number, number, number];
  if (C !== Cin) throw new RangeError(`${op}: expected input with ${Cin} channels (weight ${shapeToString(weight.shape)}), got shape ${shapeToString(x.shape)}`);
  if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0) {
    throw new RangeError(`${op}: groups (${groups}) must be a positive integer dividing the ${Cin} input channels`);
  }
  const Cout = Cog * groups;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== Cout)) throw new RangeError(`${op}: expected bias of shape [${Cout}], got ${shapeToString(bias.shape)}`);
  const stride = expandInts(options.stride ?? 1, 2, op, "stride") as [number, number];
  const dilation = expandInts(options.dilation ?? 1, 2, op, "dilation") as [number, number];
  const padding = expandInts(options.padding ?? 0, 2, op, "padding", 0) as [number, number];
  const outPad = expandInts(options.outputPadding ?? 0, 2, op, "outputPadding", 0) as [number, number];
  outPad.forEach((p, i) => {
    if (p >= stride[i]! && p >= dilation[i]!) {
      throw new RangeError(`${op}: outputPadding ${p} must be smaller than either stride ${stride[i]} or dilation ${dilation[i]} (dim ${i})`);
    }
  });
  const Hout = convTransposeOutputSize(H, kh, stride[0], padding[0], dilation[0], outPad[0]);
  const Wout = convTransposeOutputSize(W, kw, stride[1], padding[1], dilation[1], outPad[1]);
  if (Hout <= 0 || Wout <= 0) throw new RangeError(`${op}: computed output size ${Hout}x${Wout} is not positive for input of shape ${shapeToString(x.shape)}`);
  const K = Cog * kh * kw;
  let cols: Tensor;
  if (groups === 1) {
    cols = ops.matmul(ops.transpose(ops.reshape(weight, [Cin, K]), 0, 1), ops.reshape(xb, [N, Cin, H * W]));
  } else {
    const wg = ops.transpose(ops.reshape(weight, [groups, Cin / groups, K]), 1, 2); // [g, K, Cin/g]
    cols = ops.reshape(ops.matmul(wg, ops.reshape(xb, [N, groups, Cin / groups, H * W])), [N, Cout * kh * kw, H * W]);
  }
  const g = geometry([kh, kw], stride, padding, dilation);
  const { oh, ow } = windowOutputSize(Hout, Wout, g);
  if (oh !== H || ow !== W) {
    // outputPadding >= stride (allowed when below dilation) adds windows that see no input.
    const grid = ops.pad(ops.reshape(cols, [N, Cout * kh * kw, H, W]), [0, 0, 0, 0], [0, 0, oh - H, ow - W]);
    cols = ops.reshape(grid, [N, Cout * kh * kw, oh * ow]);
  }
  let out = ops.col2im(cols, g, [N, Cout, Hout, Wout]);
  if (bias) out = ops.add(out, ops.reshape(bias, [1, Cout, 1, 1]));
  return batched ? out : ops.squeeze(out, 0);
}

/** Transposed 1-D convolution: x [N, Cin, L], weight [Cin, Cout/groups, k]. */
export function convTranspose1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: ConvTransposeOptions = {}, op = "convTranspose1d"): Tensor {
  const { xb, batched } = withBatch(x, 1, op, "[N, C, L]");
  if (weight.ndim !== 3) throw new RangeError(`${op}: expected a 3-D weight [Cin, Cout/groups, k], got shape ${shapeToString(weight.shape)}`);
  const one = (v: IntOrTuple | undefined, what: string, min: number, dflt: number) => [min === 0 ? 0 : 1, expandInts(v ?? dflt, 1, op, what, min)[0]!];
  const out = convTranspose2d(ops.unsqueeze(xb, 2), ops.unsqueeze(weight, 2), bias, {
    stride: one(options.stride, "stride", 1, 1),
    padding: one(options.padding, "padding", 0, 0),
    outputPadding: one(options.outputPadding, "outputPadding", 0, 0),
    dilation: one(options.dilation, "dilation", 1, 1),
    groups: options.groups ?? 1,
  }, op);
  const y = ops.squeeze(out, 2);
  return batched ? y : ops.squeeze(y, 0);
}
