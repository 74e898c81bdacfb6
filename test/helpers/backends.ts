import * as nt from "../../src/index.js";
// Node's entry registers the native backend; the suites run on it where its addon loads.
import "../../src/backend/register-native.js";

/**
 * The backends the conformance suite runs on: NEURITE_BACKENDS=cpu,wasm selects; by default
 * every registered backend that initialises on this machine.
 */
export async function backendsUnderTest(): Promise<string[]> {
  const requested = process.env.NEURITE_BACKENDS?.split(",").map((s) => s.trim()).filter(Boolean);
  const names = requested ?? nt.backends();
  const ok: string[] = [];
  for (const name of names) {
    try {
      await nt.initBackend(name);
      ok.push(name);
    } catch (e) {
      if (requested) throw e;
      console.log(`# backend '${name}' unavailable here: ${(e as Error).message}`);
    }
  }
  return ok;
}
