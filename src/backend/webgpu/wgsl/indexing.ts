import { ENTRY_ARGS, MATH_HELPERS, type Scalar, coordsCode, linearIndexCode, paramsDecl } from "./common.js";

/**
 * Gather-style kernels: one invocation per output element reads one input element whose
 * coordinate along `dim` comes from an int32 index view.
 *   gather:      index has the output shape.     Params: [n, xOff, iOff, shape[r], xStrides[r], iStrides[r]]
 *   indexSelect: index is 1-D along `dim`.       Params: [n, xOff, iOff, shape[r], xStrides[r], iStride]
 */
export function gatherKernel(kind: "gather" | "indexSelect", t: Scalar, rank: number, dim: number, wg: number): { code: string; nParams: number } {
  const shapeAt = 3;
  const xsAt = shapeAt + rank;
  const isAt = xsAt + rank;
  const nParams = kind === "gather" ? isAt + rank : isAt + 1;
  const idxOff =
    kind === "gather"
      ? ["P(2u)", ...Array.from({ length: rank }, (_, d) => `c${d} * P(${isAt + d}u)`)].join(" + ")
      : `P(2u) + c${dim} * P(${isAt}u)`;
  const xOff = ["P(1u)", ...Array.from({ length: rank }, (_, d) => (d === dim ? `u32(iv) * P(${xsAt + d}u)` : `c${d} * P(${xsAt + d}u)`))].join(" + ");
  const code = `
@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<${t}>;
${paramsDecl(3, nParams)}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  ${linearIndexCode(wg)}
  if (i >= P(0u)) { return; }
  ${coordsCode(rank, shapeAt)}
  let iv = index[${idxOff}];
  out[i] = x[${xOff}];
}
`;
  return { code, nParams };
}

/**
 * Scatter-style kernels into a zeroed contiguous output with atomics (float adds by
 * compare-exchange on the bits), one invocation per source element.
 *   scatterAdd: index has src's shape.  Params: [n, sOff, iOff, shape[r], sStrides[r], iStrides[r], outStrides[r]]
 *   indexAdd:   index is 1-D.           Params: [n, sOff, iOff, shape[r], sStrides[r], iStride, outStrides[r]]
 */
export function scatterKernel(kind: "scatterAdd" | "indexAdd", t: Scalar, rank: number, dim: number, wg: number): { code: string; nParams: number } {
  const shapeAt = 3;
  const ssAt = shapeAt + rank;
  const isAt = ssAt + rank;
  const osAt = kind === "scatterAdd" ? isAt + rank : isAt + 1;
  const nParams = osAt + rank;
  const idxOff =
    kind === "scatterAdd"
      ? ["P(2u)", ...Array.from({ length: rank }, (_, d) => `c${d} * P(${isAt + d}u)`)].join(" + ")
      : `P(2u) + c${dim} * P(${isAt}u)`;
  const srcOff = ["P(1u)", ...Array.from({ length: rank }, (_, d) => `c${d} * P(${ssAt + d}u)`)].join(" + ");
  const outOff = Array.from({ length: rank }, (_, d) => (d === dim ? `u32(iv) * P(${osAt + d}u)` : `c${d} * P(${osAt + d}u)`)).join(" + ") || "0u";
  const atomicT = t === "i32" ? "i32" : "u32";
  const add =
    t === "f32"
      ? `var old = atomicLoad(&out[o]);
  loop {
    let r = atomicCompareExchangeWeak(&out[o], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`
      : `atomicAdd(&out[o], v);`;
  const code = `
@group(0) @binding(0) var<storage, read> src: array<${t}>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<${atomicT}>>;
${paramsDecl(3, nParams)}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  ${linearIndexCode(wg)}
  if (i >= P(0u)) { return; }
  ${coordsCode(rank, shapeAt)}
  let iv = index[${idxOff}];
  let v = src[${srcOff}];
  let o = ${outOff};
  ${add}
}
`;
  return { code, nParams };
}

/**
 * Copies a strided view into a strided window of the output (cat, pad).
 * Params: [n, inOff, outOff, shape[r], inStrides[r], outStrides[r]].
 */
