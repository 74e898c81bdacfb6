/// <reference types="@webgpu/types" />
/**
 * GPU buffers pooled by size class. Sizes are rounded up to one of eight steps per power of two
 * (at most 12.5 % waste) so a training loop's repeating shapes reuse the same buffers; freed
 * buffers wait in least-recently-freed order and the oldest are destroyed once the pool holds
 * more than its cap, so a long loop stays flat in GPU memory.
 */

export const BufferUsage = {
  MAP_READ: 0x1,
  MAP_WRITE: 0x2,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;

/** The pool's size class for a request of `bytes` (a multiple of 16, at least 256). */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const e = Math.floor(Math.log2(bytes));
  const step = Math.max(16, 2 ** (e - 3));
  return Math.ceil(bytes / step) * step;
}

export interface PoolStats {
  /** Buffers handed out and not yet returned. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers kept for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Peak of liveBytes + pooledBytes. */
  peakBytes: number;
  /** createBuffer calls so far (a flat count in a loop means the pool is doing its job). */
  created: number;
}

export class BufferPool {
  private readonly byClass = new Map<number, GPUBuffer[]>();
  /** Free buffers in the order they were returned (Map keeps insertion order). */
  private readonly lru = new Map<GPUBuffer, number>();
  private liveBuffers = 0;
  private liveBytes = 0;
  private pooledBytes = 0;
  private peakBytes = 0;
  private created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    /** Extra bytes the pool may keep beyond the live bytes. */
    private readonly slackBytes: number,
    /** Told about each buffer just before it is destroyed (to drop cached bind groups). */
    private readonly onDestroy: (buffer: GPUBuffer) => void = () => {},
  ) {}

  acquire(bytes: number): { buffer: GPUBuffer; bytes: number } {
    const cls = sizeClass(bytes);
    const list = this.byClass.get(cls);
    let buffer = list?.pop();
    if (buffer) {
      this.lru.delete(buffer);
      this.pooledBytes -= cls;
    } else {
      buffer = this.device.createBuffer({ size: cls, usage: this.usage, label: this.label });
      this.created++;
    }
    this.liveBuffers++;
    this.liveBytes += cls;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes + this.pooledBytes);
    return { buffer, bytes: cls };
  }

  release(buffer: GPUBuffer, cls: number): void {
    this.liveBuffers--;
    this.liveBytes -= cls;
    let list = this.byClass.get(cls);
    if (!list) this.byClass.set(cls, (list = []));
    list.push(buffer);
    this.lru.set(buffer, cls);
    this.pooledBytes += cls;
  }

  /**
   * Destroys the least recently freed buffers until the pool holds at most `slackBytes` plus the
   * live bytes. Call only when no unsubmitted command uses a pooled buffer.
   */
  trim(keepBytes = Math.max(this.slackBytes, this.liveBytes)): void {
    if (this.pooledBytes <= keepBytes) return;
    for (const [buffer, cls] of this.lru) {
      if (this.pooledBytes <= keepBytes) break;
      this.lru.delete(buffer);
      const list = this.byClass.get(cls)!;
      list.splice(list.indexOf(buffer), 1);
      this.pooledBytes -= cls;
      this.onDestroy(buffer);
      buffer.destroy();
    }
  }

  stats(): PoolStats {
    return {
      liveBuffers: this.liveBuffers,
      liveBytes: this.liveBytes,
      pooledBuffers: this.lru.size,
      pooledBytes: this.pooledBytes,
      peakBytes: this.peakBytes,
      created: this.created,
    };
  }

  destroyAll(): void {
    this.trim(0);
  }
}
