/**
 * The fused optimizer kernels in WGSL: the operations of backend/optimizer-kernels.ts (the
 * reference), in the same order, one invocation per element. Bindings: the gradient `g` (read),
 * then the parameter `s0` and the state buffers `s1`, `s2`, ... (read_write) in the reference's
 * order; parameters [n, constants as f32 bits...]. Which buffers exist is fixed per pipeline
 * (part of the key); the values of the constants are not.
 */
import type { OptimizerKernel } from "../../backend.js";
import { ADAM, OPTIMIZER_CONSTANTS, RMSPROP, SGD } from "../../optimizer-kernels.js";
import { ENTRY_ARGS, MATH_HELPERS, linearIndexCode, paramsDecl } from "./common.js";

/** Constant `k` of the block (parameter word 0 is the element count). */
const C = (k: number): string => `PF(${k + 1}u)`;
const on = (c: Float32Array, k: number): boolean => c[k] === 1;

/** The pipeline variant a call needs: the kernel and the flags that change its buffers or code. */
export function optimizerKernelKey(kernel: OptimizerKernel, c: Float32Array, nBufs: number): string {
  const flags = kernel === "adam" ? [on(c, ADAM.amsgrad)] : kernel === "sgd" ? [on(c, SGD.hasMomentum), on(c, SGD.init), on(c, SGD.nesterov)] : [on(c, RMSPROP.centered), on(c, RMSPROP.hasMomentum)];
  return `optim|${kernel}|${nBufs}|${flags.map(Number).join("")}`;
}

function adamBody(c: Float32Array): string {
  const ams = on(c, ADAM.amsgrad);
  return `
  var d = g[i] * ${C(ADAM.sign)};
  let pi = s0[i] * ${C(ADAM.decay)};
  if (${C(ADAM.l2)} != 0.0) { d = d + pi * ${C(ADAM.l2)}; }
  let mi = s1[i] * ${C(ADAM.beta1)} + d * ${C(ADAM.oneMinusBeta1)};
  let vi = s2[i] * ${C(ADAM.beta2)} + (d * ${C(ADAM.oneMinusBeta2)}) * d;
  s1[i] = mi;
  s2[i] = vi;
  var second = vi;${ams ? "\n  second = max_nan(s3[i], vi);\n  s3[i] = second;" : ""}
  let denom = sqrt(second) / ${C(ADAM.bc2Sqrt)} + ${C(ADAM.eps)};
  s0[i] = pi + (mi * ${C(ADAM.negStepSize)}) / denom;`;
}

function sgdBody(c: Float32Array): string {
  const momentum = on(c, SGD.hasMomentum)
    ? `
  let b = ${on(c, SGD.init) ? "d" : `s1[i] * ${C(SGD.momentum)} + d * ${C(SGD.oneMinusDampening)}`};
  s1[i] = b;
  ${on(c, SGD.nesterov) ? `d = d + b * ${C(SGD.momentum)};` : "d = b;"}`
    : "";
  return `
  var d = g[i] * ${C(SGD.sign)};
  let pi = s0[i];
  if (${C(SGD.l2)} != 0.0) { d = d + pi * ${C(SGD.l2)}; }${momentum}
  s0[i] = pi + d * ${C(SGD.negLr)};`;
}

function rmspropBody(c: Float32Array): string {
  const centered = on(c, RMSPROP.centered);
  const buf = centered ? "s3" : "s2";
  return `
  var d = g[i] * ${C(RMSPROP.sign)};
  let pi = s0[i];
  if (${C(RMSPROP.l2)} != 0.0) { d = d + pi * ${C(RMSPROP.l2)}; }
  let si = s1[i] * ${C(RMSPROP.alpha)} + (d * ${C(RMSPROP.oneMinusAlpha)}) * d;
  s1[i] = si;
  ${centered ? `let gi = s2[i] * ${C(RMSPROP.alpha)} + d * ${C(RMSPROP.oneMinusAlpha)};
  s2[i] = gi;
  var avg = sqrt(si + (-gi) * gi);` : "var avg = sqrt(si);"}
  avg = avg + ${C(RMSPROP.eps)};
  ${on(c, RMSPROP.hasMomentum) ? `let b = ${buf}[i] * ${C(RMSPROP.momentum)} + d / avg;
  ${buf}[i] = b;
  s0[i] = pi + b * ${C(RMSPROP.negLr)};` : `s0[i] = pi + (d * ${C(RMSPROP.negLr)}) / avg;`}`;
}

const BODIES: Record<OptimizerKernel, (c: Float32Array) => string> = { adam: adamBody, sgd: sgdBody, rmsprop: rmspropBody };

/** WGSL for one call: `nBufs` buffers (gradient, parameter, state). */
export function optimizerKernel(kernel: OptimizerKernel, c: Float32Array, nBufs: number, wg: number): string {
  const writes = Array.from({ length: nBufs - 1 }, (_, k) => `@group(0) @binding(${k + 1}) var<storage, read_write> s${k}: array<f32>;`);
  return `
@group(0) @binding(0) var<storage, read> g: array<f32>;
${writes.join("\n")}
${paramsDecl(nBufs, 1 + OPTIMIZER_CONSTANTS)}
${MATH_HELPERS}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  ${linearIndexCode(wg)}
  if (i >= P(0u)) { return; }${BODIES[kernel](c)}
}
`;
}
