import type { ReduceOp } from "../../backend.js";
import { ENTRY_ARGS, MATH_HELPERS, type Scalar, paramsDecl } from "./common.js";

/**
 * Reductions over a view split into kept dims (one output each) and reduced dims.
 * Params: [outN, inner, offset, keptShape[kr], keptStrides[kr], redShape[rr], redStrides[rr]].
 * Two shapes of kernel: one invocation per output looping over the reduced dims (many outputs),
 * or one workgroup per output with a shared-memory tree (few, long reductions).
 */
export interface ReduceLayout {
  kr: number;
  rr: number;
}

function paramLayout({ kr, rr }: ReduceLayout) {
  const keptShape = 3;
  const keptStrides = keptShape + kr;
  const redShape = keptStrides + kr;
  const redStrides = redShape + rr;
  return { keptShape, keptStrides, redShape, redStrides, n: redStrides + rr };
}

function keptOffsetCode(L: ReduceLayout, idx: string): string {
  const p = paramLayout(L);
  let s = `var base = P(2u);\nvar remk = ${idx};\n`;
  for (let d = L.kr - 1; d >= 0; d--) {
    s += `{ let c = remk % P(${p.keptShape + d}u); remk = remk / P(${p.keptShape + d}u); base = base + c * P(${p.keptStrides + d}u); }\n`;
  }
  return s;
}

function redOffsetCode(L: ReduceLayout, idx: string): string {
  const p = paramLayout(L);
  let s = `var roff = 0u;\nvar remr = ${idx};\n`;
  for (let d = L.rr - 1; d >= 0; d--) {
    s += `{ let c = remr % P(${p.redShape + d}u); remr = remr / P(${p.redShape + d}u); roff = roff + c * P(${p.redStrides + d}u); }\n`;
  }
  return s;
}

interface Combine {
  init: string;
  step: (acc: string, v: string) => string;
}

function combineFor(op: ReduceOp, t: Scalar): Combine {
  const lit = (f: string, i: string, u: string) => (t === "f32" ? f : t === "i32" ? i : u);
  switch (op) {
    case "sum":
      return { init: lit("0.0", "0", "0u"), step: (a, v) => `${a} + ${v}` };
    case "prod":
      return { init: lit("1.0", "1", "1u"), step: (a, v) => `${a} * ${v}` };
    case "max":
      return { init: lit("-inf_f()", "i32(-2147483647 - 1)", "0u"), step: t === "f32" ? (a, v) => `max_nan(${a}, ${v})` : (a, v) => `max(${a}, ${v})` };
    case "min":
      return { init: lit("inf_f()", "2147483647", "4294967295u"), step: t === "f32" ? (a, v) => `min_nan(${a}, ${v})` : (a, v) => `min(${a}, ${v})` };
  }
}

export function reduceKernel(op: ReduceOp, t: Scalar, L: ReduceLayout, mode: "loop" | "workgroup", wg: number): { code: string; nParams: number } {
  const p = paramLayout(L);
  const c = combineFor(op, t);
  const kahan = op === "sum" && t === "f32";
  const accumulate = (v: string) =>
    kahan ? `{ let y = ${v} - comp; let s = acc + y; comp = (s - acc) - y; acc = s; }` : `acc = ${c.step("acc", v)};`;
  const header = `${MATH_HELPERS}
@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<${t}>;
${paramsDecl(2, p.n)}
`;
  if (mode === "loop") {
    // Nested loops over the reduced dims, innermost last, offsets accumulated (no div/mod per element).
    let loops = "";
    let close = "";
    for (let d = 0; d < L.rr; d++) {
      const prev = d === 0 ? "base" : `o${d - 1}`;
      loops += `for (var r${d} = 0u; r${d} < P(${p.redShape + d}u); r${d}++) {\nlet o${d} = ${prev} + r${d} * P(${p.redStrides + d}u);\n`;
      close += "}\n";
    }
    const last = L.rr === 0 ? "base" : `o${L.rr - 1}`;
    const code = `${header}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  let i = (wid.y * nwg.x + wid.x) * ${wg}u + lid.x;
  if (i >= P(0u)) { return; }
  ${keptOffsetCode(L, "i")}
  var acc: ${t} = ${c.init};
  var comp: ${t} = ${c.init === "0.0" ? "0.0" : c.init};
  ${L.rr === 0 ? accumulate(`x[base]`) : `${loops}${accumulate(`x[${last}]`)}\n${close}`}
  out[i] = acc;
}
`;
    return { code, nParams: p.n };
  }
  const code = `${header}
var<workgroup> part: array<${t}, ${wg}>;
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  let o = wid.y * nwg.x + wid.x;
  if (o >= P(0u)) { return; }
  ${keptOffsetCode(L, "o")}
  var acc: ${t} = ${c.init};
  var comp: ${t} = ${c.init === "0.0" ? "0.0" : c.init};
  for (var r = lid.x; r < P(1u); r += ${wg}u) {
    ${redOffsetCode(L, "r")}
    ${accumulate("x[base + roff]")}
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { part[lid.x] = ${c.step("part[lid.x]", "part[lid.x + s]")}; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[o] = part[0]; }
}
`;
  return { code, nParams: p.n };
}

