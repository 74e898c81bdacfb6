import type { DType } from "../../backend.js";

/** WGSL element type a dtype is stored as on the GPU (bool takes one u32 per element). */
export type Scalar = "f32" | "i32" | "u32";

export function storageType(dtype: DType, op: string): Scalar {
  switch (dtype) {
    case "float32":
      return "f32";
    case "int32":
      return "i32";
    case "bool":
      return "u32";
    default:
      throw new TypeError(`${op}: dtype '${dtype}' is not supported on the webgpu backend (WGSL has no 64-bit floats); use float32, or the cpu backend for float64`);
  }
}

/** Converts a WGSL expression of scalar type `from` to `to` (bool targets mean "nonzero"). */
export function convert(expr: string, from: Scalar, to: Scalar, toBool = false): string {
  // NaN is nonzero: bool(NaN) is true, as in PyTorch
  // (`!=` may compile to an ordered comparison, false for NaN, hence !(==))
  if (toBool) return `select(0u, 1u, !((${expr}) == ${from === "f32" ? "0.0" : from === "u32" ? "0u" : "0"}))`;
  if (from === to) return expr;
  if (from === "f32" && to === "i32") return `f2i(${expr})`;
  return `${to}(${expr})`;
}

/** Declares `nWords` u32 parameters as a uniform at `binding`, read with P(i). */
export function paramsDecl(binding: number, nWords: number): string {
  const vecs = Math.max(1, Math.ceil(nWords / 4));
  return `struct Params { v: array<vec4<u32>, ${vecs}> }
@group(0) @binding(${binding}) var<uniform> params: Params;
fn P(i: u32) -> u32 { return params.v[i >> 2u][i & 3u]; }
fn PI(i: u32) -> i32 { return bitcast<i32>(P(i)); }
fn PF(i: u32) -> f32 { return bitcast<f32>(P(i)); }
`;
}

