import type { Tensor } from "../tensor/tensor.js";

/**
 * Sees every op that runs while it is installed, as the dispatch point reports it (comparisons
 * report their un-broadcast inputs themselves). The ONNX exporter installs one to record a
 * forward pass; nothing else does, so the hot path pays one null check.
 */
export interface OpObserver {
  record(op: string, inputs: readonly Tensor[], params: object, output: Tensor): void;
  /** A tensor is about to be changed in place (assign, and copy_/fill_ through it). */
  mutation(target: Tensor): void;
  /** Stops recording until the matching `resume` (calls nest). */
  suspend(): void;
  resume(): void;
}

let observer: OpObserver | null = null;

export function opObserver(): OpObserver | null {
  return observer;
}

/** Installs `next` (or removes the current one with null); returns the previous observer. */
export function setOpObserver(next: OpObserver | null): OpObserver | null {
  const previous = observer;
  observer = next;
  return previous;
}

/**
 * Runs a composite op. An installed observer sees it as one op (`op` with `params`) rather than
 * as the primitives it is made of, so an exporter can write e.g. ONNX's Softmax.
 */
export function recordAsOne(op: string, inputs: readonly Tensor[], params: object, compute: () => Tensor): Tensor {
  const o = observer;
  if (!o) return compute();
  o.suspend();
  let out: Tensor;
  try {
    out = compute();
  } finally {
    o.resume();
  }
  o.record(op, inputs, params, out);
  return out;
}
