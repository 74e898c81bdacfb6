import type { Backend, BackendBuffer } from "../backend/backend.js";
import { itemSize } from "../tensor/dtype.js";

/** Live-object counters per backend, reported by `nt.memory()`. */
export interface BackendMemoryCounters {
  tensors: number;
  storages: number;
  bytes: number;
}

const counters = new Map<string, BackendMemoryCounters>();

export function countersFor(backend: string): BackendMemoryCounters {
  let c = counters.get(backend);
  if (!c) {
    c = { tensors: 0, storages: 0, bytes: 0 };
    counters.set(backend, c);
  }
  return c;
}

export function allCounters(): Map<string, BackendMemoryCounters> {
  return counters;
}

/**
 * A reference-counted backend buffer. Tensor handles (views) and tensors saved for backward
 * each hold one reference; the buffer is freed when the last one is released, which makes GPU
 * and Wasm memory release deterministic instead of depending on the garbage collector.
 */
export class Storage {
  private refs = 1;
  readonly bytes: number;
  /** The backend's counters, looked up once here instead of by name on every handle and free. */
  readonly counters: BackendMemoryCounters;

  constructor(
    readonly backend: Backend,
    readonly buf: BackendBuffer,
  ) {
    this.bytes = buf.size * itemSize(buf.dtype);
    const c = (this.counters = countersFor(backend.name));
    c.storages++;
    c.bytes += this.bytes;
  }

  get alive(): boolean {
    return this.refs > 0;
  }

  /** References held (handles and saved tensors); 1 means one tensor owns the buffer alone. */
  get refCount(): number {
    return this.refs;
  }

  retain(): this {
    if (this.refs <= 0) throw new Error("internal: retain() on a freed storage");
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    this.refs--;
    if (this.refs === 0) {
      const c = this.counters;
      c.storages--;
      c.bytes -= this.bytes;
      this.backend.free(this.buf);
    }
  }
}
