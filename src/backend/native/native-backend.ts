/**
 * The `native` backend (Node on linux-x64): the cpu backend's buffers (JS typed arrays, 64-bit
 * sizes, no 4 GiB heap) with the work done by a Node-API addon: float32 matmul on a statically
 * linked OpenBLAS (threaded); elementwise ops, casts and copies, reductions, gather/scatter and
 * index ops, cat/pad, im2col/col2im and optimizer steps on the C kernels of wasm/src compiled for
 * x86-64 (the same source as the wasm backend, on rt.h's thread pool). What those kernels leave
 * out (float64, unusual dtype mixes, more than 16 dimensions) runs the cpu backend's kernels.
 */
import type { AnyTypedArray, ArgReduceOp, BackendBuffer, BinaryOp, DType, OptimizerKernel, ReduceOp, UnaryOp, View, WindowGeometry } from "../backend.js";
import { CpuBackend, CpuBuffer } from "../cpu/cpu-backend.js";
import { checkOptimizerBuffers } from "../optimizer-kernels.js";
import { EwScratch, writeEwDescriptor } from "../ew-descriptor.js";
import { ARG_REDUCE_CODE, BINARY_CODE, BINARY_OPS, REDUCE_CODE, UNARY_CODE, UNARY_OPS } from "../scalar-ops/table.js";
import {
  argReduceDescriptor, ELEMENT_BYTES, elementBits32, gatherDescriptor, indexSliceDescriptor, keptDims,
  reduceDescriptor, scatterAddDescriptor, windowDescriptor,
} from "../kernel-descriptors.js";
import { contiguousStrides, isRowMajor, numel, shapesEqual, windowOutputSize } from "../../tensor/shape.js";
import type { NativeAddon } from "./load-native.js";
import { ArrayPool } from "./array-pool.js";
import { int32Pieces, stridedCopies, type StridedCopy } from "./int32-pieces.js";
import { transposeTiles } from "./transpose-tiles.js";

/** Most bytes of freed arrays the backend keeps for reuse (a training step's temporaries, im2col's included). */
const POOL_BYTES = 1 << 30;

/** dtype codes of wasm/src/ew.c (float64 has none: the cpu kernels run it). */
const DT: Partial<Record<DType, number>> = { float32: 0, int32: 1, bool: 2 };
/**
 * Largest extent or stride of the kernels' int32 descriptors and arguments. The indexing kernels
 * take the indexed dimension's size as an int32 too: a longer dimension (every int32 index fits
 * it) runs the cpu kernels, with the indices checked here.
 */
const INT32_MAX = 0x7fffffff;
/** Element sizes in bytes, for the kernels that move raw elements. */

function dataOf(v: View): AnyTypedArray {
  return (v.buf as CpuBuffer).data;
}

/** Kernel codes of wasm/src/optim.c. */
const OPTIMIZER_KERNEL_CODE: Record<OptimizerKernel, number> = { adam: 0, sgd: 1, rmsprop: 2 };

/** A matrix operand as BLAS takes it: leading dimension and whether it is transposed; null when the strides fit neither. */
function blasLayout(rows: number, cols: number, rowStride: number, colStride: number): { ld: number; trans: number } | null {
  // A dimension of size 1 may have any stride; give it the one that makes the layout plain.
  const rs = rows === 1 ? Math.max(cols, 1) : rowStride;
  const cs = cols === 1 ? 1 : colStride;
  if (cs === 1 && rs >= Math.max(cols, 1)) return { ld: rs, trans: 0 };
  const rs2 = rows === 1 ? 1 : rowStride;
  const cs2 = cols === 1 ? Math.max(rows, 1) : colStride;
  if (rs2 === 1 && cs2 >= Math.max(rows, 1)) return { ld: cs2, trans: 1 };
  return null;
}

export class NativeBackend extends CpuBackend {
  override readonly name: string = "native";
  /** Every indexing path checks its indices and throws a RangeError on a bad one (the frontend reads none back). */
  readonly validatesIndices = true;

  private readonly pool = new ArrayPool(POOL_BYTES);

  constructor(private readonly addon: NativeAddon) {
    super();
  }

  override alloc(dtype: DType, size: number): CpuBuffer {
    return new CpuBuffer(dtype, this.pool.takeZeroed(dtype, size));
  }

