#!/usr/bin/env node
// Build data/fashion-mnist-subset/: the first 6000 training and first 1000 test
// examples of Fashion-MNIST, as gzip'd IDX files with the standard names, so that
// neurite's examples and tests run without the full data set installed.
//
// Usage: node tools/make-fashion-mnist-subset.mjs [SOURCE_DIR]
//   SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist (Debian package
//   dataset-fashion-mnist). Output is deterministic for a given zlib version:
//   Node's gzip header carries no file name or timestamp.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const SOURCE = process.argv[2] ?? "/usr/share/datasets/fashion-mnist";
const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "data", "fashion-mnist-subset");
const SUBSETS = [
  { prefix: "train", count: 6000 },
  { prefix: "t10k", count: 1000 },
];

function readIdx(name) {
  for (const file of [name + ".gz", name]) {
    const path = join(SOURCE, file);
    if (existsSync(path)) {
      const raw = readFileSync(path);
      return file.endsWith(".gz") ? gunzipSync(raw) : raw;
    }
  }
  throw new Error(`${name}(.gz) not found in ${SOURCE}`);
}

/** Keep the first `count` items of a ubyte IDX file (first dimension), rewriting its header. */
function truncateIdx(bytes, count) {
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) throw new Error("expected a ubyte IDX file");
  const ndim = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d));
  if (dims[0] < count) throw new Error(`file has only ${dims[0]} items, need ${count}`);
  const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const headerSize = 4 + 4 * ndim;
  const out = Buffer.alloc(headerSize + count * itemSize);
  bytes.copy(out, 0, 0, headerSize);
  out.writeUInt32BE(count, 4);
  bytes.copy(out, headerSize, headerSize, headerSize + count * itemSize);
  return { out, dims: [count, ...dims.slice(1)] };
}

mkdirSync(OUT, { recursive: true });
const manifest = [];
for (const { prefix, count } of SUBSETS) {
  for (const kind of ["images-idx3-ubyte", "labels-idx1-ubyte"]) {
    const name = `${prefix}-${kind}`;
    const { out, dims } = truncateIdx(readIdx(name), count);
    const gz = gzipSync(out, { level: 9 });
    writeFileSync(join(OUT, name + ".gz"), gz);
    const sha = createHash("sha256").update(out).digest("hex");
    manifest.push(`${name}.gz  shape [${dims.join(", ")}]  sha256 of uncompressed IDX: ${sha}`);
  }
}
console.log(`wrote ${OUT}\n` + manifest.join("\n"));
