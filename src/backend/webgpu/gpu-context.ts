/// <reference types="@webgpu/types" />
import { BufferPool, BufferUsage } from "./buffer-pool.js";

/** The adapter limits the kernels are sized from (read at start, never hard-coded). */
export interface KernelLimits {
  maxInvocations: number;
  maxSizeX: number;
  maxSizeY: number;
  maxWorkgroupsPerDim: number;
  maxStorageBinding: number;
  maxBufferSize: number;
  maxSharedBytes: number;
  uniformAlign: number;
  maxStorageBuffers: number;
}

/** Work-in-flight counters (kernel counts for fusion measurements, batching). */
export interface DispatchStats {
  dispatches: number;
  submits: number;
  pipelines: number;
  uploads: number;
  readbacks: number;
}

const PARAM_BYTES = 256 * 1024;
const MAX_DISPATCHES_PER_BATCH = 1024;

/**
 * Owns the device and the command stream: pipelines cached by kernel key, one command encoder
 * batching dispatches/copies until a sync point (or a microtask later), kernel parameters packed
 * into one uniform buffer per batch, pooled storage and readback buffers, and validation errors
 * turned into thrown errors at the next call.
 */
export class GpuContext {
  readonly queue: GPUQueue;
  readonly storage: BufferPool;
  private readonly staging: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Buffers referenced by commands not yet submitted (a queue.writeBuffer into one must wait). */
  private readonly pendingUse = new Set<GPUBuffer>();
  private readonly paramHost = new Uint32Array(PARAM_BYTES / 4);
  private paramBuf: GPUBuffer;
  private paramUsed = 0;
  private batchDispatches = 0;
  private flushScheduled = false;
  private flushWaiters: (() => void)[] = [];
  private error: Error | null = null;
  private disposed = false;
  readonly stats: DispatchStats = { dispatches: 0, submits: 0, pipelines: 0, uploads: 0, readbacks: 0 };

  constructor(
    readonly device: GPUDevice,
    readonly limits: KernelLimits,
    readonly hasF16: boolean,
    readonly description: string,
  ) {
    this.queue = device.queue;
    this.storage = new BufferPool(device, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, "neurite", 64 << 20);
    this.staging = new BufferPool(device, BufferUsage.MAP_READ | BufferUsage.COPY_DST, "neurite-readback", 16 << 20);
    this.paramBuf = device.createBuffer({ size: PARAM_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: "neurite-params" });
    device.addEventListener("uncapturederror", (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.error ??= new Error(`webgpu: ${err.constructor?.name ?? "GPUError"}: ${err.message}`);
    });
    void device.lost.then((info) => {
      if (!this.disposed) this.error ??= new Error(`webgpu: device lost (${info.reason}): ${info.message}`);
    });
  }

  /** Throws (once) a validation or device-lost error reported since the last check. */
  checkError(): void {
    if (this.disposed) throw new Error("webgpu: the backend has been disposed");
    const e = this.error;
    if (e) {
      this.error = null;
      throw e;
    }
  }

  pipeline(key: string, code: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const src = code();
      const module = this.device.createShaderModule({ code: src, label: key });
      p = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: key });
      this.checkError();
      this.pipelines.set(key, p);
      this.stats.pipelines++;
    }
    return p;
  }

  private ensureEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.encoder = this.device.createCommandEncoder();
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    }
    return this.encoder;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.ensureEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): GPUCommandEncoder {
    const enc = this.ensureEncoder();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return enc;
  }

  /**
   * Records one dispatch: storage `buffers` at bindings 0..n-1, `params` (u32 words) as a uniform
   * at binding n, and `groups` workgroups.
   */
  dispatch(pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[], params: Uint32Array, groups: readonly [number, number, number]): void {
    const bytes = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
    const slot = Math.ceil(bytes / this.limits.uniformAlign) * this.limits.uniformAlign;
    if (this.paramUsed + slot > PARAM_BYTES || this.batchDispatches >= MAX_DISPATCHES_PER_BATCH) this.flush();
    const at = this.paramUsed;
    this.paramHost.set(params, at / 4);
    this.paramUsed += slot;
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: i, resource: { buffer } }));
    entries.push({ binding: buffers.length, resource: { buffer: this.paramBuf, offset: at, size: bytes } });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.ensurePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    for (const b of buffers) this.pendingUse.add(b);
    this.batchDispatches++;
    this.stats.dispatches++;
  }

  /** Workgroup counts for `total` workgroups, folded into y when x would exceed the limit. */
  grid(total: number): [number, number, number] {
    const max = this.limits.maxWorkgroupsPerDim;
    if (total <= max) return [Math.max(1, total), 1, 1];
    const y = Math.ceil(total / max);
    if (y > max) throw new Error(`webgpu: ${total} workgroups exceed the device's ${max}x${max} grid`);
    return [Math.ceil(total / y), y, 1];
  }

  clear(buffer: GPUBuffer, bytes: number): void {
    this.endPass().clearBuffer(buffer, 0, Math.ceil(bytes / 4) * 4);
    this.pendingUse.add(buffer);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.pendingUse.add(src);
    this.pendingUse.add(dst);
  }

  /** Writes host data into a buffer, ordered after everything recorded so far. */
  write(buffer: GPUBuffer, data: ArrayBufferView): void {
    // queue.writeBuffer runs before not-yet-submitted commands: submit them first if they use it.
    if (this.pendingUse.has(buffer)) this.flush();
    this.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    this.stats.uploads++;
  }

  /** Submits the recorded commands (with this batch's parameters). */
  flush(): void {
    if (!this.encoder) return;
    const enc = this.endPass();
    if (this.paramUsed > 0) this.queue.writeBuffer(this.paramBuf, 0, this.paramHost.buffer, 0, this.paramUsed);
    this.queue.submit([enc.finish()]);
    this.stats.submits++;
    this.encoder = null;
    this.paramUsed = 0;
    this.batchDispatches = 0;
    this.pendingUse.clear();
    this.storage.trim();
    this.staging.trim();
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Copies `bytes` from `src` out to the host. Reads requested in the same synchronous stretch
   * share one submit.
   */
  async read(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.checkError();
    const copyBytes = Math.ceil(bytes / 4) * 4;
    const { buffer: stage, bytes: cls } = this.staging.acquire(copyBytes);
    this.copy(src, 0, stage, 0, copyBytes);
    this.stats.readbacks++;
    await new Promise<void>((resolve) => this.flushWaiters.push(resolve));
    try {
      await stage.mapAsync(1 /* GPUMapMode.READ */, 0, copyBytes);
    } catch (e) {
      this.checkError();
      throw new Error(`webgpu: readback failed: ${(e as Error).message}`);
    }
    const out = stage.getMappedRange(0, copyBytes).slice(0, bytes);
    stage.unmap();
    this.staging.release(stage, cls);
    this.checkError();
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.flush();
    try {
      await this.queue.onSubmittedWorkDone();
    } catch {
      // The device may already be lost; destroying it below is all that is left to do.
    }
    this.disposed = true;
    this.storage.destroyAll();
    this.staging.destroyAll();
    this.paramBuf.destroy();
    this.pipelines.clear();
    this.device.destroy();
  }
}
