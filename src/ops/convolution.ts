/**
 * The convolution primitives: a 2-D cross-correlation, x [N,C,H,W] with a weight [O, C*kh*kw]
 * and an optional bias [O] giving [N, O, oh*ow] (the bias added as the product is written), and
 * its two gradients. As PyTorch's aten::convolution, the
 * forward saves its input rather than the im2col columns (the gradients recompute what they
 * need), and a backend may run all three without writing the columns out (the native backend
 * keeps one sample's columns in cache); the others compose im2col and matmul.
 * F.conv2d adds padding modes and groups around these.
 */
import type { WindowGeometry } from "../backend/backend.js";
import type { Tensor } from "../tensor/tensor.js";
import { shapeToString, windowOutputSize } from "../tensor/shape.js";
import { applyPrim } from "./dispatch.js";
import { castIfNeeded } from "./elementwise.js";
import { isFloat, promoteTypes } from "../tensor/dtype.js";

/** oh*ow and C*kh*kw of x's windows, or a RangeError naming `op`. */
function windowSizes(x: readonly number[], geometry: WindowGeometry, op: string): { L: number; K: number } {
  if (x.length !== 4) throw new RangeError(`${op}: expected a 4-D input [N,C,H,W], got shape ${shapeToString(x)}`);
  const { oh, ow } = windowOutputSize(x[2]!, x[3]!, geometry);
  if (oh <= 0 || ow <= 0) {
    throw new RangeError(`${op}: window ${geometry.kernel.join("x")} (dilation ${geometry.dilation.join("x")}, padding ${geometry.padding.join("x")}) does not fit input of shape ${shapeToString(x)}`);
  }
  return { L: oh * ow, K: x[1]! * geometry.kernel[0] * geometry.kernel[1] };
}

/** The operands in their common floating-point dtype (as matmul promotes), or a TypeError naming `op`. */
function promoted(ts: readonly Tensor[], op: string): Tensor[] {
  const dtype = ts.map((t) => t.dtype).reduce(promoteTypes);
  if (!isFloat(dtype)) throw new TypeError(`${op}: expected floating-point tensors, got ${ts.map((t) => t.dtype).join(", ")}`);
  return ts.map((t) => castIfNeeded(t, dtype));
}

function expectShape(t: Tensor, want: readonly number[], what: string, op: string): void {
  if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new RangeError(`${op}: expected ${what} of shape ${shapeToString(want)}, got ${shapeToString(t.shape)}`);
  }
}

/** x [N,C,H,W] correlated with w [O, C*kh*kw], plus bias [O] when given -> [N, O, oh*ow]. */
export function convolution(x: Tensor, w: Tensor, geometry: WindowGeometry, bias: Tensor | null = null): Tensor {
  const { K } = windowSizes(x.shape, geometry, "convolution");
  expectShape(w, [w.shape[0] ?? 0, K], "a weight [O, C*kh*kw]", "convolution");
  if (bias) expectShape(bias, [w.shape[0]!], "a bias [O]", "convolution");
  return applyPrim("convolution", promoted(bias ? [x, w, bias] : [x, w], "convolution"), { geometry });
}

/** The input gradient of `convolution`: gy [N, O, oh*ow], w [O, C*kh*kw] -> xShape. */
export function convolutionInputGrad(gy: Tensor, w: Tensor, geometry: WindowGeometry, xShape: readonly [number, number, number, number]): Tensor {
  const { L, K } = windowSizes(xShape, geometry, "convolutionInputGrad");
  const O = gy.shape[1] ?? 0;
  expectShape(gy, [xShape[0], O, L], "an output gradient [N, O, oh*ow]", "convolutionInputGrad");
  expectShape(w, [O, K], "a weight [O, C*kh*kw]", "convolutionInputGrad");
  return applyPrim("convolutionInputGrad", promoted([gy, w], "convolutionInputGrad"), { geometry, shape: xShape });
}

/** The weight gradient of `convolution`, summed over the batch: gy [N, O, oh*ow], x [N,C,H,W] -> [O, C*kh*kw]. */
export function convolutionWeightGrad(gy: Tensor, x: Tensor, geometry: WindowGeometry): Tensor {
  const { L } = windowSizes(x.shape, geometry, "convolutionWeightGrad");
  expectShape(gy, [x.shape[0]!, gy.shape[1] ?? 0, L], "an output gradient [N, O, oh*ow]", "convolutionWeightGrad");
  return applyPrim("convolutionWeightGrad", promoted([gy, x], "convolutionWeightGrad"), { geometry });
}
