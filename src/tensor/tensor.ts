import type { AnyTypedArray, Backend, BackendBuffer, DType, View } from "../backend/backend.js";
import { readyBackend } from "../backend/registry.js";
import { Storage } from "../memory/storage.js";
import { HandleFinalizer, type Finalizable } from "../memory/handle-finalizer.js";
import { track, untrack } from "../memory/scope.js";
import { contiguousStrides, isContiguous, numel, shapeToString } from "./shape.js";
import { formatTensor } from "./format.js";
import type { GradNode } from "../autograd/node.js";
import type { BackwardOptions } from "../autograd/engine.js";
import * as ops from "../ops/index.js";
import { opObserver } from "../ops/trace-hook.js";

// `using t = ...` and `[Symbol.dispose]()` need Symbol.dispose in the types, which ES2022/DOM
// libraries (a browser project's usual tsconfig) lack. The same declaration as TypeScript's
// esnext.disposable lib; where a runtime lacks the symbol, `dispose()` still works.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

export type Scalar = number | boolean;
export type TensorLike = Tensor | number | boolean;
export type NestedArray = number | boolean | NestedArray[];

let leakWarningsEnabled = false;
let leakedByGc = 0;
const finalizer = new HandleFinalizer((held) => {
  // Safety net: a handle that was never disposed is reclaimed when the GC collects it.
  leakedByGc++;
  held.storage.counters.tensors--;
  held.storage.release();
  if (leakWarningsEnabled) console.warn(`neurite: a tensor on '${held.storage.backend.name}' was reclaimed by the garbage collector; dispose it or use tidy()`);
});

export function setLeakWarnings(enabled: boolean): void {
  leakWarningsEnabled = enabled;
}

export function tensorsReclaimedByGc(): number {
  return leakedByGc;
}

let nextId = 1;

/**
 * A shape or strides array a tensor can keep: frozen, so that handles can share it. Arrays that
 * are frozen already (another tensor's) are shared as they are; others are copied first, since
 * the caller may still change them.
 */
function frozenArray(values: readonly number[]): readonly number[] {
  if (Array.isArray(values)) return Object.isFrozen(values) ? values : Object.freeze(values.slice());
  return Object.freeze(Array.from(values)); // a typed array or other array-like from a JS caller
}

/** With NEURITE_DEBUG_LEAKS=1, every live handle is recorded with its creation stack. */
const debugLeaks = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NEURITE_DEBUG_LEAKS === "1";
export const liveTensorsForDebug = new Map<number, string>();

/**
 * An n-dimensional array on a backend: a strided view of a reference-counted storage.
 * Views (reshape, permute, expand, slices) share the storage; every handle owns one reference.
 */
export class Tensor implements View {
  readonly id = nextId++;
  /** The autograd node that produced this tensor (null for leaves). */
  gradFn: GradNode | null = null;
  grad: Tensor | null = null;
  /** Set by `nn.Parameter`: Modules register such fields as parameters. */
  isParameter = false;
  private _requiresGrad = false;
  private _disposed = false;
  private _storage: Storage;
  private _shape: readonly number[];
  private _strides: readonly number[];
  private _offset: number;
  private _dtype: DType;
  /** What the GC safety net releases; made when the handle is registered with it (handle-finalizer.ts). */
  private held: Finalizable | null = null;

  /**
   * Takes ownership of one reference to `storage`. Use the factory functions instead. Frozen
   * `shape` and `strides` arrays are kept as they are (shared), others are copied.
   */
  constructor(storage: Storage, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType) {
    this._storage = storage;
    this._shape = frozenArray(shape);
    this._strides = frozenArray(strides);
    this._offset = offset;
    this._dtype = dtype;
    storage.counters.tensors++;
    finalizer.watch(this);
    track(this);
    if (debugLeaks) liveTensorsForDebug.set(this.id, new Error().stack ?? "");
  }

