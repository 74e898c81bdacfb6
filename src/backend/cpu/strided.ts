import type { View } from "../backend.js";
import { isContiguous, numel, stridedOffsets } from "../../tensor/shape.js";

/**
 * Element offsets of a strided view in row-major order, or null when the view is a plain
 * contiguous run starting at `offset` (the caller then indexes `offset + i`).
 */
export function viewOffsets(v: View): Int32Array | null {
  if (isContiguous(v.shape, v.strides)) return null;
  return stridedOffsets(v.shape, v.strides, v.offset);
}

/**
 * Calls `row(offsets, length)` for each innermost row of a (collapsed) iteration space, with the
 * starting element offset of every operand; the output is written contiguously, so its offset
 * is the running row start.
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  row: (starts: number[], outStart: number, length: number, innerStrides: number[]) => void,
): void {
  const rank = shape.length;
  if (rank === 0) {
    // a single element (collapseDims leaves no dims)
    row([...offsets], 0, 1, offsets.map(() => 0));
    return;
  }
  const inner = shape[rank - 1]!;
  const innerStrides = strides.map((s) => s[rank - 1]!);
  const rows = numel(shape.slice(0, -1));
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  const starts = [...offsets];
  for (let r = 0; r < rows; r++) {
    row(starts, r * inner, inner, innerStrides);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      strides.forEach((s, k) => (starts[k]! += s[d]!));
      if (idx[d]! < shape[d]!) break;
      strides.forEach((s, k) => (starts[k]! -= s[d]! * shape[d]!));
      idx[d] = 0;
    }
  }
}
