// Pure byte-level codec for the safetensors format, independent of the Tensor class.
//
// Layout (https://github.com/huggingface/safetensors, "Format"):
//   8 bytes   N, little-endian u64: size of the JSON header in bytes
//   N bytes   UTF-8 JSON: { "__metadata__"?: {str: str}, name: {dtype, shape, data_offsets: [begin, end]} }
//   rest      the byte buffer; offsets are relative to its start, data is little-endian.
//
// Decoding validates as strictly as the reference Rust implementation: every
// tensor's byte range must match shape x itemsize, ranges may not overlap or
// leave holes, and the buffer must end exactly where the last tensor ends.
// Every error starts with "safetensors: " and names the source (and tensor).

import { bfloat16ArrayToFloat32, halfArrayToFloat32 } from "./float-bits.js";
import { parseStrictJson, StrictJsonError } from "./strict-json.js";

export type SafetensorsDType = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

export type RawDType = "float32" | "int32" | "bool" | "float64";

export interface RawTensorEntry {
  name: string;
  dtype: RawDType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array | Float64Array;
  /** The dtype stored in the file (decoding widens F16/BF16 to float32, I64/I16/I8/U8 to int32). */
  storedDtype?: SafetensorsDType;
}

export interface DecodedSafetensors {
  /** In file order, i.e. sorted by data offset. */
  tensors: RawTensorEntry[];
  metadata: Record<string, string>;
}

