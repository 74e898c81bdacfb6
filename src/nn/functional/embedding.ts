import type { Tensor } from "../../tensor/tensor.js";
import * as ops from "../../ops/index.js";
import { shapeToString } from "../../tensor/shape.js";

/** Looks up rows of `weight` [num, dim] for int32 indices of any shape -> [..., dim]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  if (indices.dtype !== "int32") throw new TypeError(`embedding: indices must be int32, got ${indices.dtype}`);
  if (weight.ndim !== 2) throw new RangeError(`embedding: weight must be 2-D [num, dim], got ${shapeToString(weight.shape)}`);
  const flat = ops.reshape(indices, [-1]);
  const rows = ops.indexSelect(weight, 0, flat);
  return ops.reshape(rows, [...indices.shape, weight.shape[1]!]);
}
