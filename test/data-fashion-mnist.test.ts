import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { existsSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CLASS_NAMES,
  SYSTEM_FASHION_MNIST_DIR,
  bundledFashionMnistDir,
  findFashionMnistDir,
  loadFashionMnist,
  type FashionMnistSplit,
} from "../src/data/fashion-mnist.js";

const PIXELS = 28 * 28;

function checkSplit(split: FashionMnistSplit, n: number): void {
  assert.equal(split.n, n);
  assert.equal(split.images.length, n * PIXELS);
  assert.equal(split.labels.length, n);
  const seen = new Set(split.labels);
  assert.equal(seen.size, CLASS_NAMES.length, "every class occurs");
}

/** ubyte IDX bytes: magic 00 00 08 ndim, big-endian dims, data. */
function idx(shape: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}

function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "neurite-fmnist-"));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test("CLASS_NAMES lists the 10 Fashion-MNIST classes in label order", () => {
  assert.equal(CLASS_NAMES.length, 10);
  assert.equal(CLASS_NAMES[0], "T-shirt/top");
  assert.equal(CLASS_NAMES[9], "Ankle boot");
});

test("the bundled subset loads: 6000 train and 1000 test images", async () => {
  const data = await loadFashionMnist(null);
  checkSplit(data.train, 6000);
  checkSplit(data.test, 1000);
  assert.match(data.source, /^bundled subset \(.*fashion-mnist-subset\)$/);
  assert.ok(existsSync(join(await bundledFashionMnistDir(), "LICENSE")));
});

test("the Debian data set, when installed, is found and the subset is its prefix", async (t) => {
  const found = await findFashionMnistDir();
  if (!existsSync(join(SYSTEM_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz"))) {
    assert.equal(found, null);
    const note = `NOTE: ${SYSTEM_FASHION_MNIST_DIR} not installed (apt-get install dataset-fashion-mnist); full-set check not run`;
    console.log(note);
    t.skip(note);
    return;
  }
  assert.equal(found, SYSTEM_FASHION_MNIST_DIR);
  const [full, subset] = await Promise.all([loadFashionMnist(found), loadFashionMnist(null)]);
  checkSplit(full.train, 60000);
  checkSplit(full.test, 10000);
  assert.equal(full.source, SYSTEM_FASHION_MNIST_DIR);
  for (const split of ["train", "test"] as const) {
    const n = subset[split].n;
    assert.deepEqual(subset[split].labels, full[split].labels.subarray(0, n));
    assert.ok(Buffer.from(subset[split].images).equals(full[split].images.subarray(0, n * PIXELS)), `${split} images`);
  }
});

test("an explicit folder with raw (uncompressed) files is used; one lacking files is rejected", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(findFashionMnistDir(dir), (e: Error) => /^fashion-mnist: .* lacks train-images-idx3-ubyte\(\.gz\)/.test(e.message));
    const images = Uint8Array.from({ length: 2 * PIXELS }, (_, i) => i % 256);
    writeFileSync(join(dir, "train-images-idx3-ubyte"), idx([2, 28, 28], images));
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), idx([2], Uint8Array.from([3, 9])));
    writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), gzipSync(idx([1, 28, 28], images.subarray(0, PIXELS))));
    await assert.rejects(findFashionMnistDir(dir), /lacks t10k-labels-idx1-ubyte\(\.gz\)/);
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), gzipSync(idx([1], Uint8Array.from([0]))));
    assert.equal(await findFashionMnistDir(dir), dir);
    const data = await loadFashionMnist(dir);
    assert.equal(data.source, dir);
    assert.deepEqual(Array.from(data.train.labels), [3, 9]);
    assert.deepEqual(data.train.images, images);
    assert.equal(data.test.n, 1);
  });
});

test("inconsistent files are rejected with the offending path", async () => {
  const write = (dir: string, trainImages: Uint8Array, trainLabels: Uint8Array): void => {
    writeFileSync(join(dir, "train-images-idx3-ubyte"), trainImages);
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), trainLabels);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), idx([1, 28, 28], new Uint8Array(PIXELS)));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idx([1], new Uint8Array(1)));
  };
  await withTempDir(async (dir) => {
    write(dir, idx([1, 27, 28], new Uint8Array(27 * 28)), idx([1], new Uint8Array(1)));
    await assert.rejects(loadFashionMnist(dir), /train-images-idx3-ubyte: expected shape \[n, 28, 28\], got \[1, 27, 28\]/);
    write(dir, idx([1, 28, 28], new Uint8Array(PIXELS)), idx([2], new Uint8Array(2)));
    await assert.rejects(loadFashionMnist(dir), /train-labels-idx1-ubyte: expected shape \[1\]/);
    write(dir, idx([1, 28, 28], new Uint8Array(PIXELS)), idx([1], Uint8Array.from([10])));
    await assert.rejects(loadFashionMnist(dir), /train-labels-idx1-ubyte: label 10 at index 0 is not in 0\.\.9/);
  });
});