  override upload(dtype: DType, data: AnyTypedArray): CpuBuffer {
    if (dtype === "bool" && !(data instanceof Uint8Array)) return super.upload(dtype, data);
    const out = this.pool.take(dtype, data.length);
    out.set(data as ArrayLike<number>);
    return new CpuBuffer(dtype, out);
  }

  override free(buf: BackendBuffer): void {
    const b = buf as CpuBuffer;
    this.pool.put(b.dtype, b.detach());
  }

  /** Threads of OpenBLAS's pool and of the kernels' pool (default: the machine's cores). */
  get threads(): number {
    return this.addon.threads();
  }
  setThreads(n: number): void {
    this.addon.setThreads(n);
  }
  /** OpenBLAS's build and the CPU kernels it chose, for `neurite info`. */
  get blasConfig(): string {
    return this.addon.blasConfig();
  }

  private readonly ewScratch = new EwScratch();
  private readonly desc = new Int32Array(1 + 16 * 4);

  override unary(op: UnaryOp, x: View): CpuBuffer {
    const dt = DT[x.dtype];
    const outDtype: DType = UNARY_OPS[op].result === "bool" ? "bool" : x.dtype;
    const done = dt === undefined ? null :
      this.ewPieces(outDtype, x.shape, [x], (out, at, [xo]) => this.addon.ewUnary(UNARY_CODE[op], dt, at ? out.subarray(at) : out, dataOf(x), xo!, this.desc));
    return done ?? super.unary(op, x);
  }

  override binary(op: BinaryOp, a: View, b: View, outDtype: DType): CpuBuffer {
    const dt = DT[a.dtype];
    const natural: DType = BINARY_OPS[op].result === "bool" ? "bool" : a.dtype;
    const done = dt !== undefined && a.dtype === b.dtype && outDtype === natural && b.shape.length === a.shape.length
      ? this.ewPieces(outDtype, a.shape, [a, b], (out, at, [ao, bo]) => this.addon.ewBinary(BINARY_CODE[op], dt, at ? out.subarray(at) : out, dataOf(a), ao!, dataOf(b), bo!, this.desc))
      : null;
    return done ?? super.binary(op, a, b, outDtype);
  }

  override where(cond: View, a: View, b: View): CpuBuffer {
    const done = cond.dtype === "bool" && a.dtype === b.dtype && a.dtype !== "float64" && shapesEqual(cond.shape, a.shape) && shapesEqual(a.shape, b.shape)
      ? this.ewPieces(a.dtype, a.shape, [cond, a, b], (out, at, [co, ao, bo]) => this.addon.ewWhere(ELEMENT_BYTES[a.dtype], out, at, dataOf(cond), co!, dataOf(a), ao!, dataOf(b), bo!, this.desc))
      : null;
    return done ?? super.where(cond, a, b);
  }

  override cast(x: View, dtype: DType): CpuBuffer {
    if (x.dtype === dtype) return this.contiguous(x);
    const from = DT[x.dtype], to = DT[dtype];
    const done = from !== undefined && to !== undefined
      ? this.ewPieces(dtype, x.shape, [x], (out, at, [xo]) => this.addon.ewCast(from, to, out, at, dataOf(x), xo!, this.desc))
      : null;
    return done ?? super.cast(x, dtype);
  }

  override contiguous(x: View): CpuBuffer {
    const done = this.tiledCopy(x) ?? this.ewPieces(x.dtype, x.shape, [x], (out, at, [xo]) => {
      this.addon.ewCopy(ELEMENT_BYTES[x.dtype], out, at, dataOf(x), xo!, this.desc);
      return true;
    });
    return done ?? super.contiguous(x);
  }

  /** A large transposed view's contiguous copy, tile by tile (transpose-tiles.ts); null where tiles do not pay. */
  private tiledCopy(x: View): CpuBuffer | null {
    const copies = transposeTiles(x.shape, x.strides, x.offset, ELEMENT_BYTES[x.dtype]);
    if (!copies) return null;
    const out = this.pool.take(x.dtype, numel(x.shape));
    this.copyStrided(ELEMENT_BYTES[x.dtype], out, x, copies);
    return new CpuBuffer(x.dtype, out);
  }