export function copyViewKernel(t: Scalar, rank: number, wg: number): { code: string; nParams: number } {
  const shapeAt = 3;
  const isAt = shapeAt + rank;
  const osAt = isAt + rank;
  const nParams = osAt + rank;
  const inOff = ["P(1u)", ...Array.from({ length: rank }, (_, d) => `c${d} * P(${isAt + d}u)`)].join(" + ");
  const outOff = ["P(2u)", ...Array.from({ length: rank }, (_, d) => `c${d} * P(${osAt + d}u)`)].join(" + ");
  const code = `
@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<${t}>;
${paramsDecl(2, nParams)}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  ${linearIndexCode(wg)}
  if (i >= P(0u)) { return; }
  ${coordsCode(rank, shapeAt)}
  out[${outOff}] = x[${inOff}];
}
`;
  return { code, nParams };
}

/**
 * im2col: x [N,C,H,W] (strided) -> [N, C*kh*kw, oh*ow]; out-of-bounds taps read padValue.
 * Params: [n, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, xOff, xs0, xs1, xs2, xs3, padBits]
 */
export function im2colKernel(t: Scalar, wg: number): { code: string; nParams: number } {
  const nParams = 21;
  const pad = t === "f32" ? "PF(20u)" : t === "i32" ? "PI(20u)" : "P(20u)";
  const code = `
@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<${t}>;
${paramsDecl(2, nParams)}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  ${linearIndexCode(wg)}
  if (i >= P(0u)) { return; }
  let C = P(2u); let H = i32(P(3u)); let W = i32(P(4u)); let kh = P(5u); let kw = P(6u);
  let oh = P(13u); let ow = P(14u);
  let xo = i % ow;
  let y = (i / ow) % oh;
  let row = i / (ow * oh);
  let j = row % kw;
  let ii = (row / kw) % kh;
  let c = (row / (kw * kh)) % C;
  let nb = row / (kw * kh * C);
  let iy = i32(y * P(7u) + ii * P(11u)) - i32(P(9u));
  let ix = i32(xo * P(8u) + j * P(12u)) - i32(P(10u));
  var v: ${t} = ${pad};
  if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
    v = x[P(15u) + nb * P(16u) + c * P(17u) + u32(iy) * P(18u) + u32(ix) * P(19u)];
  }
  out[i] = v;
}
`;
  return { code, nParams };
}

/**
 * col2im, the adjoint of im2col, as a gather (no atomics, deterministic): each output pixel sums
 * the taps that read it, in the cpu backend's order.
 * Params: [n, N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, cOff, cs0, cs1, cs2]
 */
export function col2imKernel(t: Scalar, wg: number): { code: string; nParams: number } {
  const nParams = 19;
  const zero = t === "f32" ? "0.0" : t === "i32" ? "0" : "0u";
  const code = `
@group(0) @binding(0) var<storage, read> cols: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<${t}>;
${paramsDecl(2, nParams)}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  ${linearIndexCode(wg)}
  if (i >= P(0u)) { return; }
  let C = P(2u); let H = P(3u); let W = P(4u); let kh = P(5u); let kw = P(6u);
  let sh = i32(P(7u)); let sw = i32(P(8u)); let ph = i32(P(9u)); let pw = i32(P(10u)); let dh = i32(P(11u)); let dw = i32(P(12u));
  let oh = i32(P(13u)); let ow = i32(P(14u));
  let ix = i32(i % W);
  let iy = i32((i / W) % H);
  let c = (i / (W * H)) % C;
  let nb = i / (W * H * C);
  var acc: ${t} = ${zero};
  for (var ii = 0u; ii < kh; ii++) {
    let ty = iy + ph - i32(ii) * dh;
    if (ty < 0 || ty % sh != 0) { continue; }
    let y = ty / sh;
    if (y >= oh) { continue; }
    for (var j = 0u; j < kw; j++) {
      let tx = ix + pw - i32(j) * dw;
      if (tx < 0 || tx % sw != 0) { continue; }
      let xo = tx / sw;
      if (xo >= ow) { continue; }
      let row = (c * kh + ii) * kw + j;
      acc = acc + cols[P(15u) + nb * P(16u) + row * P(17u) + u32(y * ow + xo) * P(18u)];
    }
  }
  out[i] = acc;
}
`;
  return { code, nParams };
}

export { MATH_HELPERS };
