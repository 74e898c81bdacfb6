/** Picks the fastest backend available here: NEURITE_BACKEND if set, else wasm, else the cpu reference. */
import * as nt from "neurite";

export async function useFastestBackend(): Promise<string> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const wanted = env?.NEURITE_BACKEND ?? (nt.backends().includes("wasm") ? "wasm" : "cpu");
  try {
    await nt.setBackend(wanted);
  } catch (e) {
    console.warn(`backend '${wanted}' unavailable (${(e as Error).message}); using cpu`);
    await nt.setBackend("cpu");
  }
  return nt.getBackend();
}
