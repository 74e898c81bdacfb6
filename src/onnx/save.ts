/**
 * Saves exported ONNX bytes: to a file in Node when given a path (written atomically), or as a
 * Blob (for a download link or ONNX Runtime Web) when not.
 */
export async function save(bytes: Uint8Array, path: string): Promise<void>;
export async function save(bytes: Uint8Array): Promise<Blob>;
export async function save(bytes: Uint8Array, path?: string): Promise<void | Blob> {
  if (path === undefined) return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" });
  const { saveOnnxFile } = await import("./save-file.js");
  await saveOnnxFile(bytes, path);
}
