/**
 * Saves exported ONNX bytes: to a file in Node when given a path (written atomically), or as a
 * Blob (for a download link or ONNX Runtime Web) when not.
 */
import { writeFileAtomic } from "../io/atomic-write.js";

export async function save(bytes: Uint8Array, path: string): Promise<void>;
export async function save(bytes: Uint8Array): Promise<Blob>;
export async function save(bytes: Uint8Array, path?: string): Promise<void | Blob> {
  if (path === undefined) return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" });
  // Atomic: a reader never sees a half-written model (Node only; a browser gets NodeOnlyError).
  await writeFileAtomic(path, bytes);
}
