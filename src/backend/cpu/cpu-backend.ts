import type {
  AnyTypedArray,
  Backend,
  BackendBuffer,
  BinaryOp,
  DType,
  ReduceOp,
  UnaryOp,
  OptimizerKernel,
  View,
  WindowGeometry,
} from "../backend.js";
import { checkOptimizerBuffers, runOptimizerKernel } from "../optimizer-kernels.js";
import { convolutionByColumns, convolutionInputGradByColumns, convolutionWeightGradByColumns } from "../conv-by-columns.js";
import { allocArray } from "../../tensor/dtype.js";
import { collapseDims, contiguousStrides, isContiguous, numel, windowOutputSize } from "../../tensor/shape.js";
import { forEachRow, viewOffsets } from "./strided.js";
import { gemm } from "./gemm.js";
import { BINARY_FLOAT, BINARY_INT, UNARY_FLOAT, UNARY_INT } from "./scalar-ops.gen.js";
import { BINARY_OPS, UNARY_OPS } from "../scalar-ops/table.js";

/** A cpu buffer is a typed array of the buffer's dtype. */
export class CpuBuffer implements BackendBuffer {
  constructor(
    readonly dtype: DType,
    private array: AnyTypedArray,
  ) {}
  get data(): AnyTypedArray {
    return this.array;
  }
  get size(): number {
    return this.array.length;
  }
  /**
   * Gives up the array when the buffer is freed: a disposed tensor's handle may stay reachable
   * (a variable in scope), and it must not keep a multi-gigabyte array from the collector.
   */
  detach(): AnyTypedArray {
    const a = this.array;
    this.array = allocArray(this.dtype, 0);
    return a;
  }
}

function arr(v: View | BackendBuffer): AnyTypedArray {
  return ("buf" in v ? (v.buf as CpuBuffer) : (v as CpuBuffer)).data;
}

/**
 * Views of more elements than this, in rows of at least ROW_COPY_MIN_RUN, are copied row by row
 * instead of through viewOffsets' table (4 bytes an element: 8 GiB for a bool view of 2^31).
 * Shorter rows stay on the table, which is faster for them (a row is a callback).
 */
const ROW_COPY_ELEMENTS = 1 << 20;
const ROW_COPY_MIN_RUN = 16;

/** Reads a view into a fresh contiguous array of the same dtype. */
function gatherView(v: View): AnyTypedArray {
  const src = arr(v);
  const n = numel(v.shape);
  if (isContiguous(v.shape, v.strides)) return src.subarray(v.offset, v.offset + n).slice();
  const out = allocArray(v.dtype, n);
  const c = collapseDims(v.shape, [v.strides]);
  // past int32 offsets (native's arrays of 2^31 elements and more) the table cannot hold them at all
  if (reach(v) > 0x7fffffff || (n > ROW_COPY_ELEMENTS && c.shape[c.shape.length - 1]! >= ROW_COPY_MIN_RUN)) {
    forEachRow(c.shape, c.strides, [v.offset], ([o], at, len, [s]) => {
      for (let i = 0; i < len; i++) out[at + i] = src[o! + i * s!]!;
    });
    return out;
  }
  const offs = viewOffsets(v)!;
  for (let i = 0; i < n; i++) out[i] = src[offs[i]!]!;
  return out;
}

/** The farthest element offset a (non-empty) view reads. */
function reach(v: View): number {
  return v.shape.reduce((r, n, d) => r + (n - 1) * Math.abs(v.strides[d]!), v.offset);
}

/** A view's values as a contiguous array, without copying when already contiguous. */
function contiguousValues(v: View): AnyTypedArray {
  if (isContiguous(v.shape, v.strides)) return arr(v).subarray(v.offset, v.offset + numel(v.shape));
  return gatherView(v);
}

/**
 * One row of a binary op; common float ops get their own loop so V8 can inline them (the same
 * formulas as the table's).
 */
function binaryRow(op: BinaryOp, f: (a: number, b: number) => number, float: boolean, out: AnyTypedArray, o: number, a: AnyTypedArray, oa: number, la: number, b: AnyTypedArray, ob: number, lb: number, len: number): void {
  switch (float ? op : null) {
    case "add":
      for (let i = 0; i < len; i++) out[o + i] = a[oa + i * la]! + b[ob + i * lb]!;
      return;
    case "sub":
      for (let i = 0; i < len; i++) out[o + i] = a[oa + i * la]! - b[ob + i * lb]!;
      return;
    case "mul":
      for (let i = 0; i < len; i++) out[o + i] = a[oa + i * la]! * b[ob + i * lb]!;
      return;
    case "div":
      for (let i = 0; i < len; i++) out[o + i] = a[oa + i * la]! / b[ob + i * lb]!;
      return;
    default: {
      for (let i = 0; i < len; i++) out[o + i] = f(a[oa + i * la]!, b[ob + i * lb]!);
    }
  }
}

