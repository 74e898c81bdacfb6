// Hostile safetensors files: the crafted corpus (tools/hostile-safetensors.ts), a property-based
// test of the header parser (fast-check), and the Node reader's refusal of devices, FIFOs and folders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { hostileCorpus, rawFile } from "../tools/hostile-safetensors.js";
import { decodeSafetensors, encodeSafetensors, SAFETENSORS_MAX_HEADER_BYTES } from "../src/io/safetensors-format.js";
import { parseStrictJson, StrictJsonError } from "../src/io/strict-json.js";
import { readSafetensorsFile, FileReadError } from "../src/io/node-file.js";
import { load } from "../src/io/safetensors.js";

const corpus = hostileCorpus();

test("the corpus has at least 60 crafted bad files, each refused with a message naming the problem", () => {
  const badFiles = corpus.filter((f) => f.expect);
  assert.ok(badFiles.length >= 60, `only ${badFiles.length} bad files`);
  for (const f of badFiles) {
    const t0 = performance.now();
    assert.throws(
      () => decodeSafetensors(f.bytes, f.name),
      (e: unknown) => {
        assert.ok(e instanceof Error, f.name);
        assert.ok(e.message.startsWith(`safetensors: ${f.name}: `), `${f.name}: ${e.message}`);
        assert.match(e.message, f.expect!, `${f.name} (${f.what})`);
        return true;
      },
      `${f.name} (${f.what}) was accepted`,
    );
    // Generous for a loaded CI machine; tools/break-neurite.ts measures each file in its own process.
    assert.ok(performance.now() - t0 < 5000, `${f.name} took ${(performance.now() - t0).toFixed(0)} ms`);
  }
});

test("valid but hostile files load correctly: __proto__/constructor names, 150k tensors", () => {
  const proto = corpus.find((f) => f.name === "proto-names")!;
  const d = decodeSafetensors(proto.bytes);
  assert.deepEqual(d.tensors.map((t) => t.name), ["__proto__", "constructor"]);
  assert.equal(Object.getPrototypeOf(d.metadata), Object.prototype, "metadata keeps its prototype");
  assert.deepEqual(Object.keys(d.metadata), ["__proto__", "constructor"]);
  assert.equal(Object.getOwnPropertyDescriptor(d.metadata, "__proto__")?.value, "x");
  const many = corpus.find((f) => f.name === "many-150k")!;
  const m = decodeSafetensors(many.bytes);
  assert.equal(m.tensors.length, 150_000);
  assert.equal(m.tensors[149_999]!.name, "t149999");
});

test("duplicate keys are refused, where JSON.parse would keep the last one", () => {
  const header = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
  assert.equal(Object.keys(JSON.parse(header) as object).length, 1, "JSON.parse hides the duplicate");
  assert.throws(() => decodeSafetensors(rawFile(header, 8), "dup"), /safetensors: dup: header names "w" twice \(at byte \d+\)/);
});

test("the header size cap is 100 MB and is checked from the prefix, before reading", () => {
  assert.equal(SAFETENSORS_MAX_HEADER_BYTES, 100_000_000);
  const t0 = performance.now();
  assert.throws(() => decodeSafetensors(rawFile("{}", 0, 100_000_001n), "cap"), /header size 100000001 exceeds the 100000000-byte limit/);
  assert.ok(performance.now() - t0 < 100);
});

// ---- property-based: the strict parser agrees with JSON.parse on every duplicate-free JSON value ----

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string({ unit: "binary" }), tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("value"), { maxKeys: 5 }),
})).value;

test("property: parseStrictJson(JSON.stringify(v)) deep-equals JSON.parse of the same text", () => {
  fc.assert(
    fc.property(jsonValue, fc.boolean(), (v, pretty) => {
      const text = JSON.stringify(v, null, pretty ? 2 : undefined);
      assert.deepEqual(JSON.parse(JSON.stringify(parseStrictJson(text))), JSON.parse(text));
    }),
    { numRuns: 400 },
  );
});

