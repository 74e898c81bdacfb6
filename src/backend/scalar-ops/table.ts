/**
 * The elementwise op table: every unary and binary op the backends run, defined once — name,
 * arity, result dtype, and its scalar formula in the expression form of ir.ts. The cpu
 * reference kernels, the wasm C dispatch (tools/gen-scalar-ops.ts) and the WGSL are all
 * derived from it, and so are the op-name types and the wasm op codes (table order).
 *
 * NaN/Inf follow PyTorch: comparisons with NaN are false except `ne`; relu, maximum and minimum
 * propagate NaN; sign(NaN) = 0; logicalNot(NaN) = false (NaN is nonzero); pow(1, y) = pow(x, 0) = 1.
 *
 * Adding an elementwise op: an entry here (a formula over the functions of ir.ts), its gradient
 * rule in ops/grad-rules.ts (when differentiable) and its frontend function in ops/elementwise.ts;
 * then `npx tsx tools/gen-scalar-ops.ts` and `tools/build-wasm.sh`, and a case in
 * tools/make_op_fixtures.py and test/helpers/op-cases.ts. A formula that needs a new function
 * (a new transcendental) also needs its helper once per language: ir.ts and emit.ts name it,
 * cpu/math.ts (or Math), wasm/src/vmath.h and webgpu/wgsl/common.ts implement it.
 */
import { type Formula, and, cmp, fn, mask, or, sel, value, x, y } from "./ir.js";

export interface ScalarOpDef {
  readonly arity: 1 | 2;
  /** "same": the output has the operands' dtype; "bool": a predicate. */
  readonly result: "same" | "bool";
  /** The formula for float32 and float64 operands. */
  readonly float: Formula;
  /**
   * The formula for int32 operands; without one, int32 operands go through `float` and the
   * result is truncated (the wasm kernels then leave the op to the shared JS kernels).
   */
  readonly int?: Formula;
  /** Costly per element (transcendentals): the wasm kernels split work into smaller chunks. */
  readonly heavy?: boolean;
  /** A differentiable primitive (it has a gradient rule in ops/grad-rules.ts). */
  readonly differentiable: boolean;
}

type Options<D extends boolean> = Partial<Omit<ScalarOpDef, "differentiable">> & { differentiable?: D };
// `differentiable` keeps its literal type so UnaryPrim/BinaryPrim below can select on it.
const def = <D extends boolean = true>(arity: 1 | 2, float: Formula, opts: Options<D>) =>
  ({ arity, result: "same", float, ...opts, differentiable: (opts.differentiable ?? true) as D }) satisfies ScalarOpDef;
const unary = <D extends boolean = true>(float: Formula, opts: Options<D> = {}) => def<D>(1, float, opts);
const binary = <D extends boolean = true>(float: Formula, opts: Options<D> = {}) => def<D>(2, float, opts);
const predicate = (arity: 1 | 2, f: Formula) => ({ arity, result: "bool", float: f, int: f, differentiable: false as const }) satisfies ScalarOpDef;

const same = value(x);
/** max/min: when either side is NaN both comparisons are false and x + y is NaN. */
const extreme = (a: "ge" | "le", b: "lt" | "gt") => value(sel(cmp(a, x, y), x, sel(cmp(b, x, y), y, fn("add", x, y))));
const nonzero = (v: typeof x) => cmp("ne", v, 0);

export const UNARY_OPS = {
  neg: unary(value(fn("neg", x)), { int: value(fn("neg", x)) }),
  exp: unary(value(fn("exp", x)), { heavy: true }),
  log: unary(value(fn("log", x)), { heavy: true }),
  sqrt: unary(value(fn("sqrt", x))),
  rsqrt: unary(value(fn("div", 1, fn("sqrt", x)))),
  abs: unary(value(fn("abs", x)), { int: value(fn("abs", x)) }),
  sin: unary(value(fn("sin", x)), { heavy: true }),
  cos: unary(value(fn("cos", x)), { heavy: true }),
  tanh: unary(value(fn("tanh", x)), { heavy: true }),
  sigmoid: unary(value(fn("sigmoid", x)), { heavy: true }),
  erf: unary(value(fn("erf", x)), { heavy: true }),
  // x <= 0 is false for NaN, which passes through
  relu: unary(value(sel(cmp("le", x, 0), 0, x)), { int: value(sel(cmp("le", x, 0), 0, x)) }),
  sign: unary(value(sel(cmp("gt", x, 0), 1, sel(cmp("lt", x, 0), -1, 0))), {
    int: value(sel(cmp("gt", x, 0), 1, sel(cmp("lt", x, 0), -1, 0))),
    differentiable: false,
  }),
  floor: unary(value(fn("floor", x)), { int: same, differentiable: false }),
  ceil: unary(value(fn("ceil", x)), { int: same, differentiable: false }),
  round: unary(value(fn("rint", x)), { int: same, differentiable: false }),
  reciprocal: unary(value(fn("div", 1, x))),
  logicalNot: predicate(1, mask(cmp("eq", x, 0))),
  log1p: unary(value(fn("log1p", x)), { heavy: true }),
  expm1: unary(value(fn("expm1", x)), { heavy: true }),
  // x * relu6(x + 3) / 6 as PyTorch computes it (so hardswish(-inf) = -inf * 0 = NaN); NaN passes both comparisons
  hardswish: unary(value(fn("div", fn("mul", x, sel(cmp("le", fn("add", x, 3), 0), 0, sel(cmp("ge", fn("add", x, 3), 6), 6, fn("add", x, 3)))), 6))),
};

