/**
 * Lowers formulas (ir.ts) to source code. A `Lang` says how each language spells numbers,
 * function calls, comparisons, mask logic and selection; `emitFormula` walks the tree once for
 * all of them. The JS and C lowerings are used by tools/gen-scalar-ops.ts, the WGSL one by the
 * webgpu backend at run time.
 */
import type { Cmp, Fn, Formula, Mask, Val } from "./ir.js";

export interface Lang {
  readonly name: string;
  num(v: number): string;
  /** Undefined when the language has no helper for `f` at this type. */
  call(f: Fn, args: readonly string[]): string | undefined;
  cmp(op: Cmp, a: string, b: string): string;
  isnan(a: string): string;
  and(a: string, b: string): string;
  or(a: string, b: string): string;
  not(a: string): string;
  sel(m: string, t: string, e: string): string;
}

/** The formula's code with `args[i]` standing for operand i; throws naming a missing helper. */
export function emitFormula(f: Formula, lang: Lang, args: readonly string[], op = "?"): string {
  const val = (e: Val): string => {
    switch (e.k) {
      case "arg":
        return args[e.i]!;
      case "num":
        return lang.num(e.v);
      case "fn": {
        const code = lang.call(e.f, e.args.map(val));
        if (code === undefined) throw new Error(`scalar ops: ${lang.name} has no helper for '${e.f}' (op '${op}')`);
        return code;
      }
      case "sel":
        return lang.sel(mask(e.m), val(e.t), val(e.e));
    }
  };
  const mask = (m: Mask): string => {
    switch (m.k) {
      case "cmp":
        return lang.cmp(m.op, val(m.a), val(m.b));
      case "isnan":
        return lang.isnan(val(m.a));
      case "and":
        return lang.and(mask(m.a), mask(m.b));
      case "or":
        return lang.or(mask(m.a), mask(m.b));
      case "not":
        return lang.not(mask(m.a));
    }
  };
  return f.kind === "value" ? val(f.expr) : mask(f.expr);
}

const infix = (o: string) => (a: readonly string[]) => `(${a[0]} ${o} ${a[1]})`;
const call = (name: string) => (a: readonly string[]) => `${name}(${a.join(", ")})`;

/** JavaScript over doubles (the cpu reference); helpers come from cpu/math.ts. */
export const JS: Lang = {
  name: "js",
  num: (v) => (Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : Object.is(v, -0) ? "(-0)" : v < 0 ? `(${v})` : String(v)),
  call: (f, a) =>
    ((
      {
        add: infix("+"), sub: infix("-"), mul: infix("*"), div: infix("/"), neg: (a) => `(-${a[0]})`,
        abs: call("Math.abs"), sqrt: call("Math.sqrt"), floor: call("Math.floor"), ceil: call("Math.ceil"), rint: call("rint"),
        exp: call("Math.exp"), log: call("Math.log"), sin: call("Math.sin"), cos: call("Math.cos"), tanh: call("Math.tanh"),
        sigmoid: call("sigmoid"), erf: call("erf"), pow: call("pow"), log1p: call("Math.log1p"), expm1: call("Math.expm1"),
        atan2: call("Math.atan2"), imul: call("Math.imul"), idiv: call("idiv"), ipow: call("ipow"),
      } satisfies Record<Fn, (a: readonly string[]) => string>
    )[f](a)),
  cmp: (op, a, b) => `(${a} ${{ eq: "===", ne: "!==", lt: "<", le: "<=", gt: ">", ge: ">=" }[op]} ${b})`,
  isnan: (a) => `(${a} !== ${a})`,
  and: (a, b) => `(${a} && ${b})`,
  or: (a, b) => `(${a} || ${b})`,
  not: (a) => `!${a}`,
  sel: (m, t, e) => `(${m} ? ${t} : ${e})`,
};

const C_CMP = { eq: "eq", ne: "ne", lt: "lt", le: "le", gt: "gt", ge: "ge" } as const;

