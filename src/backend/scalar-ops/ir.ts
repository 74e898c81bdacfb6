/**
 * The expression form in which every elementwise op's scalar formula is written once
 * (table.ts). Three emitters turn a formula into code: JavaScript for the cpu reference
 * kernels (emit-js.ts, generated into cpu/scalar-ops.gen.ts), C SIMD for the wasm kernels
 * (emit-c.ts, generated into wasm/src/ops.gen.h) and WGSL for the webgpu kernels (emit-wgsl.ts,
 * at run time). A formula is a tree of values (`Val`) and masks (`Mask`, booleans); the
 * emitters map each function name to one helper per language.
 */

/** Functions of values. Arithmetic ones are IEEE; the rest name a helper in each language. */
export type Fn =
  | "add" | "sub" | "mul" | "div" | "neg" | "abs" | "sqrt" | "floor" | "ceil" | "rint"
  | "exp" | "log" | "sin" | "cos" | "tanh" | "sigmoid" | "erf" | "pow" | "log1p" | "expm1" | "atan2"
  // integer-only: wrapping multiply, truncating division (x / 0 -> 0) and integer power
  | "imul" | "idiv" | "ipow";

export type Cmp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

export type Val =
  | { readonly k: "arg"; readonly i: 0 | 1 }
  | { readonly k: "num"; readonly v: number }
  | { readonly k: "fn"; readonly f: Fn; readonly args: readonly Val[] }
  | { readonly k: "sel"; readonly m: Mask; readonly t: Val; readonly e: Val };

export type Mask =
  | { readonly k: "cmp"; readonly op: Cmp; readonly a: Val; readonly b: Val }
  | { readonly k: "isnan"; readonly a: Val }
  | { readonly k: "and" | "or"; readonly a: Mask; readonly b: Mask }
  | { readonly k: "not"; readonly a: Mask };

export type Formula = { readonly kind: "value"; readonly expr: Val } | { readonly kind: "mask"; readonly expr: Mask };

// ---- builders (the table reads like formulas) ----

type In = Val | number;
const v = (x: In): Val => (typeof x === "number" ? { k: "num", v: x } : x);

export const x: Val = { k: "arg", i: 0 };
export const y: Val = { k: "arg", i: 1 };
export const fn = (f: Fn, ...args: In[]): Val => ({ k: "fn", f, args: args.map(v) });
export const sel = (m: Mask, t: In, e: In): Val => ({ k: "sel", m, t: v(t), e: v(e) });
export const cmp = (op: Cmp, a: In, b: In): Mask => ({ k: "cmp", op, a: v(a), b: v(b) });
export const isnan = (a: In): Mask => ({ k: "isnan", a: v(a) });
export const and = (a: Mask, b: Mask): Mask => ({ k: "and", a, b });
export const or = (a: Mask, b: Mask): Mask => ({ k: "or", a, b });
export const not = (a: Mask): Mask => ({ k: "not", a });

export const value = (expr: Val): Formula => ({ kind: "value", expr });
export const mask = (expr: Mask): Formula => ({ kind: "mask", expr });

/** Functions a formula calls, in first-use order (emitters check each has a helper). */
export function functionsOf(f: Formula): Fn[] {
  const out = new Set<Fn>();
  const walkV = (e: Val): void => {
    if (e.k === "fn") {
      out.add(e.f);
      e.args.forEach(walkV);
    } else if (e.k === "sel") {
      walkM(e.m);
      walkV(e.t);
      walkV(e.e);
    }
  };
  const walkM = (m: Mask): void => {
    if (m.k === "cmp") {
      walkV(m.a);
      walkV(m.b);
    } else if (m.k === "isnan") walkV(m.a);
    else if (m.k === "not") walkM(m.a);
    else {
      walkM(m.a);
      walkM(m.b);
    }
  };
  if (f.kind === "value") walkV(f.expr);
  else walkM(f.expr);
  return [...out];
}
