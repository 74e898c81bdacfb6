import { allCounters } from "./storage.js";
import { numel, shapeToString } from "../tensor/shape.js";

/** Thrown when a backend cannot allocate a tensor; says which op, what size and what is live. */
export class OutOfMemoryError extends Error {
  constructor(
    readonly op: string,
    readonly backend: string,
    readonly detail: string,
    cause: unknown,
  ) {
    const live = allCounters().get(backend);
    const liveText = live ? `; ${live.tensors} live tensors hold ${formatBytes(live.bytes)} on '${backend}' (dispose them or use tidy)` : "";
    super(`out of memory: ${op} on '${backend}' could not allocate ${detail} (${(cause as Error)?.message ?? String(cause)})${liveText}`);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Allocation failures look like this on typed arrays, Wasm memory.grow and WebGPU. */
export function isAllocationFailure(e: unknown): boolean {
  if (e instanceof OutOfMemoryError) return false;
  const msg = String((e as Error)?.message ?? e);
  return (e instanceof RangeError || /memory/i.test(msg)) && /alloc|out of memory|memory\.grow|Array buffer|Invalid typed array length|could not grow|maximum/i.test(msg);
}

/** The error to rethrow for `e`: an OutOfMemoryError when it is an allocation failure. */
export function asOutOfMemory(e: unknown, op: string, backend: string, describe: () => string): unknown {
  return isAllocationFailure(e) ? new OutOfMemoryError(op, backend, describe(), e) : e;
}

/** Runs an allocating step, turning an allocation failure into an OutOfMemoryError. */
export function withOomContext<T>(op: string, backend: string, describe: () => string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asOutOfMemory(e, op, backend, describe);
  }
}

export function describeTensor(shape: readonly number[], dtype: string, bytesPerItem: number): string {
  const n = numel(shape);
  return `${formatBytes(n * bytesPerItem)} for a ${dtype} tensor ${shapeToString(shape)}`;
}
