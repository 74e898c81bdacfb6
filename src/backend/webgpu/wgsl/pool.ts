import { ENTRY_ARGS, MATH_HELPERS, type Scalar, linearIndexCode, paramsDecl } from "./common.js";

/**
 * Max pooling (Backend.maxPool2dIndices, maxPool2d): one invocation per output cell scans its
 * window from the first in-range tap in row-major order; a tap replaces the best when greater
 * or NaN (PyTorch's rule), out-of-range taps are skipped. Writes the argmax's flat index into
 * H*W (int32) or the max itself.
 * Params: [n, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, xOff, xs0, xs1, xs2, xs3]
 */
export function maxPoolKernel(t: Scalar, write: "indices" | "values", wg: number): { code: string; nParams: number } {
  const nParams = 19;
  const lowest = t === "f32" ? "-inf_f()" : t === "i32" ? "i32(-2147483647) - 1" : "0u";
  const wins = t === "f32" ? "v > best || is_nan(v)" : "v > best || first";
  const code = `${MATH_HELPERS}
@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<${write === "indices" ? "i32" : t}>;
${paramsDecl(2, nParams)}
// The first in-range tap of a window starting at \`s\` with dilation d.
fn first_tap(s: i32, d: i32) -> i32 {
  if (s >= 0) { return s; }
  return s + ((-s + d - 1) / d) * d;
}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  ${linearIndexCode(wg)}
  if (i >= P(0u)) { return; }
  let C = P(1u); let H = i32(P(2u)); let W = i32(P(3u));
  let kh = i32(P(4u)); let kw = i32(P(5u)); let dh = i32(P(10u)); let dw = i32(P(11u));
  let oh = P(12u); let ow = P(13u);
  let xo = i % ow;
  let yo = (i / ow) % oh;
  let c = (i / (ow * oh)) % C;
  let nb = i / (ow * oh * C);
  let ys = i32(yo * P(6u)) - i32(P(8u));
  let xs = i32(xo * P(7u)) - i32(P(9u));
  let y1 = min(ys + (kh - 1) * dh + 1, H);
  let x1 = min(xs + (kw - 1) * dw + 1, W);
  let y0 = first_tap(ys, dh);
  let x0 = first_tap(xs, dw);
  let base = P(14u) + nb * P(15u) + c * P(16u);
  var best: ${t} = ${lowest};
  var bi: i32 = y0 * W + x0;
  var first = true;
  for (var y = y0; y < y1; y += dh) {
    for (var xx = x0; xx < x1; xx += dw) {
      let v = x[base + u32(y) * P(17u) + u32(xx) * P(18u)];
      if (${wins}) { best = v; bi = y * W + xx; }
      first = false;
    }
  }
  out[i] = ${write === "indices" ? "bi" : "best"};
}
`;
  return { code, nParams };
}
