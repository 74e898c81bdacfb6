/**
 * Single-threaded GEMM for the reference backend: C[M,N] = A[M,K] · B[K,N] with A and B given
 * as strided views. Both operands are packed (A in 4-row panels, B in 4-column panels, both
 * k-major) so the 4x4 register-blocked inner loop reads memory sequentially. Plain
 * TypeScript; the wasm backend is the fast path, but this keeps `cpu` able to train the MLP.
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  a: ArrayLike<number>,
  aOff: number,
  sam: number,
  sak: number,
  b: ArrayLike<number>,
  bOff: number,
  sbk: number,
  sbn: number,
  out: Float32Array | Float64Array,
  outOff: number,
): void {
  const F = out instanceof Float64Array ? Float64Array : Float32Array;
  const Mp = Math.ceil(M / 4) * 4;
  const Np = Math.ceil(N / 4) * 4;
  const ap = new F(Mp * K);
  const bp = new F(Np * K);
  // A panel p holds rows 4p..4p+3: ap[p*4K + k*4 + r].
  for (let i = 0; i < M; i++) {
    const base = (i >> 2) * 4 * K + (i & 3);
    const src = aOff + i * sam;
    for (let k = 0; k < K; k++) ap[base + k * 4] = a[src + k * sak]!;
  }
  // B panel q holds columns 4q..4q+3: bp[q*4K + k*4 + c].
  for (let k = 0; k < K; k++) {
    const src = bOff + k * sbk;
    for (let j = 0; j < N; j++) bp[(j >> 2) * 4 * K + k * 4 + (j & 3)] = b[src + j * sbn]!;
  }
  for (let i0 = 0; i0 < M; i0 += 4) {
    const aBase = i0 * K;
    for (let j0 = 0; j0 < N; j0 += 4) {
      const bBase = j0 * K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const ai = aBase + k * 4;
        const bi = bBase + k * 4;
        const a0 = ap[ai]!, a1 = ap[ai + 1]!, a2 = ap[ai + 2]!, a3 = ap[ai + 3]!;
        const b0 = bp[bi]!, b1 = bp[bi + 1]!, b2 = bp[bi + 2]!, b3 = bp[bi + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const rows = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
      for (let r = 0; r < 4 && i0 + r < M; r++) {
        const o = outOff + (i0 + r) * N + j0;
        for (let c = 0; c < 4 && j0 + c < N; c++) out[o + c] = rows[r * 4 + c]!;
      }
    }
  }
}
