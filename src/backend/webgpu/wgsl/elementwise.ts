import type { BinaryOp, UnaryOp } from "../../backend.js";
import { type Scalar, convert } from "./common.js";

/**
 * The elementwise primitive table: one WGSL expression per op and compute type. Every unary,
 * binary, ternary, cast, copy and fill kernel is generated from it (and a fused chain would be
 * the same expressions nested).
 */
type Expr1 = (x: string) => string;
type Expr2 = (a: string, b: string) => string;

export const UNARY_F32: Record<UnaryOp, Expr1> = {
  neg: (x) => `-(${x})`,
  exp: (x) => `exp(${x})`,
  log: (x) => `log(${x})`,
  sqrt: (x) => `sqrt(${x})`,
  rsqrt: (x) => `(1.0 / sqrt(${x}))`,
  abs: (x) => `abs(${x})`,
  sin: (x) => `sin(${x})`,
  cos: (x) => `cos(${x})`,
  tanh: (x) => `tanh_f(${x})`,
  sigmoid: (x) => `sigmoid_f(${x})`,
  erf: (x) => `erf_f(${x})`,
  relu: (x) => `select(0.0, ${x}, (${x}) > 0.0)`,
  sign: (x) => `select(sign(${x}), nan_f(), is_nan(${x}))`,
  floor: (x) => `floor(${x})`,
  ceil: (x) => `ceil(${x})`,
  round: (x) => `round(${x})`,
  reciprocal: (x) => `(1.0 / (${x}))`,
  logicalNot: (x) => `((${x}) == 0.0)`,
};

/** Integer forms; ops missing here go through f32 and truncate back, like the cpu backend. */
export const UNARY_I32: Partial<Record<UnaryOp, Expr1>> = {
  neg: (x) => `-(${x})`,
  abs: (x) => `abs(${x})`,
  sign: (x) => `sign(${x})`,
  relu: (x) => `max(${x}, 0)`,
  floor: (x) => x,
  ceil: (x) => x,
  round: (x) => x,
  logicalNot: (x) => `((${x}) == 0)`,
};

export const UNARY_U32: Partial<Record<UnaryOp, Expr1>> = {
  abs: (x) => x,
  relu: (x) => x,
  floor: (x) => x,
  ceil: (x) => x,
  round: (x) => x,
  sign: (x) => `min(${x}, 1u)`,
  logicalNot: (x) => `((${x}) == 0u)`,
};

/** Ops whose result is a WGSL bool (stored as u32 0/1). */
export const PREDICATES = new Set<string>(["logicalNot", "eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr"]);

const zero = (t: Scalar) => (t === "f32" ? "0.0" : t === "i32" ? "0" : "0u");

export function binaryExpr(op: BinaryOp, t: Scalar): Expr2 {
  const z = zero(t);
  switch (op) {
    case "add":
      return (a, b) => `(${a} + ${b})`;
    case "sub":
      return (a, b) => `(${a} - ${b})`;
    case "mul":
      return (a, b) => `(${a} * ${b})`;
    case "div":
      if (t !== "f32") throw new Error("webgpu: integer division must be promoted by the frontend");
      return (a, b) => `(${a} / ${b})`;
    case "pow":
      if (t === "f32") return (a, b) => `pow_f(${a}, ${b})`;
      if (t === "i32") return (a, b) => `pow_i(${a}, ${b})`;
      return (a, b) => `u32(pow_i(i32(${a}), i32(${b})))`;
    case "maximum":
      return t === "f32" ? (a, b) => `max_nan(${a}, ${b})` : (a, b) => `max(${a}, ${b})`;
    case "minimum":
      return t === "f32" ? (a, b) => `min_nan(${a}, ${b})` : (a, b) => `min(${a}, ${b})`;
    case "eq":
      return (a, b) => `(${a} == ${b})`;
    case "ne":
      return (a, b) => `(${a} != ${b})`;
    case "lt":
      return (a, b) => `(${a} < ${b})`;
    case "le":
      return (a, b) => `(${a} <= ${b})`;
    case "gt":
      return (a, b) => `(${a} > ${b})`;
    case "ge":
      return (a, b) => `(${a} >= ${b})`;
    case "logicalAnd":
      return (a, b) => `((${a} != ${z}) && (${b} != ${z}))`;
    case "logicalOr":
      return (a, b) => `((${a} != ${z}) || (${b} != ${z}))`;
  }
}

/** Compute type for mixed inputs: float beats int beats bool. */
export function computeType(...ts: Scalar[]): Scalar {
  if (ts.includes("f32")) return "f32";
  if (ts.includes("i32")) return "i32";
  return "u32";
}

/** Wraps a predicate or value expression into the output storage type. */
export function toOut(expr: string, exprType: Scalar, isPredicate: boolean, outType: Scalar, outIsBool: boolean): string {
  if (isPredicate) {
    const u = `select(0u, 1u, ${expr})`;
    return outType === "u32" ? u : `${outType}(${u})`;
  }
  return convert(expr, exprType, outType, outIsBool);
}
