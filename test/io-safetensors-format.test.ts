import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeSafetensors, encodeSafetensors, type RawTensorEntry } from "../src/io/safetensors-format.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/safetensors/", import.meta.url));
const TOOLS = fileURLToPath(new URL("../tools/", import.meta.url));

type JsonValue = number | string;
interface ExpectedFile {
  metadata: Record<string, string>;
  tensors: Record<string, { safetensors_dtype: string; dtype: string; shape: number[]; values: JsonValue[] }>;
}

function fromJson(v: JsonValue): number {
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  assert.equal(typeof v, "number");
  return v as number;
}

/** Build a file from a header object and a data buffer, exactly as given (no validation). */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function assertThrowsSafetensors(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /^safetensors: /);
    for (const p of parts) {
      if (typeof p === "string") assert.ok(e.message.includes(p), `expected ${JSON.stringify(p)} in: ${e.message}`);
      else assert.match(e.message, p);
    }
    return true;
  });
}

test("decodes the torch-made fixture of every dtype exactly (unaligned offsets)", () => {
  const expected = JSON.parse(readFileSync(join(FIXTURES, "dtypes.expected.json"), "utf8")) as ExpectedFile;
  const { tensors, metadata } = decodeSafetensors(readFileSync(join(FIXTURES, "dtypes.safetensors")), "dtypes.safetensors");
  assert.deepEqual(metadata, expected.metadata);
  assert.deepEqual(tensors.map((t) => t.name).sort(), Object.keys(expected.tensors).sort());
  for (const t of tensors) {
    const want = expected.tensors[t.name]!;
    assert.equal(t.dtype, want.dtype, t.name);
    assert.deepEqual(t.shape, want.shape, t.name);
    assert.equal(t.data.length, want.values.length, t.name);
    const ctor = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[t.dtype];
    assert.ok(t.data instanceof ctor, `${t.name}: ${t.data.constructor.name}`);
    want.values.forEach((v, i) => {
      // Object.is tells -0 from 0 and matches NaN with NaN.
      assert.ok(Object.is(t.data[i], fromJson(v)), `${t.name}[${i}]: got ${t.data[i]}, want ${v}`);
    });
  }
});

test("F16 decoding matches torch for all 65536 bit patterns", () => {
  const { tensors } = decodeSafetensors(readFileSync(join(FIXTURES, "half-all.safetensors")));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const got = byName.get("f16")!.data as Float32Array;
  const want = byName.get("f16_as_f32")!.data as Float32Array;
  assert.equal(got.length, 65536);
  const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const wantBits = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < 65536; i++) {
    if (gotBits[i] !== wantBits[i]) {
      assert.fail(`F16 bits 0x${i.toString(16)}: got 0x${gotBits[i]!.toString(16)}, torch 0x${wantBits[i]!.toString(16)}`);
    }
  }
});

test("I64 values outside int32 are rejected, naming file and tensor", () => {
  const bytes = readFileSync(join(FIXTURES, "int64-overflow.safetensors"));
  assertThrowsSafetensors(() => decodeSafetensors(bytes, "overflow.st"), "overflow.st", '"too_big"', "2147483648", "element 1");
});

test("encode -> decode round trip keeps names, dtypes, shapes, values and metadata", () => {
  const entries: RawTensorEntry[] = [
    { name: "w", dtype: "float32", shape: [2, 3], data: Float32Array.from([1, -2, 0.5, NaN, -0, Infinity]) },
    { name: "flag", dtype: "bool", shape: [3], data: Uint8Array.from([1, 0, 1]) },
    { name: "idx", dtype: "int32", shape: [2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) },
    { name: "d", dtype: "float64", shape: [], data: Float64Array.from([Math.PI]) },
    { name: "émpty/ünïcode", dtype: "float32", shape: [0, 4], data: new Float32Array(0) },
    { name: "__proto__", dtype: "float32", shape: [1], data: Float32Array.from([7]) },
  ];
  // A computed key makes "__proto__" an own property (a literal key would set the prototype).
  const metadata: Record<string, string> = { format: "pt", ["__proto__"]: "odd key", note: "ünïcode" };
  const bytes = encodeSafetensors(entries, metadata);
  const headerSize = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.equal(headerSize % 8, 0, "header padded to a multiple of 8");

  const decoded = decodeSafetensors(bytes);
  assert.deepEqual(Object.entries(decoded.metadata), Object.entries(metadata));
  const byName = new Map(decoded.tensors.map((t) => [t.name, t]));
  assert.equal(byName.size, entries.length);
  for (const e of entries) {
    const d = byName.get(e.name)!;
    assert.ok(d, e.name);
    assert.equal(d.dtype, e.dtype);
    assert.deepEqual(d.shape, e.shape);
    assert.equal(d.data.constructor, e.data.constructor);
    assert.deepEqual(Array.from(d.data), Array.from(e.data));
    assert.notEqual(d.data.buffer, bytes.buffer, "decoded arrays do not alias the file buffer");
  }
  // Layout: larger items first, and each tensor aligned to its item size.
  assert.deepEqual(decoded.tensors.map((t) => t.name), ["d", "w", "idx", "émpty/ünïcode", "__proto__", "flag"]);
});

