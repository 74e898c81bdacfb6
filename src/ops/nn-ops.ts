import type { Tensor } from "../tensor/tensor.js";
import { normalizeDim } from "../tensor/shape.js";
import { narrow, squeeze } from "./movement.js";

/**
 * The slices of `x` along `dim` (that dim removed), like torch.unbind.
 *
 * Taking n slices directly would make the backward cost O(n²): each slice's gradient is padded
 * back to the full size and the n full-size pieces are summed. Splitting by recursive halving
 * pads each piece only to its parent, so the backward costs O(n log n) — this is what keeps a
 * recurrent layer's per-time-step reads of its precomputed input projection cheap.
 */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normalizeDim(dim, x.ndim, "unbind");
  const out: Tensor[] = [];
  const split = (t: Tensor): void => {
    const n = t.shape[d]!;
    if (n === 1) {
      out.push(squeeze(t, d));
      return;
    }
    const half = Math.ceil(n / 2);
    split(narrow(t, d, 0, half));
    split(narrow(t, d, half, n - half));
  };
  if (x.shape[d]! > 0) split(x);
  return out;
}
