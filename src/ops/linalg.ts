import type { Tensor } from "../tensor/tensor.js";
import { isFloat } from "../tensor/dtype.js";
import { broadcastShapes, numel, shapeToString } from "../tensor/shape.js";
import { applyPrim } from "./dispatch.js";
import { castIfNeeded } from "./elementwise.js";
import { expand, reshape, squeeze } from "./movement.js";
import { promoteTypes } from "../tensor/dtype.js";

/** Batched matmul of 3-D tensors [B,M,K] x [B,K,N] (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new RangeError(`bmm: shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)} are not [B,M,K] and [B,K,N]`);
  }
  return applyPrim("matmul", [a, b], {});
}

/** The sum over the batch of a [B,M,K] x b [B,K,N], as [1, M, N]. */
export function matmulSumBatch(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new RangeError(`matmulSumBatch: shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)} are not [B,M,K] and [B,K,N]`);
  }
  return applyPrim("matmulSumBatch", [a, b], {});
}

/** `torch.matmul` semantics: 1-D vectors, 2-D matrices and broadcast batch dims. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dim, got shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`);
  }
  const dtype = promoteTypes(a.dtype, b.dtype);
  if (!isFloat(dtype)) throw new TypeError(`matmul: expected floating-point tensors, got ${a.dtype} and ${b.dtype}`);
  a = castIfNeeded(a, dtype);
  b = castIfNeeded(b, dtype);
  const aVec = a.ndim === 1;
  const bVec = b.ndim === 1;
  const a2 = aVec ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = bVec ? reshape(b, [b.shape[0]!, 1]) : b;
  const [M, K] = a2.shape.slice(-2) as [number, number];
  const [K2, N] = b2.shape.slice(-2) as [number, number];
  if (K !== K2) {
    throw new RangeError(`matmul: shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)} do not align (${K} != ${K2})`);
  }
  const aBatch = a2.shape.slice(0, -2);
  const bBatch = b2.shape.slice(0, -2);
  let batch: number[];
  let a3: Tensor, b3: Tensor;
  let broadcastA = false;
  if (bBatch.length === 0) {
    // Fold a's batch dims into M: one big GEMM instead of many small ones.
    batch = aBatch;
    a3 = reshape(a2, [1, numel(aBatch) * M, K]);
    b3 = reshape(b2, [1, K, N]);
  } else if (aBatch.length === 0) {
    // One matrix against a batch (a convolution's weight): broadcast inside the product, so its
    // gradient is one batch-reducing product rather than a batch of products and their sum.
    batch = bBatch;
    broadcastA = true;
    a3 = reshape(a2, [1, M, K]);
    b3 = reshape(b2, [numel(bBatch), K, N]);
  } else {
    batch = broadcastShapes(aBatch, bBatch, "matmul");
    const B = numel(batch);
    a3 = reshape(expand(a2, [...batch, M, K]), [B, M, K]);
    b3 = reshape(expand(b2, [...batch, K, N]), [B, K, N]);
  }
  const out = broadcastA ? applyPrim("matmul", [a3, b3], {}) : bmm(a3, b3);
  // The operand views made here are dead once the product holds its own saved handles: released
  // now rather than at the end of the enclosing tidy, they no longer share a parameter's storage
  // when the optimizer steps (a shared storage is copied before an in-place update).
  for (const t of [a3, b3, a2, b2]) if (t !== a && t !== b && !t.isDisposed) t.dispose();
  let result = reshape(out, [...batch, M, N]);
  if (aVec) result = squeeze(result, -2);
  if (bVec) result = squeeze(result, -1);
  return result;
}
