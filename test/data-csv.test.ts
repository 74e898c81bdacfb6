import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCsv } from "../src/data/csv.js";
import { readTextFile } from "../src/data/text.js";

test("numbers become numbers, other fields stay strings", () => {
  const t = parseCsv("1,2.5,-3e2,.5,abc,,1e,0x10\n", {});
  assert.equal(t.header, null);
  assert.deepEqual(t.rows, [[1, 2.5, -300, 0.5, "abc", "", "1e", "0x10"]]);
  const special = parseCsv("nan,inf,-Infinity, 7 ").rows[0]!;
  assert.ok(Number.isNaN(special[0]));
  assert.deepEqual(special.slice(1), [Infinity, -Infinity, 7]);
  assert.deepEqual(parseCsv("1,2", { numbers: false }).rows, [["1", "2"]]);
});

test("header row, CRLF / LF / CR line ends, BOM and blank lines", () => {
  const t = parseCsv("\ufeffa,b\r\n1,x\r\n\r\n2,y\r3,z\n", { header: true });
  assert.deepEqual(t.header, ["a", "b"]);
  assert.deepEqual(t.rows, [[1, "x"], [2, "y"], [3, "z"]]);
  assert.deepEqual(parseCsv("", { header: true }), { header: null, rows: [] });
  assert.deepEqual(parseCsv("h1,h2", { header: true }), { header: ["h1", "h2"], rows: [] });
});

test("quoted fields keep delimiters, newlines, doubled quotes, and stay strings", () => {
  const text = 'name,note,code\n"Smith, J","said ""hi""\nthen left","007"\nplain,"",5\n';
  const t = parseCsv(text, { header: true });
  assert.deepEqual(t.rows, [
    ["Smith, J", 'said "hi"\nthen left', "007"],
    ["plain", "", 5],
  ]);
});

test("empty fields at line ends and end of input", () => {
  assert.deepEqual(parseCsv("a,\n,b\n,").rows, [["a", ""], ["", "b"], ["", ""]]);
});

test("custom delimiter", () => {
  assert.deepEqual(parseCsv("1;2,5;\"x;y\"", { delimiter: ";" }).rows, [[1, "2,5", "x;y"]]);
  assert.deepEqual(parseCsv("1\t2\n3\t4", { delimiter: "\t" }).rows, [[1, 2], [3, 4]]);
  assert.throws(() => parseCsv("1", { delimiter: "ab" }), /csv: delimiter/);
  assert.throws(() => parseCsv("1", { delimiter: '"' }), /csv: delimiter/);
});

test("malformed input reports the line", () => {
  assert.throws(() => parseCsv('a,b\n1,"open\n2,3\n'), /^Error: csv: line 2: unterminated quoted field/);
  assert.throws(() => parseCsv('a,b\n"x"y,2\n'), /^Error: csv: line 2: unexpected character "y" after a closing quote/);
  assert.throws(() => parseCsv('a,b\n"multi\nline",2\n3\n'), /^Error: csv: line 4: 1 fields, expected 2 like the first row/);
  assert.throws(() => parseCsv("a,b\n1,2,3\n", { header: true }), /line 2: 3 fields, expected 2 like the header/);
});

test("readTextFile reads UTF-8 and drops a byte-order mark", async () => {
  const dir = mkdtempSync(join(tmpdir(), "neurite-text-"));
  try {
    writeFileSync(join(dir, "a.txt"), "\ufeffhéllo\nwörld");
    assert.equal(await readTextFile(join(dir, "a.txt")), "héllo\nwörld");
    await assert.rejects(readTextFile(join(dir, "missing.txt")), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