  /**
   * One elementwise kernel into a fresh contiguous array of `outDtype`: `kernel(out, outOffset,
   * inputOffsets)` with the descriptor in `this.desc`, once for the whole view, or once per
   * int32Pieces piece where a merged extent or stride passes int32 (tensors of 2^31 elements and
   * more). Null (the caller falls back) when the kernels lack the case or the layout keeps more
   * dimensions than they take; for an empty view too.
   */
  private ewPieces(outDtype: DType, shape: readonly number[], inputs: readonly View[], kernel: (out: AnyTypedArray, outOffset: number, offsets: readonly number[]) => number | boolean): CpuBuffer | null {
    const size = numel(shape);
    if (size === 0) return null;
    const strides = inputs.map((v) => v.strides);
    if (writeEwDescriptor(this.desc, 0, this.ewScratch, shape, strides[0]!, strides[1], strides[2])) {
      const out = this.pool.take(outDtype, size);
      if (kernel(out, 0, inputs.map((v) => v.offset))) return new CpuBuffer(outDtype, out);
      this.pool.put(outDtype, out);
      return null;
    }
    // the output (contiguous) is operand 0 of the pieces, so each piece knows where its part goes
    const pieces = int32Pieces(shape, [contiguousStrides(shape), ...strides], [0, ...inputs.map((v) => v.offset)]);
    const out = this.pool.take(outDtype, size);
    for (const p of pieces) {
      if (!writeEwDescriptor(this.desc, 0, this.ewScratch, p.shape, p.strides[1]!, p.strides[2], p.strides[3]) || !kernel(out, p.offsets[0]!, p.offsets.slice(1))) {
        this.pool.put(outDtype, out);
        return null;
      }
    }
    return new CpuBuffer(outDtype, out);
  }

  override reduce(op: ReduceOp, x: View, axes: readonly number[]): CpuBuffer {
    const axisSet = new Set(axes);
    const outSize = numel(keptDims(x.shape.length, axisSet).map((d) => x.shape[d]!));
    const dt = x.dtype === "float32" || x.dtype === "int32" ? DT[x.dtype]! : undefined;
    if (dt !== undefined && outSize > 0 && numel(x.shape) > 0 && axes.every((a) => a >= 0 && a < x.shape.length)) {
      const plan = reduceDescriptor(x, axisSet);
      if (plan) {
        const out = this.pool.take(x.dtype, outSize);
        if ("copy" in plan) {
          this.addon.ewCopy(4, out, 0, dataOf(x), x.offset, this.descriptor(plan.copy));
          return new CpuBuffer(x.dtype, out);
        }
        if (this.addon.reduce(REDUCE_CODE[op], dt, out, 0, dataOf(x), x.offset, this.descriptor(plan.reduce))) return new CpuBuffer(x.dtype, out);
      }
    }
    return super.reduce(op, x, axes);
  }

  override argReduce(op: ArgReduceOp, x: View, axis: number): CpuBuffer {
    const dt = x.dtype === "float32" || x.dtype === "int32" ? DT[x.dtype]! : undefined;
    if (dt !== undefined && axis >= 0 && axis < x.shape.length && x.shape[axis]! > 0 && numel(x.shape) > 0) {
      const d = argReduceDescriptor(x, axis);
      if (d) {
        const out = this.pool.take("int32", numel(x.shape) / x.shape[axis]!) as Int32Array;
        if (this.addon.argReduce(ARG_REDUCE_CODE[op], dt, out, 0, dataOf(x), x.offset, this.descriptor(d))) return new CpuBuffer("int32", out);
      }
    }
    return super.argReduce(op, x, axis);
  }

  override gather(x: View, dim: number, index: View): CpuBuffer {
    const size = numel(index.shape);
    const d = index.dtype === "int32" && size > 0 && index.shape.length === x.shape.length && x.shape[dim]! <= INT32_MAX ? gatherDescriptor(x, index) : null;
    if (!d) {
      this.checkIndices(index, x.shape[dim]!, "gather");
      return super.gather(x, dim, index);
    }
    const out = this.pool.take(x.dtype, size);
    const bad = this.addon.gather(ELEMENT_BYTES[x.dtype], out, 0, dataOf(x), x.offset, dataOf(index), index.offset, dim, x.shape[dim]!, this.descriptor(d));
    if (bad > 0) throw new RangeError(`native backend: gather: ${bad} index value(s) out of range [0, ${x.shape[dim]})`);
    return new CpuBuffer(x.dtype, out);
  }

