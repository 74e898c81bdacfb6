/**
 * The `wasm` backend: buffers live in one WebAssembly linear memory; kernels are C compiled to
 * wasm SIMD (wasm/src), run on the calling thread plus a pool of workers sharing that memory.
 * float64 and unusual dtype combinations run the cpu reference kernels over the same heap.
 */
import type {
  AnyTypedArray,
  Backend,
  BackendBuffer,
  BinaryOp,
  DType,
  ReduceOp,
  OptimizerKernel,
  UnaryOp,
  View,
  WindowGeometry,
} from "../backend.js";
import { productsThenSum } from "../matmul-sum-batch.js";
import { convolutionByColumns, convolutionInputGradByColumns, convolutionWeightGradByColumns } from "../conv-by-columns.js";
import { checkOptimizerBuffers, OPTIMIZER_CONSTANTS } from "../optimizer-kernels.js";
import { EwScratch, writeEwDescriptor } from "../ew-descriptor.js";
import { argReduceDescriptor, copyIntoDescriptor, ELEMENT_BYTES, elementBits, keptDims, gatherDescriptor, indexSliceDescriptor, reduceDescriptor, scatterAddDescriptor, windowDescriptor } from "../kernel-descriptors.js";
import { HeapAllocator } from "./allocator.js";
import type { KernelExports } from "./loader.js";
import { CpuBackend, CpuBuffer } from "../cpu/cpu-backend.js";
// Op codes are table positions, as in the generated C enums (wasm/src/ops.gen.h).
import { ARG_REDUCE_CODE, BINARY_CODE, BINARY_OPS, REDUCE_CODE, UNARY_CODE, UNARY_OPS } from "../scalar-ops/table.js";
import { contiguousStrides, isRowMajor, numel, shapesEqual as sameShape, shapeToString, stridedOffsets, windowOutputSize } from "../../tensor/shape.js";

const DT: Record<DType, number> = { float32: 0, int32: 1, bool: 2, float64: 3 };

/** Kernel codes and pointer slots of wasm/src/optim.c. */
const OPTIMIZER_KERNEL_CODE: Record<OptimizerKernel, number> = { adam: 0, sgd: 1, rmsprop: 2 };
const OPTIMIZER_BUFFERS = 5;
/** Bytes reserved on the heap for kernel descriptors (index.ts allocates them). */
export const DESC_BYTES = 4096;
/** The shared JS kernels for what the C kernels leave out (float64, unusual dtype mixes). */
const reference = new CpuBackend();

export class WasmBuffer implements BackendBuffer {
  freed = false;
  constructor(
    readonly owner: WasmBackend,
    readonly dtype: DType,
    readonly size: number,
    readonly ptr: number,
    readonly cls: number,
  ) {}
}

export interface WasmBackendInit {
  exports: KernelExports;
  memory: WebAssembly.Memory;
  heap: HeapAllocator;
  descPtr: number;
  variant: string;
}

export class WasmBackend implements Backend {
  readonly name = "wasm";
  readonly canReadSync = true;
  /** Every indexing kernel checks its indices and throws a RangeError on a bad one. */
  readonly validatesIndices = true;
  /** wasm32 addresses 4 GiB: every buffer of the backend lives in that one memory. */
  readonly maxTotalBytes = 2 ** 32;
  /** Which kernel build runs ("relaxed-mt", "simd-mt", "relaxed-st", "simd-st"). */
  readonly variant: string;

  private readonly ex: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly heap: HeapAllocator;
  private readonly descPtr: number;
  private seenGrowths = -1;
  private u8!: Uint8Array;
  private i32!: Int32Array;
  private f32!: Float32Array;
  private f64!: Float64Array;
  private liveBuffers = 0;

  constructor(init: WasmBackendInit) {
    this.ex = init.exports;
    this.memory = init.memory;
    this.heap = init.heap;
    this.descPtr = init.descPtr;
    this.variant = init.variant;
    this.refresh();
  }

  // ---------------------------------------------------------------- heap views

  /**
   * Re-creates the typed-array views after the memory grew (old views keep the old length). Only
   * the heap allocator grows the memory, so its growth count tells without reading
   * `memory.buffer` (a getter that costs more than a small kernel's descriptor).
   */
  private refresh(): void {
    if (this.heap.growths === this.seenGrowths) return;
    this.seenGrowths = this.heap.growths;
    const b = this.memory.buffer;
    this.u8 = new Uint8Array(b);
    this.i32 = new Int32Array(b);
    this.f32 = new Float32Array(b);
    this.f64 = new Float64Array(b);
  }