test("encode without metadata writes no __metadata__ and handles no tensors", () => {
  const bytes = encodeSafetensors([]);
  const decoded = decodeSafetensors(bytes);
  assert.deepEqual(decoded, { tensors: [], metadata: {} });
  const header = new TextDecoder().decode(bytes.subarray(8)).trim();
  assert.equal(header, "{}");
});

test("encode rejects inconsistent entries", () => {
  const ok: RawTensorEntry = { name: "a", dtype: "float32", shape: [2], data: new Float32Array(2) };
  assertThrowsSafetensors(() => encodeSafetensors([ok, ok]), '"a"', "duplicate");
  assertThrowsSafetensors(() => encodeSafetensors([{ ...ok, shape: [3] }]), '"a"', "3 elements");
  assertThrowsSafetensors(() => encodeSafetensors([{ ...ok, data: new Int32Array(2) }]), '"a"', "Float32Array");
  assertThrowsSafetensors(() => encodeSafetensors([{ ...ok, shape: [-2] }]), '"a"', "shape");
  assertThrowsSafetensors(() => encodeSafetensors([{ ...ok, name: "__metadata__" }]), "reserved");
  assertThrowsSafetensors(() => encodeSafetensors([{ name: "b", dtype: "bool", shape: [1], data: Uint8Array.from([2]) }]), '"b"');
});

test("rejects files shorter than 8 bytes and headers larger than the file", () => {
  assertThrowsSafetensors(() => decodeSafetensors(new Uint8Array(5), "tiny.st"), "tiny.st", "shorter than");
  const good = encodeSafetensors([{ name: "x", dtype: "float32", shape: [1], data: new Float32Array(1) }]);
  const cutHeader = good.subarray(0, 12);
  assertThrowsSafetensors(() => decodeSafetensors(cutHeader, "cut.st"), "cut.st", "header size");
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
  assertThrowsSafetensors(() => decodeSafetensors(huge, "huge.st"), "huge.st", "header size");
});

test("rejects headers that are not JSON objects or not UTF-8", () => {
  assertThrowsSafetensors(() => decodeSafetensors(craft(null, undefined, "{not json"), "bad.st"), "bad.st", "not valid JSON");
  assertThrowsSafetensors(() => decodeSafetensors(craft([1, 2])), "<buffer>", "not an object");
  const bytes = craft({});
  bytes[8] = 0xc3; // a lead byte followed by a non-continuation byte: invalid UTF-8
  bytes[9] = 0xff;
  assertThrowsSafetensors(() => decodeSafetensors(bytes), "UTF-8");
  assertThrowsSafetensors(() => decodeSafetensors(craft({ __metadata__: { a: 1 } })), "__metadata__", '"a"');
});