  override scatterAdd(shape: readonly number[], dim: number, index: View, src: View): CpuBuffer {
    const dt = src.dtype === "float32" || src.dtype === "int32" ? DT[src.dtype]! : undefined;
    const d = dt !== undefined && index.dtype === "int32" && numel(index.shape) > 0 && numel(shape) > 0 && index.shape.length === shape.length &&
      shapesEqual(index.shape, src.shape) && shape[dim]! <= INT32_MAX ? scatterAddDescriptor(shape, index, src) : null;
    if (!d) {
      this.checkIndices(index, shape[dim]!, "scatterAdd");
      return super.scatterAdd(shape, dim, index, src);
    }
    const out = this.pool.takeZeroed(src.dtype, numel(shape));
    const bad = this.addon.scatterAdd(dt!, out, 0, dataOf(src), src.offset, dataOf(index), index.offset, dim, shape[dim]!, this.descriptor(d));
    if (bad > 0) throw new RangeError(`native backend: scatterAdd: ${bad} index value(s) out of range [0, ${shape[dim]})`);
    return new CpuBuffer(src.dtype, out);
  }

  override indexSelect(x: View, dim: number, index: View): CpuBuffer {
    const outShape = x.shape.slice();
    outShape[dim] = index.shape[0]!;
    const ost = contiguousStrides(outShape);
    const d = index.dtype === "int32" && index.shape.length === 1 && numel(outShape) > 0 && x.shape[dim]! <= INT32_MAX && ost[dim]! <= INT32_MAX &&
      Math.abs(x.strides[dim]!) <= INT32_MAX ? indexSliceDescriptor(x, dim, ost) : null;
    if (!d) {
      this.checkIndices(index, x.shape[dim]!, "indexSelect");
      return super.indexSelect(x, dim, index);
    }
    const out = this.pool.take(x.dtype, numel(outShape));
    const bad = this.addon.indexSelect(ELEMENT_BYTES[x.dtype], out, 0, dataOf(x), x.offset, dataOf(index), index.offset, index.strides[0]!, index.shape[0]!,
      x.shape[dim]!, ost[dim]!, x.strides[dim]!, this.descriptor(d));
    if (bad > 0) throw new RangeError(`native backend: indexSelect: ${bad} index value(s) out of range [0, ${x.shape[dim]})`);
    return new CpuBuffer(x.dtype, out);
  }

  override indexAdd(shape: readonly number[], dim: number, index: View, src: View): CpuBuffer {
    const dt = src.dtype === "float32" || src.dtype === "int32" ? DT[src.dtype]! : undefined;
    const ost = contiguousStrides(shape);
    const d = dt !== undefined && index.dtype === "int32" && index.shape.length === 1 && src.shape[dim] === index.shape[0] && numel(src.shape) > 0 &&
      shape[dim]! <= INT32_MAX && ost[dim]! <= INT32_MAX && Math.abs(src.strides[dim]!) <= INT32_MAX ? indexSliceDescriptor(src, dim, ost) : null;
    if (!d) {
      this.checkIndices(index, shape[dim]!, "indexAdd");
      return super.indexAdd(shape, dim, index, src);
    }
    const out = this.pool.takeZeroed(src.dtype, numel(shape));
    const bad = this.addon.indexAdd(dt!, out, 0, dataOf(src), src.offset, dataOf(index), index.offset, index.strides[0]!, index.shape[0]!,
      shape[dim]!, ost[dim]!, src.strides[dim]!, this.descriptor(d));
    if (bad > 0) throw new RangeError(`native backend: indexAdd: ${bad} index value(s) out of range [0, ${shape[dim]})`);
    return new CpuBuffer(src.dtype, out);
  }

  override cat(xs: readonly View[], dim: number, outShape: readonly number[]): CpuBuffer {
    const dtype = xs[0]?.dtype;
    const ost = contiguousStrides(outShape);
    let at = 0;
    const copies = xs.map((x) => {
      const start = at;
      at += x.shape[dim]!;
      return x.dtype !== dtype ? null : numel(x.shape) === 0 ? [] : stridedCopies(x, ost, start * ost[dim]!);
    });
    if (dtype === undefined || copies.some((c) => !c)) return super.cat(xs, dim, outShape);
    const out = this.pool.take(dtype, numel(outShape));
    xs.forEach((x, i) => this.copyStrided(ELEMENT_BYTES[dtype], out, x, copies[i]!));
    return new CpuBuffer(dtype, out);
  }

