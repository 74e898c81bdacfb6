/**
 * Runs an optimizer update as one fused in-place kernel (Backend.optimizerStep) when the
 * backend has it and every tensor is float32 on that backend; otherwise the caller runs the
 * composed ops. Both give the same float32 results (see backend/optimizer-kernels.ts).
 */
import type { Tensor } from "../tensor/tensor.js";
import type { OptimizerKernel } from "../backend/backend.js";
import { OPTIMIZER_CONSTANTS } from "../backend/optimizer-kernels.js";

let fusedEnabled = readEnvSwitch();

/** NEURITE_FUSED_OPTIMIZER=0 turns the fused kernels off (to measure or bisect them). */
function readEnvSwitch(): boolean {
  const raw = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NEURITE_FUSED_OPTIMIZER;
  return raw !== "0";
}

/** Switches fused optimizer steps on or off (tests compare both); returns the previous setting. */
export function setFusedOptimizerSteps(enabled: boolean): boolean {
  const was = fusedEnabled;
  fusedEnabled = enabled;
  return was;
}

/** Constants for one kernel call, `values` in the kernel's index order (rounded to float32). */
export function kernelConstants(values: Record<number, number | boolean>): Float32Array {
  const c = new Float32Array(OPTIMIZER_CONSTANTS);
  for (const [i, v] of Object.entries(values)) c[Number(i)] = typeof v === "boolean" ? Number(v) : v;
  return c;
}

/**
 * Updates `p` and `state` in place with one kernel; false (nothing done) where the fused path
 * does not apply. `state` tensors must have p's shape.
 */
export function tryFusedStep(kernel: OptimizerKernel, p: Tensor, grad: Tensor, state: readonly Tensor[], constants: Float32Array): boolean {
  const backend = p.backend;
  if (!fusedEnabled || !backend.optimizerStep) return false;
  const all = [p, grad, ...state];
  if (all.some((t) => t.dtype !== "float32" || t.backend !== backend)) return false;
  const op = `optimizer step (${kernel})`;
  const g = grad.ownsWholeBuffer() ? grad : grad.clone();
  try {
    const bufs = [p.exclusiveBuffer(op), g.buf, ...state.map((s) => s.exclusiveBuffer(op))];
    backend.optimizerStep(kernel, bufs, constants);
  } finally {
    if (g !== grad) g.dispose();
  }
  return true;
}
