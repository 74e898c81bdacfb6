import type { Tensor } from "../tensor/tensor.js";
import { fromTypedArray } from "../ops/creation.js";
import { decodeSafetensors, encodeSafetensors, type RawTensorEntry } from "./safetensors-format.js";
import { writeFileAtomic } from "./atomic-write.js";
import { isNode, nodeBuiltin } from "../platform/node-builtins.js";

export type StateDict = Map<string, Tensor>;

/** Serialises tensors to safetensors bytes (readable by `safetensors.torch.load_file`). */
export async function toBytes(stateDict: StateDict | Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
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
export async function save(stateDict: StateDict | Record<string, Tensor>, path?: string, metadata?: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await toBytes(stateDict, metadata);
  if (path !== undefined) await writeFileAtomic(path, bytes);
  return bytes;
}

/**
 * Where safetensors bytes can come from: a file path (Node), an http(s) or blob: URL (fetched),
 * the bytes themselves, a Blob or File (e.g. from a file input or a drop), or a fetch Response.
 */
export type SafetensorsSource = string | URL | Uint8Array | ArrayBuffer | Blob | Response;

/** `io.load(source)`: a Map of tensors by name. */
export async function load(source: SafetensorsSource, options: { device?: string } = {}): Promise<StateDict> {
  return (await loadWithMetadata(source, options)).tensors;
}

export async function loadWithMetadata(
  source: SafetensorsSource,
  options: { device?: string } = {},
): Promise<{ tensors: StateDict; metadata: Record<string, string> }> {
  const { bytes, name } = await readSource(source);
  return fromBytes(bytes, name === undefined ? options : { ...options, source: name });
}

const FETCHED = /^(https?|blob|data):/i;

/** The bytes of `source`, and a name for errors when it has one. */
async function readSource(source: SafetensorsSource): Promise<{ bytes: Uint8Array; name?: string }> {
  if (source instanceof Uint8Array) return { bytes: source };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source) };
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    const name = (source as { name?: string }).name;
    return { bytes: new Uint8Array(await source.arrayBuffer()), ...(name ? { name } : {}) };
  }
  if (typeof Response !== "undefined" && source instanceof Response) return responseBytes(source, source.url || "<response>");
  const text = source instanceof URL ? source.href : source;
  if (typeof text !== "string") {
    throw new TypeError(`io.load: expected a path, URL, Uint8Array, ArrayBuffer, Blob or Response, got ${Object.prototype.toString.call(source)}`);
  }
  if (FETCHED.test(text) || !isNode()) return responseBytes(await fetchOrThrow(text), text);
  const path = text.startsWith("file:") ? nodeBuiltin("url", "io.load(path)").fileURLToPath(text) : text;
  // The file reader refuses devices, FIFOs and folders by type and checks the header size
  // before reading the rest.
  const { readSafetensorsFile, FileReadError } = await import("./node-file.js");
  try {
    return { bytes: await readSafetensorsFile(path), name: path };
  } catch (e) {
    if (e instanceof FileReadError) throw new Error(`io.load: cannot read ${e.message}`);
    throw e;
  }
}

async function fetchOrThrow(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch (e) {
    throw new Error(`io.load: cannot fetch '${url}': ${(e as Error).message}`);
  }
}

async function responseBytes(response: Response, name: string): Promise<{ bytes: Uint8Array; name: string }> {
  if (!response.ok) throw new Error(`io.load: fetching '${name}' failed with HTTP ${response.status} ${response.statusText}`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), name };
}