  override pad(x: View, before: readonly number[], after: readonly number[], value: number): CpuBuffer {
    const outShape = x.shape.map((s, d) => s + before[d]! + after[d]!);
    const ost = contiguousStrides(outShape);
    const copies = numel(x.shape) > 0 ? stridedCopies(x, ost, before.reduce((s, b, i) => s + b * ost[i]!, 0)) : null;
    if (!copies) return super.pad(x, before, after, value);
    const out = value === 0 ? this.pool.takeZeroed(x.dtype, numel(outShape)) : this.pool.take(x.dtype, numel(outShape)).fill(x.dtype === "bool" ? (value ? 1 : 0) : value);
    this.copyStrided(ELEMENT_BYTES[x.dtype], out, x, copies);
    return new CpuBuffer(x.dtype, out);
  }

  /** Runs copy_strided calls that copy `x` into `out`. */
  private copyStrided(elementBytes: number, out: AnyTypedArray, x: View, copies: readonly StridedCopy[]): void {
    for (const k of copies) this.addon.copyStrided(elementBytes, out, k.dstOffset, dataOf(x), k.srcOffset, this.descriptor(k.desc));
  }

  override im2col(x: View, g: WindowGeometry, padValue: number): CpuBuffer {
    if (x.dtype === "float64" || x.shape.length !== 4) return super.im2col(x, g, padValue);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const { oh, ow } = windowOutputSize(H, W, g);
    const size = N * C * g.kernel[0] * g.kernel[1] * oh * ow;
    if (oh <= 0 || ow <= 0 || size === 0) return super.im2col(x, g, padValue);
    const geo = windowDescriptor(x.shape, x.strides, g, oh, ow);
    if (!geo) return super.im2col(x, g, padValue);
    const out = this.pool.take(x.dtype, size);
    this.addon.im2col(ELEMENT_BYTES[x.dtype], out, 0, dataOf(x), x.offset, this.descriptor(geo), elementBits32(x.dtype, padValue));
    return new CpuBuffer(x.dtype, out);
  }

  override col2im(cols: View, g: WindowGeometry, outShape: readonly [number, number, number, number]): CpuBuffer {
    const dt = cols.dtype === "float32" || cols.dtype === "int32" ? DT[cols.dtype]! : undefined;
    const [, , H, W] = outShape;
    const { oh, ow } = windowOutputSize(H, W, g);
    if (dt === undefined || cols.shape.length !== 3 || numel(cols.shape) === 0 || oh <= 0 || ow <= 0) return super.col2im(cols, g, outShape);
    const geo = windowDescriptor(outShape, cols.strides, g, oh, ow);
    if (!geo) return super.col2im(cols, g, outShape);
    const out = this.pool.takeZeroed(cols.dtype, numel(outShape));
    this.addon.col2im(dt, out, 0, dataOf(cols), cols.offset, this.descriptor(geo));
    return new CpuBuffer(cols.dtype, out);
  }

  override maxPool2dIndices(x: View, g: WindowGeometry, outSize: readonly [number, number]): CpuBuffer {
    return this.maxPoolScan(x, g, outSize, "int32", (dt, out, geo) => this.addon.maxPool2dIndices(dt, out as Int32Array, 0, dataOf(x), x.offset, geo)) ??
      super.maxPool2dIndices(x, g, outSize);
  }

  override maxPool2d(x: View, g: WindowGeometry, outSize: readonly [number, number]): CpuBuffer {
    return this.maxPoolScan(x, g, outSize, x.dtype, (dt, out, geo) => this.addon.maxPool2d(dt, out, 0, dataOf(x), x.offset, geo)) ??
      super.maxPool2d(x, g, outSize);
  }

  /** One pool.c forward scan into a fresh [N, C, oh, ow] array; null where the cpu kernels must run it. */
  private maxPoolScan(x: View, g: WindowGeometry, outSize: readonly [number, number], outDtype: DType, kernel: (dt: number, out: AnyTypedArray, geo: Int32Array) => void): CpuBuffer | null {
    const dt = x.dtype === "float32" || x.dtype === "int32" ? DT[x.dtype]! : undefined;
    const [N, C] = x.shape as [number, number];
    const size = N * C * outSize[0] * outSize[1];
    const geo = dt !== undefined && size > 0 ? windowDescriptor(x.shape, x.strides, g, outSize[0], outSize[1]) : null;
    if (!geo) return null;
    const out = this.pool.take(outDtype, size);
    kernel(dt!, out, this.descriptor(geo));
    return new CpuBuffer(outDtype, out);
  }

