import { type Scalar, paramsDecl } from "./common.js";

/**
 * Shape-specialised tiled batched matmul: a workgroup of WX x WY invocations computes a
 * TM x TN output tile (TM = 4*WY, TN = 4*WX), each invocation a 4x4 register block; K is walked
 * in TK-deep slabs staged through workgroup memory. Operand loads follow whichever axis has
 * stride 1 (so transposed views load coalesced too) and use vec4 loads when that axis and the
 * view's offsets allow; bounds checks are emitted only for dims the tile does not divide.
 * Params: [M, N, K, aOff, aBatch, aM, aK, bOff, bBatch, bK, bN, firstBatch].
 */
export interface MatmulConfig {
  t: Scalar;
  wx: number;
  wy: number;
  tk: number;
  /** Which axis of A is unit-stride ('k', 'm' or none), and the load vector width. */
  aFast: "k" | "m" | "-";
  aVec: 1 | 4;
  bFast: "n" | "k" | "-";
  bVec: 1 | 4;
  outVec: boolean;
  checkM: boolean;
  checkN: boolean;
  checkK: boolean;
}

export function matmulKey(c: MatmulConfig): string {
  return `matmul|${c.t}|${c.wx}x${c.wy}x${c.tk}|a${c.aFast}${c.aVec}|b${c.bFast}${c.bVec}|o${+c.outVec}|c${+c.checkM}${+c.checkN}${+c.checkK}`;
}

export const MATMUL_PARAMS = 12;

