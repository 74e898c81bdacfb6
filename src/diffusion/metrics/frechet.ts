/**
 * Fréchet distance between two Gaussians fitted to feature sets (the FID formula):
 *   d² = ‖μ₁ - μ₂‖² + tr(Σ₁) + tr(Σ₂) - 2 tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2})
 * tr((Σ₁Σ₂)^{1/2}) equals the trace term, and computing it through the symmetric PSD matrix
 * Σ₁^{1/2} Σ₂ Σ₁^{1/2} needs only symmetric eigendecompositions (Jacobi), no complex sqrtm.
 */
import { matmulSquare, sqrtPsd, symmetricEigen, trace } from "./linalg.js";

export interface Gaussian {
  dim: number;
  mean: Float64Array;
  /** dim·dim covariance, row-major. */
  cov: Float64Array;
  /** Number of samples it was fitted to. */
  n: number;
}

/** Mean and unbiased covariance (divisor n - 1, numpy.cov's default) of n rows of `dim` features. */
export function fitGaussian(features: ArrayLike<number>, n: number, dim: number): Gaussian {
  if (features.length !== n * dim) throw new RangeError(`fitGaussian: expected ${n}x${dim} = ${n * dim} values, got ${features.length}`);
  if (n < 2) throw new RangeError(`fitGaussian: need at least 2 samples, got ${n}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = features[i * dim + j]! - mean[j]!;
    for (let a = 0; a < dim; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b] += ra * row[b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) cov[b * dim + a] = cov[a * dim + b] = cov[a * dim + b]! / (n - 1);
  }
  return { dim, mean, cov, n };
}

/** tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}) = Σ √λᵢ over the eigenvalues of that PSD matrix. */
export function traceSqrtProduct(cov1: Float64Array, cov2: Float64Array, dim: number): number {
  const s1 = sqrtPsd(cov1, dim);
  const m = matmulSquare(matmulSquare(s1, cov2, dim), s1, dim);
  const { values } = symmetricEigen(m, dim);
  let t = 0;
  for (const l of values) t += Math.sqrt(Math.max(0, l));
  return t;
}

export function frechetDistance(a: Gaussian, b: Gaussian): number {
  if (a.dim !== b.dim) throw new RangeError(`frechetDistance: feature dims differ (${a.dim} vs ${b.dim})`);
  const d = a.dim;
  let diff = 0;
  for (let j = 0; j < d; j++) diff += (a.mean[j]! - b.mean[j]!) ** 2;
  const fd = diff + trace(a.cov, d) + trace(b.cov, d) - 2 * traceSqrtProduct(a.cov, b.cov, d);
  // Round-off can leave a tiny negative value for identical distributions.
  return Math.max(0, fd);
}
