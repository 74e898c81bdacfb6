/**
 * The C kernels read extents and strides from int32 descriptors but index memory with 64-bit
 * offsets on x86-64. A view set whose merged extents or strides pass int32 (a contiguous tensor
 * of more than 2^31 elements coalesces to one such extent) is therefore cut here into pieces of
 * its outermost dimensions, each of which fits, and the kernels run piece by piece on the same
 * memory, the pieces' starts given as 64-bit element offsets. No element is copied.
 */
import type { View } from "../backend.js";
import { KERNEL_MAX_DIMS } from "../kernel-descriptors.js";
import { collapseDims, numel } from "../../tensor/shape.js";

const INT32_MAX = 0x7fffffff;
/** Most elements of one piece: large enough that the kernels' own threading sees whole rows of work. */
const PIECE_ELEMENTS = 2 ** 30;

/** One piece: its shape, every operand's strides (as given) and every operand's start. */
export interface Piece {
  shape: number[];
  strides: number[][];
  offsets: number[];
}

const fits = (shape: readonly number[], strides: readonly (readonly number[])[]): boolean =>
  shape.every((n) => n <= INT32_MAX) && strides.every((s) => s.every((v) => Math.abs(v) <= INT32_MAX));

/**
 * Pieces of `shape` (operands with `strides` starting at `offsets`) in row-major order whose
 * extents and strides fit int32; one piece (the coalesced whole) when it already fits. The first
 * operand's pieces tile it in order, so a contiguous output's piece starts at `offsets[0]`.
 */
export function int32Pieces(shape: readonly number[], strides: readonly (readonly number[])[], offsets: readonly number[]): Piece[] {
  const c = collapseDims(shape, strides);
  const out: Piece[] = [];
  split(c.shape, c.strides, [...offsets], out);
  return out;
}

function split(shape: number[], strides: number[][], offsets: number[], out: Piece[]): void {
  if (fits(shape, strides) && numel(shape) <= INT32_MAX) {
    out.push({ shape, strides, offsets });
    return;
  }
  const outer = shape[0]!;
  const restShape = shape.slice(1);
  const restStrides = strides.map((s) => s.slice(1));
  const inner = numel(restShape);
  const step = strides.map((s) => s[0]!);
  if (inner > PIECE_ELEMENTS || !fits(restShape, restStrides)) {
    // one index of the outer dimension at a time, the rest cut further
    for (let i = 0; i < outer; i++) split(restShape, restStrides, offsets.map((o, k) => o + i * step[k]!), out);
    return;
  }
  // runs of the outer dimension: a run of one drops it, when its stride does not fit int32
  const run = step.every((s) => Math.abs(s) <= INT32_MAX) ? Math.max(1, Math.floor(PIECE_ELEMENTS / Math.max(inner, 1))) : 1;
  for (let i = 0; i < outer; i += run) {
    const n = Math.min(run, outer - i);
    const at = offsets.map((o, k) => o + i * step[k]!);
    if (n === 1) out.push({ shape: restShape, strides: restStrides, offsets: at });
    else out.push({ shape: [n, ...restShape], strides: strides.map((s) => s.slice()), offsets: at });
  }
}

/** One copy_strided call (move.c): its descriptor [nd, shape, dst strides, src strides] and its starts. */
export interface StridedCopy {
  desc: number[];
  dstOffset: number;
  srcOffset: number;
}

/**
 * The copy_strided calls that copy `x` into a destination of `dstStrides` from `dstOffset` (cat,
 * pad): one for the coalesced whole where it fits int32, else one per piece; null where a piece
 * keeps more dimensions than the kernel takes.
 */
export function stridedCopies(x: View, dstStrides: readonly number[], dstOffset: number): StridedCopy[] | null {
  const pieces = int32Pieces(x.shape, [dstStrides, x.strides], [dstOffset, x.offset]);
  if (pieces.some((p) => p.shape.length > KERNEL_MAX_DIMS)) return null;
  return pieces.map((p) => ({ desc: [p.shape.length, ...p.shape, ...p.strides[0]!, ...p.strides[1]!], dstOffset: p.offsets[0]!, srcOffset: p.offsets[1]! }));
}
