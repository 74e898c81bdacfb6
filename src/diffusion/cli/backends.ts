/**
 * Makes the wasm backend available to the diffusion commands even where the shared registration
 * (src/backend/register-all.ts) does not list it yet. NEURITE_WASM_THREADS sets its thread count.
 */
import { backends, registerBackend } from "../../backend/registry.js";

export function registerWasmIfMissing(): void {
  if (backends().includes("wasm")) return;
  registerBackend("wasm", async () => {
    const { createWasmBackend } = await import("../../backend/wasm/index.js");
    const threads = process.env.NEURITE_WASM_THREADS ? Number(process.env.NEURITE_WASM_THREADS) : undefined;
    return createWasmBackend(threads ? { threads } : {});
  });
}
