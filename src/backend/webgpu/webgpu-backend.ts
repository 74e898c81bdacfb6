/// <reference types="@webgpu/types" />
import type {
  AnyTypedArray,
  Backend,
  BackendBuffer,
  BinaryOp,
  DType,
  OptimizerKernel,
  ReduceOp,
  UnaryOp,
  View,
  WindowGeometry,
} from "../backend.js";
import { productsThenSum } from "../matmul-sum-batch.js";
import { convolutionByColumns, convolutionInputGradByColumns, convolutionWeightGradByColumns } from "../conv-by-columns.js";
import { checkOptimizerBuffers } from "../optimizer-kernels.js";
import { optimizerKernel, optimizerKernelKey } from "./wgsl/optim.js";
import type { PoolStats } from "./buffer-pool.js";
import type { DispatchStats, GpuContext } from "./gpu-context.js";
import { type Scalar, convert, f32Bits, storageType, words } from "./wgsl/common.js";
import { collapseDims, contiguousStrides, isRowMajor, numel, windowOutputSize } from "../../tensor/shape.js";
import { binaryExpr, isPredicate, toOut, unaryExpr } from "./wgsl/elementwise.js";
import { type ExprNode, type OpNode, graphStats, lowerGraph, opNode } from "./wgsl/fused.js";
import { argReduceKernel, reduceKernel } from "./wgsl/reduce.js";
import { MATMUL_PARAMS, type MatmulConfig, matmulKernel, matmulKey } from "./wgsl/matmul.js";
import { col2imKernel, copyViewKernel, gatherKernel, im2colKernel, scatterKernel } from "./wgsl/indexing.js";
import { maxPoolKernel } from "./wgsl/pool.js";

/** A not-yet-computed elementwise result: an expression graph over `shape`. */
interface LazyValue {
  root: ExprNode<WebGPUBuffer>;
  shape: readonly number[];
  /** Leaf buffers this graph holds a reference on. */
  bufs: WebGPUBuffer[];
  /** No leaves (constants only): every element is the same, so any view may inline it. */
  uniform: boolean;
}

/**
 * A buffer of `size` elements, 4 bytes each on the GPU (bool is one u32 per element). It is
 * either concrete (`gpu` set) or lazy (`lazy` set: computed, by one fused kernel, when something
 * other than an elementwise op needs it). `refs` counts the frontend's handle plus the lazy
 * graphs that read it.
 */
export class WebGPUBuffer implements BackendBuffer {
  /** Set when the frontend has freed it. */
  released = false;
  refs = 1;
  gpu: GPUBuffer | null = null;
  /** Bytes actually allocated (the pool's size class). */
  allocated = 0;
  lazy: LazyValue | null = null;
  constructor(
    readonly dtype: DType,
    readonly size: number,
  ) {}
}

function checkBuf(b: BackendBuffer, op: string): WebGPUBuffer {
  const w = b as WebGPUBuffer;
  if (!(w instanceof WebGPUBuffer)) throw new Error(`webgpu ${op}: buffer does not belong to the webgpu backend`);
  if (w.released) throw new Error(`webgpu ${op}: buffer used after free`);
  return w;
}

/** A view over exactly a lazy value's elements in its own order (so its graph can be inlined). */
function isFullView(v: View, shape: readonly number[]): boolean {
  if (v.offset !== 0 || v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) return false;
  const cs = contiguousStrides(v.shape);
  return v.strides.every((s, d) => s === cs[d] || v.shape[d] === 1);
}

/** Op nodes one fused kernel may hold before its inputs are computed separately. */
const MAX_FUSED_OPS = 48;

const INIT: Record<ReduceOp, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

/**
 * The WebGPU backend: every primitive as a generated WGSL kernel (see wgsl/), dispatched through
 * a GpuContext that batches commands, caches pipelines and pools buffers. Reads are async only.
 */
export class WebGPUBackend implements Backend {
  readonly name = "webgpu";
  readonly canReadSync = false;
  /** The device's binding limit: one tensor can be at most this large. */
  get maxBufferBytes(): number {
    return this.ctx.limits.maxStorageBinding;
  }
  /** Invocations per 1-D workgroup and per reduction workgroup (a power of two), from the limits. */
  private readonly wg: number;
  /** Buffers whose value is still a lazy graph (the in-place optimizer step computes the readers of what it overwrites). */
  private readonly lazyBuffers = new Set<WebGPUBuffer>();
  private readonly wgPow2: number;
  /** Elementwise fusion (NEURITE_WEBGPU_FUSION=0 turns it off: one kernel per op). */
  fusion: boolean;

