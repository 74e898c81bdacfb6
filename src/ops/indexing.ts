import type { WindowGeometry } from "../backend/backend.js";
import { Tensor } from "../tensor/tensor.js";
import { normalizeDim, shapeToString } from "../tensor/shape.js";
import { applyPrim } from "./dispatch.js";
import { tensor } from "./creation.js";
import { narrow, reshape, slice } from "./movement.js";
import { where } from "./elementwise.js";
import { windowOutputSize } from "../tensor/shape.js";

/** Throws, naming the first offending value, when an index holds values outside [0, size). */
function scanIndices(index: Tensor, size: number, op: string, dim: number, xShape: readonly number[]): void {
  const values = index.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v >= size) {
      throw new RangeError(`${op}: index ${v} is out of bounds for dim ${dim} with size ${size} (input shape ${shapeToString(xShape)})`);
    }
  }
}

/**
 * Runs an indexing prim with bounds checking. Backends that check bounds inside their kernels
 * (`validatesIndices`) are trusted on the fast path, so no index tensor is read back per call;
 * only when one reports a bad index is the index scanned, to name the offending value. Other
 * readable backends are scanned up front; WebGPU (no synchronous reads) is not checked.
 */
function checkedIndexing(index: Tensor, size: number, op: string, dim: number, xShape: readonly number[], run: () => Tensor): Tensor {
  if (index.dtype !== "int32") throw new TypeError(`${op}: index must be an int32 tensor, got ${index.dtype}`);
  const backend = index.backend;
  if (!backend.canReadSync) return run();
  if (!backend.validatesIndices) {
    scanIndices(index, size, op, dim, xShape);
    return run();
  }
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError) scanIndices(index, size, op, dim, xShape);
    throw e;
  }
}

export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normalizeDim(dim, x.ndim, "gather");
  if (index.ndim !== x.ndim) {
    throw new RangeError(`gather: index has rank ${index.ndim} (shape ${shapeToString(index.shape)}) but input has rank ${x.ndim} (shape ${shapeToString(x.shape)})`);
  }
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]!) throw new RangeError(`gather: index shape ${shapeToString(index.shape)} exceeds input shape ${shapeToString(x.shape)} in dim ${i}`);
  });
  return checkedIndexing(index, x.shape[d]!, "gather", d, x.shape, () => applyPrim("gather", [x, index], { dim: d }));
}

export function scatterAdd(shape: readonly number[], dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normalizeDim(dim, shape.length, "scatterAdd");
  return checkedIndexing(index, shape[d]!, "scatterAdd", d, shape, () => applyPrim("scatterAdd", [index, src], { dim: d, shape }));
}

function asIndexTensor(index: Tensor | readonly number[], like: Tensor): Tensor {
  if (index instanceof Tensor) return index;
  return tensor([...index], { dtype: "int32", device: like.device });
}

export function indexSelect(x: Tensor, dim: number, index: Tensor | readonly number[]): Tensor {
  const d = normalizeDim(dim, x.ndim, "indexSelect");
  const idx = asIndexTensor(index, x);
  if (idx.ndim !== 1) throw new RangeError(`indexSelect: index must be 1-D, got shape ${shapeToString(idx.shape)}`);
  return checkedIndexing(idx, x.shape[d]!, "indexSelect", d, x.shape, () => applyPrim("indexSelect", [x, idx], { dim: d }));
}

export function indexAdd(shape: readonly number[], dim: number, index: Tensor, src: Tensor): Tensor {
  return applyPrim("indexAdd", [index, src], { dim, shape });
}

/** One indexing entry of `Tensor.index`. */
export type IndexSpec = number | null | readonly [number?, number?, number?] | Tensor;

export function index(x: Tensor, specs: readonly IndexSpec[]): Tensor {
  if (specs.length > x.ndim) throw new RangeError(`index: too many indices (${specs.length}) for a tensor of rank ${x.ndim}`);
  let out = x;
  // Process from the last spec so earlier dims keep their positions.
  for (let d = specs.length - 1; d >= 0; d--) {
    const spec = specs[d];
    const size = out.shape[d]!;
    if (spec === null || spec === undefined) continue;
    if (typeof spec === "number") {
      const i = spec < 0 ? spec + size : spec;
      if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`index: index ${spec} is out of range for dim ${d} of size ${size}`);
      const n = narrow(out, d, i, 1);
      out = reshape(n, [...n.shape.slice(0, d), ...n.shape.slice(d + 1)]);
    } else if (spec instanceof Tensor) {
      out = indexSelect(out, d, spec);
    } else {
      const [startRaw, stopRaw, step = 1] = spec as readonly [number?, number?, number?];
      const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
      const start = startRaw === undefined ? 0 : clampIdx(startRaw);
      const stop = Math.max(start, stopRaw === undefined ? size : clampIdx(stopRaw));
      if (!Number.isInteger(step) || step <= 0) throw new RangeError(`index: slice step must be a positive integer, got ${step}`);
      if (step === 1) {
        const starts = out.shape.map(() => 0);
        const ends = [...out.shape];
        starts[d] = start;
        ends[d] = stop;
        out = slice(out, starts, ends);
      } else {
        const rows: number[] = [];
        for (let i = start; i < stop; i += step) rows.push(i);
        out = indexSelect(out, d, rows);
      }
    }
  }
  return out;
}

