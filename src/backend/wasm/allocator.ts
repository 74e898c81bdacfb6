/**
 * Allocator for the wasm linear memory: size-class free lists over a bump pointer.
 *
 * Classes are 64-byte multiples up to 1 KiB, then four per power of two (so at most 25 % slack).
 * Blocks are 64-byte aligned (cache lines; SIMD needs 16). Freed blocks go back to their class
 * list and are reused by the next request of the same class; the bump region grows the memory when
 * it runs out. Memory is never returned to the system, like every wasm heap.
 */
const ALIGN = 64;
const PAGE = 65536;

export function sizeClass(bytes: number): number {
  if (bytes <= 1024) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const p = 2 ** (31 - Math.clz32(bytes - 1)); // largest power of two < bytes
  const step = p / 4;
  return p + Math.ceil((bytes - p) / step) * step;
}

export class HeapAllocator {
  private readonly free = new Map<number, number[]>();
  private top: number;
  /** Bytes handed out and not yet freed (by class size). */
  inUse = 0;
  /** Number of blocks handed out and not yet freed. */
  blocks = 0;
  /** Times the memory grew (only this allocator grows it): views over the old buffer are then stale. */
  growths = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
    private readonly onGrow: () => void,
  ) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
  }

  /** Returns a 64-byte-aligned block of at least `bytes` bytes (contents undefined). */
  alloc(bytes: number): { ptr: number; cls: number } {
    const cls = sizeClass(Math.max(1, bytes));
    const list = this.free.get(cls);
    let ptr: number;
    if (list && list.length > 0) {
      ptr = list.pop()!;
    } else {
      ptr = this.top;
      const end = ptr + cls;
      if (end > 2 ** 32) throw new RangeError(`wasm backend: out of memory (asked ${bytes} bytes, 4 GiB address space)`);
      this.ensure(end);
      this.top = end;
    }
    this.inUse += cls;
    this.blocks++;
    return { ptr, cls };
  }

  release(ptr: number, cls: number): void {
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(ptr);
    this.inUse -= cls;
    this.blocks--;
  }

  /** Bytes of linear memory in use by the heap (high-water mark). */
  get reserved(): number {
    return this.top;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    // grow by at least a quarter of the current size to keep the number of grows small
    const need = Math.ceil((end - have) / PAGE);
    const want = Math.max(need, Math.ceil(have / PAGE / 4));
    const maxPages = 65536 - have / PAGE;
    try {
      this.memory.grow(Math.min(want, maxPages));
    } catch {
      this.memory.grow(need);
    }
    this.growths++;
    this.onGrow();
  }
}
