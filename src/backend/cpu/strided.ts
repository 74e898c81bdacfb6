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

/**
 * Merges adjacent dims that are contiguous with each other in every operand, so elementwise
 * loops run over long rows. Returns the collapsed shape and per-operand strides.
 */
export function collapseDims(shape: readonly number[], stridesList: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && stridesList.every((s, k) => outStrides[k]![last] === s[d]! * shape[d]!)) {
      outShape[last]! *= shape[d]!;
      stridesList.forEach((s, k) => (outStrides[k]![last] = s[d]!));
    } else {
      outShape.push(shape[d]!);
      stridesList.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: stridesList.map(() => [1]) };
  return { shape: outShape, strides: outStrides };
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
  const inner = shape[rank - 1]!;
  const innerStrides = strides.map((s) => s[rank - 1]!);
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
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
