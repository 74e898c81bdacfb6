/**
 * The int32 descriptors of the C reduction, data-movement and window kernels (wasm/src/reduce.c,
 * move.c), built from views, for every backend that runs those kernels (native; the layouts are
 * the ones the wasm backend writes). Each returns null where the C kernels cannot take the layout
 * (more than KERNEL_MAX_DIMS dimensions after coalescing, or an extent or stride beyond int32,
 * possible for native's 64-bit buffers), and the caller falls back.
 */
import type { DType, View, WindowGeometry } from "./backend.js";
import { collapseDims as coalesce, contiguousStrides } from "../tensor/shape.js";

/** Most dimensions the C kernels take (MAXD / MMAXD of reduce.c and move.c). */
export const KERNEL_MAX_DIMS = 16;

/** `ints` when every entry fits the kernels' int32 fields, else null. */
function int32s(ints: number[]): number[] | null {
  for (const v of ints) if (v > 0x7fffffff || v < -0x80000000) return null;
  return ints;
}

/** Dimensions of `x` not in `axes`, in order. */
export function keptDims(rank: number, axes: ReadonlySet<number>): number[] {
  const kept: number[] = [];
  for (let d = 0; d < rank; d++) if (!axes.has(d)) kept.push(d);
  return kept;
}

/**
 * reduce(): [kept nd, kept shape, kept strides, reduced nd, reduced shape, reduced strides], or
 * `copy` ([nd, shape, strides] for ew_copy) when only dimensions of size 1 are reduced.
 */
export function reduceDescriptor(x: View, axes: ReadonlySet<number>): { reduce: number[] } | { copy: number[] } | null {
  const kept = keptDims(x.shape.length, axes);
  const k = coalesce(kept.map((d) => x.shape[d]!), [kept.map((d) => x.strides[d]!)]);
  const sorted = [...axes].sort((p, q) => p - q);
  const r = coalesce(sorted.map((d) => x.shape[d]!), [sorted.map((d) => x.strides[d]!)]);
  if (r.shape.length === 0) {
    const c = coalesce(x.shape, [x.strides]);
    if (c.shape.length > KERNEL_MAX_DIMS) return null;
    const copy = int32s([c.shape.length, ...c.shape, ...c.strides[0]!]);
    return copy && { copy };
  }
  if (k.shape.length > KERNEL_MAX_DIMS || r.shape.length > KERNEL_MAX_DIMS) return null;
  const reduce = int32s([k.shape.length, ...k.shape, ...k.strides[0]!, r.shape.length, ...r.shape, ...r.strides[0]!]);
  return reduce && { reduce };
}

/** arg_reduce(): [kept nd, kept shape, kept strides, axis size, axis stride]. */
export function argReduceDescriptor(x: View, axis: number): number[] | null {
  const kept = keptDims(x.shape.length, new Set([axis]));
  const k = coalesce(kept.map((d) => x.shape[d]!), [kept.map((d) => x.strides[d]!)]);
  if (k.shape.length > KERNEL_MAX_DIMS) return null;
  return int32s([k.shape.length, ...k.shape, ...k.strides[0]!, x.shape[axis]!, x.strides[axis]!]);
}

/** gather(): [nd, index shape, x strides, index strides]. */
export function gatherDescriptor(x: View, index: View): number[] | null {
  const nd = index.shape.length;
  return nd > KERNEL_MAX_DIMS ? null : int32s([nd, ...index.shape, ...x.strides, ...index.strides]);
}

/** scatter_add(): [nd, index shape, src strides, index strides, out strides (contiguous)]. */
export function scatterAddDescriptor(shape: readonly number[], index: View, src: View): number[] | null {
  const nd = index.shape.length;
  return nd > KERNEL_MAX_DIMS ? null : int32s([nd, ...index.shape, ...src.strides, ...index.strides, ...contiguousStrides(shape)]);
}

/**
 * index_select() / index_add(): one slice along `dim` (the dim removed), [nd, slice shape,
 * out strides, operand strides], with the contiguous output's strides `outStrides`.
 */
export function indexSliceDescriptor(operand: View, dim: number, outStrides: readonly number[]): number[] | null {
  const keep = (_: number, d: number) => d !== dim;
  const c = coalesce(operand.shape.filter(keep), [outStrides.filter(keep), operand.strides.filter(keep)]);
  if (c.shape.length > KERNEL_MAX_DIMS) return null;
  return int32s([c.shape.length, ...c.shape, ...c.strides[0]!, ...c.strides[1]!]);
}

/** copy_strided(): [nd, shape, destination strides, source strides] for x copied into `dstStrides`. */
export function copyIntoDescriptor(x: View, dstStrides: readonly number[]): number[] | null {
  const c = coalesce(x.shape, [dstStrides, x.strides]);
  if (c.shape.length > KERNEL_MAX_DIMS) return null;
  return int32s([c.shape.length, ...c.shape, ...c.strides[0]!, ...c.strides[1]!]);
}

/**
 * im2col() / col2im() geometry: [N, C, H, W, 4 operand strides, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow]
 * (col2im passes the cols' 3 strides and a 0).
 */
export function windowDescriptor(nchw: readonly number[], strides: readonly number[], g: WindowGeometry, oh: number, ow: number): number[] | null {
  const s4 = strides.length === 4 ? strides : [...strides, 0];
  return int32s([...nchw, ...s4, ...g.kernel, ...g.stride, ...g.padding, ...g.dilation, oh, ow]);
}

/** Bytes of one element of each dtype, as the C kernels' `sz` arguments take it. */
export const ELEMENT_BYTES: Readonly<Record<DType, number>> = { float32: 4, int32: 4, bool: 1, float64: 8 };

const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);
const bitsF64 = new Float64Array(1);
const bitsI32x2 = new Int32Array(bitsF64.buffer);

/** The int32 bit pattern the C kernels store for one float32, int32 or bool element (padding values). */
export function elementBits32(dtype: "float32" | "int32" | "bool", value: number): number {
  if (dtype === "int32") return Math.trunc(value) | 0;
  if (dtype === "bool") return value !== 0 ? 1 : 0;
  bitsF32[0] = value;
  return bitsI32[0]!;
}

/** An element's bit pattern as two int32 halves (low, high): elementBits32's, and float64's 8 bytes. */
export function elementBits(dtype: DType, value: number): [number, number] {
  if (dtype !== "float64") return [elementBits32(dtype, value), 0];
  bitsF64[0] = value;
  return [bitsI32x2[0]!, bitsI32x2[1]!];
}