export const BINARY_OPS = {
  add: binary(value(fn("add", x, y)), { int: value(fn("add", x, y)) }),
  sub: binary(value(fn("sub", x, y)), { int: value(fn("sub", x, y)) }),
  mul: binary(value(fn("mul", x, y)), { int: value(fn("imul", x, y)) }),
  div: binary(value(fn("div", x, y)), { int: value(fn("idiv", x, y)) }),
  pow: binary(value(fn("pow", x, y)), { int: value(fn("ipow", x, y)), heavy: true }),
  maximum: binary(extreme("ge", "lt"), { int: extreme("ge", "lt") }),
  minimum: binary(extreme("le", "gt"), { int: extreme("le", "gt") }),
  eq: predicate(2, mask(cmp("eq", x, y))),
  ne: predicate(2, mask(cmp("ne", x, y))),
  lt: predicate(2, mask(cmp("lt", x, y))),
  le: predicate(2, mask(cmp("le", x, y))),
  gt: predicate(2, mask(cmp("gt", x, y))),
  ge: predicate(2, mask(cmp("ge", x, y))),
  logicalAnd: predicate(2, mask(and(nonzero(x), nonzero(y)))),
  logicalOr: predicate(2, mask(or(nonzero(x), nonzero(y)))),
  atan2: binary(value(fn("atan2", x, y)), { heavy: true }),
  // relu's gradient in one pass, PyTorch's threshold_backward(grad = x, relu output = y, 0):
  // zero where y <= 0, else x (a NaN output passes the gradient)
  reluBackward: binary(value(sel(cmp("le", y, 0), 0, x)), { int: value(sel(cmp("le", y, 0), 0, x)) }),
};

// Checked here rather than with `satisfies`, which would widen `differentiable` to boolean.
const checkTables: readonly Record<string, ScalarOpDef>[] = [UNARY_OPS, BINARY_OPS];
void checkTables;

export type UnaryOp = keyof typeof UNARY_OPS;
export type BinaryOp = keyof typeof BINARY_OPS;

type Differentiable<T> = { [K in keyof T]: T[K] extends { differentiable: true } ? K : never }[keyof T];
/** Unary/binary ops that are autograd primitives. */
export type UnaryPrim = Differentiable<typeof UNARY_OPS>;
export type BinaryPrim = Differentiable<typeof BINARY_OPS>;

export const UNARY_NAMES = Object.keys(UNARY_OPS) as UnaryOp[];
export const BINARY_NAMES = Object.keys(BINARY_OPS) as BinaryOp[];
export const UNARY_PRIMS = UNARY_NAMES.filter((k) => UNARY_OPS[k].differentiable) as UnaryPrim[];
export const BINARY_PRIMS = BINARY_NAMES.filter((k) => BINARY_OPS[k].differentiable) as BinaryPrim[];

/** Reductions and index reductions; their wasm codes come from these lists too (ops.gen.h). */
export const REDUCE_NAMES = ["sum", "max", "min", "prod"] as const;
export const ARG_REDUCE_NAMES = ["argmax", "argmin"] as const;
export type ReduceOp = (typeof REDUCE_NAMES)[number];
export type ArgReduceOp = (typeof ARG_REDUCE_NAMES)[number];
export const REDUCE_CODE = Object.fromEntries(REDUCE_NAMES.map((n, i) => [n, i])) as Record<ReduceOp, number>;
export const ARG_REDUCE_CODE = Object.fromEntries(ARG_REDUCE_NAMES.map((n, i) => [n, i])) as Record<ArgReduceOp, number>;

/** The wasm kernels' op codes: each op's position in its table (the C enum is generated in the same order). */
export const UNARY_CODE = Object.fromEntries(UNARY_NAMES.map((n, i) => [n, i])) as Record<UnaryOp, number>;
export const BINARY_CODE = Object.fromEntries(BINARY_NAMES.map((n, i) => [n, i])) as Record<BinaryOp, number>;
