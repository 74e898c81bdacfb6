/**
 * Registers the optional backends. Each is loaded lazily (dynamic import) so that importing
 * neurite costs nothing for backends that are never used, and browser bundles can drop them.
 */
import { registerBackend, readyBackends, setBackend } from "./registry.js";

let requestedThreads: number | undefined = envThreads();

function envThreads(): number | undefined {
  const raw = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NEURITE_WASM_THREADS;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

registerBackend("wasm", async () => {
  const { createWasmBackend } = await import("./wasm/index.js");
  return createWasmBackend(requestedThreads === undefined ? {} : { threads: requestedThreads });
});

registerBackend("webgpu", async () => {
  const { createWebGPUBackend } = await import("./webgpu/index.js");
  return createWebGPUBackend();
});

/**
 * Threads for the wasm backend (default: the machine's cores). Applies immediately when the
 * backend is running, else when it starts.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  requestedThreads = n;
  const wasm = readyBackends().get("wasm") as { setThreads?: (n: number) => void } | undefined;
  wasm?.setThreads?.(n);
}

export function getNumThreads(): number {
  const wasm = readyBackends().get("wasm") as { threads?: number } | undefined;
  return wasm?.threads ?? requestedThreads ?? 1;
}

/**
 * The default backend: NEURITE_BACKEND if set, else `wasm` where WebAssembly works (the fast
 * CPU path), else the `cpu` reference backend.
 */
async function chooseDefaultBackend(): Promise<void> {
  const wanted = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NEURITE_BACKEND;
  if (wanted) {
    await setBackend(wanted);
    return;
  }
  try {
    await setBackend("wasm");
  } catch (e) {
    console.warn(`neurite: the wasm backend is unavailable (${(e as Error).message}); using the cpu reference backend`);
  }
}

await chooseDefaultBackend();