  // ---------- metadata ----------
  get shape(): readonly number[] {
    return this._shape;
  }
  get strides(): readonly number[] {
    return this._strides;
  }
  get offset(): number {
    return this._offset;
  }
  get dtype(): DType {
    return this._dtype;
  }
  get buf() {
    this.assertAlive("read");
    return this._storage.buf;
  }
  get storage(): Storage {
    this.assertAlive("read");
    return this._storage;
  }
  get backend(): Backend {
    return this._storage.backend;
  }
  get device(): string {
    return this._storage.backend.name;
  }
  get ndim(): number {
    return this._shape.length;
  }
  get size(): number {
    return numel(this._shape);
  }
  get isDisposed(): boolean {
    return this._disposed;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(value: boolean) {
    if (value && this.dtype !== "float32" && this.dtype !== "float64") {
      // JavaScript has no 1.0 literal: nt.tensor([1, 2, 3]) is int32 (PyTorch: int64, which cannot require gradients either).
      throw new TypeError(
        `requiresGrad: only floating-point tensors can require gradients (got ${this.dtype})${this.dtype.startsWith("int") || this.dtype.startsWith("uint") ? `; whole numbers make an integer tensor, so pass the dtype: nt.tensor([1, 2, 3], { dtype: "float32", requiresGrad: true })` : ""}`,
      );
    }
    if (!value && this.gradFn) throw new Error("requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()");
    this._requiresGrad = value;
  }
  /** Sets requiresGrad in place and returns this (PyTorch's `requires_grad_`). */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }
  numel(): number {
    return this.size;
  }
  dim(): number {
    return this.ndim;
  }
  isContiguous(): boolean {
    return isContiguous(this._shape, this._strides);
  }

  /** Internal: marks a tensor as produced by `node`. */
  setGradFn(node: GradNode): void {
    this.gradFn = node;
    this._requiresGrad = true;
  }

  assertAlive(op: string): void {
    if (this._disposed) {
      throw new Error(`${op}: tensor #${this.id} of shape ${shapeToString(this._shape)} was already disposed`);
    }
  }