  constructor(readonly ctx: GpuContext, options: { fusion?: boolean } = {}) {
    const l = ctx.limits;
    this.wg = Math.min(256, l.maxInvocations, l.maxSizeX);
    this.wgPow2 = 2 ** Math.floor(Math.log2(this.wg));
    this.fusion = options.fusion ?? true;
  }

  /** Adapter/driver description, limits and features in use. */
  get description(): string {
    return this.ctx.description;
  }

  /** Live and pooled GPU bytes (what `nt.memory()` counts is the tensors' logical bytes). */
  gpuMemory(): PoolStats {
    return this.ctx.storage.stats();
  }

  /** Same as gpuMemory(), under the name the wasm backend uses. */
  memoryInfo(): PoolStats {
    return this.gpuMemory();
  }

  /** Kernel dispatches, fused ops, submits, pipelines compiled, uploads and readbacks so far. */
  dispatchStats(): DispatchStats {
    return { ...this.ctx.stats };
  }

  // ---- memory ----

  private newBuf(dtype: DType, size: number, op: string): WebGPUBuffer {
    const out = this.lazyBuf(dtype, size, op);
    this.attach(out);
    return out;
  }

  /** A buffer object with no GPU memory yet. */
  private lazyBuf(dtype: DType, size: number, op: string): WebGPUBuffer {
    storageType(dtype, op);
    this.ctx.checkError();
    const bytes = size * 4;
    if (bytes > this.ctx.limits.maxStorageBinding) {
      throw new RangeError(`webgpu ${op}: a ${dtype} buffer of ${size} elements (${bytes} bytes) exceeds this device's maxStorageBufferBindingSize (${this.ctx.limits.maxStorageBinding} bytes)`);
    }
    return new WebGPUBuffer(dtype, size);
  }

  private attach(b: WebGPUBuffer): GPUBuffer {
    const { buffer, bytes } = this.ctx.storage.acquire(Math.max(b.size * 4, 4));
    b.gpu = buffer;
    b.allocated = bytes;
    return buffer;
  }

  /** The GPU buffer behind `b`, computing it first if it is lazy. */
  private gbuf(b: BackendBuffer, op: string): GPUBuffer {
    const w = checkBuf(b, op);
    if (w.lazy) this.materialise(w);
    return w.gpu!;
  }

  private decRef(b: WebGPUBuffer): void {
    if (--b.refs > 0) return;
    if (b.lazy) this.dropLazy(b);
    else if (b.gpu) {
      this.ctx.storage.release(b.gpu, b.allocated);
      b.gpu = null;
    }
  }

  alloc(dtype: DType, size: number): WebGPUBuffer {
    const out = this.newBuf(dtype, size, "alloc");
    if (size > 0) this.ctx.clear(out.gpu!, size * 4);
    return out;
  }

  upload(dtype: DType, data: AnyTypedArray): WebGPUBuffer {
    const t = storageType(dtype, "upload");
    // A single value (scalar operands) becomes a constant that fused kernels take as a parameter.
    if (data.length === 1 && this.fusion) return this.constant(dtype, t, data[0]!, 1);
    const out = this.newBuf(dtype, data.length, "upload");
    if (data.length === 0) return out;
    let host: Float32Array | Int32Array | Uint32Array;
    if (dtype === "float32") host = data instanceof Float32Array ? data : Float32Array.from(data);
    else if (dtype === "int32") host = data instanceof Int32Array ? data : Int32Array.from(data, (v) => Math.trunc(v));
    else host = Uint32Array.from(data, (v) => (v ? 1 : 0));
    this.ctx.write(out.gpu!, host);
    return out;
  }

  free(buf: BackendBuffer): void {
    const w = buf as WebGPUBuffer;
    if (w.released) return;
    w.released = true;
    this.decRef(w);
  }

  async read(buf: BackendBuffer): Promise<AnyTypedArray> {
    const w = checkBuf(buf, "read");
    storageType(w.dtype, "read");
    if (w.size === 0) return w.dtype === "float32" ? new Float32Array(0) : w.dtype === "int32" ? new Int32Array(0) : new Uint8Array(0);
    // Hold the buffer while the copy is in flight, in case the caller frees it meanwhile.
    const gpu = this.gbuf(w, "read");
    w.refs++;
    let bytes: ArrayBuffer;
    try {
      bytes = await this.ctx.read(gpu, w.size * 4);
    } finally {
      this.decRef(w);
    }
    if (w.dtype === "float32") return new Float32Array(bytes);
    if (w.dtype === "int32") return new Int32Array(bytes);
    return Uint8Array.from(new Uint32Array(bytes));
  }

