/**
 * The narrow interface every compute backend implements (cpu reference, wasm, webgpu).
 *
 * A backend owns buffers and runs the primitive kernels on them; it never sees `nn`,
 * autograd or broadcasting rules. The frontend (src/ops) hands it *views*: a buffer plus
 * shape/strides/offset in elements. Broadcasting is already resolved by the frontend into
 * stride-0 views whose shape equals the output shape, so every elementwise kernel sees inputs
 * of exactly the output's shape. Every kernel writes a fresh, contiguous (row-major) buffer, except
 * the fused optimizer step, which updates its buffers in place.
 */

/** Element types. `float64` exists for gradient checks on the reference backend. */
export type DType = "float32" | "int32" | "bool" | "float64";

export type TypedArrayFor<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "int32"
    ? Int32Array
    : D extends "bool"
      ? Uint8Array
      : Float64Array;

export type AnyTypedArray = Float32Array | Int32Array | Uint8Array | Float64Array;

/** Opaque handle to backend memory. Each backend subclasses or brands its own. */
export interface BackendBuffer {
  /** Number of elements the buffer holds. */
  readonly size: number;
  readonly dtype: DType;
}

/** A strided view onto a buffer. Strides and offset are in elements; a stride may be 0. */
export interface View {
  readonly buf: BackendBuffer;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}

/** Elementwise op names come from the one op table (scalar-ops/table.ts). */
import type { ArgReduceOp, BinaryOp, ReduceOp, UnaryOp } from "./scalar-ops/table.js";
export type { ArgReduceOp, BinaryOp, ReduceOp, UnaryOp };


/** Fused optimizer kernels; their constants and reference math are in optimizer-kernels.ts. */
export type OptimizerKernel = "adam" | "sgd" | "rmsprop";

/** im2col / col2im geometry for 2-D windows (convolution, pooling). */
export interface WindowGeometry {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

export interface Backend {
  readonly name: string;
  /** Whether `readSync` is supported (cpu, wasm). */
  readonly canReadSync: boolean;
  /**
   * Largest single buffer in bytes, when the backend has a hard limit (WebGPU's
   * maxStorageBufferBindingSize). Layers that build large intermediates (im2col) split work
   * to stay under it.
   */
  readonly maxBufferBytes?: number;
  /**
   * Whether gather/scatterAdd/indexSelect/indexAdd throw a RangeError on an out-of-range index
   * themselves; the frontend then skips reading every index tensor back before the call.
   */
  readonly validatesIndices?: boolean;
  /**
   * Bytes that all of this backend's buffers together can never exceed (wasm32: a 4 GiB address
   * space). Optimizers refuse up front a model whose parameters, gradients and optimizer state
   * would not fit, instead of failing at the first step.
   */
  readonly maxTotalBytes?: number;

  // ---- memory ----
  /** A zero-filled buffer. */
  alloc(dtype: DType, size: number): BackendBuffer;
  /** A buffer holding a copy of `data` (interpreted as `dtype`). */
  upload(dtype: DType, data: AnyTypedArray): BackendBuffer;
  free(buf: BackendBuffer): void;
  /** Copies the buffer's contents out (the whole buffer, row-major). */
  read(buf: BackendBuffer): Promise<AnyTypedArray>;
  readSync(buf: BackendBuffer): AnyTypedArray;

  // ---- elementwise ----
  /** out = op(x) per the op table: x's dtype, or bool for predicates (logicalNot). */
  unary(op: UnaryOp, x: View): BackendBuffer;
  /** a and b have the output shape already (stride-0 broadcast). Comparisons give bool. */
  binary(op: BinaryOp, a: View, b: View, outDtype: DType): BackendBuffer;
  /** out = cond ? a : b; all three views have the output shape. */
  where(cond: View, a: View, b: View): BackendBuffer;
  /** Converts dtype (float -> int truncates toward zero; nonzero -> true for bool). */
  cast(x: View, dtype: DType): BackendBuffer;
  /** Materialises a view as a contiguous buffer. */
  contiguous(x: View): BackendBuffer;
  /** A buffer of `size` elements all equal to `value`. */
  fill(dtype: DType, size: number, value: number): BackendBuffer;

  // ---- reductions ----
  /** Reduces over `axes` (sorted, non-empty); the output drops those axes. */
  reduce(op: ReduceOp, x: View, axes: readonly number[]): BackendBuffer;
  /** Index (int32) of the max/min along `axis` (first occurrence); the output drops the axis. */
  argReduce(op: ArgReduceOp, x: View, axis: number): BackendBuffer;

