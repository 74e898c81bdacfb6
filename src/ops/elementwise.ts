import type { BinaryOp, DType, UnaryOp } from "../backend/backend.js";
import { Tensor, type TensorLike } from "../tensor/tensor.js";
import { isFloat, promoteTypes } from "../tensor/dtype.js";
import { broadcastShapes, shapeToString, shapesEqual } from "../tensor/shape.js";
import { applyPrim } from "./dispatch.js";
import type { BinaryPrim, UnaryPrim } from "./prims.js";
import { asTensor, scalarTensor } from "./convert.js";
import { makeView, NO_PARAMS } from "./prims.js";
import { opObserver } from "./trace-hook.js";

/** Broadcasts `t` to `shape` through recorded reshape/expand prims (their gradients reduce). */
export function broadcastTo(t: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(t.shape, shape)) return t;
  let x = t;
  if (x.ndim < shape.length) x = applyPrim("reshape", [x], { shape: [...Array(shape.length - x.ndim).fill(1), ...x.shape] });
  if (!shapesEqual(x.shape, shape)) {
    const unexpanded = x;
    x = applyPrim("expand", [x], { shape });
    if (unexpanded !== t) unexpanded.dispose();
  }
  return x;
}

/** Unrecorded broadcast view (for ops without gradients). */
function broadcastView(t: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - t.ndim;
  const strides = shape.map((d, i) => {
    const src = i - lead;
    if (src < 0) return 0;
    return t.shape[src] === d ? t.strides[src]! : 0;
  });
  return makeView(t, shape, strides, t.offset);
}

function operands(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor] {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new TypeError(`${op}: expected at least one tensor operand`);
  const ta = a instanceof Tensor ? a : asTensor(a, b as Tensor);
  const tb = b instanceof Tensor ? b : asTensor(b, ta);
  return [ta, tb];
}

export function castIfNeeded(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : cast(t, dtype);
}