  readSync(_buf: BackendBuffer): AnyTypedArray {
    throw new Error("webgpu: readSync is not possible on the webgpu backend (GPU readback is asynchronous); use await t.data() / await t.item()");
  }

  // ---- elementwise (expression graphs, fused) ----

  /** The expression a view contributes: an inlined lazy graph, or a load from a GPU buffer. */
  private nodeOf(v: View, op: string, inline: boolean): ExprNode<WebGPUBuffer> {
    const b = checkBuf(v.buf, op);
    if (b.lazy) {
      if (b.lazy.uniform) return b.lazy.root;
      if (inline && isFullView(v, b.lazy.shape)) return b.lazy.root;
      this.materialise(b);
    }
    return { kind: "leaf", buf: b, offset: v.offset, strides: v.strides, type: storageType(b.dtype, op) };
  }

  private constant(dtype: DType, t: Scalar, value: number, size: number): WebGPUBuffer {
    const out = this.lazyBuf(dtype, size, "constant");
    const bits = t === "f32" ? f32Bits(value) : t === "i32" ? value | 0 : value ? 1 : 0;
    out.lazy = { root: { kind: "const", bits, type: t }, shape: [size], bufs: [], uniform: true };
    return out;
  }

  /**
   * Builds `f(inputs)` as a lazy buffer. Inputs that are lazy and read in order are inlined, so
   * chains fuse; a graph past the binding or size limits gets its inputs computed first; with
   * fusion off the result is computed at once.
   */
  private elementwise(op: string, views: readonly View[], shape: readonly number[], outDtype: DType, f: (vals: string[]) => string): WebGPUBuffer {
    const n = numel(shape);
    const outType = storageType(outDtype, op);
    const out = this.lazyBuf(outDtype, n, op);
    if (n === 0) {
      this.attach(out);
      return out;
    }
    const build = (inline: boolean) => opNode(f, views.map((v) => this.nodeOf(v, op, inline)), outType);
    let root = build(this.fusion);
    let stats = graphStats(root);
    if (stats.bufs.size > this.ctx.limits.maxStorageBuffers - 1 || stats.ops > MAX_FUSED_OPS) {
      root = build(false);
      stats = graphStats(root);
    }
    const bufs = [...stats.bufs];
    for (const b of bufs) b.refs++;
    root.owner = out;
    out.lazy = { root, shape: [...shape], bufs, uniform: bufs.length === 0 };
    this.lazyBuffers.add(out);
    if (!this.fusion) this.materialise(out);
    return out;
  }

  /** Forgets a lazy buffer's graph (it was computed, or nothing holds it any more). */
  private dropLazy(b: WebGPUBuffer): void {
    const lazy = b.lazy!;
    b.lazy = null;
    this.lazyBuffers.delete(b);
    if (lazy.root.kind === "op" && lazy.root.owner === b) lazy.root.owner = undefined;
    for (const leaf of lazy.bufs) this.decRef(leaf);
  }

  /**
   * Runs a lazy buffer's graph as one kernel and makes the buffer concrete. Intermediate values
   * of the graph that are still held (saved for backward, optimizer state, ...) are written out by
   * the same kernel, so nothing is computed twice and graphs never chain across steps.
   */
  private materialise(b: WebGPUBuffer): void {
    const lazy = b.lazy!;
    const outType = storageType(b.dtype, "materialise");
    const extra: OpNode<WebGPUBuffer>[] = [];
    const { bufs } = graphStats(lazy.root);
    let room = this.ctx.limits.maxStorageBuffers - bufs.size - 1;
    const seen = new Set<ExprNode<WebGPUBuffer>>();
    const walk = (n: ExprNode<WebGPUBuffer>) => {
      if (n.kind !== "op" || seen.has(n)) return;
      seen.add(n);
      const o = n.owner;
      if (n !== lazy.root && room > 0 && o && o.lazy?.root === n && !o.released && !o.lazy.uniform && o.size === b.size) {
        extra.push(n);
        room--;
      }
      n.args.forEach(walk);
    };
    walk(lazy.root);
    const k = lowerGraph(lazy.root, lazy.shape, outType, (x: WebGPUBuffer) => storageType(x.dtype, "fused"), this.wg, extra);
    const outs = [b, ...extra.map((e) => e.owner!)];
    const gpus = outs.map((o) => this.attach(o));
    const pipeline = this.ctx.pipeline(k.key, k.bufs.length, k.code, outs.length);
    this.ctx.dispatch(pipeline, [...k.bufs.map((x) => x.gpu!), ...gpus], words(k.params), this.ctx.grid(Math.ceil(k.n / this.wg)));
    this.ctx.stats.fusedKernels++;
    this.ctx.stats.fusedOps += k.ops;
    for (const o of outs) this.dropLazy(o);
  }

