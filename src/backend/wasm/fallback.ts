/**
 * Plain-JS kernels over typed-array views of the wasm heap, for what the C kernels leave out:
 * float64 (used by gradient checks) and unusual dtype combinations. Straightforward loops over
 * strided views; values go through JS numbers, so stores into Int32Array truncate and wrap
 * (ToInt32) and stores into Uint8Array (bool) are normalised to 0/1 by the callers.
 */
import type { AnyTypedArray, BinaryOp, ReduceOp, UnaryOp, WindowGeometry } from "../backend.js";

export interface ArrView {
  arr: AnyTypedArray;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Element offsets of a strided view, in row-major order of its shape. */
export function offsetsOf(shape: readonly number[], strides: readonly number[], offset: number): Float64Array {
  const n = numel(shape);
  const out = new Float64Array(n);
  const nd = shape.length;
  if (n === 0) return out;
  const idx = new Array<number>(nd).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

function read(v: ArrView): Float64Array {
  const offs = offsetsOf(v.shape, v.strides, v.offset);
  const out = new Float64Array(offs.length);
  for (let i = 0; i < offs.length; i++) out[i] = v.arr[offs[i]];
  return out;
}

/** erf in double precision: Taylor series below 2.5, continued fraction for erfc above. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz)
  let f = ax, C = ax, D = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    D = ax + an * D;
    D = 1 / D;
    C = ax + an / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const UNARY_FN: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  erf,
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  reciprocal: (x) => 1 / x,
  logicalNot: (x) => (x === 0 ? 1 : 0),
};

export const BINARY_FN: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => (a === 1 ? 1 : Math.pow(a, b)),
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
  logicalAnd: (a, b) => +(a !== 0 && b !== 0),
  logicalOr: (a, b) => +(a !== 0 || b !== 0),
};

/** Stores v into o[i]; bool outputs become 0/1 (nonzero, NaN -> 1). */
function storer(o: AnyTypedArray, isBool: boolean): (i: number, v: number) => void {
  if (isBool) return (i, v) => (o[i] = v !== 0 ? 1 : 0);
  if (o instanceof Int32Array) return (i, v) => (o[i] = Math.trunc(v));
  return (i, v) => (o[i] = v);
}

export function unaryJS(op: UnaryOp, x: ArrView, o: AnyTypedArray, outBool: boolean, intMath: boolean): void {
  const f = UNARY_FN[op];
  const xs = read(x);
  const st = storer(o, outBool);
  if (intMath && op === "neg") {
    for (let i = 0; i < xs.length; i++) o[i] = -xs[i] | 0;
    return;
  }
  for (let i = 0; i < xs.length; i++) st(i, f(xs[i]));
}

export function binaryJS(op: BinaryOp, a: ArrView, b: ArrView, o: AnyTypedArray, outBool: boolean, intMath: boolean): void {
  const as = read(a), bs = read(b);
  const st = storer(o, outBool);
  if (intMath && (op === "add" || op === "sub" || op === "mul")) {
    for (let i = 0; i < as.length; i++) {
      const x = as[i] | 0, y = bs[i] | 0;
      o[i] = op === "add" ? (x + y) | 0 : op === "sub" ? (x - y) | 0 : Math.imul(x, y);
    }
    return;
  }
  const f = BINARY_FN[op];
  for (let i = 0; i < as.length; i++) st(i, f(as[i], bs[i]));
}

export function whereJS(c: ArrView, a: ArrView, b: ArrView, o: AnyTypedArray): void {
  const cs = read(c), as = read(a), bs = read(b);
  for (let i = 0; i < cs.length; i++) o[i] = cs[i] !== 0 ? as[i] : bs[i];
}

export function castJS(x: ArrView, o: AnyTypedArray, toBool: boolean): void {
  const xs = read(x);
  if (toBool) for (let i = 0; i < xs.length; i++) o[i] = xs[i] !== 0 ? 1 : 0;
  else if (o instanceof Int32Array) for (let i = 0; i < xs.length; i++) o[i] = Math.trunc(xs[i]);
  else for (let i = 0; i < xs.length; i++) o[i] = xs[i];
}

export function copyJS(x: ArrView, o: AnyTypedArray): void {
  const offs = offsetsOf(x.shape, x.strides, x.offset);
  for (let i = 0; i < offs.length; i++) o[i] = x.arr[offs[i]];
}

export function reduceJS(op: ReduceOp, x: ArrView, axes: readonly number[], o: AnyTypedArray, intMath: boolean): void {
  const nd = x.shape.length;
  const kept = [...Array(nd).keys()].filter((d) => !axes.includes(d));
  const kshape = kept.map((d) => x.shape[d]), kst = kept.map((d) => x.strides[d]);
  const rshape = axes.map((d) => x.shape[d]), rst = axes.map((d) => x.strides[d]);
  const kOffs = offsetsOf(kshape, kst, x.offset);
  const rOffs = offsetsOf(rshape, rst, 0);
  for (let i = 0; i < kOffs.length; i++) {
    let acc = op === "sum" ? 0 : op === "prod" ? 1 : op === "max" ? -Infinity : Infinity;
    if (intMath && (op === "max" || op === "min")) acc = op === "max" ? -2147483648 : 2147483647;
    for (let j = 0; j < rOffs.length; j++) {
      const v = x.arr[kOffs[i] + rOffs[j]];
      if (op === "sum") acc = intMath ? (acc + v) | 0 : acc + v;
      else if (op === "prod") acc = intMath ? Math.imul(acc, v) : acc * v;
      else if (Number.isNaN(v) || Number.isNaN(acc)) acc = NaN;
      else acc = op === "max" ? Math.max(acc, v) : Math.min(acc, v);
    }
    o[i] = acc;
  }
}

export function argReduceJS(op: "argmax" | "argmin", x: ArrView, axis: number, o: Int32Array): void {
  const nd = x.shape.length;
  const kept = [...Array(nd).keys()].filter((d) => d !== axis);
  const kOffs = offsetsOf(kept.map((d) => x.shape[d]), kept.map((d) => x.strides[d]), x.offset);
  const n = x.shape[axis], s = x.strides[axis];
  for (let i = 0; i < kOffs.length; i++) {
    let best = 0, bv = x.arr[kOffs[i]];
    if (!Number.isNaN(bv)) {
      for (let j = 1; j < n; j++) {
        const v = x.arr[kOffs[i] + j * s];
        if (Number.isNaN(v)) {
          best = j;
          break;
        }
        if (op === "argmax" ? v > bv : v < bv) (bv = v), (best = j);
      }
    }
    o[i] = best;
  }
}

/** a [B,M,K] x b [B,K,N] (3-D views) -> o [B,M,N]. */
export function matmulJS(a: ArrView, b: ArrView, o: AnyTypedArray, intMath: boolean): void {
  const [B, M, K] = a.shape, N = b.shape[2];
  const [asb, asm, ask] = a.strides, [bsb, bsk, bsn] = b.strides;
  for (let bi = 0; bi < B; bi++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let acc = 0;
        const ao = a.offset + bi * asb + i * asm, bo = b.offset + bi * bsb + j * bsn;
        for (let k = 0; k < K; k++) {
          const p = a.arr[ao + k * ask] * b.arr[bo + k * bsk];
          acc = intMath ? (acc + Math.imul(a.arr[ao + k * ask], b.arr[bo + k * bsk])) | 0 : acc + p;
        }
        o[(bi * M + i) * N + j] = acc;
      }
}

function checkIndex(i: number, size: number, op: string): number {
  if (!(i >= 0 && i < size)) throw new RangeError(`${op}: index ${i} is out of bounds for dimension of size ${size}`);
  return i;
}

export function gatherJS(x: ArrView, dim: number, index: ArrView, o: AnyTypedArray): void {
  const shape = index.shape, nd = shape.length;
  const n = numel(shape);
  const idx = new Array<number>(nd).fill(0);
  const iOffs = offsetsOf(shape, index.strides, index.offset);
  for (let p = 0; p < n; p++) {
    let xo = x.offset;
    for (let d = 0; d < nd; d++) if (d !== dim) xo += idx[d] * x.strides[d];
    xo += checkIndex(index.arr[iOffs[p]], x.shape[dim], "gather") * x.strides[dim];
    o[p] = x.arr[xo];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/** o (zeroed, contiguous of `shape`) [..., index[p], ...] += src[p]. */
export function scatterAddJS(shape: readonly number[], dim: number, index: ArrView, src: ArrView, o: AnyTypedArray): void {
  const ishape = index.shape, nd = ishape.length;
  const ostr = contiguousStrides(shape);
  const n = numel(ishape);
  const idx = new Array<number>(nd).fill(0);
  const iOffs = offsetsOf(ishape, index.strides, index.offset);
  const sOffs = offsetsOf(ishape, src.strides, src.offset);
  for (let p = 0; p < n; p++) {
    let oo = 0;
    for (let d = 0; d < nd; d++) if (d !== dim) oo += idx[d] * ostr[d];
    oo += checkIndex(index.arr[iOffs[p]], shape[dim], "scatterAdd") * ostr[dim];
    o[oo] += src.arr[sOffs[p]];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < ishape[d]) break;
      idx[d] = 0;
    }
  }
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
  return st;
}

/** Copies view x into o at a strided destination (dst strides/offset in elements). */
export function copyIntoJS(x: ArrView, o: AnyTypedArray, dstStrides: readonly number[], dstOffset: number, add = false): void {
  const src = offsetsOf(x.shape, x.strides, x.offset);
  const dst = offsetsOf(x.shape, dstStrides, dstOffset);
  if (add) for (let i = 0; i < src.length; i++) o[dst[i]] += x.arr[src[i]];
  else for (let i = 0; i < src.length; i++) o[dst[i]] = x.arr[src[i]];
}

export function im2colJS(x: ArrView, g: WindowGeometry, padValue: number, o: AnyTypedArray): void {
  const [N, C, H, W] = x.shape;
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
  const oh = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  let p = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let ki = 0; ki < kh; ki++)
        for (let kj = 0; kj < kw; kj++)
          for (let oy = 0; oy < oh; oy++)
            for (let ox = 0; ox < ow; ox++) {
              const iy = oy * sh - ph + ki * dh, ix = ox * sw - pw + kj * dw;
              o[p++] =
                iy < 0 || iy >= H || ix < 0 || ix >= W
                  ? padValue
                  : x.arr[x.offset + n * x.strides[0] + c * x.strides[1] + iy * x.strides[2] + ix * x.strides[3]];
            }
}

export function col2imJS(cols: ArrView, g: WindowGeometry, outShape: readonly number[], o: AnyTypedArray): void {
  const [N, C, H, W] = outShape;
  const [kh, kw] = g.kernel, [sh, sw] = g.stride, [ph, pw] = g.padding, [dh, dw] = g.dilation;
  const oh = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const [s0, s1, s2] = cols.strides;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let ki = 0; ki < kh; ki++)
        for (let kj = 0; kj < kw; kj++) {
          const row = (c * kh + ki) * kw + kj;
          for (let oy = 0; oy < oh; oy++)
            for (let ox = 0; ox < ow; ox++) {
              const iy = oy * sh - ph + ki * dh, ix = ox * sw - pw + kj * dw;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              o[((n * C + c) * H + iy) * W + ix] += cols.arr[cols.offset + n * s0 + row * s1 + (oy * ow + ox) * s2];
            }
        }
}
