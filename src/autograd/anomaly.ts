import type { Tensor } from "../tensor/tensor.js";

/**
 * Anomaly detection (`--detect-anomaly`, `nt.autograd.setDetectAnomaly(true)`): after every
 * primitive, reads the output back and throws naming the op that first produced NaN or Inf.
 * Slow (one synchronous read per op), so off by default.
 */
let enabled = false;

/** A NaN or Inf found by anomaly detection; `op` names the primitive that produced it. */
export class AnomalyError extends Error {
  override name = "AnomalyError";
  constructor(
    message: string,
    readonly op: string,
    readonly phase: "forward" | "backward",
  ) {
    super(message);
  }
}

export function setDetectAnomaly(on: boolean): void {
  enabled = on;
}

export function isAnomalyEnabled(): boolean {
  return enabled;
}

export function checkAnomaly(op: string, out: Tensor): void {
  if (!enabled || (out.dtype !== "float32" && out.dtype !== "float64") || !out.backend.canReadSync) return;
  const values = out.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v || v === Infinity || v === -Infinity) {
      throw new AnomalyError(`anomaly: '${op}' produced ${v} at flat index ${i} of its output of shape [${out.shape.join(", ")}]`, op, "forward");
    }
  }
}