export function matmulKernel(c: MatmulConfig): string {
  const { t, wx, wy, tk } = c;
  const TM = 4 * wy;
  const TN = 4 * wx;
  const T = wx * wy;
  const zero = t === "f32" ? "0.0" : t === "i32" ? "0" : "0u";
  const V = `vec4<${t}>`;
  const aType = c.aVec === 4 ? V : t;
  const bType = c.bVec === 4 ? V : t;

  // A tile: As[k * TM + m].
  const inM = (e: string) => (c.checkM ? `${e} < M` : "true");
  const inN = (e: string) => (c.checkN ? `${e} < N` : "true");
  const inK = (e: string) => (c.checkK ? `${e} < K` : "true");
  const both = (x: string, y: string) => (x === "true" ? y : y === "true" ? x : `${x} && ${y}`);
  let loadA: string;
  if (c.aFast === "m") {
    const per = TM / c.aVec;
    loadA = `for (var idx = tid; idx < ${TM * tk / c.aVec}u; idx += ${T}u) {
      let kk = idx / ${per}u; let mm = (idx % ${per}u) * ${c.aVec}u;
      let gm = row0 + mm; let gk = k0 + kk;
      ${c.aVec === 4
        ? `var v = ${V}(${zero});
      if (${both(inM("gm"), inK("gk"))}) { v = A[(aBase + gk * P(6u) + gm) / 4u]; }
      As[kk * ${TM}u + mm] = v.x; As[kk * ${TM}u + mm + 1u] = v.y; As[kk * ${TM}u + mm + 2u] = v.z; As[kk * ${TM}u + mm + 3u] = v.w;`
        : `var v = ${zero};
      if (${both(inM("gm"), inK("gk"))}) { v = A[aBase + gk * P(6u) + gm]; }
      As[kk * ${TM}u + mm] = v;`}
    }`;
  } else {
    const per = tk / c.aVec;
    loadA = `for (var idx = tid; idx < ${TM * tk / c.aVec}u; idx += ${T}u) {
      let mm = idx / ${per}u; let kk = (idx % ${per}u) * ${c.aVec}u;
      let gm = row0 + mm; let gk = k0 + kk;
      ${c.aVec === 4
        ? `var v = ${V}(${zero});
      if (${both(inM("gm"), inK("gk"))}) { v = A[(aBase + gm * P(5u) + gk) / 4u]; }
      As[kk * ${TM}u + mm] = v.x; As[(kk + 1u) * ${TM}u + mm] = v.y; As[(kk + 2u) * ${TM}u + mm] = v.z; As[(kk + 3u) * ${TM}u + mm] = v.w;`
        : `var v = ${zero};
      if (${both(inM("gm"), inK("gk"))}) { v = A[aBase + gm * P(5u) + gk * P(6u)]; }
      As[kk * ${TM}u + mm] = v;`}
    }`;
  }
  // B tile: Bs[k * TN + n].
  let loadB: string;
  if (c.bFast === "k") {
    const per = tk / c.bVec;
    loadB = `for (var idx = tid; idx < ${TN * tk / c.bVec}u; idx += ${T}u) {
      let nn = idx / ${per}u; let kk = (idx % ${per}u) * ${c.bVec}u;
      let gn = col0 + nn; let gk = k0 + kk;
      ${c.bVec === 4
        ? `var v = ${V}(${zero});
      if (${both(inN("gn"), inK("gk"))}) { v = B[(bBase + gn * P(10u) + gk) / 4u]; }
      Bs[kk * ${TN}u + nn] = v.x; Bs[(kk + 1u) * ${TN}u + nn] = v.y; Bs[(kk + 2u) * ${TN}u + nn] = v.z; Bs[(kk + 3u) * ${TN}u + nn] = v.w;`
        : `var v = ${zero};
      if (${both(inN("gn"), inK("gk"))}) { v = B[bBase + gn * P(10u) + gk]; }
      Bs[kk * ${TN}u + nn] = v;`}
    }`;
  } else {
    const per = TN / c.bVec;
    loadB = `for (var idx = tid; idx < ${TN * tk / c.bVec}u; idx += ${T}u) {
      let kk = idx / ${per}u; let nn = (idx % ${per}u) * ${c.bVec}u;
      let gn = col0 + nn; let gk = k0 + kk;
      ${c.bVec === 4
        ? `var v = ${V}(${zero});
      if (${both(inN("gn"), inK("gk"))}) { v = B[(bBase + gk * P(9u) + gn) / 4u]; }
      Bs[kk * ${TN}u + nn] = v.x; Bs[kk * ${TN}u + nn + 1u] = v.y; Bs[kk * ${TN}u + nn + 2u] = v.z; Bs[kk * ${TN}u + nn + 3u] = v.w;`
        : `var v = ${zero};
      if (${both(inN("gn"), inK("gk"))}) { v = B[bBase + gk * P(9u) + gn * P(10u)]; }
      Bs[kk * ${TN}u + nn] = v;`}
    }`;
  }
  const store = c.outVec
    ? `for (var r = 0u; r < 4u; r++) {
      let gm = row0 + ty * 4u + r;
      let gn = col0 + tx * 4u;
      if (${both(inM("gm"), inN("gn"))}) { Out[(outBase + gm * N + gn) / 4u] = acc[r]; }
    }`
    : `for (var r = 0u; r < 4u; r++) {
      let gm = row0 + ty * 4u + r;
      for (var j = 0u; j < 4u; j++) {
        let gn = col0 + tx * 4u + j;
        if (${both(inM("gm"), inN("gn"))}) { Out[outBase + gm * N + gn] = acc[r][j]; }
      }
    }`;
  return `
@group(0) @binding(0) var<storage, read> A: array<${aType}>;
@group(0) @binding(1) var<storage, read> B: array<${bType}>;
@group(0) @binding(2) var<storage, read_write> Out: array<${c.outVec ? V : t}>;
${paramsDecl(3, MATMUL_PARAMS)}
var<workgroup> As: array<${t}, ${TM * tk}>;
var<workgroup> Bs: array<${t}, ${TN * tk}>;
@compute @workgroup_size(${wx}, ${wy}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = P(0u); let N = P(1u); let K = P(2u);
  let batch = wid.z + P(11u);
  let row0 = wid.y * ${TM}u;
  let col0 = wid.x * ${TN}u;
  let tx = lid.x; let ty = lid.y;
  let tid = ty * ${wx}u + tx;
  let aBase = P(3u) + batch * P(4u);
  let bBase = P(7u) + batch * P(8u);
  let outBase = batch * M * N;
  var acc: array<${V}, 4>;
  for (var r = 0u; r < 4u; r++) { acc[r] = ${V}(${zero}); }
  for (var k0 = 0u; k0 < K; k0 += ${tk}u) {
    ${loadA}
    ${loadB}
    workgroupBarrier();
    for (var kk = 0u; kk < ${tk}u; kk++) {
      let a = ${V}(As[kk * ${TM}u + ty * 4u], As[kk * ${TM}u + ty * 4u + 1u], As[kk * ${TM}u + ty * 4u + 2u], As[kk * ${TM}u + ty * 4u + 3u]);
      let b = ${V}(Bs[kk * ${TN}u + tx * 4u], Bs[kk * ${TN}u + tx * 4u + 1u], Bs[kk * ${TN}u + tx * 4u + 2u], Bs[kk * ${TN}u + tx * 4u + 3u]);
      acc[0] = acc[0] + a.x * b;
      acc[1] = acc[1] + a.y * b;
      acc[2] = acc[2] + a.z * b;
      acc[3] = acc[3] + a.w * b;
    }
    workgroupBarrier();
  }
  ${store}
}
`;
}
