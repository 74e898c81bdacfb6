import type { DType, View, WindowGeometry } from "../backend/backend.js";
import { Storage } from "../memory/storage.js";
import { Tensor } from "../tensor/tensor.js";
import { contiguousStrides, numel, shapeToString, viewStrides } from "../tensor/shape.js";

/**
 * The primitive set. Movement prims (reshape, permute, expand, slice) only make new views;
 * the others run a backend kernel. Every composite op in neurite is built from these, so each
 * has exactly one forward implementation here and one gradient rule in `grad-rules.ts`.
 */
export interface PrimParams {
  // movement (views, no kernel)
  reshape: { shape: readonly number[] };
  permute: { dims: readonly number[] };
  expand: { shape: readonly number[] };
  slice: { starts: readonly number[]; ends: readonly number[] };
  // copies
  contiguous: Record<string, never>;
  cast: { dtype: DType };
  // unary
  neg: Record<string, never>;
  exp: Record<string, never>;
  log: Record<string, never>;
  sqrt: Record<string, never>;
  rsqrt: Record<string, never>;
  abs: Record<string, never>;
  sin: Record<string, never>;
  cos: Record<string, never>;
  tanh: Record<string, never>;
  sigmoid: Record<string, never>;
  erf: Record<string, never>;
  relu: Record<string, never>;
  reciprocal: Record<string, never>;
  // binary (inputs already broadcast to the output shape)
  add: Record<string, never>;
  sub: Record<string, never>;
  mul: Record<string, never>;
  div: Record<string, never>;
  pow: Record<string, never>;
  maximum: Record<string, never>;
  minimum: Record<string, never>;
  // ternary
  where: Record<string, never>;
  // reductions (output drops `axes`)
  sum: { axes: readonly number[] };
  max: { axes: readonly number[] };
  min: { axes: readonly number[] };
  // routines
  matmul: Record<string, never>;
  gather: { dim: number };
  scatterAdd: { dim: number; shape: readonly number[] };
  indexSelect: { dim: number };
  indexAdd: { dim: number; shape: readonly number[] };
  cat: { dim: number };
  pad: { before: readonly number[]; after: readonly number[]; value: number };
  im2col: { geometry: WindowGeometry; padValue: number };
  col2im: { geometry: WindowGeometry; shape: readonly [number, number, number, number] };
}

export type Prim = keyof PrimParams;

export const UNARY_PRIMS = ["neg", "exp", "log", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "sigmoid", "erf", "relu", "reciprocal"] as const;
export const BINARY_PRIMS = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"] as const;
export type UnaryPrim = (typeof UNARY_PRIMS)[number];
export type BinaryPrim = (typeof BINARY_PRIMS)[number];

/** A new handle on `t`'s storage with different view metadata. */
export function makeView(t: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(t.storage.retain(), shape, strides, offset, t.dtype);
}

/** Wraps a fresh contiguous backend buffer. */
export function fromBuffer(like: Tensor, buf: ReturnType<Tensor["backend"]["alloc"]>, shape: readonly number[]): Tensor {
  if (buf.size !== numel(shape)) throw new Error(`internal: kernel returned ${buf.size} elements for shape ${shapeToString(shape)}`);
  return new Tensor(new Storage(like.backend, buf), shape, contiguousStrides(shape), 0, buf.dtype);
}

type Forward<P extends Prim> = (inputs: readonly Tensor[], params: PrimParams[P]) => Tensor;

const unary =
  (op: UnaryPrim): Forward<UnaryPrim> =>
  ([x]) =>
    fromBuffer(x!, x!.backend.unary(op, x!), x!.shape);

const binary =
  (op: BinaryPrim): Forward<BinaryPrim> =>
  ([a, b]) =>
    fromBuffer(a!, a!.backend.binary(op, a!, b!, a!.dtype), a!.shape);

const reduce =
  (op: "sum" | "max" | "min"): Forward<"sum" | "max" | "min"> =>
  ([x], { axes }) =>
    fromBuffer(x!, x!.backend.reduce(op, x!, axes), x!.shape.filter((_, i) => !axes.includes(i)));

