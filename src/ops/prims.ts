import type { DType, View, WindowGeometry } from "../backend/backend.js";
import { Storage } from "../memory/storage.js";
import { Tensor } from "../tensor/tensor.js";
import { contiguousStrides, isRowMajor, numel, shapeToString, viewStrides, windowOutputSize } from "../tensor/shape.js";
import {
  BINARY_NAMES,
  BINARY_OPS,
  type BinaryOp,
  type BinaryPrim,
  UNARY_NAMES,
  UNARY_OPS,
  type UnaryOp,
  type UnaryPrim,
} from "../backend/scalar-ops/table.js";

/**
 * The primitive set: every op reaches a backend through one of these, via the one dispatch point
 * (dispatch.ts). Movement prims (reshape, permute, expand, slice) only make new views; the
 * others run a backend kernel. Each has exactly one forward implementation here and, unless it is
 * non-differentiable (NON_DIFFERENTIABLE), one gradient rule in `grad-rules.ts`.
 *
 * The elementwise ops of the op table (backend/scalar-ops/table.ts) are primitives without
 * parameters, added by the mapped type; their inputs are already broadcast to the output shape.
 */
export type PrimParams = RoutinePrimParams & { [K in UnaryOp | BinaryOp]: Record<string, never> };

interface RoutinePrimParams {
  // movement (views, no kernel)
  reshape: { shape: readonly number[] };
  permute: { dims: readonly number[] };
  expand: { shape: readonly number[] };
  slice: { starts: readonly number[]; ends: readonly number[] };
  // copies
  contiguous: Record<string, never>;
  cast: { dtype: DType };
  // ternary
  where: Record<string, never>;
  // reductions (output drops `axes`)
  sum: { axes: readonly number[] };
  max: { axes: readonly number[] };
  min: { axes: readonly number[] };
  prod: { axes: readonly number[] };
  // index of the extreme along `axis` (int32; the output drops the axis)
  argmax: { axis: number };
  argmin: { axis: number };
  // routines
  // a [B or 1, M, K] x b [B, K, N] -> [B, M, N] (an a of batch 1 is broadcast)
  matmul: Record<string, never>;
  // the sum over the batch of a [B, M, K] x b [B, K, N] -> [1, M, N] (matmul's broadcast operand's gradient)
  matmulSumBatch: Record<string, never>;
  gather: { dim: number };
  scatterAdd: { dim: number; shape: readonly number[] };
  indexSelect: { dim: number };
  indexAdd: { dim: number; shape: readonly number[] };
  cat: { dim: number };
  pad: { before: readonly number[]; after: readonly number[]; value: number };
  im2col: { geometry: WindowGeometry; padValue: number };
  col2im: { geometry: WindowGeometry; shape: readonly [number, number, number, number] };
  // convolution: x [N,C,H,W] * w [O, C*kh*kw] (+ bias [O]) -> [N, O, oh*ow], and its gradients
  // (of [gy, w] -> x's shape, and of [gy, x] -> w's [O, C*kh*kw] summed over the batch)
  convolution: { geometry: WindowGeometry };
  convolutionInputGrad: { geometry: WindowGeometry; shape: readonly [number, number, number, number] };
  convolutionWeightGrad: { geometry: WindowGeometry };
  // max pooling: the window maxima, the input gradient (of [x, grad]), the argmax flat H*W index (int32)
  maxPool2dValues: { geometry: WindowGeometry; outSize: readonly [number, number] };
  maxPool2dBackward: { geometry: WindowGeometry; outSize: readonly [number, number] };
  maxPool2dIndices: { geometry: WindowGeometry; outSize: readonly [number, number] };
}

export type Prim = keyof PrimParams;
export type { BinaryPrim, UnaryPrim };

/** Primitives without a gradient: predicates, rounding, sign, integer-valued results (indices), prod. */
export type NonDifferentiablePrim = Exclude<UnaryOp, UnaryPrim> | Exclude<BinaryOp, BinaryPrim> | "prod" | "argmax" | "argmin" | "maxPool2dIndices";
export type DifferentiablePrim = Exclude<Prim, NonDifferentiablePrim>;
export const NON_DIFFERENTIABLE: ReadonlySet<Prim> = new Set<Prim>([
  ...UNARY_NAMES.filter((op) => !UNARY_OPS[op].differentiable),
  ...BINARY_NAMES.filter((op) => !BINARY_OPS[op].differentiable),
  "prod",
  "argmax",
  "argmin",
  "maxPool2dIndices",
]);

/** The params of the prims that take none (shared: params are never changed). */
export const NO_PARAMS: Record<string, never> = Object.freeze({});

/** A new handle on `t`'s storage with different view metadata. */
export function makeView(t: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(t.storage.retain(), shape, strides, offset, t.dtype);
}