function binaryPrim(prim: BinaryPrim, a: TensorLike, b: TensorLike, forceFloat = false): Tensor {
  let [ta, tb] = operands(a, b, prim);
  let dtype = promoteTypes(ta.dtype, tb.dtype);
  if (dtype === "bool" && prim !== "maximum" && prim !== "minimum") dtype = "int32";
  if (forceFloat && !isFloat(dtype)) dtype = "float32";
  ta = castIfNeeded(ta, dtype);
  tb = castIfNeeded(tb, dtype);
  // Same shapes (the common case) keep the operand's frozen shape array, which the output shares.
  const shape = shapesEqual(ta.shape, tb.shape) ? ta.shape : broadcastShapes(ta.shape, tb.shape, prim);
  const va = broadcastTo(ta, shape);
  const vb = broadcastTo(tb, shape);
  const out = applyPrim(prim, [va, vb], NO_PARAMS);
  // Broadcast views are released now, not at the end of the enclosing tidy, so that a parameter
  // (a bias) does not still share its storage when the optimizer updates it in place.
  if (va !== ta) va.dispose();
  if (vb !== tb) vb.dispose();
  return out;
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binaryPrim("add", a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binaryPrim("sub", a, b);
/** `value - t` for a scalar value. */
export const rsub = (value: number, t: Tensor): Tensor => binaryPrim("sub", value, t);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binaryPrim("mul", a, b);
/** True division (integers are promoted to float32, as in PyTorch). */
export const div = (a: TensorLike, b: TensorLike): Tensor => binaryPrim("div", a, b, true);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binaryPrim("pow", a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binaryPrim("maximum", a, b);
/** relu's gradient: `grad` where the relu's output `out` is positive (or NaN), else 0 (PyTorch's threshold_backward). */
export const reluBackward = (grad: Tensor, out: Tensor): Tensor => binaryPrim("reluBackward", grad, out);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binaryPrim("minimum", a, b);

function floatUnary(prim: UnaryPrim, x: Tensor): Tensor {
  return applyPrim(prim, [isFloat(x.dtype) ? x : cast(x, "float32")], NO_PARAMS);
}

export const neg = (x: Tensor): Tensor => applyPrim("neg", [x.dtype === "bool" ? cast(x, "int32") : x], NO_PARAMS);
export const abs = (x: Tensor): Tensor => applyPrim("abs", [x.dtype === "bool" ? cast(x, "int32") : x], NO_PARAMS);
export const relu = (x: Tensor): Tensor => applyPrim("relu", [x.dtype === "bool" ? cast(x, "int32") : x], NO_PARAMS);
export const exp = (x: Tensor): Tensor => floatUnary("exp", x);
export const log = (x: Tensor): Tensor => floatUnary("log", x);
export const sqrt = (x: Tensor): Tensor => floatUnary("sqrt", x);
export const rsqrt = (x: Tensor): Tensor => floatUnary("rsqrt", x);
export const sin = (x: Tensor): Tensor => floatUnary("sin", x);
export const cos = (x: Tensor): Tensor => floatUnary("cos", x);
export const tanh = (x: Tensor): Tensor => floatUnary("tanh", x);
export const sigmoid = (x: Tensor): Tensor => floatUnary("sigmoid", x);
export const erf = (x: Tensor): Tensor => floatUnary("erf", x);
export const reciprocal = (x: Tensor): Tensor => floatUnary("reciprocal", x);
/** log(1 + x), accurate for small x. */
export const log1p = (x: Tensor): Tensor => floatUnary("log1p", x);
/** exp(x) - 1, accurate for small x. */
export const expm1 = (x: Tensor): Tensor => floatUnary("expm1", x);
/** x * relu6(x + 3) / 6 (MobileNetV3's activation). */
export const hardswish = (x: Tensor): Tensor => floatUnary("hardswish", x);
/** Angle of the point (b, a) (PyTorch's atan2(input, other)), in (-pi, pi]. */
export const atan2 = (a: TensorLike, b: TensorLike): Tensor => binaryPrim("atan2", a, b, true);

/** Differentiable dtype conversion (gradient flows back between float dtypes). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return applyPrim("cast", [x], { dtype });
}

// ---------- ops without gradients ----------

function noGradUnary(op: UnaryOp, x: Tensor): Tensor {
  return applyPrim(op, [x], NO_PARAMS);
}

export const sign = (x: Tensor): Tensor => noGradUnary("sign", x);
export const floor = (x: Tensor): Tensor => (isFloat(x.dtype) ? noGradUnary("floor", x) : x);
export const ceil = (x: Tensor): Tensor => (isFloat(x.dtype) ? noGradUnary("ceil", x) : x);
export const round = (x: Tensor): Tensor => (isFloat(x.dtype) ? noGradUnary("round", x) : x);
export const logicalNot = (x: Tensor): Tensor => noGradUnary("logicalNot", x);

function compare(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b, op);
  ta.assertAlive(op);
  tb.assertAlive(op);
  const dtype = op === "logicalAnd" || op === "logicalOr" ? "bool" : promoteTypes(ta.dtype, tb.dtype);
  // The result is bool, so nothing here is recorded for autograd.
  const ca = ta.dtype === dtype ? ta : applyPrim("cast", [ta], { dtype }, { record: false });
  const cb = tb.dtype === dtype ? tb : applyPrim("cast", [tb], { dtype }, { record: false });
  const shape = broadcastShapes(ca.shape, cb.shape, op);
  const va = broadcastView(ca, shape);
  const vb = broadcastView(cb, shape);
  const out = applyPrim(op, [va, vb], {}, { observe: false });
  opObserver()?.record(op, [ta, tb], {}, out);
  va.dispose();
  vb.dispose();
  if (ca !== ta) ca.dispose();
  if (cb !== tb) cb.dispose();
  return out;
}

export const eq = (a: TensorLike, b: TensorLike): Tensor => compare("eq", a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare("ne", a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare("lt", a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => compare("le", a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare("gt", a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare("ge", a, b);
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => compare("logicalAnd", a, b);
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => compare("logicalOr", a, b);

/** `condition ? a : b` with broadcasting. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(condition instanceof Tensor)) throw new TypeError("where: condition must be a tensor");
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : condition;
  let ta = a instanceof Tensor ? a : scalarTensor(Number(a), typeof a === "number" && !Number.isInteger(a) ? "float32" : like === condition ? "float32" : like.dtype, like);
  let tb = b instanceof Tensor ? b : scalarTensor(Number(b), ta.dtype, ta);
  if (!(a instanceof Tensor)) ta = castIfNeeded(ta, promoteTypes(ta.dtype, tb.dtype));
  const dtype = promoteTypes(ta.dtype, tb.dtype);
  ta = castIfNeeded(ta, dtype);
  tb = castIfNeeded(tb, dtype);
  const c = condition.dtype === "bool" ? condition : compare("ne", condition, 0);
  const shape = broadcastShapes(broadcastShapes(c.shape, ta.shape, "where"), tb.shape, "where");
  return applyPrim("where", [broadcastTo(c, shape), broadcastTo(ta, shape), broadcastTo(tb, shape)], NO_PARAMS);
}

export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (mask.dtype !== "bool") throw new TypeError(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  broadcastShapes(x.shape, mask.shape, "maskedFill");
  return where(mask, scalarTensor(value, x.dtype, x), x);
}

/** Clamps to [min, max]; the gradient passes where min <= x <= max, as in PyTorch. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new TypeError(`clamp: at least one of min or max must be given (tensor of shape ${shapeToString(x.shape)})`);
  }
  let out = x;
  if (min !== undefined && min !== null) out = where(lt(out, min), scalarTensor(min, x.dtype, x), out);
  if (max !== undefined && max !== null) out = where(gt(out, max), scalarTensor(max, x.dtype, x), out);
  return out;
}
