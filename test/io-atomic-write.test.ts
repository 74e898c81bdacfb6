import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../src/io/atomic-write.js";

function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "neurite-atomic-"));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test("creates parent folders, writes the bytes and leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a", "b", "model.safetensors");
    await writeFileAtomic(path, Uint8Array.from([1, 2, 3]));
    assert.deepEqual(Array.from(readFileSync(path)), [1, 2, 3]);
    assert.deepEqual(readdirSync(join(dir, "a", "b")), ["model.safetensors"]);
  });
});

test("replaces an existing file whole", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "ckpt.bin");
    writeFileSync(path, "old contents that are longer");
    await writeFileAtomic(path, new TextEncoder().encode("new"));
    assert.equal(readFileSync(path, "utf8"), "new");
    assert.deepEqual(readdirSync(dir), ["ckpt.bin"]);
  });
});

test("on failure removes the temp file and rethrows", async () => {
  await withTempDir(async (dir) => {
    // Renaming a file over a non-empty directory fails after the temp file was written.
    const path = join(dir, "target");
    mkdirSync(path);
    writeFileSync(join(path, "keep"), "x");
    await assert.rejects(writeFileAtomic(path, Uint8Array.from([9])), (e: NodeJS.ErrnoException) => typeof e.code === "string");
    assert.deepEqual(readdirSync(dir), ["target"]);
  });
});

test("concurrent writers to one path leave one complete version", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "same.bin");
    const versions = Array.from({ length: 8 }, (_, i) => new Uint8Array(64 * 1024).fill(i));
    await Promise.all(versions.map((v) => writeFileAtomic(path, v)));
    const got = readFileSync(path);
    assert.equal(got.length, 64 * 1024);
    assert.ok(got.every((b) => b === got[0]), "file is one writer's bytes, not a mix");
    assert.deepEqual(readdirSync(dir), ["same.bin"]);
  });
});