/** Wraps a fresh contiguous backend buffer. */
export function fromBuffer(like: Tensor, buf: ReturnType<Tensor["backend"]["alloc"]>, shape: readonly number[]): Tensor {
  if (buf.size !== numel(shape)) throw new Error(`internal: kernel returned ${buf.size} elements for shape ${shapeToString(shape)}`);
  return new Tensor(new Storage(like.backend, buf), shape, rowMajorStrides(shape, like), 0, buf.dtype);
}

/**
 * Row-major strides for `shape`, frozen. An elementwise output has its input's (frozen) shape:
 * when that input is row-major too, its strides array is shared instead of making another.
 */
function rowMajorStrides(shape: readonly number[], like: Tensor): readonly number[] {
  if (shape === like.shape && isRowMajor(like.shape, like.strides)) return like.strides;
  return Object.freeze(contiguousStrides(shape));
}

type Forward<P extends Prim> = (inputs: readonly Tensor[], params: PrimParams[P]) => Tensor;

const unary =
  (op: UnaryOp): Forward<UnaryOp> =>
  ([x]) =>
    fromBuffer(x!, x!.backend.unary(op, x!), x!.shape);

const binary =
  (op: BinaryOp): Forward<BinaryOp> =>
  ([a, b]) =>
    fromBuffer(a!, a!.backend.binary(op, a!, b!, BINARY_OPS[op].result === "bool" ? "bool" : a!.dtype), a!.shape);

const reduce =
  (op: "sum" | "max" | "min" | "prod"): Forward<"sum" | "max" | "min" | "prod"> =>
  ([x], { axes }) =>
    fromBuffer(x!, x!.backend.reduce(op, x!, axes), x!.shape.filter((_, i) => !axes.includes(i)));

const argReduce =
  (op: "argmax" | "argmin"): Forward<"argmax" | "argmin"> =>
  ([x], { axis }) =>
    fromBuffer(x!, x!.backend.argReduce(op, x!, axis), x!.shape.filter((_, i) => i !== axis));

const elementwiseImpls = Object.fromEntries([
  ...UNARY_NAMES.map((op) => [op, unary(op)]),
  ...BINARY_NAMES.map((op) => [op, binary(op)]),
]) as { [P in UnaryOp | BinaryOp]: Forward<P> };

export const forwardImpls: { [P in Prim]: Forward<P> } = {
  ...elementwiseImpls,
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
  where: ([c, a, b]) => fromBuffer(a!, a!.backend.where(c!, a!, b!), a!.shape),
  sum: reduce("sum"),
  max: reduce("max"),
  min: reduce("min"),
  prod: reduce("prod"),
  argmax: argReduce("argmax"),
  argmin: argReduce("argmin"),
  matmul: ([a, b]) => {
    const B = b!.shape[0]!;
    // A broadcast a reaches the backend as a batch-stride-0 view.
    const av: View = a!.shape[0] === B ? a! : { buf: a!.buf, shape: [B, a!.shape[1]!, a!.shape[2]!], strides: [0, a!.strides[1]!, a!.strides[2]!], offset: a!.offset, dtype: a!.dtype };
    return fromBuffer(a!, a!.backend.matmul(av, b!), [B, a!.shape[1]!, b!.shape[2]!]);
  },
  matmulSumBatch: ([a, b]) => fromBuffer(a!, a!.backend.matmulSumBatch(a!, b!), [1, a!.shape[1]!, b!.shape[2]!]),
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
  convolution: ([x, w, bias], { geometry }) => {
    const { oh, ow } = windowOutputSize(x!.shape[2]!, x!.shape[3]!, geometry);
    return fromBuffer(x!, x!.backend.conv2d(x!, w!, bias ?? null, geometry), [x!.shape[0]!, w!.shape[0]!, oh * ow]);
  },
  convolutionInputGrad: ([gy, w], { geometry, shape }) => fromBuffer(gy!, gy!.backend.conv2dInputGrad(gy!, w!, geometry, shape), shape),
  convolutionWeightGrad: ([gy, x], { geometry }) =>
    fromBuffer(gy!, gy!.backend.conv2dWeightGrad(gy!, x!, geometry), [gy!.shape[1]!, x!.shape[1]! * geometry.kernel[0] * geometry.kernel[1]]),
  maxPool2dValues: ([x], { geometry, outSize }) =>
    fromBuffer(x!, x!.backend.maxPool2d(x!, geometry, outSize), [x!.shape[0]!, x!.shape[1]!, ...outSize]),
  maxPool2dBackward: ([x, grad], { geometry, outSize }) => fromBuffer(grad!, grad!.backend.maxPool2dBackward(x!, grad!, geometry, outSize), x!.shape),
  maxPool2dIndices: ([x], { geometry, outSize }) =>
    fromBuffer(x!, x!.backend.maxPool2dIndices(x!, geometry, outSize), [x!.shape[0]!, x!.shape[1]!, ...outSize]),
};
