/**
 * Small dense float64 linear algebra for the Fréchet distance: symmetric eigendecomposition by
 * the cyclic Jacobi method, the square root of a positive semi-definite matrix, and helpers.
 * Matrices are row-major Float64Arrays of n·n values.
 */

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Eigenvectors as columns: vectors[i * n + k] is component i of the k-th eigenvector. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of a symmetric matrix (A = V diag(λ) Vᵀ) by cyclic Jacobi rotations
 * (Golub & Van Loan, Alg. 8.5.3 with the stable rotation of Rutishauser). Converges
 * quadratically; stops when the off-diagonal mass is below `tol` relative to the matrix norm.
 */
export function symmetricEigen(A: Float64Array, n: number, options: { tol?: number; maxSweeps?: number } = {}): SymmetricEigen {
  if (A.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n}x${n} = ${n * n} values, got ${A.length}`);
  const a = Float64Array.from(A);
  // Symmetrise (tolerates round-off asymmetry in the input).
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = a[j * n + i] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const tol = options.tol ?? 1e-14;
  const maxSweeps = options.maxSweeps ?? 100;
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm += a[i]! * a[i]!;
  norm = Math.sqrt(norm);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j]! * a[i * n + j]!;
    if (Math.sqrt(2 * off) <= tol * norm || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows/columns p and q.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[x * n + x]! - a[y * n + y]!);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    for (let i = 0; i < n; i++) vectors[i * n + k] = v[i * n + src]!;
  });
  return { values, vectors };
}

/** V diag(f(λ)) Vᵀ for a symmetric matrix. */
export function symmetricFunction(A: Float64Array, n: number, f: (lambda: number) => number): Float64Array {
  const { values, vectors } = symmetricEigen(A, n);
  const out = new Float64Array(n * n);
  const fl = values.map(f);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k]! * fl[k]! * vectors[j * n + k]!;
      out[i * n + j] = out[j * n + i] = s;
    }
  }
  return out;
}

/** Principal square root of a symmetric positive semi-definite matrix (negative round-off eigenvalues clamp to 0). */
export function sqrtPsd(A: Float64Array, n: number): Float64Array {
  return symmetricFunction(A, n, (l) => Math.sqrt(Math.max(0, l)));
}

/** C = A B for n×n matrices. */
export function matmulSquare(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = A[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) C[i * n + j] += aik * B[k * n + j]!;
    }
  }
  return C;
}

export function trace(A: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += A[i * n + i]!;
  return t;
}