  override maxPool2dBackward(x: View, grad: View, g: WindowGeometry, outSize: readonly [number, number]): CpuBuffer {
    const size = numel(x.shape);
    const geo = x.dtype === "float32" && grad.dtype === "float32" && size > 0 ? windowDescriptor(x.shape, x.strides, g, outSize[0], outSize[1]) : null;
    if (!geo) return super.maxPool2dBackward(x, grad, g, outSize);
    // The kernel reads the gradient row-major.
    const dense = isRowMajor(grad.shape, grad.strides) ? null : this.contiguous(grad);
    const out = this.pool.take("float32", size) as Float32Array;
    this.addon.maxPool2dBackward(out, 0, dataOf(x), x.offset, dense ? dense.data : dataOf(grad), dense ? 0 : grad.offset, this.descriptor(geo));
    if (dense) this.pool.put("float32", dense.data);
    return new CpuBuffer("float32", out);
  }

  /** Index values must lie in [0, size): the cpu kernels of the fallback paths do not check them, the C kernels do. */
  private checkIndices(index: View, size: number, op: string): void {
    if (numel(index.shape) === 0) return;
    for (const i of super.contiguous(index).data) {
      if (!(i >= 0 && i < size)) throw new RangeError(`native backend: ${op}: index ${i} out of range [0, ${size})`);
    }
  }

  /** A kernel descriptor in the reused scratch array (the C kernels read only its first entries). */
  private descriptor(ints: readonly number[]): Int32Array {
    this.kernelDesc.set(ints);
    return this.kernelDesc;
  }
  private readonly kernelDesc = new Int32Array(256);

  override matmul(a: View, b: View): CpuBuffer {
    if (a.dtype !== "float32" || b.dtype !== "float32") return super.matmul(a, b);
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    if (B * M * N === 0 || K === 0) return new CpuBuffer("float32", this.pool.takeZeroed("float32", B * M * N));
    const out = this.pool.take("float32", B * M * N) as Float32Array;
    const av = this.blasOperand(a, M, K);
    const bv = this.blasOperand(b, K, N);
    this.addon.gemm(out, av.data, av.offset, av.batchStride, av.layout.ld, av.layout.trans, bv.data, bv.offset, bv.batchStride, bv.layout.ld, bv.layout.trans, B, M, N, K);
    // operands copied to be contiguous are temporaries: back to the pool
    for (const v of [av, bv]) if (v.copied) this.pool.put("float32", v.data);
    return new CpuBuffer("float32", out);
  }

  override matmulSumBatch(a: View, b: View): CpuBuffer {
    if (a.dtype !== "float32" || b.dtype !== "float32") return super.matmulSumBatch(a, b);
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    if (B * M * N === 0 || K === 0) return new CpuBuffer("float32", this.pool.takeZeroed("float32", M * N));
    const out = this.pool.take("float32", M * N) as Float32Array;
    const av = this.blasOperand(a, M, K);
    const bv = this.blasOperand(b, K, N);
    this.addon.gemmSumBatch(out, av.data, av.offset, av.batchStride, av.layout.ld, av.layout.trans, bv.data, bv.offset, bv.batchStride, bv.layout.ld, bv.layout.trans, B, M, N, K);
    for (const v of [av, bv]) if (v.copied) this.pool.put("float32", v.data);
    return new CpuBuffer("float32", out);
  }

  override conv2d(x: View, w: View, bias: View | null, g: WindowGeometry): CpuBuffer {
    const [N, , H, W] = x.shape as [number, number, number, number];
    const O = w.shape[0]!;
    const { oh, ow } = windowOutputSize(H, W, g);
    const geo = x.dtype === "float32" && w.dtype === "float32" ? windowDescriptor(x.shape, x.strides, g, oh, ow) : null;
    if (!geo || N * O * oh * ow === 0 || w.shape[1] === 0) return super.conv2d(x, w, bias, g);
    const out = this.pool.take("float32", N * O * oh * ow) as Float32Array;
    const wv = this.blasOperand(this.asBatchOfOne(w), O, w.shape[1]!);
    const done = this.addon.conv2d(out, dataOf(x) as Float32Array, x.offset, wv.data, wv.offset, wv.layout.ld, wv.layout.trans,
      bias ? (dataOf(bias) as Float32Array) : null, bias?.offset ?? 0, bias?.strides[0] ?? 0, this.descriptor(geo), O);
    return this.convolutionResult(out, done, [wv], () => super.conv2d(x, w, bias, g));
  }