/**
 * The reference backend: plain TypeScript over typed arrays. It is the executable
 * specification the fast backends are tested against, so it favours clarity, except for
 * matmul which must be fast enough to train the reference MLP.
 */
export class CpuBackend implements Backend {
  readonly name: string = "cpu";
  readonly canReadSync = true;

  alloc(dtype: DType, size: number): CpuBuffer {
    return new CpuBuffer(dtype, allocArray(dtype, size));
  }

  upload(dtype: DType, data: AnyTypedArray): CpuBuffer {
    const out = allocArray(dtype, data.length);
    out.set(data);
    return new CpuBuffer(dtype, out);
  }

  free(buf: BackendBuffer): void {
    // The garbage collector reclaims the array once the buffer lets go of it.
    (buf as CpuBuffer).detach();
  }

  read(buf: BackendBuffer): Promise<AnyTypedArray> {
    return Promise.resolve(this.readSync(buf));
  }

  readSync(buf: BackendBuffer): AnyTypedArray {
    return (buf as CpuBuffer).data.slice();
  }

  optimizerStep(kernel: OptimizerKernel, bufs: readonly BackendBuffer[], constants: Float32Array): void {
    checkOptimizerBuffers(this.name, kernel, bufs, constants);
    runOptimizerKernel(kernel, bufs.map((b) => (b as CpuBuffer).data as Float32Array), constants);
  }

  unary(op: UnaryOp, x: View): CpuBuffer {
    const f = (x.dtype === "int32" && UNARY_INT[op]) || UNARY_FLOAT[op];
    const src = contiguousValues(x);
    const outDtype: DType = UNARY_OPS[op].result === "bool" ? "bool" : x.dtype;
    const out = allocArray(outDtype, src.length);
    for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
    return new CpuBuffer(outDtype, out);
  }

  binary(op: BinaryOp, a: View, b: View, outDtype: DType): CpuBuffer {
    const intOperands = a.dtype !== "float32" && a.dtype !== "float64" && b.dtype !== "float32" && b.dtype !== "float64";
    const intFormula = intOperands && outDtype !== "float32" && outDtype !== "float64" ? BINARY_INT[op] : undefined;
    const n = numel(a.shape);
    const out = allocArray(outDtype, n);
    if (n === 0) return new CpuBuffer(outDtype, out);
    const av = arr(a);
    const bv = arr(b);
    const { shape, strides } = collapseDims(a.shape, [a.strides, b.strides]);
    const f = intFormula ?? BINARY_FLOAT[op];
    forEachRow(shape, strides, [a.offset, b.offset], ([oa, ob], o, len, [la, lb]) => binaryRow(op, f, !intFormula, out, o, av, oa!, la!, bv, ob!, lb!, len));
    // A value op stored as bool (maximum of bools) keeps 0/1.
    if (outDtype === "bool" && BINARY_OPS[op].result !== "bool") for (let i = 0; i < n; i++) out[i] = out[i] ? 1 : 0;
    return new CpuBuffer(outDtype, out);
  }

  where(cond: View, a: View, b: View): CpuBuffer {
    const c = contiguousValues(cond);
    const av = contiguousValues(a);
    const bv = contiguousValues(b);
    const out = allocArray(a.dtype, c.length);
    // NaN is nonzero, so it selects `a` (a float condition, as PyTorch's bool(NaN) = true)
    for (let i = 0; i < c.length; i++) out[i] = c[i] !== 0 ? av[i]! : bv[i]!;
    return new CpuBuffer(a.dtype, out);
  }

