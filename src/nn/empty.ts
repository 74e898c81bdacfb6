import type { Tensor } from "../tensor/tensor.js";
import { zeros } from "../ops/creation.js";

/** Uninitialised-parameter stand-in (zeros; layers overwrite it in resetParameters). */
export function empty(shape: readonly number[], device?: string): Tensor {
  return zeros(shape, device === undefined ? {} : { device });
}
