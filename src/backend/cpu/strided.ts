import type { View } from "../backend.js";
import { isContiguous, numel } from "../../tensor/shape.js";

/**
 * Element offsets of a strided view in row-major order, or null when the view is a plain
 * contiguous run starting at `offset` (the caller then indexes `offset + i`).
 */
export function viewOffsets(v: View): Int32Array | null {
  if (isContiguous(v.shape, v.strides)) return null;
  return stridedOffsets(v.shape, v.strides, v.offset);
}

export function stridedOffsets(shape: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const n = numel(shape);
  const out = new Int32Array(n);
  const rank = shape.length;
  if (n === 0) return out;
  if (rank === 0) {
    out[0] = offset;
    return out;
  }
  const last = rank - 1;
  const lastSize = shape[last]!;
  const lastStride = strides[last]!;
  const idx = new Array<number>(rank).fill(0);
  let base = offset;
  let k = 0;
  while (k < n) {
    for (let j = 0; j < lastSize; j++) out[k++] = base + j * lastStride;
    // Increment the multi-index over the leading dims.
    let d = last - 1;
    while (d >= 0) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return out;
}
