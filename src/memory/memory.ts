import { allCounters } from "./storage.js";
import { Tensor } from "../tensor/tensor.js";

export interface MemoryInfo {
  /** Live tensor handles over all backends. */
  numTensors: number;
  /** Bytes held by live storages over all backends. */
  numBytes: number;
  /** Per backend: live handles, storages and bytes. */
  backends: Record<string, { tensors: number; storages: number; bytes: number }>;
}

/** Live tensor and byte counts, per backend and in total. */
export function memory(): MemoryInfo {
  const out: MemoryInfo = { numTensors: 0, numBytes: 0, backends: {} };
  for (const [name, c] of allCounters()) {
    out.backends[name] = { ...c };
    out.numTensors += c.tensors;
    out.numBytes += c.bytes;
  }
  return out;
}

/** Disposes every tensor found in a value (tensor, array, Map, plain object). */
export function dispose(value: unknown): void {
  if (value instanceof Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(dispose);
  else if (value instanceof Map) [...value.values()].forEach(dispose);
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach(dispose);
}