const ITEM_SIZE: Record<SafetensorsDType, number> = {
  F64: 8,
  I64: 8,
  F32: 4,
  I32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/**
 * The largest JSON header accepted, in bytes: 100 MB, the reference implementation's cap.
 * Checked from the 8-byte prefix, before the header is read or allocated.
 */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/**
 * The most tensors one file may hold: 262,144 (2^18). Real models have a few thousand; the
 * limit bounds the time and memory a header can cost (it is checked while the header is parsed).
 */
export const SAFETENSORS_MAX_TENSORS = 262_144;

/** Nesting of a valid header: the object, a tensor entry, its shape/data_offsets array. */
const MAX_HEADER_DEPTH = 3;

const METADATA_KEY = "__metadata__";

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(ITEM_SIZE, s);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Own-property assignment that is safe for keys like "__proto__" (which plain `obj[k] = v` would not store). */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Copy `length` bytes starting at `start` into a fresh, aligned buffer in host
 * byte order. Copying (rather than viewing) makes unaligned offsets work and
 * gives the caller arrays that do not alias the input buffer.
 */
function copyLittleEndian(bytes: Uint8Array, start: number, length: number, itemSize: number): ArrayBuffer {
  // Not bytes.slice(): on a Node Buffer that returns a view into the shared pool.
  const copy = new Uint8Array(length);
  copy.set(bytes.subarray(start, start + length));
  if (!HOST_IS_LITTLE_ENDIAN && itemSize > 1) {
    for (let i = 0; i < length; i += itemSize) copy.subarray(i, i + itemSize).reverse();
  }
  return copy.buffer;
}

const DATA_OFFSETS_KEY = new TextEncoder().encode('"data_offsets"');

/**
 * How many times the bytes `"data_offsets"` occur: every tensor entry spells that key (an entry
 * that escapes it is still counted by the parser's key limit), so this bounds the tensor count
 * from the raw bytes, in one pass, before anything is allocated for them.
 */
function countDataOffsets(bytes: Uint8Array): number {
  const key = DATA_OFFSETS_KEY;
  const last = bytes.length - key.length;
  let count = 0;
  for (let i = bytes.indexOf(0x22); i >= 0 && i <= last; i = bytes.indexOf(0x22, i + 1)) {
    let k = 1;
    while (k < key.length && bytes[i + k] === key[k]) k++;
    if (k === key.length) {
      count++;
      i += key.length - 1;
    }
  }
  return count;
}

const failWith = (source: string) => (msg: string): never => {
  throw new Error(`safetensors: ${source}: ${msg}`);
};

/**
 * The header size announced by the 8-byte prefix, checked against the cap and against the
 * `totalBytes` the file has. Lets a file reader refuse a file before reading all of it.
 */
export function headerSizeFromPrefix(prefix: Uint8Array, totalBytes: number, source = "<buffer>"): number {
  const fail = failWith(source);
  if (totalBytes < 8 || prefix.length < 8) fail(`file is ${totalBytes} bytes, shorter than the 8-byte header-size prefix`);
  const headerSize64 = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (headerSize64 > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    fail(`header size ${headerSize64} exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit (not a safetensors file, or a hostile one)`);
  }
  if (headerSize64 > BigInt(totalBytes - 8)) {
    fail(`header size ${headerSize64} is larger than the ${totalBytes - 8} bytes after the size prefix (truncated or not a safetensors file)`);
  }
  if (headerSize64 < 2n) fail(`header size ${headerSize64} is too small for a JSON object`);
  return Number(headerSize64);
}

function parseHeader(bytes: Uint8Array, source: string): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  const fail = failWith(source);
  const headerSize = headerSizeFromPrefix(bytes, bytes.length, source);

  // Cheap checks on the raw bytes first, so that a huge hostile header is refused before it is
  // decoded into a string and parsed into objects.
  const headerBytes = bytes.subarray(8, 8 + headerSize);
  let first = 0;
  while (first < headerBytes.length && (headerBytes[first] === 0x20 || headerBytes[first] === 0x0a || headerBytes[first] === 0x0d || headerBytes[first] === 0x09)) first++;
  if (first === headerBytes.length) fail("header is not valid JSON (unexpected end of input: it is all whitespace)");
  if (countDataOffsets(headerBytes) > SAFETENSORS_MAX_TENSORS) fail(`header lists more than ${SAFETENSORS_MAX_TENSORS} tensors (neurite's limit per file)`);

  let headerText: string;
  try {
    headerText = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    return fail("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    // Not JSON.parse: it would silently keep the last of two tensors with the same name.
    // +1: the __metadata__ entry is a key too.
    header = parseStrictJson(headerText, { maxDepth: MAX_HEADER_DEPTH, maxKeys: SAFETENSORS_MAX_TENSORS + 1 });
  } catch (e) {
    if (e instanceof StrictJsonError) {
      const m = /^duplicate key (.*) at position (\d+)$/.exec(e.message);
      if (m) return fail(`header names ${m[1]} twice (at byte ${8 + Number(m[2])}); refusing an ambiguous file`);
      if (/^more than \d+ keys/.test(e.message)) return fail(`header lists more than ${SAFETENSORS_MAX_TENSORS} tensors (neurite's limit per file)`);
      return fail(`header is not valid JSON (${e.message})`);
    }
    throw e;
  }
  if (!isPlainObject(header)) return fail("header JSON is not an object");

  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(info)) fail(`"${METADATA_KEY}" must be an object of strings`);
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`"${METADATA_KEY}" value for key "${k}" is not a string`);
        setOwn(metadata, k, v as string);
      }
      continue;
    }
    const tfail = (msg: string): never => fail(`tensor "${name}": ${msg}`);
    if (!isPlainObject(info)) return tfail("header entry is not an object");
    const { dtype, shape, data_offsets: offsets } = info;
    if (dtype === undefined) tfail("missing dtype");
    if (!isSafetensorsDType(dtype)) return tfail(`unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      return tfail(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
      return tfail(`data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) tfail(`data_offsets [${begin}, ${end}] end before begin`);
    const nbytes = elementCount(shape as number[]) * ITEM_SIZE[dtype];
    if (!Number.isSafeInteger(nbytes)) tfail(`shape ${JSON.stringify(shape)} is too large`);
    if (end - begin !== nbytes) {
      tfail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape ${JSON.stringify(shape)} x ${dtype} needs ${nbytes}`);
    }
    entries.push({ name, dtype, shape: (shape as number[]).slice(), begin, end });
  }

  // Like the reference reader: ranges must tile the buffer exactly, in offset order.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + headerSize;
  const dataLength = bytes.length - dataStart;
  let cursor = 0;
  let prev: HeaderEntry | null = null;
  for (const e of entries) {
    if (e.begin < cursor) {
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${prev?.name}" which ends at ${cursor}`);
    }
    if (e.begin > cursor) {
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave a gap after byte ${cursor}${prev ? ` (end of tensor "${prev.name}")` : ""}`);
    }
    if (e.end > dataLength) {
      fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] run past the end of the ${dataLength}-byte data buffer (file truncated?)`);
    }
    cursor = e.end;
    prev = e;
  }
  if (cursor !== dataLength) {
    fail(`data buffer is ${dataLength} bytes but the tensors cover only ${cursor}${prev ? ` (last tensor "${prev.name}")` : ""}`);
  }
  return { entries, metadata, dataStart };
}

function decodeEntry(bytes: Uint8Array, dataStart: number, e: HeaderEntry, source: string): RawTensorEntry {
  const start = dataStart + e.begin;
  const nbytes = e.end - e.begin;
  const buf = copyLittleEndian(bytes, start, nbytes, ITEM_SIZE[e.dtype]);
  const base = { name: e.name, shape: e.shape, storedDtype: e.dtype };
  switch (e.dtype) {
    case "F32":
      return { ...base, dtype: "float32", data: new Float32Array(buf) };
    case "F64":
      return { ...base, dtype: "float64", data: new Float64Array(buf) };
    case "F16":
      return { ...base, dtype: "float32", data: halfArrayToFloat32(new Uint16Array(buf)) };
    case "BF16":
      return { ...base, dtype: "float32", data: bfloat16ArrayToFloat32(new Uint16Array(buf)) };
    case "I32":
      return { ...base, dtype: "int32", data: new Int32Array(buf) };
    case "I16":
      return { ...base, dtype: "int32", data: Int32Array.from(new Int16Array(buf)) };
    case "I8":
      return { ...base, dtype: "int32", data: Int32Array.from(new Int8Array(buf)) };
    case "U8":
      return { ...base, dtype: "int32", data: Int32Array.from(new Uint8Array(buf)) };
    case "I64":
      return { ...base, dtype: "int32", data: int64ToInt32(new Int32Array(buf), e.name, source) };
    case "BOOL": {
      const data = new Uint8Array(buf);
      const bad = data.findIndex((v) => v > 1);
      if (bad >= 0) {
        throw new Error(`safetensors: ${source}: tensor "${e.name}": BOOL element ${bad} has byte value ${data[bad]}, expected 0 or 1`);
      }
      return { ...base, dtype: "bool", data };
    }
  }
}