  unary(op: UnaryOp, x: View): WebGPUBuffer {
    const t = storageType(x.dtype, op);
    const pred = isPredicate(op);
    const outDtype: DType = pred ? "bool" : x.dtype;
    const outType = storageType(outDtype, op);
    return this.elementwise(op, [x], x.shape, outDtype, ([v]) => toOut(unaryExpr(op, v!, t), pred, outType, outDtype === "bool"));
  }

  binary(op: BinaryOp, a: View, b: View, outDtype: DType): WebGPUBuffer {
    const ta = storageType(a.dtype, op);
    const tb = storageType(b.dtype, op);
    const outType = storageType(outDtype, op);
    const pred = isPredicate(op);
    return this.elementwise(op, [a, b], a.shape, outDtype, ([va, vb]) =>
      toOut(binaryExpr(op, va!, vb!, ta, tb, outType), pred, outType, outDtype === "bool"),
    );
  }

  where(cond: View, a: View, b: View): WebGPUBuffer {
    const tc = storageType(cond.dtype, "where");
    const ta = storageType(a.dtype, "where");
    const tb = storageType(b.dtype, "where");
    const test = (c: string) => `!(${c} == ${tc === "f32" ? "0.0" : tc === "u32" ? "0u" : "0"})`; // NaN selects a
    return this.elementwise("where", [cond, a, b], a.shape, a.dtype, ([c, va, vb]) => `select(${convert(vb!, tb, ta)}, ${va}, ${test(c!)})`);
  }

  cast(x: View, dtype: DType): WebGPUBuffer {
    const from = storageType(x.dtype, "cast");
    const to = storageType(dtype, "cast");
    if (x.dtype === dtype) return this.contiguous(x);
    return this.elementwise("cast", [x], x.shape, dtype, ([v]) => convert(v!, from, to, dtype === "bool"));
  }

  contiguous(x: View): WebGPUBuffer {
    storageType(x.dtype, "contiguous");
    const src = checkBuf(x.buf, "contiguous");
    const n = numel(x.shape);
    const contig = contiguousStrides(x.shape);
    if (n > 0 && !src.lazy && x.strides.every((s, d) => s === contig[d] || x.shape[d] === 1)) {
      const out = this.newBuf(x.dtype, n, "contiguous");
      this.ctx.copy(src.gpu!, x.offset * 4, out.gpu!, 0, n * 4);
      return out;
    }
    return this.elementwise("copy", [x], x.shape, x.dtype, ([v]) => v!);
  }

  fill(dtype: DType, size: number, value: number): WebGPUBuffer {
    const t = storageType(dtype, "fill");
    const bits = t === "f32" ? f32Bits(value) : t === "i32" ? value | 0 : value ? 1 : 0;
    if (bits === 0 || size === 0) return this.alloc(dtype, size);
    const out = this.constant(dtype, t, value, size);
    if (!this.fusion) this.materialise(out);
    return out;
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: View, axes: readonly number[]): WebGPUBuffer {
    const t = storageType(x.dtype, op);
    const rank = x.shape.length;
    const keep = [...Array(rank).keys()].filter((d) => !axes.includes(d));
    const outN = numel(keep.map((d) => x.shape[d]!));
    const inner = numel(axes.map((d) => x.shape[d]!));
    if (outN === 0) return this.newBuf(x.dtype, 0, op);
    if (inner === 0) return this.fill(x.dtype, outN, INIT[op]);
    const kept = collapseDims(keep.map((d) => x.shape[d]!), [keep.map((d) => x.strides[d]!)]);
    const red = collapseDims(axes.map((d) => x.shape[d]!), [axes.map((d) => x.strides[d]!)]);
    const L = { kr: kept.shape.length, rr: red.shape.length };
    const mode = inner > 64 && (outN < 2048 || inner >= 4096) ? "workgroup" : "loop";
    const wg = mode === "workgroup" ? this.wgPow2 : this.wg;
    const pipeline = this.ctx.pipeline(`reduce|${op}|${t}|${L.kr}|${L.rr}|${mode}`, 1, () => reduceKernel(op, t, L, mode, wg).code);
    const out = this.newBuf(x.dtype, outN, op);
    const params = [outN, inner, x.offset, ...kept.shape, ...kept.strides[0]!, ...red.shape, ...red.strides[0]!];
    this.ctx.dispatch(pipeline, [this.gbuf(x.buf, op), out.gpu!], words(params), this.ctx.grid(mode === "workgroup" ? outN : Math.ceil(outN / wg)));
    return out;
  }

