/**
 * Typed arrays freed by the native backend, kept for the next result of the same dtype and length.
 * A training step allocates the same shapes every step; reusing them skips the zero-filled
 * allocation and the garbage collection of large external buffers (what the wasm backend's heap
 * allocator does for its buffers). Freed arrays are unreachable from tensors (Storage frees a
 * buffer once, on its last release), and an array is taken out of the pool before it is reused.
 * When the pool is full, the arrays freed longest ago make room (shapes of earlier work, e.g.
 * another model, must not keep the current one's out).
 */
import type { AnyTypedArray, DType } from "../backend.js";
import { allocArray } from "../../tensor/dtype.js";

/** Arrays smaller than this live on V8's heap, where allocation is already cheap. */
const MIN_POOLED_BYTES = 1024;

interface Entry {
  dtype: DType;
  a: AnyTypedArray;
  /** Which put of `a` this is: entries of an earlier put (taken since) are stale. */
  seq: number;
}

export class ArrayPool {
  private readonly free = new Map<DType, Map<number, AnyTypedArray[]>>();
  /** Pooled arrays, each with the sequence number of its put. */
  private readonly pooled = new Map<AnyTypedArray, number>();
  private seq = 0;
  /** Arrays in the order they were freed; stale entries (taken since) are skipped and compacted away. */
  private order: Entry[] = [];
  private orderStart = 0;
  private count = 0;
  private bytes = 0;

  /** `maxBytes`: most bytes the pool holds; beyond it the oldest arrays go to the garbage collector. */
  constructor(private readonly maxBytes: number) {}

  /** An array of `size` elements with arbitrary contents (every element is about to be written). */
  take(dtype: DType, size: number): AnyTypedArray {
    const a = this.free.get(dtype)?.get(size)?.pop();
    if (!a) return allocArray(dtype, size);
    this.pooled.delete(a);
    this.bytes -= a.byteLength;
    this.count--;
    return a;
  }

  /** A zero-filled array of `size` elements. */
  takeZeroed(dtype: DType, size: number): AnyTypedArray {
    const list = this.free.get(dtype)?.get(size);
    if (!list || list.length === 0) return allocArray(dtype, size);
    return this.take(dtype, size).fill(0);
  }

  /** Keeps `a` (which nothing references any more) for reuse, if it owns its whole buffer and fits. */
  put(dtype: DType, a: AnyTypedArray): void {
    if (a.byteLength < MIN_POOLED_BYTES || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || this.pooled.has(a)) return;
    if (a.byteLength > this.maxBytes) return;
    while (this.bytes + a.byteLength > this.maxBytes) if (!this.evictOldest()) return;
    let bySize = this.free.get(dtype);
    if (!bySize) this.free.set(dtype, (bySize = new Map()));
    let list = bySize.get(a.length);
    if (!list) bySize.set(a.length, (list = []));
    list.push(a);
    this.pooled.set(a, ++this.seq);
    this.bytes += a.byteLength;
    this.count++;
    this.order.push({ dtype, a, seq: this.seq });
    if (this.order.length - this.orderStart > 4 * this.count + 64) this.compact();
  }

  /** Bytes held for reuse. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Drops the array freed longest ago; false when there is none. */
  private evictOldest(): boolean {
    while (this.orderStart < this.order.length) {
      const { dtype, a, seq } = this.order[this.orderStart++]!;
      if (this.pooled.get(a) !== seq) continue; // taken since it was freed
      const list = this.free.get(dtype)!.get(a.length)!;
      list.splice(list.indexOf(a), 1);
      this.pooled.delete(a);
      this.bytes -= a.byteLength;
      this.count--;
      return true;
    }
    return false;
  }

  /** Drops the order entries of arrays taken since they were freed. */
  private compact(): void {
    this.order = this.order.slice(this.orderStart).filter((e) => this.pooled.get(e.a) === e.seq);
    this.orderStart = 0;
  }
}
