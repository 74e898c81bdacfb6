/**
 * Where safetensors and images come from outside a file system: `io.load` from bytes, an
 * ArrayBuffer, a Blob/File, a fetch Response, http and file URLs; `io.save` without a path
 * returns the bytes; `data.fromPixels`/`readPixels` on ImageData-like pixels; and the Node-only
 * error that names the feature and its browser alternative.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { AddressInfo } from "node:net";
import * as nt from "../src/index.js";
import { spawnSync } from "node:child_process";

async function sample(): Promise<Uint8Array<ArrayBuffer>> {
  return nt.io.save({ w: nt.tensor([[1, 2], [3, 4]]), n: nt.tensor([7], { dtype: "int32" }) }, undefined, { model: "demo" });
}

async function assertDemo(sd: Map<string, nt.Tensor>): Promise<void> {
  assert.deepEqual([...sd.keys()].sort(), ["n", "w"]);
  assert.deepEqual(await sd.get("w")!.tolist(), [[1, 2], [3, 4]]);
  assert.deepEqual(await sd.get("n")!.tolist(), [7]);
}

test("io.save without a path returns safetensors bytes; io.load reads Uint8Array, ArrayBuffer, Blob, File and Response", async () => {
  const bytes = await sample();
  assert.ok(bytes instanceof Uint8Array && bytes.buffer instanceof ArrayBuffer);
  await assertDemo(await nt.io.load(bytes));
  await assertDemo(await nt.io.load(bytes.slice().buffer));
  await assertDemo(await nt.io.load(new Blob([bytes])));
  await assertDemo(await nt.io.load(new File([bytes], "demo.safetensors")));
  await assertDemo(await nt.io.load(new Response(bytes)));
  const { metadata } = await nt.io.loadWithMetadata(new Blob([bytes]));
  assert.equal(metadata["model"], "demo");
});

test("io.load fetches http(s) URLs and reads file: URLs; failures name the source", async () => {
  const bytes = await sample();
  const server = createServer((req, res) => {
    if (req.url === "/demo.safetensors") res.writeHead(200).end(bytes);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), "neurite-io-"));
  try {
    await assertDemo(await nt.io.load(`${base}/demo.safetensors`));
    await assertDemo(await nt.io.load(new URL(`${base}/demo.safetensors`)));
    await assert.rejects(nt.io.load(`${base}/missing.safetensors`), /io\.load: fetching 'http:\/\/127\.0\.0\.1:\d+\/missing\.safetensors' failed with HTTP 404/);
    const file = join(dir, "demo.safetensors");
    writeFileSync(file, bytes);
    await assertDemo(await nt.io.load(pathToFileURL(file)));
    await assertDemo(await nt.io.load(pathToFileURL(file).href));
    // A corrupt file fetched from a URL is refused with the URL in the message.
    writeFileSync(file, bytes.subarray(0, 20));
    await assert.rejects(nt.io.load(pathToFileURL(file)), new RegExp(file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
    await assert.rejects(nt.io.load(42 as unknown as string), /io\.load: expected a path, URL, Uint8Array, ArrayBuffer, Blob or Response, got \[object Number\]/);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("data.fromPixels: RGBA pixels → float [C, H, W] in [0, 1] (1, 3 or 4 channels); readPixels checks sizes", async () => {
  // 2×1 image: a red pixel and a half-transparent white one.
  const rgba = { width: 2, height: 1, data: new Uint8ClampedArray([255, 0, 0, 255, 255, 255, 255, 128]) };
  const rgb = nt.data.fromPixels(rgba);
  assert.deepEqual(rgb.shape, [3, 1, 2]);
  assert.deepEqual(await rgb.tolist(), [[[1, 1]], [[0, 1]], [[0, 1]]]);
  const gray = nt.data.fromPixels(rgba, { channels: 1 });
  assert.deepEqual(gray.shape, [1, 1, 2]);
  const g = (await gray.data()) as Float32Array;
  assert.ok(Math.abs(g[0]! - 76 / 255) < 1e-6 && g[1] === 1, `BT.601 luma: ${g}`);
  const withAlpha = (await nt.data.fromPixels(rgba, { channels: 4 }).data()) as Float32Array;
  assert.ok(Math.abs(withAlpha[7]! - 128 / 255) < 1e-6);
  // A gray Image repeats into RGB and gets an opaque alpha.
  const grayImage: nt.data.Image = { width: 1, height: 1, channels: 1, data: new Uint8Array([51]) };
  assert.deepEqual(Array.from((await nt.data.fromPixels(grayImage, { channels: 4 }).data()) as Float32Array, (v) => Math.round(v * 255)), [51, 51, 51, 255]);
  assert.throws(() => nt.data.readPixels({ width: 2, height: 2, data: new Uint8ClampedArray(3) }), /readPixels: expected 2\*2\*4 = 16 RGBA bytes, got 3/);
  assert.throws(() => nt.data.fromPixels(rgba, { channels: 2 as 1 }), /fromPixels: channels must be 1, 3 or 4, got 2/);
  await assert.rejects(nt.data.decodeImage(new Uint8Array([1, 2, 3])), /decodeImage: createImageBitmap is not available here .* in Node use nt\.data\.decodePng/);
});

test("without Node's built-ins (as in a browser) file features throw NodeOnlyError naming the feature and the alternative", () => {
  // A child process that hides process.getBuiltinModule before loading neurite, so it runs the
  // code path a browser takes (cpu backend: the wasm loader's Node path is not under test here).
  const script = `
    delete process.getBuiltinModule;
    const nt = await import(${JSON.stringify(new URL("../src/index.ts", import.meta.url).href)});
    const out = [];
    for (const run of [() => nt.io.save({ w: nt.zeros([1]) }, "x.safetensors"), () => nt.data.readIdxFile("x.idx"), () => nt.data.readTextFile("x.txt")]) {
      try { await run(); out.push("no error"); } catch (e) { out.push(e.name + ": " + e.message); }
    }
    out.push(String((await nt.io.save({ w: nt.zeros([1]) })).length));
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, NEURITE_BACKEND: "cpu" } });
  assert.equal(r.status, 0, r.stderr);
  const [save, idx, text, bytes] = JSON.parse(r.stdout.trim().split("\n").pop()!) as string[];
  assert.match(save!, /^NodeOnlyError: writing files needs Node .*; in a browser call nt\.io\.save\(stateDict\) without a path: it returns the bytes$/);
  assert.match(idx!, /^NodeOnlyError: reading IDX file 'x\.idx' needs Node .*; in a browser pass bytes/);
  assert.match(text!, /^NodeOnlyError: reading text file 'x\.txt' needs Node /);
  assert.ok(Number(bytes) > 8, "saving to bytes works without Node");
});
