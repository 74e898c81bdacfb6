// A corpus of crafted, hostile safetensors files: every way we know to lie in a header.
//
//   npx tsx tools/hostile-safetensors.ts OUT_DIR     writes every file into OUT_DIR (+ index.json)
//
// Tests and tools/break-neurite.ts import `hostileCorpus()` and build the files at run time, so
// no binaries are committed. Each bad file carries `expect`: a pattern the refusal message must
// match (it names the problem). `stress` files are valid but extreme: they must load correctly,
// within bounded time and memory.

export interface CorpusFile {
  name: string;
  /** What is wrong with it. */
  what: string;
  bytes: Uint8Array;
  /** A bad file: the refusal message must match this. Absent for valid (stress) files. */
  expect?: RegExp;
  /** Valid but extreme: must load; `tensors` is how many tensors it holds. */
  stress?: { tensors: number };
}

const enc = new TextEncoder();

/** A file from a raw header text and data bytes; `declared` overrides the 8-byte prefix. */
export function rawFile(headerText: string | Uint8Array, data: Uint8Array | number = 0, declared?: bigint): Uint8Array {
  const json = typeof headerText === "string" ? enc.encode(headerText) : headerText;
  const body = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

const file = (header: unknown, data: Uint8Array | number = 0) => rawFile(JSON.stringify(header), data);
const f32 = (shape: number[], begin: number, end: number) => ({ dtype: "F32", shape, data_offsets: [begin, end] });

/** A valid two-tensor file to truncate and extend. */
function validFile(): Uint8Array {
  const data = new Uint8Array(24);
  new Float32Array(data.buffer).set([1, 2, 3, 4, 5, 6]);
  return file({ __metadata__: { format: "pt" }, a: f32([2, 2], 0, 16), b: f32([2], 16, 24) }, data);
}

/** `count` tensors of `elements` F32 values each (valid). */
export function manyTensors(count: number, elements: number): Uint8Array {
  const parts: string[] = [];
  const bytes = elements * 4;
  for (let i = 0; i < count; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[${elements}],"data_offsets":[${i * bytes},${(i + 1) * bytes}]}`);
  return rawFile(`{${parts.join(",")}}`, count * bytes);
}

function bytesOf(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function hostileCorpus(options: { big?: boolean } = {}): CorpusFile[] {
  const big = options.big ?? true;
  const c: CorpusFile[] = [];
  const bad = (name: string, what: string, bytes: Uint8Array, expect: RegExp) => c.push({ name, what, bytes, expect });
  const valid = validFile();

  // ---- the 8-byte prefix ----
  bad("empty", "0 bytes", new Uint8Array(0), /shorter than the 8-byte header-size prefix/);
  bad("short-4", "4 bytes", bytesOf(2, 0, 0, 0), /shorter than the 8-byte/);
  bad("short-7", "7 bytes", bytesOf(2, 0, 0, 0, 0, 0, 0), /shorter than the 8-byte/);
  bad("size-zero", "header size 0", rawFile("", 0, 0n), /header size 0 is too small/);
  bad("size-one", "header size 1", rawFile("{", 0, 1n), /header size 1 is too small/);
  bad("size-max-u64", "header size 2^64-1", rawFile("{}", 0, 2n ** 64n - 1n), /exceeds the 100000000-byte limit/);
  bad("size-2-63", "header size 2^63", rawFile("{}", 0, 2n ** 63n), /exceeds the 100000000-byte limit/);
  bad("size-over-cap", "header size 100 MB + 1 in a small file", rawFile("{}", 0, 100_000_001n), /exceeds the 100000000-byte limit/);
  bad("size-past-end", "header size 1 byte past the end", rawFile("{}", 0, 3n), /larger than the 2 bytes after the size prefix/);
  bad("size-2-53", "header size 2^53 + 1 (not exact as a double)", rawFile("{}", 0, 2n ** 53n + 1n), /exceeds the 100000000-byte limit/);

  // ---- not JSON, or not an object ----
  bad("not-utf8", "header bytes 0xff 0xfe", rawFile(bytesOf(0xff, 0xfe)), /not valid UTF-8/);
  bad("plain-text", "header 'hello'", rawFile("hello"), /not valid JSON/);
  bad("json-array", "header []", rawFile("[]"), /not an object/);
  bad("json-string", 'header "x"', rawFile('"x"'), /not an object/);
  bad("json-number", "header 42", rawFile("42"), /not an object/);
  bad("json-null", "header null", rawFile("null"), /not an object/);
  bad("trailing-garbage", "text after the object", rawFile("{}xx"), /not valid JSON.*after the JSON value/);
  bad("utf8-bom", "a UTF-8 byte-order mark before the object", rawFile("\ufeff{}"), /not valid JSON/);
  bad("nul-padding", "padded with NUL instead of spaces", rawFile("{}\0\0\0\0\0\0"), /not valid JSON/);
  bad("deep-nesting", "10,000 nested arrays", rawFile("[".repeat(10_000) + "]".repeat(10_000)), /not valid JSON.*nesting deeper than 3/);
  bad("deep-nesting-in-object", "10,000 nested arrays as a tensor entry", rawFile('{"a":' + "[".repeat(10_000) + "]".repeat(10_000) + "}"), /not valid JSON.*nesting deeper than 3/);
  bad("deep-in-entry", "nesting inside a tensor entry", file({ a: { dtype: "F32", shape: [[1]], data_offsets: [0, 4] } }, 4), /not valid JSON.*nesting deeper than 3/);
  bad("truncated-json", "the header ends mid-object", rawFile('{"a":{"dtype":"F32"'), /not valid JSON/);
  bad("unterminated-string", "a string that never ends", rawFile('{"a":"' + " ".repeat(64)), /not valid JSON.*unterminated string/);
  bad("control-char", "a raw newline inside a key", rawFile('{"a\nb":{}}'), /not valid JSON.*control character/);
  bad("bad-escape", "an invalid escape", rawFile('{"a\\qb":{}}'), /not valid JSON.*invalid string escape/);
  bad("single-quotes", "single-quoted keys", rawFile("{'a':1}"), /not valid JSON/);
  bad("trailing-comma", "a trailing comma", rawFile('{"__metadata__":{"a":"b"},}'), /not valid JSON/);
  bad("nan-literal", "NaN as a number", rawFile('{"a":{"dtype":"F32","shape":[NaN],"data_offsets":[0,0]}}'), /not valid JSON/);

  // ---- duplicate keys: JSON.parse would keep the last one silently ----
  bad("dup-tensor", "the same tensor twice", rawFile(`{"a":${JSON.stringify(f32([1], 0, 4))},"a":${JSON.stringify(f32([1], 4, 8))}}`, 8), /names "a" twice/);
  bad("dup-escaped", 'tensor "a" and "\\u0061"', rawFile(`{"a":${JSON.stringify(f32([1], 0, 4))},"\\u0061":${JSON.stringify(f32([1], 4, 8))}}`, 8), /names "a" twice/);
  bad("dup-metadata", "two __metadata__ objects", rawFile('{"__metadata__":{"model":"mlp"},"__metadata__":{"model":"cnn"}}'), /names "__metadata__" twice/);
  bad("dup-metadata-key", "a metadata key twice", rawFile('{"__metadata__":{"model":"mlp","model":"char-gpt"}}'), /names "model" twice/);
  bad("dup-field", "dtype twice in one entry", rawFile('{"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}', 4), /names "dtype" twice/);

  // ---- tensor entries ----
  bad("entry-number", "a tensor entry that is a number", file({ a: 5 }), /tensor "a": header entry is not an object/);
  bad("entry-array", "a tensor entry that is an array", file({ a: [1] }), /tensor "a": header entry is not an object/);
  bad("no-dtype", "missing dtype", file({ a: { shape: [1], data_offsets: [0, 4] } }, 4), /tensor "a": missing dtype/);
  bad("dtype-f8", "unknown dtype F8_E4M3", file({ a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, 1), /unsupported dtype "F8_E4M3"/);
  bad("dtype-lowercase", "dtype f32", file({ a: { dtype: "f32", shape: [1], data_offsets: [0, 4] } }, 4), /unsupported dtype "f32"/);
  bad("dtype-number", "dtype 4", file({ a: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4), /unsupported dtype 4/);
  bad("dtype-proto", "dtype __proto__", file({ a: { dtype: "__proto__", shape: [1], data_offsets: [0, 4] } }, 4), /unsupported dtype "__proto__"/);
  bad("dtype-constructor", "dtype constructor", file({ a: { dtype: "constructor", shape: [1], data_offsets: [0, 4] } }, 4), /unsupported dtype "constructor"/);
  bad("shape-missing", "no shape", file({ a: { dtype: "F32", data_offsets: [0, 4] } }, 4), /shape must be an array of non-negative integers/);
  bad("shape-string", 'shape "2"', file({ a: { dtype: "F32", shape: "2", data_offsets: [0, 8] } }, 8), /shape must be an array/);
  bad("dim-negative", "dim -1", file({ a: f32([-1], 0, 4) }, 4), /shape must be an array of non-negative integers, got \[-1\]/);
  bad("dim-fraction", "dim 1.5", file({ a: f32([1.5], 0, 6) }, 6), /shape must be an array of non-negative integers, got \[1.5\]/);
  bad("dim-string", 'dim "4"', file({ a: { dtype: "F32", shape: ["4"], data_offsets: [0, 16] } }, 16), /shape must be an array of non-negative integers/);
  bad("dim-huge", "dim 1e20", rawFile('{"a":{"dtype":"F32","shape":[1e20],"data_offsets":[0,4]}}', 4), /shape must be an array of non-negative integers/);
  bad("dim-inf", "dim 1e400 (Infinity)", rawFile('{"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}', 4), /shape must be an array of non-negative integers/);
  bad("dim-2-53", "dim 2^53", rawFile('{"a":{"dtype":"F32","shape":[9007199254740992],"data_offsets":[0,4]}}', 4), /shape must be an array of non-negative integers/);
  bad("shape-overflow", "[1e9, 1e9, 1e9]: 1e27 elements", file({ a: f32([1e9, 1e9, 1e9], 0, 4) }, 4), /shape \[1000000000,1000000000,1000000000\] is too large/);
  bad("shape-mismatch", "shape [3] F32 over 8 bytes", file({ a: f32([3], 0, 8) }, 8), /span 8 bytes but shape \[3\] x F32 needs 12/);
  bad("dtype-size-mismatch", "F64 [2] over 8 bytes", file({ a: { dtype: "F64", shape: [2], data_offsets: [0, 8] } }, 8), /needs 16/);
  bad("offsets-missing", "no data_offsets", file({ a: { dtype: "F32", shape: [1] } }, 4), /data_offsets must be \[begin, end\]/);
  bad("offsets-one", "data_offsets [0]", file({ a: { dtype: "F32", shape: [0], data_offsets: [0] } }), /data_offsets must be \[begin, end\]/);
  bad("offsets-three", "data_offsets [0, 4, 8]", file({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4, 8] } }, 8), /data_offsets must be \[begin, end\]/);
  bad("offsets-reversed", "data_offsets [4, 0]", file({ a: f32([1], 4, 0) }, 4), /end before begin/);
  bad("offsets-negative", "data_offsets [-4, 0]", file({ a: f32([1], -4, 0) }, 4), /data_offsets must be \[begin, end\] non-negative integers/);
  bad("offsets-fraction", "data_offsets [0.5, 4.5]", file({ a: f32([1], 0.5, 4.5) }, 5), /data_offsets must be \[begin, end\] non-negative integers/);
  bad("offsets-past-end", "the tensor runs past the data", file({ a: f32([4], 0, 16) }, 8), /run past the end of the 8-byte data buffer/);
  bad("offsets-huge", "data_offsets near 2^53", rawFile('{"a":{"dtype":"U8","shape":[4],"data_offsets":[9007199254740980,9007199254740984]}}', 4), /leave a gap|run past the end/);
  bad("overlap", "two tensors share bytes", file({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12), /overlap tensor "a"/);
  bad("same-range", "two tensors on the same bytes", file({ a: f32([1], 0, 4), b: f32([1], 0, 4) }, 4), /overlap tensor/);
  bad("gap", "a hole between tensors", file({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), /leave a gap after byte 4/);
  bad("gap-at-start", "the data starts with a hole", file({ a: f32([1], 4, 8) }, 8), /leave a gap after byte 0/);
  bad("trailing-data", "bytes after the last tensor", file({ a: f32([1], 0, 4) }, 8), /data buffer is 8 bytes but the tensors cover only 4/);
  bad("bool-2", "a BOOL byte of 2", file({ a: { dtype: "BOOL", shape: [2], data_offsets: [0, 2] } }, bytesOf(1, 2)), /BOOL element 1 has byte value 2/);
  const i64 = new Uint8Array(8);
  new DataView(i64.buffer).setBigInt64(0, 2n ** 40n, true);
  bad("i64-overflow", "an I64 value of 2^40", file({ a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, i64), /I64 element 0 = 1099511627776 does not fit in int32/);

  // ---- metadata ----
  bad("meta-string", "__metadata__ is a string", file({ __metadata__: "x" }), /"__metadata__" must be an object of strings/);
  bad("meta-array", "__metadata__ is an array", file({ __metadata__: ["x"] }), /"__metadata__" must be an object of strings/);
  bad("meta-number", "a metadata value 8000000", file({ __metadata__: { block_size: 8000000 } }), /"__metadata__" value for key "block_size" is not a string/);
  bad("meta-object", "a metadata value that is an object", file({ __metadata__: { vocab: { a: "b" } } }), /value for key "vocab" is not a string/);
  bad("meta-null", "a metadata value null", file({ __metadata__: { model: null } }), /value for key "model" is not a string/);
  bad("meta-as-tensor", "__metadata__ shaped like a tensor", file({ __metadata__: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 4), /"__metadata__" value for key "shape" is not a string/);

  // ---- truncations of a valid file ----
  bad("truncated-1", "the last byte missing", valid.subarray(0, valid.length - 1), /run past the end|file truncated/);
  bad("truncated-half-data", "half of the data missing", valid.subarray(0, valid.length - 12), /run past the end/);
  bad("truncated-in-header", "cut inside the header", valid.subarray(0, 20), /larger than the 12 bytes after the size prefix/);
  bad("truncated-prefix", "cut inside the prefix", valid.subarray(0, 5), /shorter than the 8-byte/);
  const extended = new Uint8Array(valid.length + 1);
  extended.set(valid);
  bad("extended-1", "one byte appended", extended, /data buffer is 25 bytes but the tensors cover only 24/);

  // ---- huge headers: refused without reading them all into objects ----
  if (big) {
    bad("huge-whitespace", "a 60 MB header of spaces and no object", rawFile(" ".repeat(60_000_000)), /not valid JSON \(unexpected end of input: it is all whitespace\)/);
    bad("huge-unterminated", "a 60 MB metadata string that never ends", rawFile('{"__metadata__":{"a":"' + "x".repeat(60_000_000)), /not valid JSON.*unterminated string/);
    bad("huge-duplicates", "100,000 tensors, the last one a duplicate", (() => {
      const f = new TextDecoder().decode(manyTensors(100_000, 0).subarray(8));
      return rawFile(f.slice(0, -1) + ',"t0":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}');
    })(), /names "t0" twice/);
  }

  // ---- valid but hostile: must load, correctly ----
  // Built from text: in an object literal "__proto__" would set the prototype, not a key.
  const protoHeader =
    '{"__metadata__":{"__proto__":"x","constructor":"y"},"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
  c.push({ name: "proto-names", what: "tensors and metadata named __proto__ and constructor (valid)", bytes: rawFile(protoHeader, 8), stress: { tensors: 2 } });
  c.push({ name: "many-150k", what: "150,000 tensors (9 MB header, valid)", bytes: manyTensors(150_000, 1), stress: { tensors: 150_000 } });
  // Valid by the format, but above neurite's 262,144-tensor limit: refused while parsing.
  if (big) bad("many-1.4m-empty", "1.4 million empty tensors (83 MB header)", manyTensors(1_400_000, 0), /more than 262144 tensors/);
  return c;
}

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: npx tsx tools/hostile-safetensors.ts OUT_DIR");
    process.exit(2);
  }
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  mkdirSync(out, { recursive: true });
  const files = hostileCorpus();
  for (const f of files) writeFileSync(join(out, `${f.name}.safetensors`), f.bytes);
  writeFileSync(join(out, "index.json"), JSON.stringify(files.map((f) => ({ name: f.name, what: f.what, expect: f.expect?.source ?? null, stress: f.stress ?? null })), null, 1));
  console.log(`wrote ${files.length} files (${files.filter((f) => f.expect).length} bad, ${files.filter((f) => f.stress).length} valid stress) to ${out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
