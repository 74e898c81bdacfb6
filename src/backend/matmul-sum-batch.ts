/**
 * `matmulSumBatch` for a backend without a batch-reducing GEMM (wasm, WebGPU): the batch of
 * products a[i]·b[i], then their sum over the batch, freeing the products at once.
 */
import type { BackendBuffer, ReduceOp, View } from "./backend.js";

interface ProductsAndSums<B extends BackendBuffer> {
  matmul(a: View, b: View): B;
  reduce(op: ReduceOp, x: View, axes: readonly number[]): B;
  free(buf: B): void;
}

export function productsThenSum<B extends BackendBuffer>(backend: ProductsAndSums<B>, a: View, b: View): B {
  const [B, M] = a.shape as [number, number, number];
  const N = b.shape[2]!;
  const products = backend.matmul(a, b);
  const sum = backend.reduce("sum", { buf: products, shape: [B, M, N], strides: [M * N, N, 1], offset: 0, dtype: a.dtype }, [0]);
  backend.free(products);
  return sum;
}
