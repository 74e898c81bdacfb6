import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync, crc32 } from "node:zlib";
import { decodePng, encodePng, toGrayscale, pngDimensions, MAX_PNG_PIXELS, type Image } from "../src/data/png.js";

/** A minimal PNG writer independent of pngjs: filter type 0 on every row, no interlace. */
function buildPng(opts: { width: number; height: number; bitDepth: number; colorType: number; rows: number[][]; plte?: number[]; trns?: number[] }): Uint8Array {
  const chunk = (type: string, data: Uint8Array): Buffer => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(opts.width, 0);
  ihdr.writeUInt32BE(opts.height, 4);
  ihdr[8] = opts.bitDepth;
  ihdr[9] = opts.colorType;
  const raw = Buffer.concat(opts.rows.map((r) => Buffer.from([0, ...r])));
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  if (opts.plte) parts.push(chunk("PLTE", Uint8Array.from(opts.plte)));
  if (opts.trns) parts.push(chunk("tRNS", Uint8Array.from(opts.trns)));
  parts.push(chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0)));
  return new Uint8Array(Buffer.concat(parts));
}

test("decodes 8-bit gray and RGB PNGs written by an independent encoder", async () => {
  const gray = await decodePng(buildPng({ width: 3, height: 2, bitDepth: 8, colorType: 0, rows: [[0, 1, 2], [253, 254, 255]] }));
  assert.deepEqual({ ...gray, data: Array.from(gray.data) }, { width: 3, height: 2, channels: 1, data: [0, 1, 2, 253, 254, 255] });

  const rgbRows = [[255, 0, 0, 0, 255, 0], [0, 0, 255, 10, 20, 30]];
  const rgb = await decodePng(buildPng({ width: 2, height: 2, bitDepth: 8, colorType: 2, rows: rgbRows }));
  assert.equal(rgb.channels, 3);
  assert.deepEqual(Array.from(rgb.data), rgbRows.flat());
});

test("decodes 16-bit gray by scaling samples to 8 bits", async () => {
  // Samples b * 257 map exactly to b in 8 bits.
  const bytes = [0, 0x12, 0x80, 0xff].flatMap((b) => [b, b]);
  const img = await decodePng(buildPng({ width: 4, height: 1, bitDepth: 16, colorType: 0, rows: [bytes] }));
  assert.equal(img.channels, 1);
  assert.deepEqual(Array.from(img.data), [0, 0x12, 0x80, 0xff]);
});

test("a palette PNG with transparency decodes to RGBA", async () => {
  const plte = [10, 20, 30, 200, 100, 50];
  const img = await decodePng(buildPng({ width: 2, height: 1, bitDepth: 8, colorType: 3, rows: [[0, 1]], plte, trns: [255, 0] }));
  assert.equal(img.channels, 4);
  assert.deepEqual(Array.from(img.data), [10, 20, 30, 255, 200, 100, 50, 0]);
});

test("encode -> decode round trip for 1, 3 and 4 channels keeps every byte", async () => {
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (const channels of [1, 3, 4] as const) {
    const width = 7;
    const height = 5;
    const data = Uint8Array.from({ length: width * height * channels }, rand);
    if (channels === 4) data[3] = 0; // guarantee real transparency
    const png = await encodePng({ width, height, channels, data });
    assert.deepEqual(Array.from(png.subarray(1, 4)), [0x50, 0x4e, 0x47]); // "PNG"
    assert.equal(png[25], { 1: 0, 3: 2, 4: 6 }[channels], "IHDR colour type");
    const back = await decodePng(png);
    assert.deepEqual({ ...back, data: Array.from(back.data) }, { width, height, channels, data: Array.from(data) });
  }
});

test("toGrayscale uses BT.601 luma weights", () => {
  const img: Image = { width: 4, height: 1, channels: 4, data: Uint8Array.from([255, 0, 0, 9, 0, 255, 0, 9, 0, 0, 255, 9, 255, 255, 255, 0]) };
  const g = toGrayscale(img);
  const luma = (r: number, gr: number, b: number): number => Math.round(0.299 * r + 0.587 * gr + 0.114 * b);
  assert.equal(g.channels, 1);
  assert.deepEqual(Array.from(g.data), [luma(255, 0, 0), luma(0, 255, 0), luma(0, 0, 255), 255]);
  const gray: Image = { width: 1, height: 1, channels: 1, data: Uint8Array.from([7]) };
  const copy = toGrayscale(gray);
  assert.deepEqual(Array.from(copy.data), [7]);
  assert.notEqual(copy.data, gray.data);
});

test("bad input gives clear errors", async () => {
  await assert.rejects(decodePng(Uint8Array.from([1, 2, 3, 4])), /^Error: png: not a PNG file \(no PNG signature\)/);
  await assert.rejects(encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }), /png: data must be a Uint8Array of 2\*2\*3 = 12 bytes/);
  await assert.rejects(encodePng({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) }), /png: width and height/);
  await assert.rejects(encodePng({ width: 1, height: 1, channels: 2 as 1, data: new Uint8Array(2) }), /png: channels/);
});

test("image dimensions are read from the header and checked against a limit before decoding", async () => {
  const small = buildPng({ width: 4, height: 4, bitDepth: 8, colorType: 0, rows: Array.from({ length: 4 }, () => [1, 2, 3, 4]) });
  assert.deepEqual(pngDimensions(small), { width: 4, height: 4 });
  assert.equal((await decodePng(small, { maxPixels: 16 })).width, 4);
  await assert.rejects(decodePng(small, { maxPixels: 15 }), /png: the image is 4x4 \(16 pixels\), more than the 15-pixel limit/);
  // 25000 x 25000 declared over a tiny IDAT: refused from the header, before pngjs would allocate 2.5 GB.
  const bomb = buildPng({ width: 25000, height: 25000, bitDepth: 8, colorType: 0, rows: [[0]] });
  assert.ok(bomb.length < 200);
  assert.equal(MAX_PNG_PIXELS, 4096 * 4096);
  const t0 = performance.now();
  await assert.rejects(decodePng(bomb), /png: the image is 25000x25000 \(625000000 pixels\), more than the 16777216-pixel limit/);
  assert.ok(performance.now() - t0 < 500);
  const noIhdr = Uint8Array.from([...small.subarray(0, 12), 0x49, 0x44, 0x41, 0x54, ...small.subarray(16)]);
  assert.throws(() => pngDimensions(noIhdr), /the first chunk is not a 13-byte IHDR header/);
});