/**
 * argmax/argmin along one (strided) axis; first occurrence wins and NaN beats everything, as in
 * the cpu backend. Params: [outN, len, offset, keptShape[kr], keptStrides[kr], axisStride].
 */
export function argReduceKernel(op: "argmax" | "argmin", t: Scalar, kr: number, mode: "loop" | "workgroup", wg: number): { code: string; nParams: number } {
  const L = { kr, rr: 0 };
  const p = paramLayout(L);
  const axisStride = p.redShape;
  const nParams = axisStride + 1;
  const better = op === "argmax" ? ">" : "<";
  const isNan = t === "f32" ? (v: string) => `is_nan(${v})` : () => "false";
  // (v, i) replaces (bv, bi) when: bv is not NaN and (v is NaN or v better, or equal with smaller index).
  const wins = (v: string, i: string, bv: string, bi: string) =>
    `(!${isNan(bv)} && (${isNan(v)} || ${v} ${better} ${bv} || (${v} == ${bv} && ${i} < ${bi}))) || (${isNan(bv)} && ${isNan(v)} && ${i} < ${bi})`;
  const header = `${MATH_HELPERS}
@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
${paramsDecl(2, nParams)}
`;
  // Assumes bv/bi hold element `start`; scans the rest of this invocation's elements.
  const scan = (start: string, step: string) => `
  for (var r = ${start} + ${step}; r < P(1u); r += ${step}) {
    let v = x[base + r * P(${axisStride}u)];
    if (${wins("v", "r", "bv", "bi")}) { bv = v; bi = r; }
  }`;
  if (mode === "loop") {
    const code = `${header}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  let i = (wid.y * nwg.x + wid.x) * ${wg}u + lid.x;
  if (i >= P(0u)) { return; }
  ${keptOffsetCode(L, "i")}
  var bv: ${t} = x[base];
  var bi: u32 = 0u;
  ${scan("0u", "1u")}
  out[i] = i32(bi);
}
`;
    return { code, nParams };
  }
  const code = `${header}
var<workgroup> pv: array<${t}, ${wg}>;
var<workgroup> pi: array<u32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  let o = wid.y * nwg.x + wid.x;
  if (o >= P(0u)) { return; }
  ${keptOffsetCode(L, "o")}
  var bv: ${t} = x[base];
  var bi: u32 = 0xffffffffu;
  if (lid.x < P(1u)) {
    bv = x[base + lid.x * P(${axisStride}u)];
    bi = lid.x;
    ${scan("lid.x", `${wg}u`)}
  }
  pv[lid.x] = bv;
  pi[lid.x] = bi;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) {
      let v = pv[lid.x + s];
      let j = pi[lid.x + s];
      let cv = pv[lid.x];
      let ci = pi[lid.x];
      if (j != 0xffffffffu && (ci == 0xffffffffu || ${wins("v", "j", "cv", "ci")})) { pv[lid.x] = v; pi[lid.x] = j; }
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[o] = i32(pi[0]); }
}
`;
  return { code, nParams };
}
