/**
 * ONNX export in a browser (headless Chromium, esbuild bundle): the exporter and its protobuf
 * encoder need no Node APIs, `save` without a path gives a Blob, and the bytes made in the page
 * run in onnxruntime-node with the page's own neurite output. Skipped where Chromium,
 * playwright-core or esbuild is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as ort from "onnxruntime-node";
import { assertOnnxClose } from "./helpers/onnx-run.js";
import { esbuild, playwright, repoRoot, skip, launchChromium } from "./helpers/browser.js";

const ENTRY = `
import * as ops from "./src/ops/index.ts";
import { manualSeed } from "./src/tensor/random.ts";
import { noGrad } from "./src/autograd/grad-mode.ts";
import { Sequential, Conv2d, ReLU, MaxPool2d, Flatten, Linear, LayerNorm } from "./src/nn/index.ts";
import { exportModel } from "./src/onnx/export.ts";
import { save } from "./src/onnx/save.ts";
window.runExport = async () => {
  manualSeed(5);
  const model = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new LayerNorm(64), new Linear(64, 3));
  const bytes = exportModel(model, [ops.zeros([1, 1, 8, 8])], { inputNames: ["image"], dynamicAxes: { image: [0] } });
  const blob = await save(bytes);
  const x = ops.randn([3, 1, 8, 8]);
  model.eval();
  const y = noGrad(() => model.forward(x));
  return { bytes: Array.from(bytes), blobSize: blob.size, blobType: blob.type, x: Array.from(await x.data()), y: Array.from(await y.data()) };
};
`;

test("onnx export runs in headless Chromium and its file runs in onnxruntime-node", { skip }, async () => {
  const js = (
    await esbuild!.build({
      stdin: { contents: ENTRY, resolveDir: repoRoot, sourcefile: "entry.ts", loader: "ts" },
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "silent",
      // save(bytes, path) reaches node:fs only through a lazy import, as io.save does; a browser
      // never runs it, so the bundle leaves it unresolved.
      external: ["node:*"],
    })
  ).outputFiles[0]!.text;
  assert.ok(!/from\s*["']node:/.test(js), "no static node: imports in the browser bundle");
  const server = createServer((req, res) => {
    if (req.url === "/bundle.js") res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    else res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><meta charset="utf-8"><script type="module" src="bundle.js"></script>`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
    await page.waitForFunction(() => typeof (window as unknown as { runExport?: unknown }).runExport === "function");
    type R = { bytes: number[]; blobSize: number; blobType: string; x: number[]; y: number[] };
    const r = (await page.evaluate(() => (window as unknown as { runExport: () => Promise<unknown> }).runExport())) as R;
    assert.deepEqual(errors, []);
    assert.equal(r.blobSize, r.bytes.length, "the Blob holds the ONNX bytes");
    assert.equal(r.blobType, "application/octet-stream");
    const session = await ort.InferenceSession.create(Uint8Array.from(r.bytes));
    const out = await session.run({ image: new ort.Tensor("float32", Float32Array.from(r.x), [3, 1, 8, 8]) });
    const got = out[session.outputNames[0]!]!;
    assert.deepEqual(got.dims, [3, 3]);
    assertOnnxClose(Array.from(got.data as Float32Array), r.y, "browser-exported model in onnxruntime-node", 1e-3, 1e-4);
  } finally {
    await browser.close();
    server.close();
  }
});
