import type { Tensor } from "../../tensor/tensor.js";
import type { WindowGeometry } from "../../backend/backend.js";
import { shapeToString } from "../../tensor/shape.js";
import { tensor } from "../../ops/creation.js";

/** An int or an int per spatial dim (PyTorch's `_pair`/`_single`). */
export type IntOrTuple = number | readonly number[];

/** Expands `v` to `n` positive (or non-negative) integers, naming the op and argument on error. */
export function expandInts(v: IntOrTuple, n: number, op: string, what: string, min = 1): number[] {
  const arr = typeof v === "number" ? Array<number>(n).fill(v) : [...v];
  if (arr.length === 1 && n > 1) arr.push(...Array<number>(n - 1).fill(arr[0]!));
  if (arr.length !== n || arr.some((d) => !Number.isInteger(d) || d < min)) {
    throw new RangeError(`${op}: ${what} must be ${min === 0 ? "a non-negative" : "a positive"} integer or a list of ${n}, got ${JSON.stringify(v)}`);
  }
  return arr;
}

export const pair = (v: IntOrTuple, op: string, what: string, min = 1): [number, number] => expandInts(v, 2, op, what, min) as [number, number];

export function geometry(kernel: [number, number], stride: [number, number], padding: [number, number], dilation: [number, number]): WindowGeometry {
  return { kernel, stride, padding, dilation };
}

/** Throws `op: expected a 4-D input [N, C, H, W] (or 3-D unbatched), got shape [...]`. */
export function checkRank(x: Tensor, ranks: readonly number[], op: string, layout: string): void {
  if (!ranks.includes(x.ndim)) {
    throw new RangeError(`${op}: expected a ${ranks.map((r) => `${r}-D`).join(" or ")} input ${layout}, got shape ${shapeToString(x.shape)}`);
  }
}

/** A float constant (no gradient) with `like`'s dtype and device. */
export function constant(values: ArrayLike<number>, shape: readonly number[], like: Tensor): Tensor {
  const dtype = like.dtype === "float64" ? "float64" : "float32";
  return tensor(Float64Array.from(values as ArrayLike<number>), { shape, dtype, device: like.device });
}