  cast(x: View, dtype: DType): CpuBuffer {
    const src = contiguousValues(x);
    const out = allocArray(dtype, src.length);
    if (dtype === "bool") for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0; // NaN -> true
    else if (dtype === "int32") for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!);
    else out.set(src);
    return new CpuBuffer(dtype, out);
  }

  contiguous(x: View): CpuBuffer {
    return new CpuBuffer(x.dtype, gatherView(x));
  }

  fill(dtype: DType, size: number, value: number): CpuBuffer {
    const out = allocArray(dtype, size);
    out.fill(dtype === "bool" ? (value ? 1 : 0) : value);
    return new CpuBuffer(dtype, out);
  }

  reduce(op: ReduceOp, x: View, axes: readonly number[]): CpuBuffer {
    // Permute reduced axes to the end, then reduce contiguous runs.
    const rank = x.shape.length;
    const keep = [...Array(rank).keys()].filter((d) => !axes.includes(d));
    const order = [...keep, ...axes];
    const permuted = permutedView(x, order);
    const src = contiguousValues(permuted);
    const outN = numel(keep.map((d) => x.shape[d]!));
    const inner = numel(axes.map((d) => x.shape[d]!));
    const out = allocArray(x.dtype, outN);
    for (let o = 0; o < outN; o++) {
      const base = o * inner;
      let acc: number;
      if (op === "sum") {
        acc = 0;
        for (let i = 0; i < inner; i++) acc += src[base + i]!;
      } else if (op === "prod") {
        acc = 1;
        for (let i = 0; i < inner; i++) acc *= src[base + i]!;
      } else if (op === "max") {
        acc = -Infinity;
        for (let i = 0; i < inner; i++) {
          const v = src[base + i]!;
          if (v > acc || v !== v) acc = v;
          if (acc !== acc) break;
        }
      } else {
        acc = Infinity;
        for (let i = 0; i < inner; i++) {
          const v = src[base + i]!;
          if (v < acc || v !== v) acc = v;
          if (acc !== acc) break;
        }
      }
      out[o] = acc;
    }
    return new CpuBuffer(x.dtype, out);
  }

  argReduce(op: "argmax" | "argmin", x: View, axis: number): CpuBuffer {
    const rank = x.shape.length;
    const order = [...[...Array(rank).keys()].filter((d) => d !== axis), axis];
    const src = contiguousValues(permutedView(x, order));
    const inner = x.shape[axis]!;
    const outN = inner === 0 ? 0 : src.length / inner;
    const out = new Int32Array(outN);
    const better = op === "argmax" ? (v: number, b: number) => v > b : (v: number, b: number) => v < b;
    for (let o = 0; o < outN; o++) {
      let best = src[o * inner]!;
      let bi = 0;
      for (let i = 1; i < inner; i++) {
        const v = src[o * inner + i]!;
        if (best !== best) break; // NaN wins, as in PyTorch
        if (v !== v || better(v, best)) {
          best = v;
          bi = i;
        }
      }
      out[o] = bi;
    }
    return new CpuBuffer("int32", out);
  }

  conv2d(x: View, w: View, bias: View | null, g: WindowGeometry): CpuBuffer {
    return convolutionByColumns<CpuBuffer>(this, x, w, bias, g);
  }

  conv2dInputGrad(gy: View, w: View, g: WindowGeometry, xShape: readonly [number, number, number, number]): CpuBuffer {
    return convolutionInputGradByColumns<CpuBuffer>(this, gy, w, g, xShape);
  }

  conv2dWeightGrad(gy: View, x: View, g: WindowGeometry): CpuBuffer {
    return convolutionWeightGradByColumns<CpuBuffer>(this, gy, x, g);
  }

  matmulSumBatch(a: View, b: View): CpuBuffer {
    const [B, M] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    const out = allocArray(a.dtype, M * N) as Float32Array | Float64Array;
    if (B === 0) return new CpuBuffer(a.dtype, out);
    const products = this.matmul(a, b).data as Float32Array | Float64Array;
    for (let bi = 0; bi < B; bi++) for (let i = 0; i < M * N; i++) out[i]! += products[bi * M * N + i]!;
    return new CpuBuffer(a.dtype, out);
  }

  matmul(a: View, b: View): CpuBuffer {
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    const out = allocArray(a.dtype, B * M * N) as Float32Array | Float64Array;
    const [sab, sam, sak] = a.strides as [number, number, number];
    const [sbb, sbk, sbn] = b.strides as [number, number, number];
    for (let bi = 0; bi < B; bi++) {
      gemm(M, N, K, arr(a), a.offset + bi * sab, sam, sak, arr(b), b.offset + bi * sbb, sbk, sbn, out, bi * M * N);
    }
    return new CpuBuffer(a.dtype, out);
  }

  gather(x: View, dim: number, index: View): CpuBuffer {
    const src = arr(x);
    const idx = contiguousValues(index);
    const shape = index.shape;
    const n = idx.length;
    const out = allocArray(x.dtype, n);
    const cs = contiguousStrides(shape);
    for (let i = 0; i < n; i++) {
      let rem = i;
      let off = x.offset;
      for (let d = 0; d < shape.length; d++) {
        const c = Math.floor(rem / cs[d]!);
        rem -= c * cs[d]!;
        off += (d === dim ? idx[i]! : c) * x.strides[d]!;
      }
      out[i] = src[off]!;
    }
    return new CpuBuffer(x.dtype, out);
  }

  scatterAdd(shape: readonly number[], dim: number, index: View, src: View): CpuBuffer {
    const out = allocArray(src.dtype, numel(shape));
    const os = contiguousStrides(shape);
    const idx = contiguousValues(index);
    const vals = contiguousValues(src);
    const cs = contiguousStrides(index.shape);
    for (let i = 0; i < idx.length; i++) {
      let rem = i;
      let off = 0;
      for (let d = 0; d < index.shape.length; d++) {
        const c = Math.floor(rem / cs[d]!);
        rem -= c * cs[d]!;
        off += (d === dim ? idx[i]! : c) * os[d]!;
      }
      out[off]! += vals[i]!;
    }
    return new CpuBuffer(src.dtype, out);
  }

  indexSelect(x: View, dim: number, index: View): CpuBuffer {
    const idx = contiguousValues(index);
    const src = contiguousValues(x);
    const outer = numel(x.shape.slice(0, dim));
    const rows = x.shape[dim]!;
    const inner = numel(x.shape.slice(dim + 1));
    const out = allocArray(x.dtype, outer * idx.length * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const from = (o * rows + idx[j]!) * inner;
        out.set(src.subarray(from, from + inner), (o * idx.length + j) * inner);
      }
    }
    return new CpuBuffer(x.dtype, out);
  }

  indexAdd(shape: readonly number[], dim: number, index: View, src: View): CpuBuffer {
    const idx = contiguousValues(index);
    const vals = contiguousValues(src);
    const outer = numel(shape.slice(0, dim));
    const rows = shape[dim]!;
    const inner = numel(shape.slice(dim + 1));
    const out = allocArray(src.dtype, numel(shape));
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const to = (o * rows + idx[j]!) * inner;
        const from = (o * idx.length + j) * inner;
        for (let i = 0; i < inner; i++) out[to + i]! += vals[from + i]!;
      }
    }
    return new CpuBuffer(src.dtype, out);
  }

  cat(xs: readonly View[], dim: number, outShape: readonly number[]): CpuBuffer {
    const out = allocArray(xs[0]!.dtype, numel(outShape));
    const outer = numel(outShape.slice(0, dim));
    const inner = numel(outShape.slice(dim + 1));
    const total = outShape[dim]!;
    let start = 0;
    for (const x of xs) {
      const vals = contiguousValues(x);
      const len = x.shape[dim]! * inner;
      for (let o = 0; o < outer; o++) out.set(vals.subarray(o * len, (o + 1) * len), o * total * inner + start * inner);
      start += x.shape[dim]!;
    }
    return new CpuBuffer(xs[0]!.dtype, out);
  }

  pad(x: View, before: readonly number[], after: readonly number[], value: number): CpuBuffer {
    const outShape = x.shape.map((d, i) => d + before[i]! + after[i]!);
    const out = allocArray(x.dtype, numel(outShape));
    if (value !== 0) out.fill(value);
    const os = contiguousStrides(outShape);
    const start = before.reduce((s, b, i) => s + b * os[i]!, 0);
    const vals = contiguousValues(x);
    const inner = x.shape.length ? x.shape[x.shape.length - 1]! : 1;
    const cs = contiguousStrides(x.shape);
    for (let i = 0; i < vals.length; i += inner) {
      let rem = i;
      let off = start;
      for (let d = 0; d < x.shape.length; d++) {
        const c = Math.floor(rem / cs[d]!);
        rem -= c * cs[d]!;
        off += c * os[d]!;
      }
      out.set(vals.subarray(i, i + inner), off);
    }
    return new CpuBuffer(x.dtype, out);
  }

  im2col(x: View, g: WindowGeometry, padValue: number): CpuBuffer {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [kh, kw] = g.kernel;
    const { oh, ow } = windowOutputSize(H, W, g);
    const src = contiguousValues(x);
    const L = oh * ow;
    const out = allocArray(x.dtype, N * C * kh * kw * L);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const row = ((n * C + c) * kh + i) * kw + j;
            for (let y = 0; y < oh; y++) {
              const iy = y * g.stride[0] - g.padding[0] + i * g.dilation[0];
              for (let xo = 0; xo < ow; xo++) {
                const ix = xo * g.stride[1] - g.padding[1] + j * g.dilation[1];
                out[row * L + y * ow + xo] =
                  iy >= 0 && iy < H && ix >= 0 && ix < W ? src[((n * C + c) * H + iy) * W + ix]! : padValue;
              }
            }
          }
    return new CpuBuffer(x.dtype, out);
  }

  col2im(cols: View, g: WindowGeometry, outShape: readonly [number, number, number, number]): CpuBuffer {
    const [N, C, H, W] = outShape;
    const [kh, kw] = g.kernel;
    const { oh, ow } = windowOutputSize(H, W, g);
    const src = contiguousValues(cols);
    const L = oh * ow;
    const out = allocArray(cols.dtype, N * C * H * W);
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const row = ((n * C + c) * kh + i) * kw + j;
            for (let y = 0; y < oh; y++) {
              const iy = y * g.stride[0] - g.padding[0] + i * g.dilation[0];
              if (iy < 0 || iy >= H) continue;
              for (let xo = 0; xo < ow; xo++) {
                const ix = xo * g.stride[1] - g.padding[1] + j * g.dilation[1];
                if (ix >= 0 && ix < W) out[((n * C + c) * H + iy) * W + ix]! += src[row * L + y * ow + xo]!;
              }
            }
          }
    return new CpuBuffer(cols.dtype, out);
  }

  maxPool2dIndices(x: View, g: WindowGeometry, outSize: readonly [number, number]): CpuBuffer {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [oh, ow] = outSize;
    const [kh, kw] = g.kernel;
    const [sh, sw] = g.stride;
    const [dh, dw] = g.dilation;
    const src = contiguousValues(x);
    const out = new Int32Array(N * C * oh * ow);
    // The first in-range tap of a window that starts at `start` (before it: padding).
    const firstTap = (start: number, d: number): number => (start >= 0 ? start : start + Math.ceil(-start / d) * d);
    for (let p = 0; p < N * C; p++) {
      const plane = p * H * W;
      for (let y = 0; y < oh; y++) {
        const ys = y * sh - g.padding[0];
        const y1 = Math.min(ys + (kh - 1) * dh + 1, H);
        const y0 = firstTap(ys, dh);
        for (let xo = 0; xo < ow; xo++) {
          const xs = xo * sw - g.padding[1];
          const x1 = Math.min(xs + (kw - 1) * dw + 1, W);
          const x0 = firstTap(xs, dw);
          let best = -Infinity;
          let bi = y0 * W + x0;
          for (let iy = y0; iy < y1; iy += dh)
            for (let ix = x0; ix < x1; ix += dw) {
              const v = src[plane + iy * W + ix]!;
              if (v > best || v !== v) {
                best = v;
                bi = iy * W + ix;
              }
            }
          out[(p * oh + y) * ow + xo] = bi;
        }
      }
    }
    return new CpuBuffer("int32", out);
  }

  maxPool2d(x: View, g: WindowGeometry, outSize: readonly [number, number]): CpuBuffer {
    const [, , H, W] = x.shape as [number, number, number, number];
    const idx = this.maxPool2dIndices(x, g, outSize).data as Int32Array;
    const src = contiguousValues(x);
    const out = allocArray(x.dtype, idx.length);
    const L = outSize[0] * outSize[1];
    for (let i = 0; i < idx.length; i++) out[i] = src[Math.floor(i / L) * H * W + idx[i]!]!;
    return new CpuBuffer(x.dtype, out);
  }

  maxPool2dBackward(x: View, grad: View, g: WindowGeometry, outSize: readonly [number, number]): CpuBuffer {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const idx = this.maxPool2dIndices(x, g, outSize).data as Int32Array;
    const gv = contiguousValues(grad);
    const out = allocArray(grad.dtype, N * C * H * W);
    const L = outSize[0] * outSize[1];
    for (let i = 0; i < idx.length; i++) out[Math.floor(i / L) * H * W + idx[i]!]! += gv[i]!;
    return new CpuBuffer(grad.dtype, out);
  }
}

/** `x` with its dims reordered (built explicitly: Tensor views keep `buf` behind a getter). */
function permutedView(x: View, order: readonly number[]): View {
  return {
    buf: x.buf,
    dtype: x.dtype,
    offset: x.offset,
    shape: order.map((d) => x.shape[d]!),
    strides: order.map((d) => x.strides[d]!),
  };
}
