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
  /** Elementwise ops executed inside fused kernels (ops/dispatches of those kernels = fusion). */
  fusedOps: number;
  fusedKernels: number;
  submits: number;
  pipelines: number;
  uploads: number;
  readbacks: number;
}

const PARAM_BYTES = 256 * 1024;
/** Cached bind groups kept at most (the cache is dropped whole past this). */
const MAX_BIND_GROUPS = 16384;

/** A compute pipeline and how many read-only storage buffers it binds before its output. */
export interface Kernel {
  pipeline: GPUComputePipeline;
  nRead: number;
  nWrite: number;
}
/** Uploads up to this size go through a per-batch arena and an ordered copy command. */
const UPLOAD_ARENA_BYTES = 4 << 20;
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
  private readonly pipelines = new Map<string, Kernel>();
  private readonly layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  /** Bind groups by (layout, parameter size, buffers): creating one costs far more than a dispatch. */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bindGroupsOf = new Map<number, string[]>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Buffers referenced by commands not yet submitted (a queue.writeBuffer into one must wait). */
  private readonly pendingUse = new Set<GPUBuffer>();
  private readonly paramHost = new Uint32Array(PARAM_BYTES / 4);
  private paramBuf: GPUBuffer;
  private paramUsed = 0;
  private readonly uploadHost = new Uint8Array(UPLOAD_ARENA_BYTES);
  private uploadBuf: GPUBuffer;
  private uploadUsed = 0;
  private batchDispatches = 0;
  private flushScheduled = false;
  private flushWaiters: (() => void)[] = [];
  private error: Error | null = null;
  private disposed = false;
  readonly stats: DispatchStats = { dispatches: 0, fusedOps: 0, fusedKernels: 0, submits: 0, pipelines: 0, uploads: 0, readbacks: 0 };

  constructor(
    readonly device: GPUDevice,
    readonly limits: KernelLimits,
    readonly hasF16: boolean,
    readonly description: string,
  ) {
    this.queue = device.queue;
    this.storage = new BufferPool(device, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, "neurite", 64 << 20, (b) => this.forgetBuffer(b));
    this.staging = new BufferPool(device, BufferUsage.MAP_READ | BufferUsage.COPY_DST, "neurite-readback", 16 << 20);
    this.paramBuf = device.createBuffer({ size: PARAM_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: "neurite-params" });
    this.uploadBuf = device.createBuffer({ size: UPLOAD_ARENA_BYTES, usage: BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: "neurite-uploads" });
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

  /**
   * The pipeline for `key` (compiled once). Every kernel binds `nRead` read-only storage buffers,
   * then its output (read-write storage), then its parameters (a uniform slot in the batch's
   * parameter buffer), so a few explicit layouts serve all kernels. Bind groups are cached by
   * buffers and slot: a training loop repeats the same dispatches on the same pooled buffers at
   * the same slots every step. (Dynamic offsets would share more, but lavapipe runs them several
   * times slower.)
   */
  pipeline(key: string, nRead: number, code: () => string, nWrite = 1): Kernel {
    let k = this.pipelines.get(key);
    if (!k) {
      const src = code();
      const module = this.device.createShaderModule({ code: src, label: key });
      const pipeline = this.device.createComputePipeline({ layout: this.layout(nRead, nWrite).pipeline, compute: { module, entryPoint: "main" }, label: key });
      this.checkError();
      k = { pipeline, nRead, nWrite };
      this.pipelines.set(key, k);
      this.stats.pipelines++;
    }
    return k;
  }

  private layout(nRead: number, nWrite: number): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    const key = `${nRead}/${nWrite}`;
    let l = this.layouts.get(key);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < nRead; i++) entries.push({ binding: i, visibility: 4 /* COMPUTE */, buffer: { type: "read-only-storage" } });
      for (let i = 0; i < nWrite; i++) entries.push({ binding: nRead + i, visibility: 4, buffer: { type: "storage" } });
      entries.push({ binding: nRead + nWrite, visibility: 4, buffer: { type: "uniform" } });
      const group = this.device.createBindGroupLayout({ entries, label: `neurite-${key}` });
      l = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(key, l);
    }
    return l;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(b, id);
    }
    return id;
  }

  private bindGroup(kernel: Kernel, buffers: readonly GPUBuffer[], paramAt: number, paramBytes: number): GPUBindGroup {
    const ids = buffers.map((b) => this.bufferId(b));
    const key = `${kernel.nRead}/${kernel.nWrite}|${paramAt}|${paramBytes}|${ids.join(",")}`;
    let bg = this.bindGroups.get(key);
    if (!bg) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) {
        this.bindGroups.clear();
        this.bindGroupsOf.clear();
      }
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: i, resource: { buffer } }));
      entries.push({ binding: buffers.length, resource: { buffer: this.paramBuf, offset: paramAt, size: paramBytes } });
      bg = this.device.createBindGroup({ layout: this.layout(kernel.nRead, kernel.nWrite).group, entries });
      this.bindGroups.set(key, bg);
      for (const id of new Set(ids)) {
        let keys = this.bindGroupsOf.get(id);
        if (!keys) this.bindGroupsOf.set(id, (keys = []));
        keys.push(key);
      }
    }
    return bg;
  }

  /** Drops the cached bind groups that use a buffer about to be destroyed. */
  private forgetBuffer(b: GPUBuffer): void {
    const id = this.bufferIds.get(b);
    if (id === undefined) return;
    for (const key of this.bindGroupsOf.get(id) ?? []) this.bindGroups.delete(key);
    this.bindGroupsOf.delete(id);
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
  dispatch(kernel: Kernel, buffers: readonly GPUBuffer[], params: Uint32Array, groups: readonly [number, number, number]): void {
    if (buffers.length !== kernel.nRead + kernel.nWrite) throw new Error(`internal: kernel binds ${kernel.nRead}+${kernel.nWrite} buffers, got ${buffers.length}`);
    const bytes = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
    const slot = Math.ceil(bytes / this.limits.uniformAlign) * this.limits.uniformAlign;
    if (this.paramUsed + slot > PARAM_BYTES || this.batchDispatches >= MAX_DISPATCHES_PER_BATCH) this.flush();
    const at = this.paramUsed;
    this.paramHost.set(params, at / 4);
    this.paramUsed += slot;
    const bindGroup = this.bindGroup(kernel, buffers, at, bytes);
    const pass = this.ensurePass();
    pass.setPipeline(kernel.pipeline);
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

  /**
   * Writes host data into a buffer, ordered after everything recorded so far. Small uploads are
   * batched: staged in this batch's upload arena (written once, just before the submit) and
   * copied by a command in stream order. Large ones use queue.writeBuffer, which runs before any
   * unsubmitted command, so those are submitted first when they use the buffer.
   */
  write(buffer: GPUBuffer, data: ArrayBufferView): void {
    const bytes = data.byteLength;
    this.stats.uploads++;
    if (bytes <= UPLOAD_ARENA_BYTES / 4) {
      if (this.uploadUsed + bytes > UPLOAD_ARENA_BYTES) this.flush();
      const at = this.uploadUsed;
      this.uploadHost.set(new Uint8Array(data.buffer, data.byteOffset, bytes), at);
      this.uploadUsed += Math.ceil(bytes / 16) * 16;
      this.copy(this.uploadBuf, at, buffer, 0, bytes);
      return;
    }
    if (this.pendingUse.has(buffer)) this.flush();
    this.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, bytes);
  }

  /** Submits the recorded commands (with this batch's parameters and uploads). */
  flush(): void {
    if (!this.encoder) return;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    try {
      const enc = this.endPass();
      if (this.paramUsed > 0) this.queue.writeBuffer(this.paramBuf, 0, this.paramHost.buffer, 0, this.paramUsed);
      if (this.uploadUsed > 0) this.queue.writeBuffer(this.uploadBuf, 0, this.uploadHost.buffer, 0, this.uploadUsed);
      this.queue.submit([enc.finish()]);
      this.stats.submits++;
    } catch (e) {
      this.error ??= new Error(`webgpu: submitting commands failed: ${(e as Error).message}`);
    } finally {
      this.encoder = null;
      this.pass = null;
      this.paramUsed = 0;
      this.uploadUsed = 0;
      this.batchDispatches = 0;
      this.pendingUse.clear();
      // Readers waiting on this submit go on (and see any error at their next check).
      for (const w of waiters) w();
    }
    this.storage.trim();
    this.staging.trim();
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
    this.uploadBuf.destroy();
    this.pipelines.clear();
    this.bindGroups.clear();
    this.bindGroupsOf.clear();
    this.device.destroy();
  }
}
