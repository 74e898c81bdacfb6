import type { Tensor } from "../tensor/tensor.js";
import { fromTypedArray } from "../ops/creation.js";
import { decodeSafetensors, encodeSafetensors, type RawTensorEntry } from "./safetensors-format.js";
import { writeFileAtomic } from "./atomic-write.js";

export type StateDict = Map<string, Tensor>;

/** Serialises tensors to safetensors bytes (readable by `safetensors.torch.load_file`). */
export async function toBytes(stateDict: StateDict | Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const entries: RawTensorEntry[] = [];
  const map = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
  for (const [name, t] of map) {
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], data: await t.data() });
  }
  return encodeSafetensors(entries, metadata);
}

/** Parses safetensors bytes into tensors on the current (or given) backend. */
export function fromBytes(bytes: Uint8Array | ArrayBuffer, options: { device?: string; source?: string } = {}): { tensors: StateDict; metadata: Record<string, string> } {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const decoded = decodeSafetensors(view, options.source);
  const tensors: StateDict = new Map();
  for (const e of decoded.tensors) {
    tensors.set(e.name, fromTypedArray(e.data, e.shape, e.dtype, options.device === undefined ? {} : { device: options.device }).keep());
  }
  return { tensors, metadata: decoded.metadata };
}

/**
 * `io.save(stateDict, path)` writes atomically (temp file + fsync + rename): a crash or a full
 * disk leaves any previous file intact. Without a path, returns the bytes.
 */
export async function save(stateDict: StateDict | Record<string, Tensor>, path?: string, metadata?: Record<string, string>): Promise<Uint8Array> {
  const bytes = await toBytes(stateDict, metadata);
  if (path !== undefined) await writeFileAtomic(path, bytes);
  return bytes;
}

/** `io.load(path | bytes)`: a Map of tensors by name. */
export async function load(source: string | Uint8Array | ArrayBuffer, options: { device?: string } = {}): Promise<StateDict> {
  return (await loadWithMetadata(source, options)).tensors;
}

export async function loadWithMetadata(
  source: string | Uint8Array | ArrayBuffer,
  options: { device?: string } = {},
): Promise<{ tensors: StateDict; metadata: Record<string, string> }> {
  if (typeof source === "string") {
    // Lazy: the file reader is Node only. It refuses devices, FIFOs and folders by type and
    // checks the header size before reading the rest.
    const { readSafetensorsFile, FileReadError } = await import("./node-file.js");
    let bytes: Uint8Array;
    try {
      bytes = await readSafetensorsFile(source);
    } catch (e) {
      if (e instanceof FileReadError) throw new Error(`io.load: cannot read ${e.message}`);
      throw e;
    }
    return fromBytes(bytes, { ...options, source });
  }
  return fromBytes(source, options);
}