  argReduce(op: "argmax" | "argmin", x: View, axis: number): WebGPUBuffer {
    const t = storageType(x.dtype, op);
    const rank = x.shape.length;
    const keep = [...Array(rank).keys()].filter((d) => d !== axis);
    const len = x.shape[axis]!;
    const outN = len === 0 ? 0 : numel(keep.map((d) => x.shape[d]!));
    if (outN === 0) return this.newBuf("int32", 0, op);
    const kept = collapseDims(keep.map((d) => x.shape[d]!), [keep.map((d) => x.strides[d]!)]);
    const kr = kept.shape.length;
    const mode = len >= 1024 && outN < 4096 ? "workgroup" : "loop";
    const wg = mode === "workgroup" ? this.wgPow2 : this.wg;
    const pipeline = this.ctx.pipeline(`arg|${op}|${t}|${kr}|${mode}`, 1, () => argReduceKernel(op, t, kr, mode, wg).code);
    const out = this.newBuf("int32", outN, op);
    const params = [outN, len, x.offset, ...kept.shape, ...kept.strides[0]!, x.strides[axis]!];
    this.ctx.dispatch(pipeline, [this.gbuf(x.buf, op), out.gpu!], words(params), this.ctx.grid(mode === "workgroup" ? outN : Math.ceil(outN / wg)));
    return out;
  }

  // ---- routines ----

  conv2d(x: View, w: View, bias: View | null, g: WindowGeometry): WebGPUBuffer {
    return convolutionByColumns<WebGPUBuffer>(this, x, w, bias, g);
  }

  conv2dInputGrad(gy: View, w: View, g: WindowGeometry, xShape: readonly [number, number, number, number]): WebGPUBuffer {
    return convolutionInputGradByColumns<WebGPUBuffer>(this, gy, w, g, xShape);
  }

  conv2dWeightGrad(gy: View, x: View, g: WindowGeometry): WebGPUBuffer {
    return convolutionWeightGradByColumns<WebGPUBuffer>(this, gy, x, g);
  }

  /** The batch of products, then their sum (no batch-reducing GEMM here yet). */
  matmulSumBatch(a: View, b: View): WebGPUBuffer {
    return productsThenSum<WebGPUBuffer>(this, a, b);
  }

