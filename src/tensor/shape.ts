import type { WindowGeometry } from "../backend/backend.js";

/** Shape and stride arithmetic shared by the frontend and the backends. */

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Whether `strides` are exactly `contiguousStrides(shape)` (size-1 dims included). */
export function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  if (strides.length !== shape.length) return false;
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (strides[i] !== s) return false;
    s *= shape[i]!;
  }
  return true;
}

export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i]!;
  }
  return true;
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  // Handles share frozen shape arrays (an op's output has its input's), so identity often decides.
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Normalises a possibly negative dim; throws naming the op when out of range. */
export function normalizeDim(dim: number, rank: number, op: string): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of rank ${rank} (expected -${r} <= dim < ${r})`);
  }
  return dim < 0 ? dim + r : dim;
}

/** NumPy/PyTorch broadcasting of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${op}: shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides for viewing (shape, strides) as `newShape` without copying, or null when the memory
 * layout does not allow it (PyTorch's computeStride algorithm).
 */
export function viewStrides(
  shape: readonly number[],
  strides: readonly number[],
  newShape: readonly number[],
): number[] | null {
  if (numel(shape) === 0) return contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length).fill(0);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d]!;
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) {
    // Remaining leading size-1 dims.
    while (viewD >= 0) {
      if (newShape[viewD] !== 1) return null;
      newStrides[viewD] = 1;
      viewD--;
    }
  }
  return newStrides;
}

/** Resolves a single -1 in a requested shape. */
export function inferShape(total: number, shape: readonly number[], op: string, from: readonly number[]): number[] {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one dimension can be -1, got ${shapeToString(shape)}`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: invalid size ${d} in shape ${shapeToString(shape)}`);
    } else known *= d;
  }
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || total % known !== 0) {
      throw new RangeError(`${op}: shape ${shapeToString(shape)} is invalid for input of shape ${shapeToString(from)} (${total} elements)`);
    }
    out[infer] = total / known;
  } else if (known !== total) {
    throw new RangeError(`${op}: shape ${shapeToString(shape)} is invalid for input of shape ${shapeToString(from)} (${total} elements)`);
  }
  return out;
}

/**
 * Drops size-1 dims and merges neighbours that every operand walks as one
 * (strides[d] == strides[d+1] * shape[d+1] for all operands), so kernels see the fewest, longest
 * rows. A view that merges down to a single element comes back with rank 0.
 */
export function collapseDims(shape: readonly number[], stridesList: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && stridesList.every((s, k) => outStrides[k]![last] === s[d]! * n)) {
      outShape[last]! *= n;
      stridesList.forEach((s, k) => (outStrides[k]![last] = s[d]!));
    } else {
      outShape.push(n);
      stridesList.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Positions of a window sliding along one dim of `size` (convolution, pooling): PyTorch's
 * formula; with ceilMode a last partial window counts if it starts inside the input or left padding.
 */
export function windowOutputLength(size: number, kernel: number, pad: number, stride: number, dilation: number, ceilMode = false): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(span / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** Output height and width of a 2-D window (convolution, pooling, im2col) over an h x w input. */
export function windowOutputSize(h: number, w: number, g: WindowGeometry): { oh: number; ow: number } {
  return {
    oh: windowOutputLength(h, g.kernel[0], g.padding[0], g.stride[0], g.dilation[0]),
    ow: windowOutputLength(w, g.kernel[1], g.padding[1], g.stride[1], g.dilation[1]),
  };
}

/** Element offsets of a strided view in row-major order of its shape. */
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