  // ---------- memory ----------
  /** Internal (handle-finalizer.ts): what to release if the GC reclaims this handle; null once disposed. */
  finalizable(): Finalizable | null {
    if (this._disposed) return null;
    return (this.held = { storage: this._storage });
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    if (debugLeaks) liveTensorsForDebug.delete(this.id);
    finalizer.unwatch(this);
    this._storage.counters.tensors--;
    this._storage.release();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
  /** Exempts this tensor from every enclosing `tidy` (it must then be disposed by hand). */
  keep(): this {
    untrack(this);
    return this;
  }

  /**
   * Internal: for a handle autograd saved for a gradient rule, the tensor it stands for (so that
   * higher-order gradients through the handle reach that tensor).
   */
  savedFrom: Tensor | null = null;

  /**
   * Internal: the handle a GradNode saves: shares the view and keeps this tensor's place in the
   * graph (gradFn, requiresGrad), so gradient rules run with createGraph are differentiable in turn.
   */
  savedHandle(): Tensor {
    const h = this.shareView();
    h.gradFn = this.gradFn;
    h._requiresGrad = this._requiresGrad;
    h.savedFrom = this.savedFrom ?? this;
    return h;
  }

  /** A new handle on the same view (one more reference to the storage). */
  shareView(): Tensor {
    this.assertAlive("shareView");
    return new Tensor(this._storage.retain(), this._shape, this._strides, this._offset, this._dtype);
  }

  /**
   * Replaces this tensor's contents by `source`'s (in place, same shape and dtype), keeping the
   * identity of the handle. Optimizers and `loadStateDict` update parameters this way.
   */
  assign(source: Tensor): this {
    this.assertAlive("assign");
    source.assertAlive("assign");
    opObserver()?.mutation(this);
    if (source.shape.length !== this.shape.length || source.shape.some((d, i) => d !== this.shape[i])) {
      throw new RangeError(`assign: shape ${shapeToString(source.shape)} does not match ${shapeToString(this.shape)}`);
    }
    if (source.dtype !== this.dtype) throw new TypeError(`assign: dtype ${source.dtype} does not match ${this.dtype}`);
    if (source.device !== this.device) throw new Error(`assign: tensor on '${source.device}' cannot be assigned to one on '${this.device}'`);
    const next = source._storage.retain();
    this._storage.release();
    this._storage = next;
    if (this.held) this.held.storage = next;
    this._strides = source._strides;
    this._offset = source._offset;
    return this;
  }

  /**
   * This tensor's buffer, for a kernel that writes into it (the fused optimizer step). A tensor
   * that shares its storage (views, tensors saved for backward) or views part of a buffer first
   * gets a contiguous copy of its own, so the write changes this tensor only, as `assign` would.
   */
  exclusiveBuffer(op: string): BackendBuffer {
    this.assertAlive(op);
    opObserver()?.mutation(this);
    if (!this.ownsStorageAlone()) {
      const copy = ops.clone(this);
      this.assign(copy);
      copy.dispose();
    }
    return this._storage.buf;
  }

  /** Whether this handle is the storage's only one and views all of it, contiguously: writing into the buffer changes no other tensor. */
  ownsStorageAlone(): boolean {
    return this._storage.refCount === 1 && this.ownsWholeBuffer();
  }

  /** Whether the view is the whole buffer, contiguous from offset 0 (kernels can take the buffer as is). */
  ownsWholeBuffer(): boolean {
    return this._offset === 0 && this._storage.buf.size === this.size && this.isContiguous();
  }

  // ---------- reading ----------
  /** A contiguous typed-array copy of the values. */
  async data(): Promise<AnyTypedArray> {
    this.assertAlive("data");
    if (this.isContiguous() && this._offset === 0 && this._storage.buf.size === this.size) {
      return this.backend.read(this._storage.buf);
    }
    const c = ops.contiguousCopy(this);
    try {
      return await this.backend.read(c.storage.buf);
    } finally {
      c.dispose();
    }
  }
  dataSync(): AnyTypedArray {
    this.assertAlive("dataSync");
    if (!this.backend.canReadSync) {
      throw new Error(`dataSync: backend '${this.device}' can only be read asynchronously; use await t.data()`);
    }
    if (this.isContiguous() && this._offset === 0 && this._storage.buf.size === this.size) {
      return this.backend.readSync(this._storage.buf);
    }
    const c = ops.contiguousCopy(this);
    try {
      return this.backend.readSync(c.storage.buf);
    } finally {
      c.dispose();
    }
  }
  async item(): Promise<number> {
    if (this.size !== 1) throw new RangeError(`item: tensor of shape ${shapeToString(this.shape)} has ${this.size} elements, expected exactly 1`);
    return (await this.data())[0]!;
  }
  itemSync(): number {
    if (this.size !== 1) throw new RangeError(`item: tensor of shape ${shapeToString(this.shape)} has ${this.size} elements, expected exactly 1`);
    return this.dataSync()[0]!;
  }
  async tolist(): Promise<NestedArray> {
    return toNested(await this.data(), this.shape, this.dtype === "bool");
  }
  /** The values as nested arrays, read synchronously (cpu and wasm; webgpu: await tolist()). */
  tolistSync(): NestedArray {
    return toNested(this.dataSync(), this.shape, this.dtype === "bool");
  }
  /** `console.log(t)` and `util.inspect(t)` in Node print the values, as PyTorch's repr does. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
  toString(): string {
    if (!this.backend.canReadSync || this._disposed) {
      return `Tensor(shape=${shapeToString(this.shape)}, dtype=${this.dtype}, device=${this.device})`;
    }
    return formatTensor(this.dataSync(), this.shape, this.dtype, this.gradFn ? this.gradFn.prim : null);
  }

  /**
   * Copies to another (initialised) backend. Needs a synchronous read of the source; from a
   * backend that is read asynchronously (webgpu) use `await t.toAsync(device)`.
   */
  to(device: string): Tensor {
    if (device === this.device) return this;
    this.assertAlive("to");
    const target = readyBackend(device, "to");
    if (!this.backend.canReadSync) {
      throw new Error(`to: a tensor on '${this.device}' (shape ${shapeToString(this.shape)}, ${this.dtype}) can only be read asynchronously; use await t.toAsync("${device}")`);
    }
    return this.uploadTo(target, this.dataSync());
  }

  /** Copies to another (initialised) backend; works from every backend, webgpu included. */
  async toAsync(device: string): Promise<Tensor> {
    if (device === this.device) return this;
    this.assertAlive("toAsync");
    const target = readyBackend(device, "toAsync");
    return this.uploadTo(target, await this.data());
  }

  private uploadTo(target: Backend, values: AnyTypedArray): Tensor {
    const buf = target.upload(this.dtype, values);
    return new Tensor(new Storage(target, buf), this.shape, contiguousStrides(this.shape), 0, this.dtype);
  }

  // ---------- autograd ----------
  /**
   * Accumulates gradients into the leaves' `.grad`: `backward()`, `backward(grad)`,
   * `backward({ createGraph, retainGraph, gradient })` or `backward(grad, { createGraph, retainGraph })`.
   */
  backward(gradOrOptions?: Tensor | (BackwardOptions & { gradient?: Tensor }), options: BackwardOptions = {}): void {
    if (gradOrOptions instanceof Tensor || gradOrOptions === undefined) ops.backward(this, gradOrOptions, options);
    else ops.backward(this, gradOrOptions.gradient, gradOrOptions);
  }
  detach(): Tensor {
    return this.shareView();
  }
  clone(): Tensor {
    return ops.clone(this);
  }

  // ---------- elementwise ----------
  add(other: TensorLike, alpha?: number): Tensor {
    return ops.add(this, alpha === undefined ? other : ops.mul(other, alpha));
  }
  sub(other: TensorLike, alpha?: number): Tensor {
    return ops.sub(this, alpha === undefined ? other : ops.mul(other, alpha));
  }
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return ops.pow(this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  sin(): Tensor {
    return ops.sin(this);
  }
  cos(): Tensor {
    return ops.cos(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  gelu(approximate: "none" | "tanh" = "none"): Tensor {
    return ops.gelu(this, approximate);
  }
  silu(): Tensor {
    return ops.silu(this);
  }
  square(): Tensor {
    return ops.mul(this, this);
  }
  reciprocal(): Tensor {
    return ops.reciprocal(this);
  }
  log1p(): Tensor {
    return ops.log1p(this);
  }
  expm1(): Tensor {
    return ops.expm1(this);
  }
  atan2(other: TensorLike): Tensor {
    return ops.atan2(this, other);
  }
  logit(eps?: number | null): Tensor {
    return ops.logit(this, eps);
  }
  sign(): Tensor {
    return ops.sign(this);
  }
  floor(): Tensor {
    return ops.floor(this);
  }
  ceil(): Tensor {
    return ops.ceil(this);
  }
  round(): Tensor {
    return ops.round(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return ops.clamp(this, min, max);
  }
  eq(other: TensorLike): Tensor {
    return ops.eq(this, other);
  }
  ne(other: TensorLike): Tensor {
    return ops.ne(this, other);
  }
  lt(other: TensorLike): Tensor {
    return ops.lt(this, other);
  }
  le(other: TensorLike): Tensor {
    return ops.le(this, other);
  }
  gt(other: TensorLike): Tensor {
    return ops.gt(this, other);
  }
  ge(other: TensorLike): Tensor {
    return ops.ge(this, other);
  }
  logicalNot(): Tensor {
    return ops.logicalNot(this);
  }
  logicalAnd(other: TensorLike): Tensor {
    return ops.logicalAnd(this, other);
  }
  logicalOr(other: TensorLike): Tensor {
    return ops.logicalOr(this, other);
  }
  where(condition: Tensor, other: TensorLike): Tensor {
    return ops.where(condition, this, other);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }
  astype(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  float(): Tensor {
    return ops.cast(this, "float32");
  }
  int(): Tensor {
    return ops.cast(this, "int32");
  }
  bool(): Tensor {
    return ops.cast(this, "bool");
  }
  double(): Tensor {
    return ops.cast(this, "float64");
  }

  // ---------- reductions ----------
  sum(dim?: number | number[] | null, keepdim = false): Tensor {
    return ops.sum(this, dim, keepdim);
  }
  mean(dim?: number | number[] | null, keepdim = false): Tensor {
    return ops.mean(this, dim, keepdim);
  }
  var(dim?: number | number[] | null, options: { correction?: number; keepdim?: boolean } | boolean = {}): Tensor {
    return ops.variance(this, dim, typeof options === "boolean" ? { correction: options ? 1 : 0 } : options);
  }
  std(dim?: number | number[] | null, options: { correction?: number; keepdim?: boolean } | boolean = {}): Tensor {
    return ops.std(this, dim, typeof options === "boolean" ? { correction: options ? 1 : 0 } : options);
  }
  prod(dim?: number | number[] | null, keepdim = false): Tensor {
    return ops.prod(this, dim, keepdim);
  }
  /** Maximum values over `dim` (all elements when omitted); use `argmax` for the indices. */
  max(dim?: number | number[] | null, keepdim = false): Tensor {
    return ops.amax(this, dim, keepdim);
  }
  min(dim?: number | number[] | null, keepdim = false): Tensor {
    return ops.amin(this, dim, keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return ops.argmax(this, dim, keepdim);
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return ops.argmin(this, dim, keepdim);
  }
  logsumexp(dim: number | number[], keepdim = false): Tensor {
    return ops.logsumexp(this, dim, keepdim);
  }
  softmax(dim: number): Tensor {
    return ops.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return ops.logSoftmax(this, dim);
  }
  norm(p = 2, dim?: number | number[] | null, keepdim = false): Tensor {
    return ops.norm(this, p, dim, keepdim);
  }

  // ---------- linear algebra ----------
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }

  // ---------- movement ----------
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return ops.reshape(this, flatShapeArgs(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return ops.view(this, flatShapeArgs(shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  transpose(dim0 = -2, dim1 = -1): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  /** Transpose of a tensor of at most 2 dims (PyTorch's `t()`): 0-D and 1-D tensors are returned as they are. */
  t(): Tensor {
    if (this.ndim > 2) throw new RangeError(`t: expects a tensor with at most 2 dims, got shape ${shapeToString(this.shape)}; use transpose(dim0, dim1) or mT`);
    return this.ndim < 2 ? this : ops.transpose(this, 0, 1);
  }
  /** Transpose of the last two dims (PyTorch's `mT`). */
  get mT(): Tensor {
    return ops.transpose(this, -2, -1);
  }
  /** Transpose of a 2-D tensor (PyTorch's `T` for matrices). */
  get T(): Tensor {
    return ops.permute(this, [...Array(this.ndim).keys()].reverse());
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return ops.permute(this, flatShapeArgs(dims));
  }
  unsqueeze(dim: number): Tensor {
    return ops.unsqueeze(this, dim);
  }
  squeeze(dim?: number | number[]): Tensor {
    return ops.squeeze(this, dim);
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return ops.expand(this, flatShapeArgs(shape));
  }
  expandAs(other: Tensor): Tensor {
    return ops.expand(this, other.shape);
  }
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return ops.narrow(this, dim, start, length);
  }
  /**
   * Indexing like `x[i, a:b, :, idx]`: per dim a number (selects and drops the dim), null (all),
   * a `[start, stop, step?]` range (negative values count from the end), or an int index tensor
   * / number array (selects rows along that dim).
   */
  index(...specs: ops.IndexSpec[]): Tensor {
    return ops.index(this, specs);
  }
  gather(dim: number, index: Tensor): Tensor {
    return ops.gather(this, dim, index);
  }
  indexSelect(dim: number, index: Tensor | number[]): Tensor {
    return ops.indexSelect(this, dim, index);
  }
  split(splitSize: number | number[], dim = 0): Tensor[] {
    return ops.split(this, splitSize, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return ops.chunk(this, chunks, dim);
  }
  repeat(...reps: number[]): Tensor {
    return ops.repeat(this, reps);
  }
  flip(dims: number[]): Tensor {
    return ops.flip(this, dims);
  }
  triu(diagonal = 0): Tensor {
    return ops.triu(this, diagonal);
  }
  tril(diagonal = 0): Tensor {
    return ops.tril(this, diagonal);
  }

  // ---------- in place (no autograd history; for optimizers, init and buffers) ----------
  zero_(): this {
    return this.fill_(0);
  }
  fill_(value: number): this {
    ops.assertInPlaceAllowed(this, "fill_");
    const filled = ops.full(this.shape, value, { dtype: this.dtype, device: this.device });
    this.assign(filled);
    filled.dispose();
    return this;
  }
  copy_(source: Tensor): this {
    ops.assertInPlaceAllowed(this, "copy_");
    const c = ops.noGradContiguousLike(source, this);
    this.assign(c);
    c.dispose();
    return this;
  }
}

function flatShapeArgs(args: number[] | [readonly number[]]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

function toNested(values: AnyTypedArray, shape: readonly number[], asBool: boolean): NestedArray {
  const conv = (v: number) => (asBool ? v !== 0 : v);
  if (shape.length === 0) return conv(values[0]!);
  const build = (dim: number, offset: number): NestedArray[] => {
    const out: NestedArray[] = [];
    const stride = numel(shape.slice(dim + 1));
    for (let i = 0; i < shape[dim]!; i++) {
      out.push(dim === shape.length - 1 ? conv(values[offset + i]!) : build(dim + 1, offset + i * stride));
    }
    return out;
  };
  return build(0, 0);
}
