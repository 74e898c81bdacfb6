/** Shape/stride bookkeeping shared by the wasm backend's kernel calls. */

export interface Coalesced {
  shape: number[];
  strides: number[][];
}

/**
 * Drops size-1 dimensions and merges neighbours that every operand walks as one
 * (strides[d] == strides[d+1] * shape[d+1] for all operands), so kernels see the fewest, longest
 * rows. A fully merged scalar-like view comes back with ndim 0.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Coalesced {
  const k = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0) {
      let merge = true;
      for (let j = 0; j < k; j++) {
        if (outStrides[j][last] !== strides[j][d] * n) {
          merge = false;
          break;
        }
      }
      if (merge) {
        outShape[last] *= n;
        for (let j = 0; j < k; j++) outStrides[j][last] = strides[j][d];
        continue;
      }
    }
    outShape.push(n);
    for (let j = 0; j < k; j++) outStrides[j].push(strides[j][d]);
  }
  return { shape: outShape, strides: outStrides };
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
  return st;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
