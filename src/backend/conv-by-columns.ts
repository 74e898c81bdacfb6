/**
 * The three convolution routines (forward, input gradient, weight gradient) built from the
 * column routines every backend has: im2col, matmul / matmulSumBatch, col2im. Backends without a
 * fused convolution (cpu, wasm, WebGPU) use these; the native backend's fused kernels keep each
 * sample's columns in cache instead, and fall back to these where they do not apply.
 * The columns are freed as soon as the product has read them.
 */
import type { BackendBuffer, BinaryOp, DType, View, WindowGeometry } from "./backend.js";
import { windowOutputSize } from "../tensor/shape.js";

interface ColumnRoutines<B extends BackendBuffer> {
  im2col(x: View, g: WindowGeometry, padValue: number): B;
  col2im(cols: View, g: WindowGeometry, outShape: readonly [number, number, number, number]): B;
  matmul(a: View, b: View): B;
  matmulSumBatch(a: View, b: View): B;
  binary(op: BinaryOp, a: View, b: View, outDtype: DType): B;
  free(buf: B): void;
}

/** The im2col columns of x [N, C, H, W] as a [N, K, L] view. */
function columns<B extends BackendBuffer>(backend: ColumnRoutines<B>, x: View, g: WindowGeometry): { buf: B; view: View } {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const { oh, ow } = windowOutputSize(H, W, g);
  const K = C * g.kernel[0] * g.kernel[1];
  const L = oh * ow;
  const buf = backend.im2col(x, g, 0);
  return { buf, view: { buf, shape: [N, K, L], strides: [K * L, L, 1], offset: 0, dtype: x.dtype } };
}

/** w [O, K] seen as a batch of N copies (batch stride 0), optionally transposed to [K, O]. */
function broadcastWeight(w: View, N: number, transposed: boolean): View {
  const [O, K] = w.shape as [number, number];
  const [so, sk] = w.strides as [number, number];
  return transposed
    ? { buf: w.buf, shape: [N, K, O], strides: [0, sk, so], offset: w.offset, dtype: w.dtype }
    : { buf: w.buf, shape: [N, O, K], strides: [0, so, sk], offset: w.offset, dtype: w.dtype };
}

/** conv2d: x [N, C, H, W], w [O, C*kh*kw], bias [O] or null -> [N, O, oh*ow]. */
export function convolutionByColumns<B extends BackendBuffer>(backend: ColumnRoutines<B>, x: View, w: View, bias: View | null, g: WindowGeometry): B {
  const cols = columns(backend, x, g);
  const [N, , L] = cols.view.shape as [number, number, number];
  const out = backend.matmul(broadcastWeight(w, N, false), cols.view);
  backend.free(cols.buf);
  if (!bias) return out;
  const O = w.shape[0]!;
  const sum = backend.binary(
    "add",
    { buf: out, shape: [N, O, L], strides: [O * L, L, 1], offset: 0, dtype: x.dtype },
    { buf: bias.buf, shape: [N, O, L], strides: [0, bias.strides[0]!, 0], offset: bias.offset, dtype: bias.dtype },
    x.dtype,
  );
  backend.free(out);
  return sum;
}

/** conv2d's input gradient: gy [N, O, L], w [O, C*kh*kw] -> [N, C, H, W] (= col2im(wᵀ·gy)). */
export function convolutionInputGradByColumns<B extends BackendBuffer>(
  backend: ColumnRoutines<B>, gy: View, w: View, g: WindowGeometry, xShape: readonly [number, number, number, number],
): B {
  const [N, , L] = gy.shape as [number, number, number];
  const K = w.shape[1]!;
  const cols = backend.matmul(broadcastWeight(w, N, true), gy);
  const out = backend.col2im({ buf: cols, shape: [N, K, L], strides: [K * L, L, 1], offset: 0, dtype: gy.dtype }, g, xShape);
  backend.free(cols);
  return out;
}

/** conv2d's weight gradient: gy [N, O, L], x [N, C, H, W] -> [O, C*kh*kw] (= Σₙ gyₙ·colsₙᵀ). */
export function convolutionWeightGradByColumns<B extends BackendBuffer>(backend: ColumnRoutines<B>, gy: View, x: View, g: WindowGeometry): B {
  const cols = columns(backend, x, g);
  const [N, K, L] = cols.view.shape as [number, number, number];
  const out = backend.matmulSumBatch(gy, { ...cols.view, shape: [N, L, K], strides: [K * L, 1, L] });
  backend.free(cols.buf);
  return out;
}