  private heapOf(dtype: DType): AnyTypedArray {
    this.refresh();
    switch (dtype) {
      case "float32": return this.f32;
      case "int32": return this.i32;
      case "bool": return this.u8;
      default: return this.f64;
    }
  }

  /** A typed array over exactly the buffer's elements (valid until the next allocation). */
  private arrayOf(b: WasmBuffer): AnyTypedArray {
    const h = this.heapOf(b.dtype);
    const e = b.ptr / ELEMENT_BYTES[b.dtype];
    return h.subarray(e, e + b.size);
  }

  /** The view as a cpu-backend view over the heap (valid until the next allocation). */
  private cpuView(v: View): View {
    const b = this.own(v.buf);
    return { buf: new CpuBuffer(v.dtype, this.heapOf(v.dtype)), shape: v.shape, strides: v.strides, offset: b.ptr / ELEMENT_BYTES[v.dtype] + v.offset, dtype: v.dtype };
  }

  /** Copies a cpu-backend result into a fresh heap buffer. */
  private fromReference(result: CpuBuffer): WasmBuffer {
    const o = this.newBuffer(result.dtype, result.size);
    this.arrayOf(o).set(result.data as ArrayLike<number>);
    return o;
  }

  /** Index values must lie in [0, size): the cpu reference does not check them, these kernels promise to. */
  private checkIndices(index: View, size: number, op: string): void {
    const vals = reference.contiguous(this.cpuView(index)).data;
    for (const i of vals) {
      if (!(i >= 0 && i < size)) throw new RangeError(`wasm backend: ${op}: index ${i} out of range [0, ${size})`);
    }
  }

  private own(buf: BackendBuffer): WasmBuffer {
    if (!(buf instanceof WasmBuffer) || buf.owner !== this) {
      throw new Error("wasm backend: buffer belongs to another backend");
    }
    if (buf.freed) throw new Error("wasm backend: use of a freed buffer");
    return buf;
  }

  private ptrOf(v: View): number {
    return this.own(v.buf).ptr + v.offset * ELEMENT_BYTES[v.dtype];
  }

  private readonly ewScratch = new EwScratch();

  /**
   * Writes the elementwise descriptor (ew-descriptor.ts) straight into the heap, without
   * allocating. Returns the descriptor's address, or 0 when the kernels cannot take the layout.
   */
  private ewDesc(shape: readonly number[], s0: readonly number[], s1?: readonly number[], s2?: readonly number[]): number {
    this.refresh();
    return writeEwDescriptor(this.i32, this.descPtr >> 2, this.ewScratch, shape, s0, s1, s2) ? this.descPtr : 0;
  }

  /** Writes a kernel descriptor (int32s) into the reserved scratch area. */
  private desc(ints: readonly number[]): number {
    this.refresh();
    if (ints.length * 4 > DESC_BYTES) throw new Error("wasm backend: descriptor too long");
    this.i32.set(ints, this.descPtr >> 2);
    return this.descPtr;
  }