  // ---- routines ----
  /** Batched matmul: a [B,M,K] x b [B,K,N] -> [B,M,N]; a and b may be any strided views. */
  matmul(a: View, b: View): BackendBuffer;
  /**
   * The sum over the batch of a [B,M,K] x b [B,K,N] -> [M,N], without the batch of products: the
   * gradient of a matrix broadcast over a batched product (a convolution's weight).
   */
  matmulSumBatch(a: View, b: View): BackendBuffer;
  /** out[..., i, ...] = x[..., index[..., i, ...], ...] along `dim`; index has the output shape. */
  gather(x: View, dim: number, index: View): BackendBuffer;
  /** zeros(shape) then out[..., index[i], ...] += src[i] along `dim` (index has src's shape). */
  scatterAdd(shape: readonly number[], dim: number, index: View, src: View): BackendBuffer;
  /** Selects slices along `dim` by a 1-D int32 index. */
  indexSelect(x: View, dim: number, index: View): BackendBuffer;
  /** zeros(shape) then adds src's slices into the rows named by a 1-D index along `dim`. */
  indexAdd(shape: readonly number[], dim: number, index: View, src: View): BackendBuffer;
  /** Concatenates views (same dtype, same shape except `dim`) along `dim`. */
  cat(xs: readonly View[], dim: number, outShape: readonly number[]): BackendBuffer;
  /**
   * Constant padding: out has shape x.shape[i] + before[i] + after[i] (each >= 0), filled with
   * `value`, and x copied at offset `before`.
   */
  pad(x: View, before: readonly number[], after: readonly number[], value: number): BackendBuffer;
  /**
   * im2col for x [N,C,H,W] -> [N, C*kh*kw, outH*outW]; out-of-bounds taps read `padValue`.
   */
  im2col(x: View, g: WindowGeometry, padValue: number): BackendBuffer;
  /** Adjoint of im2col: cols [N, C*kh*kw, outH*outW] summed back into [N,C,H,W]. */
  col2im(cols: View, g: WindowGeometry, outShape: readonly [number, number, number, number]): BackendBuffer;
  /**
   * 2-D convolution (cross-correlation): x [N,C,H,W], w [O, C*kh*kw], bias [O] or null -> [N, O, oh*ow].
   * Backends without a fused kernel compose it from im2col, matmul and add (conv-by-columns.ts).
   */
  conv2d(x: View, w: View, bias: View | null, g: WindowGeometry): BackendBuffer;
  /** conv2d's input gradient: gy [N, O, oh*ow], w [O, C*kh*kw] -> xShape [N,C,H,W]. */
  conv2dInputGrad(gy: View, w: View, g: WindowGeometry, xShape: readonly [number, number, number, number]): BackendBuffer;
  /** conv2d's weight gradient, summed over the batch: gy [N, O, oh*ow], x [N,C,H,W] -> [O, C*kh*kw]. */
  conv2dWeightGrad(gy: View, x: View, g: WindowGeometry): BackendBuffer;
  /**
   * Max pooling's indices (PyTorch's max_pool2d_with_indices): for x [N,C,H,W] and windows
   * `g` giving an `outSize` [oh, ow] grid, int32 [N,C,oh,ow] flat indices into H*W of each
   * window's max. Taps are visited in row-major window order from the first in-range one (out of
   * range taps are skipped: padding is -inf); a tap replaces the best when greater or NaN.
   */
  maxPool2dIndices(x: View, g: WindowGeometry, outSize: readonly [number, number]): BackendBuffer;
  /** The window maxima themselves (x's dtype, [N,C,oh,ow]), by the same rule as maxPool2dIndices. */
  maxPool2d(x: View, g: WindowGeometry, outSize: readonly [number, number]): BackendBuffer;
  /**
   * Max pooling's input gradient: zeros [N,C,H,W] plus each cell of `grad` [N,C,oh,ow] at its
   * window's argmax in x (as maxPool2dIndices finds it). Float dtypes.
   */
  maxPool2dBackward(x: View, grad: View, g: WindowGeometry, outSize: readonly [number, number]): BackendBuffer;

  // ---- fused optimizer steps ----
  /**
   * One optimizer update in a single in-place pass over float32 buffers of one size: bufs[0] is
   * the parameter, bufs[1] the gradient (read only), the rest the optimizer state (see
   * optimizer-kernels.ts for each kernel's buffers and constants). The only kernel that writes
   * into existing buffers; optimizers fall back to composed ops where it is missing.
   */
  optimizerStep?(kernel: OptimizerKernel, bufs: readonly BackendBuffer[], constants: Float32Array): void;

  /** Releases threads/devices so the process can exit. */
  dispose?(): Promise<void> | void;
}
