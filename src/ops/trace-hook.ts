import type { Tensor } from "../tensor/tensor.js";

/**
 * Sees every op that runs while it is installed: primitives from the dispatch point, and the
 * gradient-free ops (comparisons, sign, floor, …) that bypass it. The ONNX exporter installs
 * one to record a forward pass; nothing else does, so the hot path pays one null check.
 */
export interface OpObserver {
  record(op: string, inputs: readonly Tensor[], params: object, output: Tensor): void;
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
