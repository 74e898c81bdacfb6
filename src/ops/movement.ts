import type { Tensor } from "../tensor/tensor.js";
import { inferShape, normalizeDim, numel, shapeToString, shapesEqual, viewStrides } from "../tensor/shape.js";
import { applyPrim } from "./dispatch.js";

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(x.size, shape, "reshape", x.shape);
  return applyPrim("reshape", [x], { shape: target });
}

/** Like reshape, but refuses to copy (PyTorch's `view`). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(x.size, shape, "view", x.shape);
  if (x.ndim > 0 && !viewStrides(x.shape, x.strides, target)) {
    throw new Error(`view: a tensor of shape ${shapeToString(x.shape)} with strides ${shapeToString(x.strides)} cannot be viewed as ${shapeToString(target)} without a copy; use reshape()`);
  }
  return applyPrim("reshape", [x], { shape: target });
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.ndim, "flatten");
  const e = normalizeDim(endDim, x.ndim, "flatten");
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = numel(x.shape.slice(s, e + 1));
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new RangeError(`permute: got ${dims.length} dims [${dims.join(", ")}] for a tensor of rank ${x.ndim} (shape ${shapeToString(x.shape)})`);
  }
  const norm = dims.map((d) => normalizeDim(d, x.ndim, "permute"));
  if (new Set(norm).size !== norm.length) throw new RangeError(`permute: repeated dim in [${dims.join(", ")}]`);
  if (norm.every((d, i) => d === i)) return x;
  return applyPrim("permute", [x], { dims: norm });
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim < 2 && dim0 === -2 && dim1 === -1) return x;
  const a = normalizeDim(dim0, x.ndim, "transpose");
  const b = normalizeDim(dim1, x.ndim, "transpose");
  const dims = [...Array(x.ndim).keys()];
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.ndim + 1, "unsqueeze");
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return applyPrim("reshape", [x], { shape });
}

export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? null : (typeof dim === "number" ? [dim] : dim).map((d) => normalizeDim(d, x.ndim, "squeeze"));
  const shape = x.shape.filter((s, i) => !(s === 1 && (dims === null || dims.includes(i))));
  return applyPrim("reshape", [x], { shape });
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new RangeError(`expand: target shape ${shapeToString(shape)} has fewer dims than the tensor's ${shapeToString(x.shape)}`);
  }
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 ? (i < lead ? -1 : x.shape[i - lead]!) : d));
  target.forEach((d, i) => {
    const src = i - lead;
    if (d < 0 || (src >= 0 && x.shape[src] !== 1 && x.shape[src] !== d)) {
      throw new RangeError(`expand: cannot expand shape ${shapeToString(x.shape)} to ${shapeToString(shape)} (dim ${i}: ${src >= 0 ? x.shape[src] : "new"} -> ${d})`);
    }
  });
  if (shapesEqual(target, x.shape)) return x;
  const y = lead ? applyPrim("reshape", [x], { shape: [...Array(lead).fill(1), ...x.shape] }) : x;
  return applyPrim("expand", [y], { shape: target });
}

export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return applyPrim("contiguous", [x], {});
}

/** A contiguous copy outside autograd (for reading values back). */
export function contiguousCopy(x: Tensor): Tensor {
  return applyPrim("contiguous", [x], {}, { record: false });
}

/** Differentiable copy. */
export function clone(x: Tensor): Tensor {
  return applyPrim("contiguous", [x], {});
}

/** Raw slice with step 1 (`starts`/`ends` per dim, already validated). */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[]): Tensor {
  if (starts.every((s, i) => s === 0 && ends[i] === x.shape[i])) return x;
  return applyPrim("slice", [x], { starts, ends });
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x.ndim, "narrow");
  const size = x.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new RangeError(`narrow: start ${start} and length ${length} are out of range for dim ${d} of size ${size} (shape ${shapeToString(x.shape)})`);
  }
  const starts = x.shape.map(() => 0);
  const ends = [...x.shape];
  starts[d] = s;
  ends[d] = s + length;
  return slice(x, starts, ends);
}

export function pad(x: Tensor, before: readonly number[], after: readonly number[], value = 0): Tensor {
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return x;
  if ([...before, ...after].some((p) => p < 0 || !Number.isInteger(p))) {
    throw new RangeError(`pad: padding must be non-negative integers, got before [${before.join(", ")}] after [${after.join(", ")}]`);
  }
  return applyPrim("pad", [x], { before, after, value });
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError("cat: expected a non-empty list of tensors");
  const first = tensors[0]!;
  const d = normalizeDim(dim, first.ndim, "cat");
  for (const [i, t] of tensors.entries()) {
    if (t.ndim !== first.ndim || t.shape.some((s, j) => j !== d && s !== first.shape[j])) {
      throw new RangeError(`cat: tensor ${i} has shape ${shapeToString(t.shape)}, expected ${shapeToString(first.shape)} except in dim ${d}`);
    }
    if (t.dtype !== first.dtype) throw new TypeError(`cat: tensor ${i} has dtype ${t.dtype}, expected ${first.dtype}`);
  }
  if (tensors.length === 1) return first;
  return applyPrim("cat", tensors, { dim: d });
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RangeError("stack: expected a non-empty list of tensors");
  const d = normalizeDim(dim, tensors[0]!.ndim + 1, "stack");
  for (const [i, t] of tensors.entries()) {
    if (!shapesEqual(t.shape, tensors[0]!.shape)) {
      throw new RangeError(`stack: tensor ${i} has shape ${shapeToString(t.shape)}, expected ${shapeToString(tensors[0]!.shape)}`);
    }
  }
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim(dim, x.ndim, "split");
  const size = x.shape[d]!;
  const sizes: number[] = [];
  if (typeof splitSize === "number") {
    if (!Number.isSafeInteger(splitSize) || splitSize <= 0) throw new RangeError(`split: splitSize must be a positive integer, got ${splitSize}`);
    for (let s = 0; s < size; s += splitSize) sizes.push(Math.min(splitSize, size - s));
    if (size === 0) sizes.push(0); // PyTorch: one empty piece
  } else {
    const bad = splitSize.find((n) => !Number.isSafeInteger(n) || n < 0);
    if (bad !== undefined) throw new RangeError(`split: sizes must be non-negative integers, got ${bad} in [${splitSize.join(", ")}]`);
    if (splitSize.reduce((a, b) => a + b, 0) !== size) {
      throw new RangeError(`split: sizes [${splitSize.join(", ")}] do not add up to ${size} (dim ${d} of ${shapeToString(x.shape)})`);
    }
    sizes.push(...splitSize);
  }
  let start = 0;
  return sizes.map((len) => {
    const piece = narrow(x, d, start, len);
    start += len;
    return piece;
  });
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isSafeInteger(chunks) || chunks < 1) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normalizeDim(dim, x.ndim, "chunk");
  // An empty dim gives `chunks` empty chunks, as in PyTorch.
  if (x.shape[d] === 0) return Array.from({ length: chunks }, () => narrow(x, d, 0, 0));
  return split(x, Math.ceil(x.shape[d]! / chunks), d);
}

export function repeat(x: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < x.ndim) throw new RangeError(`repeat: got ${reps.length} repeats for a tensor of rank ${x.ndim}`);
  const shape = [...Array(reps.length - x.ndim).fill(1), ...x.shape];
  let y = reshape(x, shape.flatMap((d) => [1, d]));
  y = expand(y, shape.flatMap((d, i) => [reps[i]!, d]));
  return reshape(y, shape.map((d, i) => d * reps[i]!));
}

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
