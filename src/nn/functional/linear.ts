import type { Tensor } from "../../tensor/tensor.js";
import { shapeToString } from "../../tensor/shape.js";
import * as ops from "../../ops/index.js";

/** y = x Wᵀ + b; the transpose is a strided view, so no copy is made. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const inFeatures = weight.shape[1];
  if (x.shape[x.ndim - 1] !== inFeatures) {
    throw new RangeError(`linear: input of shape ${shapeToString(x.shape)} does not match weight of shape ${shapeToString(weight.shape)} (expected last dim ${inFeatures})`);
  }
  const weightT = ops.transpose(weight, 0, 1);
  const y = ops.matmul(x, weightT);
  // The view is dead once the product has its own saved handle: releasing it now (not at the end
  // of the enclosing tidy) leaves the weight's storage unshared after backward, so the fused
  // optimizer step updates it in place instead of first copying it (Tensor.exclusiveBuffer).
  weightT.dispose();
  return bias ? ops.add(y, bias) : y;
}

/** y = x₁ᵀ A x₂ + b for each output feature (PyTorch's bilinear). */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  // [N, in1] x [out, in1, in2] x [N, in2] -> [N, out]
  const t = ops.matmul(ops.unsqueeze(ops.unsqueeze(x1, 1), 1), weight); // [N, out, 1, in2]
  const y = ops.sum(ops.mul(ops.squeeze(t, 2), ops.unsqueeze(x2, 1)), -1);
  return bias ? ops.add(y, bias) : y;
}