/** C over 4-lane wasm SIMD vectors (v4); helpers come from wasm/src/vmath.h. */
export function cSimd(type: "f32" | "i32"): Lang {
  const f32: Partial<Record<Fn, (a: readonly string[]) => string>> = {
    add: call("wasm_f32x4_add"), sub: call("wasm_f32x4_sub"), mul: call("wasm_f32x4_mul"), div: call("wasm_f32x4_div"),
    neg: call("wasm_f32x4_neg"), abs: call("wasm_f32x4_abs"), sqrt: call("wasm_f32x4_sqrt"), floor: call("wasm_f32x4_floor"),
    ceil: call("wasm_f32x4_ceil"), rint: call("wasm_f32x4_nearest"), exp: call("vexp"), log: call("vlog"), sin: call("vsin"),
    cos: call("vcos"), tanh: call("vtanh"), sigmoid: call("vsigmoid"), erf: call("verf"), pow: call("vpow"),
    log1p: call("vlog1p"), expm1: call("vexpm1"), atan2: call("vatan2"),
  };
  const i32: Partial<Record<Fn, (a: readonly string[]) => string>> = {
    add: call("wasm_i32x4_add"), sub: call("wasm_i32x4_sub"), imul: call("wasm_i32x4_mul"), neg: call("wasm_i32x4_neg"),
    abs: call("wasm_i32x4_abs"), idiv: call("vidiv"), ipow: call("vipow"),
  };
  const fns = type === "f32" ? f32 : i32;
  return {
    name: `c-${type}`,
    num: (v) =>
      type === "i32"
        ? `I4(${v})`
        : Number.isNaN(v)
          ? `F4(__builtin_nanf(""))`
          : Math.abs(v) === Infinity
            ? `F4(${v < 0 ? "-" : ""}__builtin_inff())`
            : `F4(${Number.isInteger(v) ? v.toFixed(1) : String(v)}f)`,
    call: (f, a) => fns[f]?.(a),
    cmp: (op, a, b) => `wasm_${type}x4_${C_CMP[op]}(${a}, ${b})`,
    isnan: (a) => (type === "f32" ? `wasm_f32x4_ne(${a}, ${a})` : "I4(0)"),
    and: (a, b) => `wasm_v128_and(${a}, ${b})`,
    or: (a, b) => `wasm_v128_or(${a}, ${b})`,
    not: (a) => `wasm_v128_not(${a})`,
    sel: (m, t, e) => `vsel(${m}, ${t}, ${e})`,
  };
}

/** WGSL over scalars; helpers come from webgpu/wgsl/common.ts (MATH_HELPERS). */
export function wgsl(type: "f32" | "i32"): Lang {
  const f32: Partial<Record<Fn, (a: readonly string[]) => string>> = {
    add: infix("+"), sub: infix("-"), mul: infix("*"), div: infix("/"), neg: (a) => `(-(${a[0]}))`,
    abs: call("abs"), sqrt: call("sqrt"), floor: call("floor"), ceil: call("ceil"), rint: call("round"),
    exp: call("exp"), log: call("log"), sin: call("sin"), cos: call("cos"), tanh: call("tanh_f"),
    sigmoid: call("sigmoid_f"), erf: call("erf_f"), pow: call("pow_f"), log1p: call("log1p_f"), expm1: call("expm1_f"),
    atan2: call("atan2_f"),
  };
  const i32: Partial<Record<Fn, (a: readonly string[]) => string>> = {
    add: infix("+"), sub: infix("-"), imul: infix("*"), neg: (a) => `(-(${a[0]}))`, abs: call("abs"),
    idiv: call("div_i"), ipow: call("pow_i"),
  };
  const fns = type === "f32" ? f32 : i32;
  return {
    name: `wgsl-${type}`,
    num: (v) =>
      type === "i32"
        ? `(${v})`
        : Number.isNaN(v)
          ? "nan_f()"
          : Math.abs(v) === Infinity
            ? `(${v < 0 ? "-" : ""}inf_f())`
            : `(${Number.isInteger(v) ? v.toFixed(1) : String(v)})`,
    call: (f, a) => fns[f]?.(a),
    // `!=` may compile to an ordered comparison (false for NaN); not-equal is written !(==)
    cmp: (op, a, b) => (op === "ne" ? `!(${a} == ${b})` : `(${a} ${{ eq: "==", lt: "<", le: "<=", gt: ">", ge: ">=" }[op]} ${b})`),
    isnan: (a) => (type === "f32" ? `is_nan(${a})` : "false"),
    and: (a, b) => `(${a} && ${b})`,
    or: (a, b) => `(${a} || ${b})`,
    not: (a) => `!(${a})`,
    sel: (m, t, e) => `select(${e}, ${t}, ${m})`,
  };
}
