/**
 * The playground (web/) in headless Chromium, served as `npm run web` serves it (COOP/COEP):
 * it loads with no console errors and no request leaving its origin; the cnn-bn classifier names
 * the right class for the 10 bundled test images (one per class) and the CLI's preprocessing
 * agrees; training the MLP in the tab lowers the loss on wasm with one thread and with all
 * threads (cross-origin isolated) and on WebGPU (SwiftShader here); the char-gpt sampler writes
 * text; the DDPM panel shows its denoising step by step; wrong files get a message in the page. Screenshots go to artifacts/playground-*.png.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { repoRoot, skip, launchChromium } from "./helpers/browser.js";

const samplesDir = join(repoRoot, "web", "assets", "samples");
const artifacts = join(repoRoot, "artifacts");

interface TrainOutcome {
  firstLoss: number;
  lastLoss: number;
  testAccuracy: number;
  imagesPerSecond: number;
  backend: string;
  threads: number;
}

test("playground in Chromium: classify, train on wasm (1 and all threads) and WebGPU, sample, DDPM step by step, errors", { skip, timeout: 600_000 }, async () => {
  const { buildPlayground } = (await import(join(repoRoot, "web", "build.mjs"))) as { buildPlayground: (o?: { minify?: boolean }) => Promise<{ inputs: Record<string, unknown> }> };
  const { startServer } = (await import(join(repoRoot, "web", "serve.mjs"))) as { startServer: (port?: number) => Promise<Server> };
  const meta = await buildPlayground();
  const nodeOnly = Object.keys(meta.inputs).filter((p) => /(^|\/)node:|pngjs|vega|resvg|\/webgpu\/dist|node-builtins-impl/.test(p));
  assert.deepEqual(nodeOnly, [], "Node-only modules in the playground's browser graph");

  const server = await startServer(0);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium({ webgpu: true });
  mkdirSync(artifacts, { recursive: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const outside: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${String(e)}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    });
    page.on("request", (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) outside.push(r.url());
    });
    await page.goto(`${origin}/`);
    await page.waitForSelector("body[data-ready='1']", { timeout: 60_000 });
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, "served with COOP/COEP, the page must be cross-origin isolated");

    // (a) the classifier on the bundled test images, named c<class index>-<test index>.png
    const { CLASS_NAMES } = await import("../src/data/fashion-mnist.js");
    const samples = readdirSync(samplesDir).filter((f) => f.endsWith(".png")).sort();
    assert.equal(samples.length, 10);
    for (const file of samples) {
      const expected = CLASS_NAMES[Number(/^c(\d+)-/.exec(file)![1])];
      await page.evaluate(() => document.getElementById("classify-result")!.replaceChildren());
      await page.setInputFiles("#classify-file", join(samplesDir, file));
      const top = await page.waitForSelector("#classify-result li", { timeout: 30_000 });
      assert.equal(await top.getAttribute("data-class"), expected, `${file}: top-1 class`);
    }
    await page.screenshot({ path: join(artifacts, "playground-classify.png") });

    // Wrong inputs: a non-image and a checkpoint of another model get a message in the page.
    const notImage = join(artifacts, "not-an-image.png");
    writeFileSync(notImage, "this is text, not a PNG");
    await page.setInputFiles("#classify-file", notImage);
    await page.waitForSelector("#classify-error:not([hidden])");
    assert.match((await page.textContent("#classify-error"))!, /not-an-image\.png: decodeImage: .*not an image/);
    const nt = await import("../src/node.js");
    const { createMlp } = await import("../models/index.js");
    const mlpFile = join(artifacts, "mlp.safetensors");
    writeFileSync(mlpFile, await nt.io.save(createMlp().stateDict(), undefined, { model: "mlp" }));
    await page.setInputFiles("#classify-file", mlpFile);
    await page.waitForFunction(() => /holds 'mlp' weights/.test(document.getElementById("classify-error")!.textContent ?? ""));

    // (b) training in the tab
    const train = async (backend: string): Promise<TrainOutcome> => {
      await page.selectOption("#train-backend", backend);
      await page.fill("#train-epochs", "1");
      await page.click("#train-start");
      await page.waitForSelector("#train-result[data-done='1']", { timeout: 300_000 });
      return page.evaluate(() => {
        const d = document.getElementById("train-result")!.dataset;
        return { firstLoss: Number(d.firstLoss), lastLoss: Number(d.lastLoss), testAccuracy: Number(d.testAccuracy), imagesPerSecond: Number(d.imagesPerSecond), backend: d.backend!, threads: Number(d.threads) };
      });
    };
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const runs: Record<string, TrainOutcome> = {};
    for (const backend of ["wasm-1", "wasm-all", "webgpu"]) {
      const r = await train(backend);
      runs[backend] = r;
      console.log(`# in-tab MLP, ${backend}: ${r.backend}${r.threads ? ` ${r.threads} thread(s)` : ""}, ${Math.round(r.imagesPerSecond)} images/s, loss ${r.firstLoss.toFixed(3)} → ${r.lastLoss.toFixed(3)}, test accuracy ${(r.testAccuracy * 100).toFixed(2)} %`);
      assert.ok(r.lastLoss < r.firstLoss * 0.7, `${backend}: the loss must fall (${r.firstLoss} → ${r.lastLoss})`);
      assert.ok(r.testAccuracy > 0.6, `${backend}: test accuracy ${r.testAccuracy}`);
      await page.screenshot({ path: join(artifacts, `playground-train-${backend}.png`) });
    }
    assert.equal(runs["wasm-1"]!.threads, 1);
    assert.equal(runs["wasm-all"]!.threads, cores, "all threads: one per core, which needs cross-origin isolation");
    assert.equal(runs["webgpu"]!.backend, "webgpu", "Chromium with --enable-unsafe-webgpu has WebGPU (SwiftShader without a GPU)");

    // (c) the char-gpt sampler
    await page.fill("#sample-length", "60");
    await page.click("#sample-run");
    await page.waitForSelector("#sample-output[data-done='1']", { timeout: 120_000 });
    const text = (await page.textContent("#sample-output"))!;
    assert.ok(text.startsWith("The computer ") && text.length >= "The computer ".length + 60, `sampled text: ${JSON.stringify(text)}`);
    await page.fill("#sample-prompt", "\u{1F600}");
    await page.click("#sample-run");
    await page.waitForSelector("#sample-error:not([hidden])");
    assert.match((await page.textContent("#sample-error"))!, /never seen/);
    await page.screenshot({ path: join(artifacts, "playground-sample.png"), fullPage: true });

    // (d) DDPM: the denoising is shown step by step, and ends in a drawn batch of images
    await page.fill("#ddpm-steps", "10");
    await page.selectOption("#ddpm-class", "7");
    await page.click("#ddpm-run");
    await page.waitForFunction(() => /^step 1\/10/.test(document.getElementById("ddpm-status")!.textContent ?? ""), undefined, { timeout: 120_000 });
    await page.waitForSelector("#ddpm-status[data-done='1']", { timeout: 300_000 });
    assert.match((await page.textContent("#ddpm-status"))!, /^step 10\/10 .* done$/);
    const lit = await page.evaluate(() => {
      const c = document.getElementById("ddpm-canvas") as HTMLCanvasElement;
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let bright = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! > 64) bright++;
      return bright / (d.length / 4);
    });
    assert.ok(lit > 0.02 && lit < 0.9, `generated images: ${(lit * 100).toFixed(1)} % of pixels lit`);
    await page.screenshot({ path: join(artifacts, "playground-ddpm.png"), fullPage: true });

    assert.deepEqual(outside, [], "requests outside the page's origin");
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    server.close();
  }
});
