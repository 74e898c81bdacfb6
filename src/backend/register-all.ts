/**
 * Registers the optional backends. Each is loaded lazily (dynamic import) so that importing
 * neurite costs nothing for backends that are never used, and browser bundles can drop them.
 */
import { backends, getBackend, registerBackend, readyBackends, setBackend } from "./registry.js";

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
 * Threads for the CPU backends' kernels (wasm and native; default: the machine's cores). Applies
 * immediately to the running ones, and to wasm when it starts.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  requestedThreads = n;
  for (const name of ["wasm", "native"]) (readyBackends().get(name) as { setThreads?: (n: number) => void } | undefined)?.setThreads?.(n);
}

export function getNumThreads(): number {
  const cpuBackend = (readyBackends().get(getBackend()) ?? readyBackends().get("wasm")) as { threads?: number } | undefined;
  return cpuBackend?.threads ?? requestedThreads ?? 1;
}

/** Why the native backend is not the default here (it is not registered, or did not load); undefined when it is. */
export let nativeDefaultRefusal: string | undefined;

/**
 * The default backend: NEURITE_BACKEND if set; else `native` where it is registered (Node's entry
 * and the CLI register it before this module runs; browser bundles never do) and loads; else
 * `wasm` where WebAssembly works (the fast CPU path); else the `cpu` reference backend.
 */
async function chooseDefaultBackend(): Promise<void> {
  const wanted = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NEURITE_BACKEND;
  if (wanted) {
    await setBackend(wanted);
    return;
  }
  if (backends().includes("native")) {
    try {
      await setBackend("native");
      return;
    } catch (e) {
      nativeDefaultRefusal = (e as Error).message;
    }
  } else {
    nativeDefaultRefusal = "the native backend is not registered (only Node's entry and the CLI register it)";
  }
  try {
    await setBackend("wasm");
  } catch (e) {
    console.warn(`neurite: the wasm backend is unavailable (${(e as Error).message}); using the cpu reference backend`);
  }
}

await chooseDefaultBackend();
