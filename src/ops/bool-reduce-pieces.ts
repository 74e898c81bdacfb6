/**
 * Reductions of bool tensors too large to copy to int32 whole (a bool tensor of 2^31 elements,
 * 2 GiB on the native backend, would need an 8 GiB int32 copy): reduced in pieces of
 * BOOL_REDUCE_PIECE elements instead, each cast to int32 and reduced by the backend's kernels
 * (the bool reductions themselves run the cpu reference loops: ten times slower at this size).
 * A sum (how many are true) stays int32, as for smaller tensors (neurite has no int64): where more
 * than 2^31 - 1 elements fall into one count, the partial counts are added in float64 (exact)
 * and a count beyond int32 is an error rather than a wrapped number.
 */
import type { Tensor } from "../tensor/tensor.js";
import { numel, shapeToString } from "../tensor/shape.js";
import { applyPrim } from "./dispatch.js";
import { add, cast, maximum, minimum } from "./elementwise.js";
import { cat, narrow, reshape } from "./movement.js";

/** Most elements cast to int32 at once (256 MiB of int32). */
export const BOOL_REDUCE_PIECE = 2 ** 26;
const INT32_MAX = 0x7fffffff;

type BoolReduce = "sum" | "max" | "min";

/**
 * sum/max/min(x, axes) of a bool tensor larger than BOOL_REDUCE_PIECE, with the reduced dims
 * removed: int32 for sum, bool for max and min.
 */
export function reduceBoolInPieces(op: BoolReduce, x: Tensor, axes: readonly number[]): Tensor {
  const reduced = numel(axes.map((a) => x.shape[a]!));
  const wide = op === "sum" && reduced > INT32_MAX;
  const partial = pieceResults(op, x, axes, wide ? "float64" : "int32");
  const outShape = x.shape.filter((_, d) => !axes.includes(d));
  const shaped = reshape(partial, outShape);
  if (shaped !== partial) partial.dispose();
  if (op === "sum" && wide) {
    const values = shaped.dataSync();
    const over = values.findIndex((v) => v > INT32_MAX);
    if (over >= 0) {
      shaped.dispose();
      throw new RangeError(`sum: bool tensor of shape ${shapeToString(x.shape)} counts ${values[over]} true elements, more than int32's ${INT32_MAX} (neurite has no int64); sum pieces of it (narrow) and add the counts in JS`);
    }
  }
  if (op === "sum" && !wide) return shaped;
  const out = cast(shaped, op === "sum" ? "int32" : "bool");
  shaped.dispose();
  return out;
}

/** Reductions over `axes` with the reduced dims kept (size 1), in `acc`. */
function pieceResults(op: BoolReduce, x: Tensor, axes: readonly number[], acc: "int32" | "float64"): Tensor {
  const keep = x.shape.map((n, d) => (axes.includes(d) ? 1 : n));
  if (x.size <= BOOL_REDUCE_PIECE) {
    const ints = cast(x, "int32");
    const r = applyPrim(op, [ints], { axes });
    ints.dispose();
    const kept = reshape(r, keep);
    if (kept !== r) r.dispose();
    if (acc === "int32") return kept;
    const wide = cast(kept, acc);
    kept.dispose();
    return wide;
  }
  // pieces of the first dimension that has more than one index (whole runs of it at a time)
  const d = x.shape.findIndex((n) => n > 1);
  const extent = x.shape[d]!;
  const step = Math.max(1, Math.floor(BOOL_REDUCE_PIECE / (x.size / extent)));
  const parts: Tensor[] = [];
  for (let s = 0; s < extent; s += step) {
    const piece = narrow(x, d, s, Math.min(step, extent - s));
    parts.push(pieceResults(op, piece, axes, acc));
    piece.dispose();
  }
  if (!axes.includes(d)) {
    const joined = cat(parts, d);
    if (parts.length > 1) for (const p of parts) p.dispose();
    return joined;
  }
  const combine = op === "sum" ? add : op === "max" ? maximum : minimum;
  let total = parts[0]!;
  for (const p of parts.slice(1)) {
    const next = combine(total, p);
    total.dispose();
    p.dispose();
    total = next;
  }
  return total;
}