  private newBuffer(dtype: DType, size: number): WasmBuffer {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`wasm backend: bad buffer size ${size}`);
    const { ptr, cls } = this.heap.alloc(size * ELEMENT_BYTES[dtype]);
    this.liveBuffers++;
    return new WasmBuffer(this, dtype, size, ptr, cls);
  }

  // ---------------------------------------------------------------- memory

  alloc(dtype: DType, size: number): BackendBuffer {
    const b = this.newBuffer(dtype, size);
    this.ex.zero_bytes(b.ptr, size * ELEMENT_BYTES[dtype]);
    return b;
  }

  upload(dtype: DType, data: AnyTypedArray): BackendBuffer {
    const b = this.newBuffer(dtype, data.length);
    const dst = this.arrayOf(b);
    if (dtype === "bool" && !(data instanceof Uint8Array)) {
      for (let i = 0; i < data.length; i++) dst[i] = data[i] !== 0 ? 1 : 0;
    } else {
      dst.set(data as ArrayLike<number>);
    }
    return b;
  }

  free(buf: BackendBuffer): void {
    const b = this.own(buf);
    b.freed = true;
    this.heap.release(b.ptr, b.cls);
    this.liveBuffers--;
  }

  async read(buf: BackendBuffer): Promise<AnyTypedArray> {
    return this.readSync(buf);
  }

  readSync(buf: BackendBuffer): AnyTypedArray {
    return this.arrayOf(this.own(buf)).slice();
  }

  /** Threads the next kernel can use: the requested count, limited to workers already started. */
  activeThreads(): number {
    return this.ex.usable_threads();
  }

  /** Bytes and buffers currently allocated on the wasm heap. */
  memoryInfo(): { buffers: number; bytesInUse: number; heapBytes: number; memoryBytes: number } {
    return {
      buffers: this.liveBuffers,
      bytesInUse: this.heap.inUse,
      heapBytes: this.heap.reserved,
      memoryBytes: this.memory.buffer.byteLength,
    };
  }

  // ---------------------------------------------------------------- elementwise

  unary(op: UnaryOp, x: View): BackendBuffer {
    const outDtype: DType = UNARY_OPS[op].result === "bool" ? "bool" : x.dtype;
    const size = numel(x.shape);
    if (x.dtype !== "float64" || size === 0) {
      const o = this.newBuffer(outDtype, size);
      if (size === 0) return o;
      const d = this.ewDesc(x.shape, x.strides);
      if (d && this.ex.ew_unary(UNARY_CODE[op], DT[x.dtype], o.ptr, this.ptrOf(x), d)) return o;
      this.free(o);
    }
    return this.fromReference(reference.unary(op, this.cpuView(x)));
  }

  binary(op: BinaryOp, a: View, b: View, outDtype: DType): BackendBuffer {
    if (!sameShape(a.shape, b.shape)) {
      throw new Error(`wasm backend: binary ${op}: shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)} differ`);
    }
    const size = numel(a.shape);
    const natural: DType = BINARY_OPS[op].result === "bool" ? "bool" : a.dtype;
    if ((a.dtype === b.dtype && a.dtype !== "float64" && outDtype === natural) || size === 0) {
      const o = this.newBuffer(outDtype, size);
      if (size === 0) return o;
      const d = this.ewDesc(a.shape, a.strides, b.strides);
      if (d && this.ex.ew_binary(BINARY_CODE[op], DT[a.dtype], o.ptr, this.ptrOf(a), this.ptrOf(b), d)) return o;
      this.free(o);
    }
    return this.fromReference(reference.binary(op, this.cpuView(a), this.cpuView(b), outDtype));
  }

  where(cond: View, a: View, b: View): BackendBuffer {
    if (!sameShape(cond.shape, a.shape) || !sameShape(a.shape, b.shape)) {
      throw new Error(
        `wasm backend: where: shapes ${shapeToString(cond.shape)}, ${shapeToString(a.shape)}, ${shapeToString(b.shape)} differ`,
      );
    }
    if (a.dtype !== b.dtype) throw new Error(`wasm backend: where: dtypes ${a.dtype} and ${b.dtype} differ`);
    const size = numel(a.shape);
    if ((cond.dtype === "bool" && a.dtype !== "float64") || size === 0) {
      const o = this.newBuffer(a.dtype, size);
      if (size === 0) return o;
      const d = this.ewDesc(a.shape, cond.strides, a.strides, b.strides);
      if (d && this.ex.ew_where(ELEMENT_BYTES[a.dtype], o.ptr, this.ptrOf(cond), this.ptrOf(a), this.ptrOf(b), d)) return o;
      this.free(o);
    }
    return this.fromReference(reference.where(this.cpuView(cond), this.cpuView(a), this.cpuView(b)));
  }

  cast(x: View, dtype: DType): BackendBuffer {
    if (x.dtype === dtype) return this.contiguous(x);
    const size = numel(x.shape);
    if ((x.dtype !== "float64" && dtype !== "float64") || size === 0) {
      const o = this.newBuffer(dtype, size);
      if (size === 0) return o;
      const d = this.ewDesc(x.shape, x.strides);
      if (d && this.ex.ew_cast(DT[x.dtype], DT[dtype], o.ptr, this.ptrOf(x), d)) return o;
      this.free(o);
    }
    return this.fromReference(reference.cast(this.cpuView(x), dtype));
  }

  contiguous(x: View): BackendBuffer {
    const size = numel(x.shape);
    const o = this.newBuffer(x.dtype, size);
    if (size === 0) return o;
    const d = this.ewDesc(x.shape, x.strides);
    if (d) {
      this.ex.ew_copy(ELEMENT_BYTES[x.dtype], o.ptr, this.ptrOf(x), d);
      return o;
    }
    this.free(o);
    return this.fromReference(reference.contiguous(this.cpuView(x)));
  }

  optimizerStep(kernel: OptimizerKernel, bufs: readonly BackendBuffer[], constants: Float32Array): void {
    checkOptimizerBuffers(this.name, kernel, bufs, constants);
    const own = bufs.map((b) => this.own(b));
    // Descriptor: OPTIMIZER_BUFFERS pointers (0 where unused), then the constants (optim.c).
    const ptrs = Array.from({ length: OPTIMIZER_BUFFERS }, (_, i) => own[i]?.ptr ?? 0);
    const desc = this.desc(ptrs);
    const constsPtr = desc + OPTIMIZER_BUFFERS * 4;
    this.f32.set(constants.subarray(0, OPTIMIZER_CONSTANTS), constsPtr >> 2);
    this.ex.optimizer_step(OPTIMIZER_KERNEL_CODE[kernel], desc, constsPtr, own[0]!.size);
  }

  fill(dtype: DType, size: number, value: number): BackendBuffer {
    const o = this.newBuffer(dtype, size);
    if (size > 0) this.fillBits(o.ptr, dtype, size, value);
    return o;
  }

  private fillBits(ptr: number, dtype: DType, size: number, value: number): void {
    const [lo, hi] = elementBits(dtype, value);
    this.ex.fill_bits(ptr, ELEMENT_BYTES[dtype], size, lo, hi);
  }

  // ---------------------------------------------------------------- reductions

  reduce(op: ReduceOp, x: View, axes: readonly number[]): BackendBuffer {
    const nd = x.shape.length;
    for (const a of axes) {
      if (!(a >= 0 && a < nd)) throw new RangeError(`wasm backend: reduce ${op}: axis ${a} out of range for ${shapeToString(x.shape)}`);
    }
    const axisSet = new Set(axes);
    const kept = keptDims(nd, axisSet);
    const outSize = numel(kept.map((d) => x.shape[d]));
    const o = this.newBuffer(x.dtype, outSize);
    if (outSize === 0) return o;
    if (numel(x.shape) === 0) {
      const id = op === "sum" ? 0 : op === "prod" ? 1 : op === "max" ? -Infinity : Infinity;
      this.fillBits(o.ptr, x.dtype, outSize, id);
      return o;
    }
    const desc = x.dtype === "float32" || x.dtype === "int32" ? reduceDescriptor(x, axisSet) : null;
    if (desc && "copy" in desc) {
      // only size-1 dims reduced: a copy
      this.ex.ew_copy(4, o.ptr, this.ptrOf(x), this.desc(desc.copy));
      return o;
    }
    if (desc && this.ex.reduce(REDUCE_CODE[op], DT[x.dtype as "float32" | "int32"], o.ptr, this.ptrOf(x), this.desc(desc.reduce))) return o;
    this.free(o);
    const r = reference.reduce(op, this.cpuView(x), [...axisSet].sort((p, q) => p - q));
    if (x.dtype === "bool") for (let i = 0; i < r.data.length; i++) r.data[i] = r.data[i] !== 0 ? 1 : 0;
    return this.fromReference(r);
  }

  argReduce(op: "argmax" | "argmin", x: View, axis: number): BackendBuffer {
    const nd = x.shape.length;
    if (!(axis >= 0 && axis < nd)) throw new RangeError(`wasm backend: ${op}: axis ${axis} out of range for ${shapeToString(x.shape)}`);
    if (x.shape[axis] === 0) throw new RangeError(`wasm backend: ${op}: cannot reduce an empty dimension`);
    const kept = keptDims(nd, new Set([axis]));
    const outSize = numel(kept.map((d) => x.shape[d]));
    const o = this.newBuffer("int32", outSize);
    if (outSize === 0) return o;
    const desc = x.dtype === "float32" || x.dtype === "int32" ? argReduceDescriptor(x, axis) : null;
    if (desc && this.ex.arg_reduce(ARG_REDUCE_CODE[op], DT[x.dtype as "float32" | "int32"], o.ptr, this.ptrOf(x), this.desc(desc))) return o;
    this.free(o);
    return this.fromReference(reference.argReduce(op, this.cpuView(x), axis));
  }

  // ---------------------------------------------------------------- routines

  // Convolutions: conv.c's kernels (each sample's columns in a thread's scratch) for float32, the
  // column routines composed (conv-by-columns.ts) otherwise or where the kernel declines.

  conv2d(x: View, w: View, bias: View | null, g: WindowGeometry): BackendBuffer {
    const [N, , H, W] = x.shape as [number, number, number, number];
    const [O, K] = w.shape as [number, number];
    const { oh, ow } = windowOutputSize(H, W, g);
    const geo = x.dtype === "float32" && w.dtype === "float32" && N * O * oh * ow * K > 0 ? windowDescriptor(x.shape, x.strides, g, oh, ow) : null;
    if (geo) {
      const o = this.newBuffer("float32", N * O * oh * ow);
      const [wos, wks] = w.strides as [number, number];
      if (this.convolve(0, geo, O, (d, s) => this.ex.conv2d_f32(o.ptr, this.ptrOf(x), this.ptrOf(w), wos, wks, bias ? this.ptrOf(bias) : 0, bias?.strides[0] ?? 0, d, O, s))) return o;
      this.free(o);
    }
    return convolutionByColumns(this, x, w, bias, g);
  }

  conv2dInputGrad(gy: View, w: View, g: WindowGeometry, xShape: readonly [number, number, number, number]): BackendBuffer {
    const [O, K] = w.shape as [number, number];
    const { oh, ow } = windowOutputSize(xShape[2], xShape[3], g);
    const geo = gy.dtype === "float32" && w.dtype === "float32" && numel(xShape) * O * K > 0 ? windowDescriptor(xShape, contiguousStrides(xShape), g, oh, ow) : null;
    if (geo) {
      const o = this.newBuffer("float32", numel(xShape));
      const [gns, gos, gls] = gy.strides as [number, number, number];
      const [wos, wks] = w.strides as [number, number];
      if (this.convolve(1, geo, O, (d, s) => this.ex.conv2d_input_grad_f32(o.ptr, this.ptrOf(gy), gns, gos, gls, this.ptrOf(w), wos, wks, d, O, s))) return o;
      this.free(o);
    }
    return convolutionInputGradByColumns(this, gy, w, g, xShape);
  }

  conv2dWeightGrad(gy: View, x: View, g: WindowGeometry): BackendBuffer {
    const [N, O, L] = gy.shape as [number, number, number];
    const [, C, H, W] = x.shape as [number, number, number, number];
    const K = C * g.kernel[0] * g.kernel[1];
    const { oh, ow } = windowOutputSize(H, W, g);
    const geo = gy.dtype === "float32" && x.dtype === "float32" && N * O * L * K > 0 ? windowDescriptor(x.shape, x.strides, g, oh, ow) : null;
    if (geo) {
      const o = this.newBuffer("float32", O * K);
      const [gns, gos, gls] = gy.strides as [number, number, number];
      if (this.convolve(2, geo, O, (d, s) => this.ex.conv2d_weight_grad_f32(o.ptr, this.ptrOf(gy), gns, gos, gls, this.ptrOf(x), d, O, s))) return o;
      this.free(o);
    }
    return convolutionWeightGradByColumns(this, gy, x, g);
  }

  /** Runs one conv.c routine (`op` 0 forward, 1 input grad, 2 weight grad) with its scratch; false where it declined. */
  private convolve(op: number, geo: readonly number[], O: number, kernel: (desc: number, scratch: number) => number): boolean {
    const floats = this.ex.conv2d_scratch_floats(op, this.desc(geo), O);
    const scratch = this.heap.alloc(floats * 4);
    try {
      return kernel(this.desc(geo), scratch.ptr) === 1;
    } finally {
      this.heap.release(scratch.ptr, scratch.cls);
    }
  }

  /** The batch of products, then their sum (no batch-reducing GEMM here yet). */
  matmulSumBatch(a: View, b: View): BackendBuffer {
    return productsThenSum(this, a, b);
  }

  matmul(a: View, b: View): BackendBuffer {
    const a3 = as3d(a), b3 = as3d(b);
    const [Ba, M, K] = a3.shape, [Bb, K2, N] = b3.shape;
    if (K !== K2) {
      throw new Error(`wasm backend: matmul: shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)} do not align (${K} != ${K2})`);
    }
    if (Ba !== Bb && Ba !== 1 && Bb !== 1) {
      throw new Error(`wasm backend: matmul: batch sizes ${Ba} and ${Bb} differ`);
    }
    if (a.dtype !== b.dtype) throw new Error(`wasm backend: matmul: dtypes ${a.dtype} and ${b.dtype} differ`);
    const B = Math.max(Ba, Bb);
    const asb = Ba === 1 ? 0 : a3.strides[0], bsb = Bb === 1 ? 0 : b3.strides[0];
    const o = this.newBuffer(a.dtype, B * M * N);
    if (B * M * N === 0) return o;
    if (a.dtype === "float32") {
      const threads = this.ex.usable_threads();
      const floats = this.ex.gemm_scratch_floats(B, M, N, K, asb === 0 ? 1 : 0, threads);
      const scratch = this.heap.alloc(floats * 4);
      try {
        this.ex.gemm_f32(
          o.ptr, this.ptrOf(a), asb, a3.strides[1], a3.strides[2],
          this.ptrOf(b), bsb, b3.strides[1], b3.strides[2],
          B, M, N, K, scratch.ptr,
        );
      } finally {
        this.heap.release(scratch.ptr, scratch.cls);
      }
      return o;
    }
    this.free(o);
    const av = this.cpuView(a), bv = this.cpuView(b);
    return this.fromReference(
      reference.matmul(
        { ...av, shape: [B, M, K], strides: [asb, a3.strides[1], a3.strides[2]] },
        { ...bv, shape: [B, K, N], strides: [bsb, b3.strides[1], b3.strides[2]] },
      ),
    );
  }

  gather(x: View, dim: number, index: View): BackendBuffer {
    const nd = index.shape.length;
    if (nd !== x.shape.length) throw new Error(`wasm backend: gather: index rank ${nd} != input rank ${x.shape.length}`);
    if (!(dim >= 0 && dim < nd)) throw new RangeError(`wasm backend: gather: dim ${dim} out of range`);
    const size = numel(index.shape);
    const o = this.newBuffer(x.dtype, size);
    if (size === 0) return o;
    const desc = index.dtype === "int32" ? gatherDescriptor(x, index) : null;
    if (desc) {
      const d = this.desc(desc);
      const bad = this.ex.gather(ELEMENT_BYTES[x.dtype], o.ptr, this.ptrOf(x), this.ptrOf(index), dim, x.shape[dim], d);
      if (bad > 0) {
        this.free(o);
        throw new RangeError(`wasm backend: gather: ${bad} index value(s) out of range [0, ${x.shape[dim]})`);
      }
      return o;
    }
    this.free(o);
    this.checkIndices(index, x.shape[dim], "gather");
    return this.fromReference(reference.gather(this.cpuView(x), dim, this.cpuView(index)));
  }

  scatterAdd(shape: readonly number[], dim: number, index: View, src: View): BackendBuffer {
    const nd = index.shape.length;
    if (nd !== shape.length) throw new Error(`wasm backend: scatterAdd: index rank ${nd} != output rank ${shape.length}`);
    if (!sameShape(index.shape, src.shape)) {
      throw new Error(`wasm backend: scatterAdd: index ${shapeToString(index.shape)} and src ${shapeToString(src.shape)} differ`);
    }
    const o = this.alloc(src.dtype, numel(shape)) as WasmBuffer;
    if (numel(index.shape) === 0 || numel(shape) === 0) return o;
    const desc = (src.dtype === "float32" || src.dtype === "int32") && index.dtype === "int32" ? scatterAddDescriptor(shape, index, src) : null;
    if (desc) {
      const d = this.desc(desc);
      const bad = this.ex.scatter_add(DT[src.dtype], o.ptr, this.ptrOf(src), this.ptrOf(index), dim, shape[dim], d);
      if (bad > 0) {
        this.free(o);
        throw new RangeError(`wasm backend: scatterAdd: ${bad} index value(s) out of range [0, ${shape[dim]})`);
      }
      return o;
    }
    this.free(o);
    this.checkIndices(index, shape[dim], "scatterAdd");
    return this.fromReference(reference.scatterAdd(shape, dim, this.cpuView(index), this.cpuView(src)));
  }

  indexSelect(x: View, dim: number, index: View): BackendBuffer {
    if (index.shape.length !== 1) throw new Error(`wasm backend: indexSelect: index must be 1-D, got ${shapeToString(index.shape)}`);
    const nidx = index.shape[0];
    const outShape = x.shape.slice();
    outShape[dim] = nidx;
    const o = this.newBuffer(x.dtype, numel(outShape));
    if (numel(outShape) === 0) return o;
    const ost = contiguousStrides(outShape);
    const desc = index.dtype === "int32" ? indexSliceDescriptor(x, dim, ost) : null;
    if (desc) {
      const d = this.desc(desc);
      const bad = this.ex.index_select(
        ELEMENT_BYTES[x.dtype], o.ptr, this.ptrOf(x), this.ptrOf(index), index.strides[0], nidx, x.shape[dim],
        ost[dim], x.strides[dim], d,
      );
      if (bad > 0) {
        this.free(o);
        throw new RangeError(`wasm backend: indexSelect: ${bad} index value(s) out of range [0, ${x.shape[dim]})`);
      }
      return o;
    }
    this.free(o);
    this.checkIndices(index, x.shape[dim], "indexSelect");
    return this.fromReference(reference.indexSelect(this.cpuView(x), dim, this.cpuView(index)));
  }

  indexAdd(shape: readonly number[], dim: number, index: View, src: View): BackendBuffer {
    if (index.shape.length !== 1) throw new Error(`wasm backend: indexAdd: index must be 1-D, got ${shapeToString(index.shape)}`);
    const nidx = index.shape[0];
    if (src.shape[dim] !== nidx) throw new Error(`wasm backend: indexAdd: src ${shapeToString(src.shape)} has ${src.shape[dim]} != ${nidx} slices`);
    const o = this.alloc(src.dtype, numel(shape)) as WasmBuffer;
    if (numel(src.shape) === 0) return o;
    const ost = contiguousStrides(shape);
    const desc = (src.dtype === "float32" || src.dtype === "int32") && index.dtype === "int32" ? indexSliceDescriptor(src, dim, ost) : null;
    if (desc) {
      const d = this.desc(desc);
      const bad = this.ex.index_add(
        DT[src.dtype], o.ptr, this.ptrOf(src), this.ptrOf(index), index.strides[0], nidx, shape[dim], ost[dim],
        src.strides[dim], d,
      );
      if (bad > 0) {
        this.free(o);
        throw new RangeError(`wasm backend: indexAdd: ${bad} index value(s) out of range [0, ${shape[dim]})`);
      }
      return o;
    }
    this.free(o);
    this.checkIndices(index, shape[dim], "indexAdd");
    const r = reference.indexAdd(shape, dim, this.cpuView(index), this.cpuView(src));
    if (src.dtype === "bool") for (let i = 0; i < r.data.length; i++) r.data[i] = r.data[i] !== 0 ? 1 : 0;
    return this.fromReference(r);
  }

  cat(xs: readonly View[], dim: number, outShape: readonly number[]): BackendBuffer {
    if (xs.length === 0) throw new Error("wasm backend: cat: no inputs");
    const dtype = xs[0].dtype;
    const o = this.newBuffer(dtype, numel(outShape));
    const ost = contiguousStrides(outShape);
    let at = 0;
    for (const x of xs) {
      if (x.dtype !== dtype) throw new Error(`wasm backend: cat: dtypes ${dtype} and ${x.dtype} differ`);
      if (numel(x.shape) > 0) this.copyInto(o, x, ost, at * ost[dim]);
      at += x.shape[dim];
    }
    if (at !== outShape[dim]) throw new Error(`wasm backend: cat: sizes along dim ${dim} add to ${at}, not ${outShape[dim]}`);
    return o;
  }

  /** Copies view x into buffer o at element offset `dstOffset` with strides `dstStrides`. */
  private copyInto(o: WasmBuffer, x: View, dstStrides: readonly number[], dstOffset: number): void {
    const desc = copyIntoDescriptor(x, dstStrides);
    if (desc) {
      const d = this.desc(desc);
      this.ex.copy_strided(ELEMENT_BYTES[x.dtype], o.ptr + dstOffset * ELEMENT_BYTES[x.dtype], this.ptrOf(x), d);
    } else {
      // more dims than the kernel takes: gather through the reference, scatter here
      const vals = reference.contiguous(this.cpuView(x)).data;
      const dst = stridedOffsets(x.shape, dstStrides, dstOffset);
      const out = this.arrayOf(o);
      for (let i = 0; i < vals.length; i++) out[dst[i]!] = vals[i]!;
    }
  }

  pad(x: View, before: readonly number[], after: readonly number[], value: number): BackendBuffer {
    const outShape = x.shape.map((s, d) => s + before[d] + after[d]);
    const o = this.newBuffer(x.dtype, numel(outShape));
    if (numel(outShape) === 0) return o;
    this.fillBits(o.ptr, x.dtype, numel(outShape), value);
    if (numel(x.shape) > 0) {
      const ost = contiguousStrides(outShape);
      let off = 0;
      for (let d = 0; d < ost.length; d++) off += before[d] * ost[d];
      this.copyInto(o, x, ost, off);
    }
    return o;
  }

  im2col(x: View, g: WindowGeometry, padValue: number): BackendBuffer {
    if (x.shape.length !== 4) throw new Error(`wasm backend: im2col: expected [N,C,H,W], got ${shapeToString(x.shape)}`);
    const [N, C, H, W] = x.shape;
    const [kh, kw] = g.kernel;
    const { oh, ow } = windowOutputSize(H, W, g);
    if (oh <= 0 || ow <= 0) throw new Error(`wasm backend: im2col: window larger than padded input ${shapeToString(x.shape)}`);
    const size = N * C * kh * kw * oh * ow;
    const o = this.newBuffer(x.dtype, size);
    if (size === 0) return o;
    const geoDesc = x.dtype !== "float64" ? windowDescriptor(x.shape, x.strides, g, oh, ow) : null;
    if (geoDesc) {
      const geo = this.desc(geoDesc);
      this.ex.im2col(ELEMENT_BYTES[x.dtype], o.ptr, this.ptrOf(x), geo, elementBits(x.dtype, padValue)[0]);
      return o;
    }
    this.free(o);
    return this.fromReference(reference.im2col(this.cpuView(x), g, padValue));
  }

  col2im(cols: View, g: WindowGeometry, outShape: readonly [number, number, number, number]): BackendBuffer {
    const [N, C, H, W] = outShape;
    const [kh, kw] = g.kernel;
    const { oh, ow } = windowOutputSize(H, W, g);
    if (cols.shape.length !== 3 || cols.shape[0] !== N || cols.shape[1] !== C * kh * kw || cols.shape[2] !== oh * ow) {
      throw new Error(
        `wasm backend: col2im: cols ${shapeToString(cols.shape)} do not match output ${shapeToString(outShape)} ` +
          `(expected [${N},${C * kh * kw},${oh * ow}])`,
      );
    }
    const o = this.alloc(cols.dtype, N * C * H * W) as WasmBuffer;
    if (numel(cols.shape) === 0) return o;
    const geoDesc = cols.dtype === "float32" || cols.dtype === "int32" ? windowDescriptor(outShape, cols.strides, g, oh, ow) : null;
    if (geoDesc) {
      const geo = this.desc(geoDesc);
      this.ex.col2im(DT[cols.dtype], o.ptr, this.ptrOf(cols), geo);
      return o;
    }
    this.free(o);
    return this.fromReference(reference.col2im(this.cpuView(cols), g, outShape));
  }

  maxPool2dIndices(x: View, g: WindowGeometry, outSize: readonly [number, number]): BackendBuffer {
    return this.maxPoolScan("maxPool2dIndices", x, g, outSize, "int32", (dt, out, geo) => this.ex.maxpool2d_indices(dt, out, this.ptrOf(x), geo)) ??
      this.fromReference(reference.maxPool2dIndices(this.cpuView(x), g, outSize));
  }

  maxPool2d(x: View, g: WindowGeometry, outSize: readonly [number, number]): BackendBuffer {
    return this.maxPoolScan("maxPool2d", x, g, outSize, x.dtype, (dt, out, geo) => this.ex.maxpool2d(dt, out, this.ptrOf(x), geo)) ??
      this.fromReference(reference.maxPool2d(this.cpuView(x), g, outSize));
  }

  /** One pool.c forward scan into a fresh [N, C, oh, ow] buffer; null where the reference kernels must run it. */
  private maxPoolScan(op: string, x: View, g: WindowGeometry, outSize: readonly [number, number], outDtype: DType, kernel: (dt: number, outPtr: number, geo: number) => void): BackendBuffer | null {
    if (x.shape.length !== 4) throw new Error(`wasm backend: ${op}: expected [N,C,H,W], got ${shapeToString(x.shape)}`);
    const [N, C] = x.shape;
    const size = N * C * outSize[0] * outSize[1];
    if (size === 0) return this.newBuffer(outDtype, 0);
    const geoDesc = x.dtype === "float32" || x.dtype === "int32" ? windowDescriptor(x.shape, x.strides, g, outSize[0], outSize[1]) : null;
    if (!geoDesc) return null;
    const o = this.newBuffer(outDtype, size);
    kernel(DT[x.dtype as "float32" | "int32"], o.ptr, this.desc(geoDesc));
    return o;
  }

  maxPool2dBackward(x: View, grad: View, g: WindowGeometry, outSize: readonly [number, number]): BackendBuffer {
    if (x.shape.length !== 4) throw new Error(`wasm backend: maxPool2dBackward: expected [N,C,H,W], got ${shapeToString(x.shape)}`);
    const size = numel(x.shape);
    if (size === 0) return this.newBuffer(grad.dtype, 0);
    const geoDesc = x.dtype === "float32" && grad.dtype === "float32" ? windowDescriptor(x.shape, x.strides, g, outSize[0], outSize[1]) : null;
    if (!geoDesc) return this.fromReference(reference.maxPool2dBackward(this.cpuView(x), this.cpuView(grad), g, outSize));
    // The kernel reads the gradient row-major.
    const dense = isRowMajor(grad.shape, grad.strides) ? null : (this.contiguous(grad) as WasmBuffer);
    const o = this.newBuffer("float32", size);
    this.ex.maxpool2d_backward(o.ptr, this.ptrOf(x), dense ? dense.ptr : this.ptrOf(grad), this.desc(geoDesc));
    if (dense) this.free(dense);
    return o;
  }
}

function as3d(v: View): { shape: number[]; strides: number[] } {
  if (v.shape.length === 3) return { shape: [...v.shape], strides: [...v.strides] };
  if (v.shape.length === 2) return { shape: [1, v.shape[0], v.shape[1]], strides: [0, v.strides[0], v.strides[1]] };
  throw new Error(`wasm backend: matmul: expected 2-D or 3-D views, got ${shapeToString(v.shape)}`);
}
