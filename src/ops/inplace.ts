import type { Tensor } from "../tensor/tensor.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import { applyPrim } from "./dispatch.js";
import { shapeToString, shapesEqual } from "../tensor/shape.js";

/** In-place updates are not recorded by autograd, so they are refused where they would corrupt it. */
export function assertInPlaceAllowed(t: Tensor, op: string): void {
  t.assertAlive(op);
  if (t.requiresGrad && isGradEnabled()) {
    throw new Error(`${op}: a tensor that requires grad (shape ${shapeToString(t.shape)}) cannot be modified in place while gradients are recorded; wrap the update in nt.noGrad()`);
  }
}

/** A contiguous copy of `source` with `like`'s dtype, checking shapes (for copy_). */
export function noGradContiguousLike(source: Tensor, like: Tensor): Tensor {
  if (!shapesEqual(source.shape, like.shape)) {
    throw new RangeError(`copy_: source shape ${shapeToString(source.shape)} does not match destination ${shapeToString(like.shape)}`);
  }
  if (source.device !== like.device) throw new Error(`copy_: source is on '${source.device}', destination on '${like.device}'`);
  return source.dtype === like.dtype
    ? applyPrim("contiguous", [source], {}, { record: false })
    : applyPrim("cast", [source], { dtype: like.dtype }, { record: false });
}
