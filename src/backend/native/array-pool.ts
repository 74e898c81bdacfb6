/**
 * Typed arrays freed by the native backend, kept for the next result of the same dtype and length.
 * A training step allocates the same shapes every step; reusing them skips the zero-filled
 * allocation and the garbage collection of large external buffers (what the wasm backend's heap
 * allocator does for its buffers). Freed arrays are unreachable from tensors (Storage frees a
 * buffer once, on its last release), and an array is taken out of the pool before it is reused.
 */
import type { AnyTypedArray, DType } from "../backend.js";
import { allocArray } from "../../tensor/dtype.js";

/** Arrays smaller than this live on V8's heap, where allocation is already cheap. */
const MIN_POOLED_BYTES = 1024;
/** Arrays kept per dtype and length (a transformer step holds dozens of one attention shape). */
const MAX_PER_SIZE = 256;

export class ArrayPool {
  private readonly free = new Map<DType, Map<number, AnyTypedArray[]>>();
  private readonly pooled = new WeakSet<AnyTypedArray>();
  private bytes = 0;

  /** `maxBytes`: most bytes the pool holds; arrays beyond it are left to the garbage collector. */
  constructor(private readonly maxBytes: number) {}

  /** An array of `size` elements with arbitrary contents (every element is about to be written). */
  take(dtype: DType, size: number): AnyTypedArray {
    const list = this.free.get(dtype)?.get(size);
    const a = list?.pop();
    if (!a) return allocArray(dtype, size);
    this.pooled.delete(a);
    this.bytes -= a.byteLength;
    return a;
  }

  /** A zero-filled array of `size` elements. */
  takeZeroed(dtype: DType, size: number): AnyTypedArray {
    const list = this.free.get(dtype)?.get(size);
    if (!list || list.length === 0) return allocArray(dtype, size);
    return this.take(dtype, size).fill(0);
  }

  /** Keeps `a` (which nothing references any more) for reuse, if it owns its whole buffer and there is room. */
  put(dtype: DType, a: AnyTypedArray): void {
    if (a.byteLength < MIN_POOLED_BYTES || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || this.pooled.has(a)) return;
    if (this.bytes + a.byteLength > this.maxBytes) return;
    let bySize = this.free.get(dtype);
    if (!bySize) this.free.set(dtype, (bySize = new Map()));
    let list = bySize.get(a.length);
    if (!list) bySize.set(a.length, (list = []));
    if (list.length >= MAX_PER_SIZE) return;
    list.push(a);
    this.pooled.add(a);
    this.bytes += a.byteLength;
  }

  /** Bytes held for reuse. */
  get heldBytes(): number {
    return this.bytes;
  }
}