/**
 * Narrow int64 (as host-order [lo, hi] int32 pairs) to int32. A value fits iff
 * its high word is the sign extension of its low word; this avoids BigInt in
 * the loop.
 */
function int64ToInt32(words: Int32Array, name: string, source: string): Int32Array {
  const n = words.length / 2;
  const out = new Int32Array(n);
  const loWord = HOST_IS_LITTLE_ENDIAN ? 0 : 1;
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i + loWord]!;
    const hi = words[2 * i + 1 - loWord]!;
    if (hi !== lo >> 31) {
      const value = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
      throw new Error(
        `safetensors: ${source}: tensor "${name}": I64 element ${i} = ${value} does not fit in int32 (neurite stores integer tensors as int32)`,
      );
    }
    out[i] = lo;
  }
  return out;
}

/** Decode a whole safetensors file. `source` (a path or label) is used in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = "<buffer>"): DecodedSafetensors {
  const { entries, metadata, dataStart } = parseHeader(bytes, source);
  const tensors = entries.map((e) => decodeEntry(bytes, dataStart, e, source));
  return { tensors, metadata };
}

type RawArrayCtor = new (length: number) => RawTensorEntry["data"];

const ENCODE_DTYPE: Record<RawDType, { st: SafetensorsDType; ctor: RawArrayCtor }> = {
  float64: { st: "F64", ctor: Float64Array },
  float32: { st: "F32", ctor: Float32Array },
  int32: { st: "I32", ctor: Int32Array },
  bool: { st: "BOOL", ctor: Uint8Array },
};

function checkEntry(e: RawTensorEntry, seen: Set<string>): void {
  const fail = (msg: string): never => {
    throw new Error(`safetensors: encode: tensor "${e.name}": ${msg}`);
  };
  if (typeof e.name !== "string") fail("name must be a string");
  if (e.name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved for metadata`);
  if (seen.has(e.name)) fail("duplicate tensor name");
  seen.add(e.name);
  const spec = ENCODE_DTYPE[e.dtype];
  if (spec === undefined) return fail(`unsupported dtype ${JSON.stringify(e.dtype)}`);
  if (!(e.data instanceof spec.ctor)) fail(`dtype ${e.dtype} needs a ${spec.ctor.name}, got ${e.data?.constructor?.name}`);
  if (!Array.isArray(e.shape) || !e.shape.every(isNonNegInt)) fail(`bad shape ${JSON.stringify(e.shape)}`);
  const n = elementCount(e.shape);
  if (e.data.length !== n) fail(`shape ${JSON.stringify(e.shape)} has ${n} elements but data has ${e.data.length}`);
  if (e.dtype === "bool" && (e.data as Uint8Array).some((v) => v > 1)) fail("bool data must contain only 0 and 1");
}

/**
 * Encode tensors (F32/F64/I32/BOOL) into a safetensors file.
 *
 * The data buffer is laid out by descending item size (stable, so tensors of
 * one size keep the given order), as the reference writer does: with the
 * header padded to a multiple of 8, every tensor then starts at an offset
 * aligned to its own item size, which zero-copy readers rely on.
 */
export function encodeSafetensors(entries: RawTensorEntry[], metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const seen = new Set<string>();
  for (const e of entries) checkEntry(e, seen);
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`safetensors: encode: metadata value for key "${k}" is not a string`);
    }
  }

  const layout = entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.data.BYTES_PER_ELEMENT - a.e.data.BYTES_PER_ELEMENT || a.i - b.i)
    .map(({ e }) => e);

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) setOwn(meta, k, v);
    header[METADATA_KEY] = meta;
  }
  let offset = 0;
  for (const e of layout) {
    const end = offset + e.data.byteLength;
    setOwn(header, e.name, { dtype: ENCODE_DTYPE[e.dtype].st, shape: e.shape.slice(), data_offsets: [offset, end] });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded); // pad with spaces: still valid JSON
  let pos = 8 + padded;
  for (const e of layout) {
    const src = new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength);
    out.set(src, pos);
    if (!HOST_IS_LITTLE_ENDIAN && e.data.BYTES_PER_ELEMENT > 1) {
      const size = e.data.BYTES_PER_ELEMENT;
      for (let i = pos; i < pos + src.length; i += size) out.subarray(i, i + size).reverse();
    }
    pos += src.length;
  }
  return out;
}