  matmul(a: View, b: View): WebGPUBuffer {
    const t = storageType(a.dtype, "matmul");
    storageType(b.dtype, "matmul");
    if (a.dtype !== b.dtype) throw new TypeError(`webgpu matmul: dtypes ${a.dtype} and ${b.dtype} differ`);
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2]!;
    if (B * M * N === 0) return this.newBuf(a.dtype, 0, "matmul");
    if (K === 0) return this.alloc(a.dtype, B * M * N);
    // Strides of size-1 dims never matter; zero them so they do not block vector loads.
    const s = (v: View, d: number) => (v.shape[d] === 1 ? 0 : v.strides[d]!);
    const [sab, sam, sak] = [s(a, 0), s(a, 1), s(a, 2)];
    const [sbb, sbk, sbn] = [s(b, 0), s(b, 1), s(b, 2)];
    const l = this.ctx.limits;
    const small = Math.ceil(M / 64) * Math.ceil(N / 64) * B < 16;
    let wx = small ? 8 : 16;
    let wy = Math.min(wx, Math.floor(l.maxInvocations / wx), l.maxSizeY);
    wx = Math.min(wx, l.maxSizeX);
    let tk = 16;
    while ((4 * wx + 4 * wy) * tk * 4 > l.maxSharedBytes && tk > 4) tk /= 2;
    const TM = 4 * wy;
    const TN = 4 * wx;
    const al4 = (...xs: number[]) => xs.every((x) => x % 4 === 0);
    const aFast: MatmulConfig["aFast"] = K === 1 || sak === 1 ? "k" : M === 1 || sam === 1 ? "m" : "-";
    const bFast: MatmulConfig["bFast"] = N === 1 || sbn === 1 ? "n" : K === 1 || sbk === 1 ? "k" : "-";
    const aVec = aFast === "k" && al4(K, a.offset, sam, sab) && sak <= 1 ? 4 : aFast === "m" && al4(M, a.offset, sak, sab) && sam <= 1 ? 4 : 1;
    const bVec = bFast === "n" && al4(N, b.offset, sbk, sbb) && sbn <= 1 ? 4 : bFast === "k" && al4(K, b.offset, sbn, sbb) && sbk <= 1 ? 4 : 1;
    const cfg: MatmulConfig = {
      t, wx, wy, tk,
      aFast, aVec, bFast, bVec,
      outVec: N % 4 === 0,
      checkM: M % TM !== 0,
      checkN: N % TN !== 0,
      checkK: K % tk !== 0,
    };
    // With 'k'/'m'/'n' fast axes the kernel assumes stride 1 on that axis.
    const fix = (v: number, fast: boolean) => (fast ? 1 : v);
    const pipeline = this.ctx.pipeline(matmulKey(cfg), 2, () => matmulKernel(cfg));
    const out = this.newBuf(a.dtype, B * M * N, "matmul");
    const gx = Math.ceil(N / TN);
    const gy = Math.ceil(M / TM);
    if (gx > l.maxWorkgroupsPerDim || gy > l.maxWorkgroupsPerDim) throw new RangeError(`webgpu matmul: [${M},${N}] needs more than ${l.maxWorkgroupsPerDim} workgroups per dimension`);
    for (let b0 = 0; b0 < B; b0 += l.maxWorkgroupsPerDim) {
      const nb = Math.min(l.maxWorkgroupsPerDim, B - b0);
      const params = [M, N, K, a.offset, sab, fix(sam, aFast === "m"), fix(sak, aFast === "k"), b.offset, sbb, fix(sbk, bFast === "k"), fix(sbn, bFast === "n"), b0];
      if (params.length !== MATMUL_PARAMS) throw new Error("internal: matmul params");
      this.ctx.dispatch(pipeline, [this.gbuf(a.buf, "matmul"), this.gbuf(b.buf, "matmul"), out.gpu!], words(params), [gx, gy, nb]);
    }
    return out;
  }

  gather(x: View, dim: number, index: View): WebGPUBuffer {
    const t = storageType(x.dtype, "gather");
    this.expectIndex(index, "gather");
    const rank = index.shape.length;
    const n = numel(index.shape);
    const out = this.newBuf(x.dtype, n, "gather");
    if (n === 0) return out;
    const pipeline = this.ctx.pipeline(`gather|${t}|${rank}|${dim}`, 2, () => gatherKernel("gather", t, rank, dim, this.wg).code);
    const params = [n, x.offset, index.offset, ...index.shape, ...x.strides, ...index.strides];
    this.ctx.dispatch(pipeline, [this.gbuf(x.buf, "gather"), this.gbuf(index.buf, "gather"), out.gpu!], words(params), this.ctx.grid(Math.ceil(n / this.wg)));
    return out;
  }

  indexSelect(x: View, dim: number, index: View): WebGPUBuffer {
    const t = storageType(x.dtype, "indexSelect");
    this.expectIndex(index, "indexSelect");
    const shape = [...x.shape];
    shape[dim] = index.shape[0]!;
    const rank = shape.length;
    const n = numel(shape);
    const out = this.newBuf(x.dtype, n, "indexSelect");
    if (n === 0) return out;
    const pipeline = this.ctx.pipeline(`indexSelect|${t}|${rank}|${dim}`, 2, () => gatherKernel("indexSelect", t, rank, dim, this.wg).code);
    const params = [n, x.offset, index.offset, ...shape, ...x.strides, index.strides[0] ?? 0];
    this.ctx.dispatch(pipeline, [this.gbuf(x.buf, "indexSelect"), this.gbuf(index.buf, "indexSelect"), out.gpu!], words(params), this.ctx.grid(Math.ceil(n / this.wg)));
    return out;
  }

  scatterAdd(shape: readonly number[], dim: number, index: View, src: View): WebGPUBuffer {
    const t = storageType(src.dtype, "scatterAdd");
    this.expectIndex(index, "scatterAdd");
    const out = this.alloc(src.dtype, numel(shape));
    const rank = index.shape.length;
    const n = numel(index.shape);
    if (n === 0) return out;
    const pipeline = this.ctx.pipeline(`scatterAdd|${t}|${rank}|${dim}`, 2, () => scatterKernel("scatterAdd", t, rank, dim, this.wg).code);
    const params = [n, src.offset, index.offset, ...index.shape, ...src.strides, ...index.strides, ...contiguousStrides(shape)];
    this.ctx.dispatch(pipeline, [this.gbuf(src.buf, "scatterAdd"), this.gbuf(index.buf, "scatterAdd"), out.gpu!], words(params), this.ctx.grid(Math.ceil(n / this.wg)));
    return out;
  }

  indexAdd(shape: readonly number[], dim: number, index: View, src: View): WebGPUBuffer {
    const t = storageType(src.dtype, "indexAdd");
    this.expectIndex(index, "indexAdd");
    const out = this.alloc(src.dtype, numel(shape));
    const srcShape = [...shape];
    srcShape[dim] = index.shape[0]!;
    const rank = srcShape.length;
    const n = numel(srcShape);
    if (n === 0) return out;
    const pipeline = this.ctx.pipeline(`indexAdd|${t}|${rank}|${dim}`, 2, () => scatterKernel("indexAdd", t, rank, dim, this.wg).code);
    const params = [n, src.offset, index.offset, ...srcShape, ...src.strides, index.strides[0] ?? 0, ...contiguousStrides(shape)];
    this.ctx.dispatch(pipeline, [this.gbuf(src.buf, "indexAdd"), this.gbuf(index.buf, "indexAdd"), out.gpu!], words(params), this.ctx.grid(Math.ceil(n / this.wg)));
    return out;
  }

  /** Copies view `x` into `out` at element offset `outOffset` with strides `outStrides`. */
  private copyInto(x: View, out: WebGPUBuffer, outOffset: number, outStrides: readonly number[], op: string): void {
    const n = numel(x.shape);
    if (n === 0) return;
    const t = storageType(x.dtype, op);
    const { shape, strides } = collapseDims(x.shape, [x.strides, outStrides]);
    const rank = shape.length;
    const pipeline = this.ctx.pipeline(`copyView|${t}|${rank}`, 1, () => copyViewKernel(t, rank, this.wg).code);
    const params = [n, x.offset, outOffset, ...shape, ...strides[0]!, ...strides[1]!];
    this.ctx.dispatch(pipeline, [this.gbuf(x.buf, op), this.gbuf(out, op)], words(params), this.ctx.grid(Math.ceil(n / this.wg)));
  }

  cat(xs: readonly View[], dim: number, outShape: readonly number[]): WebGPUBuffer {
    const out = this.newBuf(xs[0]!.dtype, numel(outShape), "cat");
    const os = contiguousStrides(outShape);
    let start = 0;
    for (const x of xs) {
      if (x.dtype !== out.dtype) throw new TypeError(`webgpu cat: dtypes ${out.dtype} and ${x.dtype} differ`);
      this.copyInto(x, out, start * os[dim]!, os, "cat");
      start += x.shape[dim]!;
    }
    return out;
  }

  pad(x: View, before: readonly number[], after: readonly number[], value: number): WebGPUBuffer {
    const outShape = x.shape.map((d, i) => d + before[i]! + after[i]!);
    const out = this.fill(x.dtype, numel(outShape), value);
    const os = contiguousStrides(outShape);
    this.copyInto(x, out, before.reduce((s, b, i) => s + b * os[i]!, 0), os, "pad");
    return out;
  }

  im2col(x: View, g: WindowGeometry, padValue: number): WebGPUBuffer {
    const t = storageType(x.dtype, "im2col");
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [kh, kw] = g.kernel;
    const { oh, ow } = windowOutputSize(H, W, g);
    const n = N * C * kh * kw * oh * ow;
    const out = this.newBuf(x.dtype, n, "im2col");
    if (n === 0) return out;
    const pipeline = this.ctx.pipeline(`im2col|${t}`, 1, () => im2colKernel(t, this.wg).code);
    const padBits = t === "f32" ? f32Bits(padValue) : t === "i32" ? padValue | 0 : padValue ? 1 : 0;
    const params = [n, N, C, H, W, kh, kw, g.stride[0], g.stride[1], g.padding[0], g.padding[1], g.dilation[0], g.dilation[1], oh, ow, x.offset, ...x.strides, padBits];
    this.ctx.dispatch(pipeline, [this.gbuf(x.buf, "im2col"), out.gpu!], words(params), this.ctx.grid(Math.ceil(n / this.wg)));
    return out;
  }

  col2im(cols: View, g: WindowGeometry, outShape: readonly [number, number, number, number]): WebGPUBuffer {
    const t = storageType(cols.dtype, "col2im");
    const [N, C, H, W] = outShape;
    const { oh, ow } = windowOutputSize(H, W, g);
    const n = N * C * H * W;
    const out = this.newBuf(cols.dtype, n, "col2im");
    if (n === 0) return out;
    const pipeline = this.ctx.pipeline(`col2im|${t}`, 1, () => col2imKernel(t, this.wg).code);
    const params = [n, N, C, H, W, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1], g.padding[0], g.padding[1], g.dilation[0], g.dilation[1], oh, ow, cols.offset, ...cols.strides];
    this.ctx.dispatch(pipeline, [this.gbuf(cols.buf, "col2im"), out.gpu!], words(params), this.ctx.grid(Math.ceil(n / this.wg)));
    return out;
  }

  maxPool2dIndices(x: View, g: WindowGeometry, outSize: readonly [number, number]): WebGPUBuffer {
    return this.maxPool(x, g, outSize, "indices");
  }

  maxPool2d(x: View, g: WindowGeometry, outSize: readonly [number, number]): WebGPUBuffer {
    return this.maxPool(x, g, outSize, "values");
  }

  /** The indices' kernel, then a scatter-add of the gradient to them. */
  maxPool2dBackward(x: View, grad: View, g: WindowGeometry, outSize: readonly [number, number]): WebGPUBuffer {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const L = outSize[0] * outSize[1];
    const idx = this.maxPool2dIndices(x, g, outSize);
    const index: View = { buf: idx, shape: [N, C, L], strides: [C * L, L, 1], offset: 0, dtype: "int32" };
    const dense = isRowMajor(grad.shape, grad.strides) ? null : this.contiguous(grad);
    const src: View = { buf: dense ?? grad.buf, shape: [N, C, L], strides: [C * L, L, 1], offset: dense ? 0 : grad.offset, dtype: grad.dtype };
    const out = this.scatterAdd([N, C, H * W], 2, index, src);
    if (dense) this.free(dense);
    this.free(idx);
    return out;
  }

  private maxPool(x: View, g: WindowGeometry, outSize: readonly [number, number], write: "indices" | "values"): WebGPUBuffer {
    const op = write === "indices" ? "maxPool2dIndices" : "maxPool2d";
    const t = storageType(x.dtype, op);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [oh, ow] = outSize;
    const n = N * C * oh * ow;
    const out = this.newBuf(write === "indices" ? "int32" : x.dtype, n, op);
    if (n === 0) return out;
    const pipeline = this.ctx.pipeline(`${op}|${t}`, 1, () => maxPoolKernel(t, write, this.wg).code);
    const params = [n, C, H, W, ...g.kernel, ...g.stride, ...g.padding, ...g.dilation, oh, ow, x.offset, ...x.strides];
    this.ctx.dispatch(pipeline, [this.gbuf(x.buf, op), out.gpu!], words(params), this.ctx.grid(Math.ceil(n / this.wg)));
    return out;
  }

  optimizerStep(kernel: OptimizerKernel, bufs: readonly BackendBuffer[], constants: Float32Array): void {
    checkOptimizerBuffers(this.name, kernel, bufs, constants);
    const op = `optimizerStep(${kernel})`;
    const own = bufs.map((b) => checkBuf(b, op));
    const written = own.filter((_, i) => i !== 1);
    // Lazy graphs that read a buffer about to be overwritten must see its old value: compute them now.
    const overwritten = new Set(written.filter((w) => w.refs > 1));
    if (overwritten.size > 0) {
      for (const l of [...this.lazyBuffers]) if (l.lazy?.bufs.some((b) => overwritten.has(b))) this.materialise(l);
    }
    const n = own[0]!.size;
    if (n === 0) return;
    const gpus = own.map((b) => this.gbuf(b, op));
    const pipeline = this.ctx.pipeline(optimizerKernelKey(kernel, constants, own.length), 1, () => optimizerKernel(kernel, constants, own.length, this.wg), own.length - 1);
    const params = new Uint32Array(1 + constants.length);
    params[0] = n;
    params.set(new Uint32Array(constants.buffer, constants.byteOffset, constants.length), 1);
    this.ctx.dispatch(pipeline, [gpus[1]!, gpus[0]!, ...gpus.slice(2)], params, this.ctx.grid(Math.ceil(n / this.wg)));
  }

  private expectIndex(index: View, op: string): void {
    if (index.dtype !== "int32") throw new TypeError(`webgpu ${op}: index must be int32, got ${index.dtype}`);
  }

  /** Waits for all submitted work (for timing). */
  async sync(): Promise<void> {
    this.ctx.flush();
    await this.ctx.queue.onSubmittedWorkDone();
    this.ctx.checkError();
  }

  async dispose(): Promise<void> {
    await this.ctx.dispose();
  }
}

