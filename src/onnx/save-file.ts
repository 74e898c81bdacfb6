// Node only: reached through a dynamic import from `save.ts`, so browser bundles never load it.
import { writeFileAtomic } from "../io/atomic-write.js";

/** Writes ONNX bytes to `path` atomically (a reader never sees a half-written model). */
export async function saveOnnxFile(bytes: Uint8Array, path: string): Promise<void> {
  await writeFileAtomic(path, bytes);
}
