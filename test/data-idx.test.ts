import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseIdx, parseIdxAsync, readIdxFile, gunzipWeb } from "../src/data/idx.js";

type Kind = { code: number; size: number; put: (v: DataView, o: number, x: number) => void; ctor: new (n: number) => ArrayBufferView };
const KINDS: Record<string, Kind> = {
  ubyte: { code: 0x08, size: 1, put: (v, o, x) => v.setUint8(o, x), ctor: Uint8Array },
  byte: { code: 0x09, size: 1, put: (v, o, x) => v.setInt8(o, x), ctor: Int8Array },
  short: { code: 0x0b, size: 2, put: (v, o, x) => v.setInt16(o, x, false), ctor: Int16Array },
  int: { code: 0x0c, size: 4, put: (v, o, x) => v.setInt32(o, x, false), ctor: Int32Array },
  float: { code: 0x0d, size: 4, put: (v, o, x) => v.setFloat32(o, x, false), ctor: Float32Array },
  double: { code: 0x0e, size: 8, put: (v, o, x) => v.setFloat64(o, x, false), ctor: Float64Array },
};

/** Write an IDX file following the spec: 0 0 type ndim, big-endian u32 dims, big-endian data. */
function makeIdx(kind: Kind, shape: number[], values: number[]): Uint8Array {
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + values.length * kind.size);
  const v = new DataView(out.buffer);
  out[2] = kind.code;
  out[3] = shape.length;
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  values.forEach((x, i) => kind.put(v, header + i * kind.size, x));
  return out;
}

const SAMPLES: Record<string, number[]> = {
  ubyte: [0, 1, 127, 128, 255, 42],
  byte: [-128, -1, 0, 1, 127, 5],
  short: [-32768, -2, 0, 300, 32767, 7],
  int: [-(2 ** 31), -70000, 0, 70000, 2 ** 31 - 1, 9],
  float: [Math.fround(0.1), -1.5, 0, Infinity, Math.fround(3.4e38), Math.fround(-1e-40)],
  double: [0.1, -1e300, 5e-324, Math.PI, -0, NaN],
};

test("every IDX element type decodes big-endian values, raw and gzip'd, sync and async", async () => {
  for (const [name, kind] of Object.entries(KINDS)) {
    const values = SAMPLES[name]!;
    const raw = makeIdx(kind, [2, 3], values);
    for (const bytes of [raw, new Uint8Array(gzipSync(raw))]) {
      for (const parsed of [parseIdx(bytes, name), await parseIdxAsync(bytes, name)]) {
        assert.deepEqual(parsed.shape, [2, 3], name);
        assert.ok(parsed.data instanceof kind.ctor, `${name}: ${parsed.data.constructor.name}`);
        assert.deepEqual(Array.from(parsed.data), values, name);
      }
    }
  }
});

test("parsed data does not alias the input buffer", () => {
  const raw = makeIdx(KINDS.ubyte!, [3], [1, 2, 3]);
  const parsed = parseIdx(raw);
  raw[raw.length - 1] = 99;
  assert.deepEqual(Array.from(parsed.data), [1, 2, 3]);
});

test("zero-dimensional and empty arrays", () => {
  assert.deepEqual(parseIdx(makeIdx(KINDS.int!, [], [-5])), { shape: [], data: Int32Array.from([-5]) });
  assert.deepEqual(parseIdx(makeIdx(KINDS.float!, [0, 4], [])), { shape: [0, 4], data: new Float32Array(0) });
});

test("DecompressionStream path (used in browsers) gives the same bytes as zlib", async () => {
  const raw = makeIdx(KINDS.short!, [6], SAMPLES.short!);
  assert.deepEqual(await gunzipWeb(new Uint8Array(gzipSync(raw))), raw);
  await assert.rejects(gunzipWeb(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]), "web.gz"), /^Error: web\.gz: gzip decompression failed/);
});

test("bad magic, truncation, trailing bytes and corrupt gzip are reported with the source", async () => {
  const good = makeIdx(KINDS.ubyte!, [2, 2], [1, 2, 3, 4]);
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, 3), /shorter than the 4-byte magic/],
    [Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /bad magic number 01 00 08 01/],
    [Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), /bad magic number 00 00 0a 01/],
    [good.subarray(0, 9), /truncated header/],
    [good.subarray(0, good.length - 1), /truncated data: shape \[2, 2\] of ubyte needs 16 bytes, file has 15/],
    [Uint8Array.from([...good, 0]), /1 unexpected trailing bytes/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => parseIdx(bytes, "f.idx"), (e: Error) => e.message.startsWith("idx: f.idx: ") && re.test(e.message));
    await assert.rejects(parseIdxAsync(new Uint8Array(gzipSync(bytes)), "f.idx.gz"), (e: Error) => e.message.startsWith("idx: f.idx.gz: ") && re.test(e.message));
  }
  const corrupt = new Uint8Array(gzipSync(good)).subarray(0, 12);
  assert.throws(() => parseIdx(corrupt, "c.gz"), /^Error: idx: c\.gz: gzip decompression failed/);
  await assert.rejects(parseIdxAsync(corrupt, "c.gz"), /^Error: idx: c\.gz: gzip decompression failed/);
});

test("readIdxFile reads raw and gzip'd files and names the path in errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "neurite-idx-"));
  try {
    const raw = makeIdx(KINDS.double!, [3], [1.25, -2, 1e-300]);
    writeFileSync(join(dir, "a.idx"), raw);
    writeFileSync(join(dir, "a.idx.gz"), gzipSync(raw));
    for (const f of ["a.idx", "a.idx.gz"]) {
      const { shape, data } = await readIdxFile(join(dir, f));
      assert.deepEqual(shape, [3]);
      assert.deepEqual(Array.from(data), [1.25, -2, 1e-300]);
    }
    writeFileSync(join(dir, "bad.idx"), raw.subarray(0, 10));
    await assert.rejects(readIdxFile(join(dir, "bad.idx")), (e: Error) => e.message.includes(join(dir, "bad.idx")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
