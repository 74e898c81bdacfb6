/**
 * Registers the `native` backend (Node only). Imported by the Node entry (node.ts) and the CLI,
 * never by index.ts, so browser bundles do not contain it. Imported before index.ts runs, it is
 * Node's default backend where its addon loads (register-all.ts); where the addon cannot load,
 * wasm is the default, setBackend("native") fails with the reason, and `neurite info` shows it.
 */
import { registerBackend } from "./registry.js";

registerBackend("native", async () => {
  const { createNativeBackend } = await import("./native/native-backend.js");
  return createNativeBackend();
});

/** Whether the native backend loads here, and why not; loads it to find out (for `neurite info`). */
export async function nativeStatus(): Promise<{ available: boolean; reason?: string; blas?: string; threads?: number }> {
  try {
    const { loadNativeAddon } = await import("./native/load-native.js");
    const addon = loadNativeAddon();
    return { available: true, blas: addon.blasConfig(), threads: addon.threads() };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}

