/**
 * The cpu reference's scalar helpers (JavaScript doubles): the functions the op table's
 * formulas call that Math lacks, or whose Math form differs from PyTorch.
 */
export { erf } from "./erf.js";

/** 1 / (1 + e^-x), written so neither branch overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Rounds half to even, as PyTorch (and WGSL's round, wasm's nearest). */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Math.pow with C's (and PyTorch's) pow(1, y) = 1 for every y, NaN included, and pow(-1, ±inf) = 1. */
export function pow(a: number, b: number): number {
  return a === 1 || (a === -1 && (b === Infinity || b === -Infinity)) ? 1 : Math.pow(a, b);
}

/** Truncating int32 division; x / 0 gives 0 (JavaScript's ToInt32 of ±Infinity). */
export function idiv(a: number, b: number): number {
  return b === 0 ? 0 : Math.trunc(a / b) | 0;
}

/** int32 power by squaring, wrapping like C; negative exponents give 0 except for ±1 bases. */
export function ipow(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b & 1 ? -1 : 1) : 0;
  let r = 1;
  let base = a | 0;
  let e = b | 0;
  while (e) {
    if (e & 1) r = Math.imul(r, base);
    base = Math.imul(base, base);
    e >>>= 1;
  }
  return r;
}
