/** Picks the fastest backend available here: wasm when it can be loaded, else the cpu reference. */
import * as nt from "../src/index.js";

export async function useFastestBackend(): Promise<string> {
  if (!nt.backends().includes("wasm")) {
    try {
      const { createWasmBackend } = await import("../src/backend/wasm/index.js");
      nt.registerBackend("wasm", () => createWasmBackend());
    } catch {
      // No wasm backend in this build: stay on cpu.
    }
  }
  const wanted = process.env.NEURITE_BACKEND ?? (nt.backends().includes("wasm") ? "wasm" : "cpu");
  try {
    await nt.setBackend(wanted);
  } catch (e) {
    console.warn(`backend '${wanted}' unavailable (${(e as Error).message}); using cpu`);
    await nt.setBackend("cpu");
  }
  return nt.getBackend();
}
