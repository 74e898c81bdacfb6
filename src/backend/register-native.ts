/**
 * Registers the `native` backend (Node only). Imported by the Node entry (node.ts) and the CLI,
 * never by index.ts, so browser bundles do not contain it; the addon itself loads on first use
 * (setBackend("native") / --backend native), and where it cannot, that call fails with the
 * reason while wasm stays the backend in use.
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