export function flip(x: Tensor, dims: readonly number[]): Tensor {
  let out = x;
  for (const dim of dims) {
    const d = normalizeDim(dim, x.ndim, "flip");
    const n = x.shape[d]!;
    out = indexSelect(out, d, [...Array(n).keys()].reverse());
  }
  return out;
}

function triangleMask(x: Tensor, diagonal: number, upper: boolean, op: string): Tensor {
  if (x.ndim < 2) throw new RangeError(`${op}: expected a tensor with at least 2 dims, got shape ${shapeToString(x.shape)}`);
  const [r, c] = x.shape.slice(-2) as [number, number];
  const data = new Uint8Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[i * c + j] = (upper ? j - i >= diagonal : j - i <= diagonal) ? 1 : 0;
  return tensor(data, { shape: [r, c], dtype: "bool", device: x.device });
}

export const triu = (x: Tensor, diagonal = 0): Tensor => where(triangleMask(x, diagonal, true, "triu"), x, 0);
export const tril = (x: Tensor, diagonal = 0): Tensor => where(triangleMask(x, diagonal, false, "tril"), x, 0);

export function im2col(x: Tensor, geometry: WindowGeometry, padValue = 0): Tensor {
  if (x.ndim !== 4) throw new RangeError(`im2col: expected a 4-D input [N,C,H,W], got shape ${shapeToString(x.shape)}`);
  const { oh, ow } = windowOutputSize(x.shape[2]!, x.shape[3]!, geometry);
  if (oh <= 0 || ow <= 0) {
    throw new RangeError(`im2col: window ${geometry.kernel.join("x")} (dilation ${geometry.dilation.join("x")}, padding ${geometry.padding.join("x")}) does not fit input of shape ${shapeToString(x.shape)}`);
  }
  return applyPrim("im2col", [x], { geometry, padValue });
}

/**
 * Flat indices into H*W (int32 [N, C, oh, ow]) of the max of each window of x [N, C, H, W] on an
 * `outSize` grid (PyTorch's max_pool2d_with_indices; see Backend.maxPool2dIndices). Every
 * window must hold at least one in-range tap (likewise for the values and the backward below).
 */
export function maxPool2dIndices(x: Tensor, geometry: WindowGeometry, outSize: readonly [number, number], op = "maxPool2dIndices"): Tensor {
  checkPoolGrid(x, geometry, outSize, op);
  return applyPrim("maxPool2dIndices", [x], { geometry, outSize });
}

/** The window maxima (x's dtype, [N, C, oh, ow]) that maxPool2dIndices locates. `op` names the caller in errors. */
export function maxPool2dValues(x: Tensor, geometry: WindowGeometry, outSize: readonly [number, number], op = "maxPool2dValues"): Tensor {
  checkPoolGrid(x, geometry, outSize, op);
  return applyPrim("maxPool2dValues", [x], { geometry, outSize });
}

/** Max pooling's input gradient: `grad` [N, C, oh, ow] added at each window's argmax of x, zeros elsewhere. */
export function maxPool2dBackward(x: Tensor, grad: Tensor, geometry: WindowGeometry, outSize: readonly [number, number]): Tensor {
  checkPoolGrid(x, geometry, outSize, "maxPool2dBackward");
  const want = [x.shape[0]!, x.shape[1]!, ...outSize];
  if (grad.ndim !== 4 || grad.shape.some((d, i) => d !== want[i])) {
    throw new RangeError(`maxPool2dBackward: expected a gradient of shape ${shapeToString(want)}, got ${shapeToString(grad.shape)}`);
  }
  return applyPrim("maxPool2dBackward", [x, grad], { geometry, outSize });
}

function checkPoolGrid(x: Tensor, geometry: WindowGeometry, outSize: readonly [number, number], op: string): void {
  if (x.ndim !== 4) throw new RangeError(`${op}: expected a 4-D input [N,C,H,W], got shape ${shapeToString(x.shape)}`);
  const [H, W] = x.shape.slice(2) as [number, number];
  const [oh, ow] = outSize;
  // Every window needs an in-range tap (the kernels index the input at one): with dilation and
  // padding, a window's taps can all fall in the padding or beyond the input.
  const empty = (count: number, size: number, i: 0 | 1): boolean => {
    const { kernel: k, stride: s, padding: p, dilation: d } = geometry;
    for (let o = 0; o < count; o++) {
      const start = o * s[i] - p[i];
      const first = start >= 0 ? start : start + Math.ceil(-start / d[i]) * d[i];
      if (first >= Math.min(start + (k[i] - 1) * d[i] + 1, size)) return true;
    }
    return false;
  };
  if (!(oh > 0 && ow > 0) || empty(oh, H, 0) || empty(ow, W, 1)) {
    throw new RangeError(
      `${op}: an output grid of ${oh}x${ow} has windows without an element of the input of shape ${shapeToString(x.shape)} ` +
        `(kernel ${geometry.kernel.join("x")}, stride ${geometry.stride.join("x")}, padding ${geometry.padding.join("x")}, dilation ${geometry.dilation.join("x")})`,
    );
  }
}

export function col2im(cols: Tensor, geometry: WindowGeometry, shape: readonly [number, number, number, number]): Tensor {
  return applyPrim("col2im", [cols], { geometry, shape });
}
