import type { DType } from "../backend/backend.js";
import { Storage } from "../memory/storage.js";
import { Tensor, type TensorLike } from "../tensor/tensor.js";
import { isFloat } from "../tensor/dtype.js";
import { allocArray } from "../tensor/dtype.js";

/** A 0-d tensor holding `value` on `like`'s backend. */
export function scalarTensor(value: number, dtype: DType, like: Tensor): Tensor {
  const data = allocArray(dtype, 1);
  data[0] = dtype === "bool" ? (value ? 1 : 0) : value;
  return new Tensor(new Storage(like.backend, like.backend.upload(dtype, data)), [], [], 0, dtype);
}

/** The dtype PyTorch gives a Python scalar combined with a tensor of dtype `with`. */
export function scalarDType(value: number | boolean, withDtype: DType): DType {
  if (typeof value === "boolean") return withDtype;
  if (isFloat(withDtype)) return withDtype;
  if (Number.isInteger(value)) return withDtype === "bool" ? "int32" : withDtype;
  return "float32";
}

/** Converts a scalar operand to a tensor next to `like`. */
export function asTensor(x: TensorLike, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  const v = typeof x === "boolean" ? (x ? 1 : 0) : x;
  return scalarTensor(v, scalarDType(x, like.dtype), like);
}