  override conv2dInputGrad(gy: View, w: View, g: WindowGeometry, xShape: readonly [number, number, number, number]): CpuBuffer {
    const [N, O, L] = gy.shape as [number, number, number];
    const { oh, ow } = windowOutputSize(xShape[2], xShape[3], g);
    const geo = gy.dtype === "float32" && w.dtype === "float32" ? windowDescriptor(xShape, contiguousStrides(xShape), g, oh, ow) : null;
    if (!geo || numel(xShape) === 0 || N * O * L === 0) return super.conv2dInputGrad(gy, w, g, xShape);
    const out = this.pool.take("float32", numel(xShape)) as Float32Array;
    const gv = this.blasOperand(gy, O, L);
    const wv = this.blasOperand(this.asBatchOfOne(w), O, w.shape[1]!);
    const done = this.addon.conv2dInputGrad(out, gv.data, gv.offset, gv.batchStride, gv.layout.ld, gv.layout.trans,
      wv.data, wv.offset, wv.layout.ld, wv.layout.trans, this.descriptor(geo), O);
    return this.convolutionResult(out, done, [gv, wv], () => super.conv2dInputGrad(gy, w, g, xShape));
  }

  override conv2dWeightGrad(gy: View, x: View, g: WindowGeometry): CpuBuffer {
    const [N, O, L] = gy.shape as [number, number, number];
    const [, C, H, W] = x.shape as [number, number, number, number];
    const K = C * g.kernel[0] * g.kernel[1];
    const { oh, ow } = windowOutputSize(H, W, g);
    const geo = gy.dtype === "float32" && x.dtype === "float32" ? windowDescriptor(x.shape, x.strides, g, oh, ow) : null;
    if (!geo || N * O * L === 0 || K === 0) return super.conv2dWeightGrad(gy, x, g);
    const out = this.pool.take("float32", O * K) as Float32Array;
    const gv = this.blasOperand(gy, O, L);
    const done = this.addon.conv2dWeightGrad(out, gv.data, gv.offset, gv.batchStride, gv.layout.ld, gv.layout.trans,
      dataOf(x) as Float32Array, x.offset, this.descriptor(geo), O);
    return this.convolutionResult(out, done, [gv], () => super.conv2dWeightGrad(gy, x, g));
  }

  /** A 2-D view as a batch of one, for blasOperand. */
  private asBatchOfOne(v: View): View {
    return { buf: v.buf, shape: [1, ...v.shape], strides: [0, ...v.strides], offset: v.offset, dtype: v.dtype };
  }

  /** The fused kernel's output, or (where it declined) the column routines' after returning its array to the pool. */
  private convolutionResult(out: Float32Array, done: number, operands: readonly { data: Float32Array; copied: boolean }[], compose: () => CpuBuffer): CpuBuffer {
    for (const v of operands) if (v.copied) this.pool.put("float32", v.data);
    if (done) return new CpuBuffer("float32", out);
    this.pool.put("float32", out);
    return compose();
  }

  /** The operand's array and layout, made contiguous first when BLAS cannot read its strides. */
  private blasOperand(v: View, rows: number, cols: number): { data: Float32Array; offset: number; batchStride: number; layout: { ld: number; trans: number }; copied: boolean } {
    const [sb, sr, sc] = v.strides as [number, number, number];
    const layout = blasLayout(rows, cols, sr, sc);
    if (layout) return { data: (v.buf as CpuBuffer).data as Float32Array, offset: v.offset, batchStride: sb, layout, copied: false };
    const data = this.contiguous(v).data as Float32Array;
    return { data, offset: 0, batchStride: rows * cols, layout: { ld: Math.max(cols, 1), trans: 0 }, copied: true };
  }

  override optimizerStep(kernel: OptimizerKernel, bufs: readonly BackendBuffer[], constants: Float32Array): void {
    checkOptimizerBuffers(this.name, kernel, bufs, constants);
    this.addon.optimizerStep(OPTIMIZER_KERNEL_CODE[kernel], bufs.map((b) => (b as CpuBuffer).data as Float32Array), constants);
  }
}

/** The native backend, or an Error saying why it cannot run here. */
export async function createNativeBackend(): Promise<NativeBackend> {
  const { loadNativeAddon } = await import("./load-native.js");
  return new NativeBackend(loadNativeAddon());
}