/** Helpers every generated shader may call (unused functions cost nothing). */
export const MATH_HELPERS = `
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// Runtime values: WGSL constant evaluation rejects NaN and infinities.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan_f() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf_f() -> f32 { return bitcast<f32>(INF_BITS); }
// JavaScript's ToInt32 of a truncated float (what the cpu backend's Int32Array stores): NaN and
// infinities give 0, large values wrap modulo 2^32.
fn f2i(x: f32) -> i32 {
  if (is_nan(x) || abs(x) == inf_f()) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  let m = t - floor(t / 4294967296.0) * 4294967296.0;
  return bitcast<i32>(u32(m));
}
fn max_nan(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f(); } return max(a, b); }
fn min_nan(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f(); } return min(a, b); }
fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.625) {
    let z = x * x;
    return ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z - 3.33332819422e-1) * z * x + x;
  }
  if (a > 20.0) { return sign(x); }
  let e = exp(2.0 * a);
  return sign(x) * (1.0 - 2.0 / (e + 1.0));
}
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn erf_f(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5) {
    let t = x * x;
    return x * 1.1283791670955126 * (1.0 + t * (-0.3333333333 + t * (0.1 + t * (-0.0238095238 + t * (0.0046296296 + t * -0.0007575758)))));
  }
  if (a >= 9.0) { return sign(x); }
  let t = 1.0 / (1.0 + 0.5 * a);
  let erfc = t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return sign(x) * (1.0 - erfc);
}
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0 || (a == -1.0 && abs(b) == inf_f())) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return nan_f(); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  let bint = floor(b) == b;
  let odd = bint && abs(b) < 16777216.0 && (b - 2.0 * floor(b * 0.5)) != 0.0;
  // C's pow: a negative finite base needs an integer exponent; the sign bit (-0, -inf) and an odd exponent give a negative result
  if (a < 0.0 && a != -inf_f() && !bint) { return nan_f(); }
  var m: f32;
  if (a == 0.0) { m = select(inf_f(), 0.0, b > 0.0); }
  else if (abs(a) == inf_f()) { m = select(0.0, inf_f(), b > 0.0); }
  else if (b == 0.5) { m = sqrt(abs(a)); }
  else { m = pow(abs(a), b); }
  let negative = (bitcast<u32>(a) & 0x80000000u) != 0u;
  return select(m, -m, negative && odd);
}
// log(1 + x) and exp(x) - 1 accurate near 0 (the rounding of 1 + x, resp. exp(x), is corrected).
fn log1p_f(x: f32) -> f32 {
  let u = 1.0 + x;
  let d = u - 1.0;
  if (d == 0.0 || is_nan(x)) { return x; }
  if (x == inf_f()) { return x; }
  if (u == 0.0) { return -inf_f(); }
  return log(u) * (x / d);
}
fn expm1_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.0) { return exp(x); }
  let u = exp(x);
  let d = u - 1.0;
  if (d == 0.0) { return x; }
  if (d == -1.0) { return -1.0; }
  return d * (x / log(u));
}
// atan2 with C's special cases (WGSL leaves infinities and zeros implementation-defined).
fn atan2_f(y: f32, x: f32) -> f32 {
  if (is_nan(x) || is_nan(y)) { return nan_f(); }
  var yy = y;
  var xx = x;
  if (abs(y) == inf_f() && abs(x) == inf_f()) { yy = sign(y); xx = sign(x); }
  let sy = select(1.0, -1.0, (bitcast<u32>(yy) & 0x80000000u) != 0u);
  let xneg = (bitcast<u32>(xx) & 0x80000000u) != 0u;
  if (xx == 0.0) {
    if (yy == 0.0) { return select(sy * 0.0, sy * 3.14159265358979, xneg); }
    return sy * 1.5707963267948966;
  }
  if (abs(xx) == inf_f()) { return select(sy * 0.0, sy * 3.14159265358979, xneg); }
  if (abs(yy) == inf_f()) { return sy * 1.5707963267948966; }
  return atan2(yy, xx);
}
// Truncating int32 division; x / 0 gives 0 and INT_MIN / -1 wraps (as the cpu reference).
fn div_i(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  if (b == -1) { return -a; }
  return a / b;
}
fn pow_i(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var r = 1;
  var base = a;
  var e = b;
  loop {
    if (e == 0) { break; }
    if ((e & 1) != 0) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}
`;

/**
 * Code turning the linear index `i` into coordinates c0..c{r-1} of a shape held in params at
 * `shapeAt` (row-major).
 */
export function coordsCode(rank: number, shapeAt: number, idx = "i", prefix = "c"): string {
  if (rank === 0) return "";
  let s = `var rem_${prefix} = ${idx};\n`;
  for (let d = rank - 1; d >= 1; d--) {
    s += `let ${prefix}${d} = rem_${prefix} % P(${shapeAt + d}u); rem_${prefix} = rem_${prefix} / P(${shapeAt + d}u);\n`;
  }
  s += `let ${prefix}0 = rem_${prefix};\n`;
  return s;
}

/** offset + sum_d c_d * stride_d, with strides in params at `stridesAt` and offset at `offsetAt`. */
export function offsetExpr(rank: number, offsetAt: number, stridesAt: number, prefix = "c", skip = -1): string {
  const terms = [`P(${offsetAt}u)`];
  for (let d = 0; d < rank; d++) if (d !== skip) terms.push(`${prefix}${d} * P(${stridesAt + d}u)`);
  return terms.join(" + ");
}

/** The kernel's linear invocation index over a (possibly 2-D folded) grid of 1-D workgroups. */
export function linearIndexCode(wg: number): string {
  return `let i = (wid.y * nwg.x + wid.x) * ${wg}u + lid.x;`;
}

export const ENTRY_ARGS = `@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>`;

/** Packs a mixed list of numbers into u32 words (negative ints as two's complement). */
export function words(values: readonly number[]): Uint32Array {
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! >>> 0;
  return out;
}

/** The bits of an f32 value as a u32 word. */
export function f32Bits(v: number): number {
  const f = new Float32Array([v]);
  return new Uint32Array(f.buffer)[0]!;
}