test("property: the strict parser refuses whatever JSON.parse refuses (random mutations of valid text)", () => {
  fc.assert(
    fc.property(jsonValue, fc.nat(), fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "\\", "x", " ", "1", "-", "\n", "e", "\u0000"), (v, pos, ch) => {
      const text = JSON.stringify(v);
      const at = pos % (text.length + 1);
      const mutated = text.slice(0, at) + ch + text.slice(at);
      let reference: unknown;
      let refOk = true;
      try {
        reference = JSON.parse(mutated);
      } catch {
        refOk = false;
      }
      let ours: unknown;
      let oursOk = true;
      try {
        ours = parseStrictJson(mutated);
      } catch (e) {
        assert.ok(e instanceof StrictJsonError, `unexpected ${String(e)}`);
        oursOk = false;
        // Ours may refuse more (a duplicate key JSON.parse would merge), never less.
        if (refOk) assert.match((e as Error).message, /duplicate key/, `refused valid JSON ${JSON.stringify(mutated)}`);
      }
      if (oursOk) {
        assert.ok(refOk, `accepted invalid JSON ${JSON.stringify(mutated)}`);
        assert.deepEqual(JSON.parse(JSON.stringify(ours)), JSON.parse(JSON.stringify(reference)));
      }
    }),
    { numRuns: 1000 },
  );
});

test("property: any encoded state dict decodes back; any single flipped header byte is refused or decodes to a well-formed result", () => {
  const entry = fc.record({
    name: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== "__metadata__"),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
  });
  fc.assert(
    fc.property(fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 5 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (entries, pos, xor) => {
      const raw = entries.map((e) => {
        const n = e.shape.reduce((a, b) => a * b, 1);
        return { name: e.name, dtype: "float32" as const, shape: e.shape, data: Float32Array.from({ length: n }, (_, i) => i) };
      });
      const bytes = encodeSafetensors(raw, { k: "v" });
      const back = decodeSafetensors(bytes);
      assert.equal(back.tensors.length, raw.length);
      const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const flipped = bytes.slice();
      const at = pos % (8 + headerLen);
      flipped[at] = flipped[at]! ^ xor;
      try {
        const d = decodeSafetensors(flipped, "flipped");
        // Accepted: then it must be self-consistent.
        let total = 0;
        for (const t of d.tensors) {
          assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1));
          total += t.data.byteLength;
        }
        assert.ok(total <= flipped.length);
      } catch (e) {
        assert.match((e as Error).message, /^safetensors: flipped: /);
      }
    }),
    { numRuns: 500 },
  );
});

test("deep nesting cannot overflow the stack: the parser is iterative and depth-limited", () => {
  const deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
  assert.throws(() => parseStrictJson(deep), /nesting deeper than 64 levels/);
  assert.deepEqual(parseStrictJson("[".repeat(64) + "]".repeat(64), { maxDepth: 64 }) !== null, true);
});

// ---- the Node reader: file types are checked on the opened descriptor, before reading ----

test("readSafetensorsFile refuses devices, FIFOs and folders by type, quickly", async () => {
  const dir = mkdtempSync(join(tmpdir(), "neurite-hostile-"));
  try {
    const fifo = join(dir, "pipe.safetensors");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
    const folder = join(dir, "folder.safetensors");
    mkdirSync(folder);
    const cases: [string, RegExp][] = [
      ["/dev/zero", /'\/dev\/zero' is a character device, not a regular file; refusing to read it/],
      ["/dev/null", /is a character device/],
      [fifo, /is a FIFO \(named pipe\), not a regular file/],
      [folder, /is a folder, not a regular file/],
      [join(dir, "missing.safetensors"), /no such file/],
    ];
    for (const [path, expected] of cases) {
      const t0 = performance.now();
      await assert.rejects(readSafetensorsFile(path), (e: unknown) => e instanceof FileReadError && expected.test(e.message));
      await assert.rejects(load(path), (e: unknown) => (e as Error).message.startsWith("io.load: cannot read") && expected.test((e as Error).message));
      assert.ok(performance.now() - t0 < 1000, `${path} took ${performance.now() - t0} ms`);
    }
    // A header size beyond the file is refused from the first 8 bytes.
    const lying = join(dir, "lying.safetensors");
    writeFileSync(lying, rawFile("{}", 0, 50_000_000n));
    await assert.rejects(readSafetensorsFile(lying), /header size 50000000 is larger than the 2 bytes after the size prefix/);
    // /proc files report size 0: read as 0 bytes, not "until EOF".
    await assert.rejects(readSafetensorsFile("/proc/self/status"), /is 0 bytes, shorter than the 8-byte header-size prefix/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
