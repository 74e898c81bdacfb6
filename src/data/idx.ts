import { NodeOnlyError } from "../platform/node-builtins.js";
import { gunzip, gunzipSync } from "../platform/gunzip.js";
export { gunzipWeb } from "../platform/gunzip.js";

// Reader for the IDX format used by MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
//   bytes 0-1  zero
//   byte  2    element type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//   byte  3    number of dimensions
//   then one big-endian u32 per dimension, then the elements, big-endian, row-major.
// Files are often gzip-compressed; both forms are accepted.

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  shape: number[];
  data: IdxData;
}

interface IdxType {
  name: string;
  size: number;
  read: (view: DataView, byteOffset: number, n: number) => IdxData;
}

function bigEndian<T extends Int16Array | Int32Array | Float32Array | Float64Array>(
  make: (n: number) => T,
  get: (view: DataView, offset: number) => number,
  size: number,
): IdxType["read"] {
  return (view, byteOffset, n) => {
    const out = make(n);
    for (let i = 0, p = byteOffset; i < n; i++, p += size) out[i] = get(view, p);
    return out;
  };
}

const TYPES: Record<number, IdxType> = {
  0x08: { name: "ubyte", size: 1, read: (v, o, n) => new Uint8Array(v.buffer, v.byteOffset + o, n).slice() },
  0x09: { name: "byte", size: 1, read: (v, o, n) => new Int8Array(v.buffer, v.byteOffset + o, n).slice() },
  0x0b: { name: "short", size: 2, read: bigEndian((n) => new Int16Array(n), (v, p) => v.getInt16(p), 2) },
  0x0c: { name: "int", size: 4, read: bigEndian((n) => new Int32Array(n), (v, p) => v.getInt32(p), 4) },
  0x0d: { name: "float", size: 4, read: bigEndian((n) => new Float32Array(n), (v, p) => v.getFloat32(p), 4) },
  0x0e: { name: "double", size: 8, read: bigEndian((n) => new Float64Array(n), (v, p) => v.getFloat64(p), 8) },
};

/** True if the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parse uncompressed IDX bytes. The returned array never aliases `bytes`. */
export function parseIdxRaw(bytes: Uint8Array, source = "<buffer>"): IdxArray {
  const fail = (msg: string): never => {
    throw new Error(`idx: ${source}: ${msg}`);
  };
  if (bytes.length < 4) fail(`file is ${bytes.length} bytes, shorter than the 4-byte magic number`);
  const typeCode = bytes[2]!;
  const ndim = bytes[3]!;
  const type = TYPES[typeCode];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    fail(`bad magic number ${hex} (expected 00 00 <type 08/09/0b/0c/0d/0e> <ndim>)`);
  }
  const t = type as IdxType;
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) fail(`truncated header: ${ndim} dimensions need ${headerSize} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let n = 1;
  for (let d = 0; d < ndim; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    shape.push(size);
    n *= size;
  }
  const expected = headerSize + n * t.size;
  if (bytes.length < expected) {
    fail(`truncated data: shape [${shape.join(", ")}] of ${t.name} needs ${expected} bytes, file has ${bytes.length}`);
  }
  if (bytes.length > expected) {
    fail(`${bytes.length - expected} unexpected trailing bytes after shape [${shape.join(", ")}] of ${t.name}`);
  }
  return { shape, data: t.read(view, headerSize, n) };
}

/** Parse IDX bytes, gzip-compressed or raw (synchronous; gzip needs Node). */
export function parseIdx(bytes: Uint8Array, source = "<buffer>"): IdxArray {
  return parseIdxRaw(isGzip(bytes) ? withIdxPrefix(() => gunzipSync(bytes, source)) : bytes, source);
}

function withIdxPrefix<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof NodeOnlyError) throw e;
    throw new Error(`idx: ${(e as Error).message}`);
  }
}

/** Parse IDX bytes, gzip-compressed or raw; works in browsers (DecompressionStream) and Node. */
export async function parseIdxAsync(bytes: Uint8Array, source = "<buffer>"): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdxRaw(bytes, source);
  let raw: Uint8Array;
  try {
    raw = await gunzip(bytes, source);
  } catch (e) {
    throw new Error(`idx: ${(e as Error).message}`);
  }
  return parseIdxRaw(raw, source);
}

/** Read and parse an IDX file (`.gz` or raw, detected from the content). Node only. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  // A regular file only (not a device or FIFO), read to its size.
  const { readRegularFile } = await import("../io/node-file.js");
  return parseIdxAsync(await readRegularFile(path, { what: "IDX file" }), path);
}
