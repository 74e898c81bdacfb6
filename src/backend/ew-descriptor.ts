/**
 * The descriptor of the C elementwise kernels (wasm/src/ew.c), shared by the wasm and native
 * backends: [nd, shape..., strides of each operand...] with dimensions of size 1 dropped and
 * neighbours that are contiguous for every operand merged.
 */

/** Most dimensions the C kernels take after coalescing. */
export const EW_MAX_DIMS = 16;

/** Reusable scratch space, so a descriptor costs no allocation. */
export class EwScratch {
  readonly shape = new Float64Array(64);
  readonly strides = [new Float64Array(64), new Float64Array(64), new Float64Array(64)];
}

/**
 * Writes the descriptor for `shape` and 1-3 operands' strides into `out` from index `at`.
 * Returns false (nothing written) when more than EW_MAX_DIMS dimensions remain or a merged
 * extent or stride does not fit in int32.
 */
export function writeEwDescriptor(out: Int32Array, at: number, scratch: EwScratch, shape: readonly number[], s0: readonly number[], s1?: readonly number[], s2?: readonly number[]): boolean {
  const k = s2 ? 3 : s1 ? 2 : 1;
  const ops = [s0, s1, s2];
  const cs = scratch.shape, cst = scratch.strides;
  let nd = 0;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    if (nd > 0) {
      let merge = true;
      for (let j = 0; j < k; j++) if (cst[j]![nd - 1] !== ops[j]![d]! * n) merge = false;
      if (merge) {
        cs[nd - 1]! *= n;
        for (let j = 0; j < k; j++) cst[j]![nd - 1] = ops[j]![d]!;
        continue;
      }
    }
    if (nd >= EW_MAX_DIMS) return false;
    cs[nd] = n;
    for (let j = 0; j < k; j++) cst[j]![nd] = ops[j]![d]!;
    nd++;
  }
  for (let d = 0; d < nd; d++) {
    if (cs[d]! > 0x7fffffff) return false;
    for (let j = 0; j < k; j++) if (Math.abs(cst[j]![d]!) > 0x7fffffff) return false;
  }
  let p = at;
  out[p++] = nd;
  for (let d = 0; d < nd; d++) out[p++] = cs[d]!;
  for (let j = 0; j < k; j++) for (let d = 0; d < nd; d++) out[p++] = cst[j]![d]!;
  return true;
}