export const forwardImpls: { [P in Prim]: Forward<P> } = {
  reshape: ([x], { shape }) => {
    const strides = x!.ndim === 0 ? contiguousStrides(shape) : viewStrides(x!.shape, x!.strides, shape);
    if (strides) return makeView(x!, shape, strides, x!.offset);
    const copy = fromBuffer(x!, x!.backend.contiguous(x!), x!.shape);
    const out = makeView(copy, shape, contiguousStrides(shape), 0);
    copy.dispose();
    return out;
  },
  permute: ([x], { dims }) =>
    makeView(
      x!,
      dims.map((d) => x!.shape[d]!),
      dims.map((d) => x!.strides[d]!),
      x!.offset,
    ),
  expand: ([x], { shape }) =>
    makeView(
      x!,
      shape,
      shape.map((d, i) => (x!.shape[i] === d ? x!.strides[i]! : 0)),
      x!.offset,
    ),
  slice: ([x], { starts, ends }) =>
    makeView(
      x!,
      starts.map((s, i) => ends[i]! - s),
      x!.strides,
      x!.offset + starts.reduce((acc, s, i) => acc + s * x!.strides[i]!, 0),
    ),
  contiguous: ([x]) => fromBuffer(x!, x!.backend.contiguous(x!), x!.shape),
  cast: ([x], { dtype }) => fromBuffer(x!, x!.backend.cast(x!, dtype), x!.shape),
  neg: unary("neg"),
  exp: unary("exp"),
  log: unary("log"),
  sqrt: unary("sqrt"),
  rsqrt: unary("rsqrt"),
  abs: unary("abs"),
  sin: unary("sin"),
  cos: unary("cos"),
  tanh: unary("tanh"),
  sigmoid: unary("sigmoid"),
  erf: unary("erf"),
  relu: unary("relu"),
  reciprocal: unary("reciprocal"),
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  pow: binary("pow"),
  maximum: binary("maximum"),
  minimum: binary("minimum"),
  where: ([c, a, b]) => fromBuffer(a!, a!.backend.where(c!, a!, b!), a!.shape),
  sum: reduce("sum"),
  max: reduce("max"),
  min: reduce("min"),
  matmul: ([a, b]) => fromBuffer(a!, a!.backend.matmul(a!, b!), [a!.shape[0]!, a!.shape[1]!, b!.shape[2]!]),
  gather: ([x, index], { dim }) => fromBuffer(x!, x!.backend.gather(x!, dim, index!), index!.shape),
  scatterAdd: ([index, src], { dim, shape }) => fromBuffer(src!, src!.backend.scatterAdd(shape, dim, index!, src!), shape),
  indexSelect: ([x, index], { dim }) => {
    const shape = [...x!.shape];
    shape[dim] = index!.shape[0]!;
    return fromBuffer(x!, x!.backend.indexSelect(x!, dim, index!), shape);
  },
  indexAdd: ([index, src], { dim, shape }) => fromBuffer(src!, src!.backend.indexAdd(shape, dim, index!, src!), shape),
  cat: (xs, { dim }) => {
    const shape = [...xs[0]!.shape];
    shape[dim] = xs.reduce((s, x) => s + x.shape[dim]!, 0);
    return fromBuffer(xs[0]!, xs[0]!.backend.cat(xs as readonly View[], dim, shape), shape);
  },
  pad: ([x], { before, after, value }) =>
    fromBuffer(
      x!,
      x!.backend.pad(x!, before, after, value),
      x!.shape.map((d, i) => d + before[i]! + after[i]!),
    ),
  im2col: ([x], { geometry, padValue }) => {
    const [n, c, h, w] = x!.shape as [number, number, number, number];
    const { oh, ow } = windowOutputSize(h, w, geometry);
    return fromBuffer(x!, x!.backend.im2col(x!, geometry, padValue), [n, c * geometry.kernel[0] * geometry.kernel[1], oh * ow]);
  },
  col2im: ([cols], { geometry, shape }) => fromBuffer(cols!, cols!.backend.col2im(cols!, geometry, shape), shape),
};

export function windowOutputSize(h: number, w: number, g: WindowGeometry): { oh: number; ow: number } {
  const oh = Math.floor((h + 2 * g.padding[0] - g.dilation[0] * (g.kernel[0] - 1) - 1) / g.stride[0]) + 1;
  const ow = Math.floor((w + 2 * g.padding[1] - g.dilation[1] * (g.kernel[1] - 1) - 1) / g.stride[1]) + 1;
  return { oh, ow };
}
