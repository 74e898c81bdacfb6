import type { Tensor } from "../../tensor/tensor.js";
import * as ops from "../../ops/index.js";

export interface PadOptions {
  mode?: "constant" | "reflect" | "replicate" | "circular";
  value?: number;
}

/**
 * PyTorch's F.pad: `pad` lists (before, after) pairs starting from the LAST dim. Negative
 * amounts crop. Non-constant modes are built from slices and concatenation, so they have
 * gradients for free.
 */
export function pad(x: Tensor, padding: readonly number[], options: PadOptions = {}): Tensor {
  const { mode = "constant", value = 0 } = options;
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new RangeError(`pad: padding length ${padding.length} must be even and at most 2x the rank (${x.ndim})`);
  }
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  for (let i = 0; i < padding.length / 2; i++) {
    const d = x.ndim - 1 - i;
    before[d] = padding[2 * i]!;
    after[d] = padding[2 * i + 1]!;
  }
  // Negative padding crops first.
  let y = x;
  if ([...before, ...after].some((p) => p < 0)) {
    const starts = before.map((b) => Math.max(0, -b));
    const ends = y.shape.map((s, i) => s - Math.max(0, -after[i]!));
    y = ops.slice(y, starts, ends);
  }
  const b = before.map((p) => Math.max(0, p));
  const a = after.map((p) => Math.max(0, p));
  if (mode === "constant") return ops.pad(y, b, a, value);
  for (let d = 0; d < y.ndim; d++) {
    if (b[d] === 0 && a[d] === 0) continue;
    const n = y.shape[d]!;
    const pieces: Tensor[] = [];
    const take = (idx: number[]) => ops.indexSelect(y, d, idx);
    if (mode === "reflect") {
      if (b[d]! >= n || a[d]! >= n) throw new RangeError(`pad: reflect padding (${b[d]}, ${a[d]}) must be smaller than the dim size ${n}`);
      if (b[d]) pieces.push(take([...Array(b[d]).keys()].map((i) => b[d]! - i)));
      pieces.push(y);
      if (a[d]) pieces.push(take([...Array(a[d]).keys()].map((i) => n - 2 - i)));
    } else if (mode === "replicate") {
      if (b[d]) pieces.push(take(Array(b[d]).fill(0)));
      pieces.push(y);
      if (a[d]) pieces.push(take(Array(a[d]).fill(n - 1)));
    } else {
      if (b[d]) pieces.push(take([...Array(b[d]).keys()].map((i) => (((n - b[d]! + i) % n) + n) % n)));
      pieces.push(y);
      if (a[d]) pieces.push(take([...Array(a[d]).keys()].map((i) => i % n)));
    }
    y = ops.cat(pieces, d);
  }
  return y;
}
