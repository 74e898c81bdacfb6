import type { Tensor } from "../tensor/tensor.js";
import { add } from "../ops/elementwise.js";
import { cat, pad } from "../ops/movement.js";
import { zeros } from "../ops/creation.js";

/** A gradient contribution: a full-shape tensor, or a slice's gradient not yet padded. */
export type Contribution = { kind: "dense"; g: Tensor } | { kind: "slice"; g: Tensor; starts: readonly number[]; ends: readonly number[] };

/**
 * Collects gradient contributions per tensor during backward and frees them as soon as they
 * are consumed. Slice gradients are kept sparse: when a tensor is read as many disjoint slices
 * along one dim (an RNN reading its time steps, attention splitting q/k/v), their gradients are
 * joined with one `cat` instead of padding each to the full shape and summing — O(n) instead
 * of O(n²) work and memory.
 */
export class GradAccumulator<K> {
  private readonly pending = new Map<K, Contribution[]>();
  private readonly uses = new Map<Tensor, number>();

  /** `protect`: tensors the caller owns (gradient seeds), never disposed here. */
  constructor(private readonly protect: ReadonlySet<Tensor>) {}

  push(key: K, c: Contribution): void {
    const list = this.pending.get(key);
    if (list) list.push(c);
    else this.pending.set(key, [c]);
    this.uses.set(c.g, (this.uses.get(c.g) ?? 0) + 1);
  }

  has(key: K): boolean {
    return this.pending.has(key);
  }

  /** Sums the contributions for `key` into one tensor of `shape` (removing them). */
  take(key: K, shape: readonly number[]): Tensor | null {
    const list = this.pending.get(key);
    if (!list) return null;
    this.pending.delete(key);
    const result = combine(list, shape);
    for (const c of list) this.release(c.g, result);
    return result;
  }

  /** Drops one use of `t` and disposes it when nothing else needs it. */
  release(t: Tensor, except: Tensor | null = null): void {
    const n = (this.uses.get(t) ?? 1) - 1;
    if (n > 0) {
      this.uses.set(t, n);
      return;
    }
    this.uses.delete(t);
    if (t !== except && !this.protect.has(t) && !t.isDisposed) t.dispose();
  }

  /** Whether some pending contribution still references `t`. */
  inUse(t: Tensor): boolean {
    return (this.uses.get(t) ?? 0) > 0;
  }
}

function combine(list: Contribution[], shape: readonly number[]): Tensor {
  // The common case (one consumer), without the filtering below: it runs once per graph node.
  if (list.length === 1 && list[0]!.kind === "dense") return list[0]!.g;
  const dense = list.filter((c) => c.kind === "dense").map((c) => c.g);
  const slices = list.filter((c): c is Extract<Contribution, { kind: "slice" }> => c.kind === "slice");
  const parts = [...dense];
  if (slices.length > 0) {
    const tiled = slices.length > 1 ? tileAlongOneDim(slices, shape) : null;
    if (tiled) parts.push(tiled);
    else for (const s of slices) parts.push(pad(s.g, s.starts, s.ends.map((e, i) => shape[i]! - e), 0));
  }
  let sum = parts[0]!;
  for (let i = 1; i < parts.length; i++) sum = add(sum, parts[i]!);
  return sum;
}

/**
 * When all slices cover the full extent of every dim but one, and are disjoint along that dim,
 * returns their gradients concatenated along it (gaps filled with zeros); else null.
 */
function tileAlongOneDim(slices: Extract<Contribution, { kind: "slice" }>[], shape: readonly number[]): Tensor | null {
  let dim = -1;
  for (let d = 0; d < shape.length; d++) {
    const full = slices.every((s) => s.starts[d] === 0 && s.ends[d] === shape[d]);
    if (!full) {
      if (dim >= 0) return null;
      dim = d;
    }
  }
  if (dim < 0) return null;
  const sorted = [...slices].sort((a, b) => a.starts[dim]! - b.starts[dim]!);
  const pieces: Tensor[] = [];
  let cursor = 0;
  const like = sorted[0]!.g;
  const gap = (len: number) => {
    const gapShape = [...shape];
    gapShape[dim] = len;
    pieces.push(zeros(gapShape, { dtype: like.dtype, device: like.device }));
  };
  for (const s of sorted) {
    const start = s.starts[dim]!;
    if (start < cursor) return null; // overlapping reads: fall back to padding
    if (start > cursor) gap(start - cursor);
    pieces.push(s.g);
    cursor = s.ends[dim]!;
  }
  if (cursor < shape[dim]!) gap(shape[dim]! - cursor);
  return cat(pieces, dim);
}
