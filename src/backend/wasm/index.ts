/**
 * `createWasmBackend()`: the WebAssembly SIMD backend with a worker pool.
 *
 *   const be = await createWasmBackend({ threads: 2 });
 *   be.setThreads(1);
 *   await be.dispose(); // ends the workers (they are unref'd in Node, so exiting works anyway)
 *
 * Threads need shared memory: always there in Node; in browsers only when cross-origin isolated,
 * and never on the window's main thread (it may not block in Atomics.wait). Without them the
 * backend warns once and runs single-threaded.
 */
import type { Backend } from "../backend.js";
import { HeapAllocator } from "./allocator.js";
import { DESC_BYTES, WasmBackend } from "./backend.js";
import {
  ABI_VERSION,
  compileVariant,
  isNode,
  onBrowserMainThread,
  relaxedSimdAvailable,
  sharedMemoryAvailable,
  type KernelExports,
  type Variant,
} from "./loader.js";
import { WorkerPool } from "./pool.js";
import { nodeBuiltin } from "../../platform/node-builtins.js";

export { WasmBackend, WasmBuffer } from "./backend.js";

export interface WasmBackendOptions {
  /** Threads to use (main thread included). Default: the machine's cores. */
  threads?: number;
  /** Use relaxed-SIMD FMA when the runtime validates it (default true). */
  relaxedSimd?: boolean;
  /** Use the shared-memory (threaded) build when possible (default true; false forces the
   * single-thread build that browsers without cross-origin isolation get). */
  sharedMemory?: boolean;
}

export type WasmBackendHandle = Backend &
  WasmBackend & {
    /** Sets the number of threads used by the following kernels (1 = main thread only). */
    setThreads(n: number): void;
    readonly threads: number;
    /** Whether this runtime can use more than one thread. */
    readonly threadsSupported: boolean;
    dispose(): Promise<void>;
  };

const WORKER_STACK = 256 * 1024;
let warnedNoThreads = false;

function warnOnce(msg: string): void {
  if (warnedNoThreads) return;
  warnedNoThreads = true;
  console.warn(msg);
}

async function defaultThreads(): Promise<number> {
  if (isNode()) {
    const os = nodeBuiltin("os", "the wasm backend in Node");
    return (os as { availableParallelism?: () => number }).availableParallelism?.() ?? os.cpus().length;
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackendHandle> {
  if (typeof WebAssembly === "undefined") throw new Error("wasm backend: WebAssembly is not available");
  const relaxed = options.relaxedSimd !== false && (await relaxedSimdAvailable());
  const shared = options.sharedMemory !== false && sharedMemoryAvailable();
  let threadsSupported = shared && !onBrowserMainThread();
  const variant = `${relaxed ? "relaxed" : "simd"}-${shared ? "mt" : "st"}` as Variant;
  const module = await compileVariant(variant);
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared } as WebAssembly.MemoryDescriptor);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const ex = instance.exports as unknown as KernelExports;
  if (ex.abi_version() !== ABI_VERSION) throw new Error("wasm backend: kernel ABI mismatch (rebuild with tools/build-wasm.sh)");

  const heap = new HeapAllocator(memory, ex.__heap_base.value as number, () => {});
  const desc = heap.alloc(DESC_BYTES);
  const backend = new WasmBackend({ exports: ex, memory, heap, descPtr: desc.ptr, variant });

  const wanted = Math.max(1, Math.floor(options.threads ?? (await defaultThreads())));
  if (wanted > 1 && !threadsSupported && options.sharedMemory !== false) {
    warnOnce(
      onBrowserMainThread()
        ? "neurite: wasm backend runs single-threaded on the browser main thread (run it in a Worker with cross-origin isolation for threads)"
        : "neurite: wasm backend runs single-threaded: SharedArrayBuffer needs cross-origin isolation (COOP/COEP headers)",
    );
  }
  const pool = new WorkerPool();
  let threads = 1;
  let disposed = false;
  let spawning: Promise<void> = Promise.resolve();

  const spawnUpTo = (n: number): Promise<void> => {
    spawning = spawning.catch(() => {}).then(async () => {
      while (pool.size < n - 1 && !disposed) {
        const stack = heap.alloc(WORKER_STACK);
        await pool.spawn({ module, memory, stack: stack.ptr + WORKER_STACK, tid: pool.size + 1 });
      }
    });
    return spawning;
  };

  const setThreads = (n: number): void => {
    n = Math.max(1, Math.min(64, Math.floor(n)));
    if (n > 1 && !threadsSupported) {
      warnOnce("neurite: wasm backend threads are unavailable here; staying single-threaded");
      n = 1;
    }
    threads = n;
    ex.set_threads(n);
    // workers start asynchronously; kernels use them as soon as they are parked
    if (n - 1 > pool.size) void spawnUpTo(n).catch((e) => console.warn(`neurite: wasm worker failed: ${e}`));
  };

  if (threadsSupported && wanted > 1) {
    try {
      await spawnUpTo(wanted);
      // wait (briefly) until every worker is parked in its wasm loop
      ex.set_threads(wanted);
      for (let i = 0; i < 200 && ex.usable_threads() < wanted; i++) await new Promise((r) => setTimeout(r, 5));
      threads = wanted;
    } catch (e) {
      warnOnce(`neurite: wasm backend could not start worker threads (${e}); running single-threaded`);
      threadsSupported = false;
      threads = 1;
      ex.set_threads(1);
    }
  } else {
    ex.set_threads(1);
  }

  const handle = backend as WasmBackendHandle;
  Object.defineProperties(handle, {
    setThreads: { value: setThreads },
    threads: { get: () => threads },
    threadsSupported: { get: () => threadsSupported },
    dispose: {
      value: async () => {
        if (disposed) return;
        disposed = true;
        await spawning.catch(() => {});
        threads = 1;
        ex.set_threads(1);
        ex.shutdown_workers?.();
        await pool.shutdown();
      },
    },
  });
  return handle;
}
