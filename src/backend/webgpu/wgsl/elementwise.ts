import { emitFormula, wgsl } from "../../scalar-ops/emit.js";
import { BINARY_OPS, type BinaryOp, UNARY_OPS, type UnaryOp } from "../../scalar-ops/table.js";
import { type Scalar, convert } from "./common.js";

/**
 * WGSL for the elementwise ops, lowered from the op table's formulas (scalar-ops/table.ts).
 * Each expression is a template over its operands; the fused-kernel graph (fused.ts) nests them.
 * bool operands (stored as u32) compute as i32.
 */
const F32 = wgsl("f32");
const I32 = wgsl("i32");

export interface TypedExpr {
  expr: string;
  /** The expression's scalar type (ignored for predicates, which are WGSL bools). */
  type: Scalar;
}

export function isPredicate(op: UnaryOp | BinaryOp): boolean {
  return (op in UNARY_OPS ? UNARY_OPS[op as UnaryOp] : BINARY_OPS[op as BinaryOp]).result === "bool";
}

/** A unary op over operand `v` of storage type `t`: the int formula for integers when there is one. */
export function unaryExpr(op: UnaryOp, v: string, t: Scalar): TypedExpr {
  const def = UNARY_OPS[op];
  if (t !== "f32" && def.int) return { expr: emitFormula(def.int, I32, [convert(v, t, "i32")], op), type: "i32" };
  return { expr: emitFormula(def.float, F32, [convert(v, t, "f32")], op), type: "f32" };
}

/** A binary op over operands of storage types ta, tb, computed in float when either (or the output) is float. */
export function binaryExpr(op: BinaryOp, a: string, b: string, ta: Scalar, tb: Scalar, outType: Scalar): TypedExpr {
  const def = BINARY_OPS[op];
  const float = ta === "f32" || tb === "f32" || (def.result !== "bool" && outType === "f32") || !def.int;
  if (float) return { expr: emitFormula(def.float, F32, [convert(a, ta, "f32"), convert(b, tb, "f32")], op), type: "f32" };
  return { expr: emitFormula(def.int!, I32, [convert(a, ta, "i32"), convert(b, tb, "i32")], op), type: "i32" };
}

/** Wraps a predicate or value expression into the output storage type. */
export function toOut(e: TypedExpr, isPredicate: boolean, outType: Scalar, outIsBool: boolean): string {
  if (isPredicate) {
    const u = `select(0u, 1u, ${e.expr})`;
    return outType === "u32" ? u : `${outType}(${u})`;
  }
  return convert(e.expr, e.type, outType, outIsBool);
}