test("rejects missing or malformed dtype, shape and data_offsets, naming the tensor", () => {
  const data = new Uint8Array(8);
  const cases: [unknown, string][] = [
    [{ t: { shape: [2], data_offsets: [0, 8] } }, "missing dtype"],
    [{ t: { dtype: "F8_E4M3", shape: [8], data_offsets: [0, 8] } }, "unsupported dtype"],
    [{ t: { dtype: "F32", data_offsets: [0, 8] } }, "shape"],
    [{ t: { dtype: "F32", shape: [2.5], data_offsets: [0, 8] } }, "shape"],
    [{ t: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, "shape"],
    [{ t: { dtype: "F32", shape: [2] } }, "data_offsets"],
    [{ t: { dtype: "F32", shape: [2], data_offsets: [0] } }, "data_offsets"],
    [{ t: { dtype: "F32", shape: [2], data_offsets: ["0", 8] } }, "data_offsets"],
    [{ t: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, "end before begin"],
    [{ t: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, "needs 12"],
    [{ t: "F32" }, "not an object"],
  ];
  for (const [header, msg] of cases) {
    assertThrowsSafetensors(() => decodeSafetensors(craft(header, data), "case.st"), "case.st", 'tensor "t"', msg);
  }
});

test("rejects overlapping, gapped, out-of-range and truncated data", () => {
  const f32 = (begin: number, end: number, n = (end - begin) / 4) => ({ dtype: "F32", shape: [n], data_offsets: [begin, end] });
  const data = new Uint8Array(16);
  assertThrowsSafetensors(() => decodeSafetensors(craft({ a: f32(0, 8), b: f32(4, 12) }, data.subarray(0, 12))), '"b"', "overlap", '"a"');
  assertThrowsSafetensors(() => decodeSafetensors(craft({ a: f32(0, 4), b: f32(8, 12) }, data.subarray(0, 12))), '"b"', "gap");
  assertThrowsSafetensors(() => decodeSafetensors(craft({ a: f32(0, 8), b: f32(8, 24) }, data)), '"b"', "past the end");
  assertThrowsSafetensors(() => decodeSafetensors(craft({ a: f32(0, 8) }, data)), "cover only 8", '"a"');

  // A valid file cut short anywhere inside its data must fail, naming a tensor.
  const good = encodeSafetensors([
    { name: "first", dtype: "float32", shape: [4], data: new Float32Array(4) },
    { name: "second", dtype: "float32", shape: [4], data: new Float32Array(4) },
  ]);
  assertThrowsSafetensors(() => decodeSafetensors(good.subarray(0, good.length - 1), "trunc.st"), "trunc.st", '"second"', "past the end");
});

test("rejects BOOL bytes other than 0 and 1", () => {
  const bytes = craft({ flags: { dtype: "BOOL", shape: [2], data_offsets: [0, 2] } }, Uint8Array.from([1, 7]));
  assertThrowsSafetensors(() => decodeSafetensors(bytes, "b.st"), "b.st", '"flags"', "7");
});

test("files written by neurite load in PyTorch through an independent spec reader", (t) => {
  const python = "/usr/bin/python3";
  // find_spec is a cheap probe; importing torch costs ~1.5 s, paid once per checker run below.
  const probe = spawnSync(python, ["-c", "import importlib.util as u, sys; sys.exit(u.find_spec('torch') is None)"], {
    encoding: "utf8",
  });
  if (probe.status !== 0) {
    const note = `NOTE: ${python} with torch is unavailable (${probe.error?.message ?? `exit ${probe.status}`}); Python readability check not run`;
    console.log(note);
    t.skip(note);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "neurite-st-"));
  try {
    const entries: RawTensorEntry[] = [
      { name: "layer.weight", dtype: "float32", shape: [2, 2], data: Float32Array.from([1.5, -0, NaN, -Infinity]) },
      { name: "layer.bias", dtype: "float64", shape: [3], data: Float64Array.from([0.1, 1e300, -5e-324]) },
      { name: "steps", dtype: "int32", shape: [], data: Int32Array.from([-42]) },
      { name: "mask", dtype: "bool", shape: [1, 3], data: Uint8Array.from([0, 1, 1]) },
      { name: "none", dtype: "float32", shape: [0], data: new Float32Array(0) },
    ];
    const metadata = { format: "pt" };
    // JSON has no NaN/Infinity and JSON.stringify(-0) is "0", so spell those as strings.
    const json = (x: number): JsonValue =>
      Number.isNaN(x) ? "nan" : x === Infinity ? "inf" : x === -Infinity ? "-inf" : Object.is(x, -0) ? "-0" : x;
    const stDtype = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" } as const;
    const expected = {
      metadata,
      tensors: Object.fromEntries(
        entries.map((e) => [e.name, { dtype: stDtype[e.dtype], shape: e.shape, values: Array.from(e.data, json) }]),
      ),
    };
    const file = join(dir, "model.safetensors");
    const expectedFile = join(dir, "expected.json");
    writeFileSync(file, encodeSafetensors(entries, metadata));
    writeFileSync(expectedFile, JSON.stringify(expected));
    // The checker must also detect a mismatch, or its OK means nothing; both
    // checks run in one process so torch is imported once.
    const wrongFile = join(dir, "wrong.json");
    expected.tensors["steps"]!.values = [41];
    writeFileSync(wrongFile, JSON.stringify(expected));
    const script = join(TOOLS, "check_safetensors_readable.py");
    const r = spawnSync(python, [script, "--pairs", file, expectedFile, file, wrongFile], { encoding: "utf8" });
    const output = `checker output:\n${r.stdout}\n${r.stderr}`;
    assert.ok(r.stdout.startsWith(`OK ${file}: `), output);
    assert.equal(r.stderr.trim(), `MISMATCH: ${file}: steps[0]: -42 != expected 41`, output);
    assert.equal(r.status, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
