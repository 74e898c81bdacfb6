// Batches reach the training device one at a time: the data set stays in host memory. On webgpu
// the whole Fashion-MNIST training set (188 MB as float32) is above the 128 MiB storage-binding
// limit, so uploading it whole fails; per-batch uploads train. The webgpu part runs on any
// adapter (Mesa lavapipe in CI) and is skipped with a note where none can be created, unless
// NEURITE_REQUIRE_WEBGPU=1 makes that a failure (as in test/backend-webgpu.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/index.js";
import { initBackend } from "../src/backend/registry.js";
import { neuriteAsync } from "./cli-bin.js";

test("DataLoader({ device }) moves each batch and leaves the data set on the host", async () => {
  await initBackend("wasm");
  const xs = nt.arange(0, 40, 1, { dtype: "float32", device: "cpu" }).reshape([10, 4]);
  const ys = nt.arange(0, 10, 1, { device: "cpu" });
  const ds = new nt.data.TensorDataset(xs, ys);
  const loader = new nt.data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 1, device: "wasm" });
  const seen: number[] = [];
  for (const [x, y] of loader) {
    assert.equal(x!.device, "wasm");
    assert.equal(y!.device, "wasm");
    const rows = await x!.data();
    const labels = await y!.data();
    labels.forEach((l, i) => assert.equal(rows[i * 4], l * 4, "rows and labels stay paired"));
    seen.push(...labels);
    x!.dispose();
    y!.dispose();
  }
  assert.deepEqual(seen.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(xs.device, "cpu", "the data set itself never moved");
  assert.ok(!xs.isDisposed && !ys.isDisposed, "moving a batch disposes only the host batch");
});

const FULL = "/usr/share/datasets/fashion-mnist";
let webgpuUnavailable = "";
try {
  const { createWebGPUBackend } = await import("../src/backend/webgpu/index.js");
  const gpu = await createWebGPUBackend();
  await gpu.dispose();
} catch (e) {
  webgpuUnavailable = (e as Error).message;
  if (process.env["NEURITE_REQUIRE_WEBGPU"] === "1") throw e;
  console.log(`# webgpu unavailable here, skipping the webgpu training test: ${webgpuUnavailable}`);
}

test("train --backend webgpu on the full Fashion-MNIST training set uploads batches, not the 188 MB set", { skip: webgpuUnavailable !== "" || !existsSync(FULL) ? `needs webgpu and ${FULL}` : false }, async () => {
  const out = mkdtempSync(join(tmpdir(), "neurite-webgpu-full-"));
  const r = await neuriteAsync(["train", "--model", "mlp", "--backend", "webgpu", "--data", FULL, "--epochs", "1", "--max-steps", "3", "--test-limit", "100", "--no-report", "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /maxStorageBufferBindingSize/);
  assert.match(r.stdout, /training mlp on 60000 images .* backend webgpu/);
  const state = JSON.parse(readFileSync(join(out, "checkpoint", "state.json"), "utf8"));
  assert.equal(state.train.globalStep, 3);
});
