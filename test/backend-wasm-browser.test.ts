/**
 * The wasm backend in a browser (headless Chromium): bundled with esbuild and served on 127.0.0.1.
 *  - a page without cross-origin isolation gets the single-thread build and warns;
 *  - a cross-origin-isolated page runs the threaded build, single-threaded on the main thread;
 *  - a Worker in that page runs it with 2 threads (nested Workers over shared memory).
 * Each checks a few kernels against a JS reference computed in the page. Skipped where Chromium,
 * playwright-core or esbuild is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { esbuild, playwright, repoRoot, skip, launchChromium } from "./helpers/browser.js";
import type { AddressInfo } from "node:net";

const root = repoRoot;

const CHECKS = `
import { createWasmBackend } from "./src/backend/wasm/index.ts";
export async function runChecks(threads) {
  const warnings = [];
  const warn = console.warn;
  console.warn = (m) => warnings.push(String(m));
  const be = await createWasmBackend({ threads });
  console.warn = warn;
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const data = (n) => Float32Array.from({ length: n }, rnd);
  const view = (buf, shape, strides, offset = 0) => ({ buf, shape, strides, offset, dtype: "float32" });
  const worst = (got, want) => {
    let w = got.length === want.length ? 0 : Infinity;
    for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (1e-5 + 1e-4 * Math.abs(want[i])));
    return w;
  };
  const results = {};
  // matmul, A transposed in memory: [M,K] view of a [K,M] buffer
  const M = 67, K = 129, N = 45;
  const a = data(K * M), b = data(K * N);
  const ab = be.upload("float32", a), bb = be.upload("float32", b);
  const want = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[k * M + i] * b[k * N + j];
    want[i * N + j] = s;
  }
  const c = be.matmul(view(ab, [1, M, K], [0, 1, M]), view(bb, [1, K, N], [0, N, 1]));
  results.matmul = worst(be.readSync(c), want);
  const big = 300 * 1000;
  const x = data(big);
  const xb = be.upload("float32", x);
  results.exp = worst(await be.read(be.unary("exp", view(xb, [big], [1]))), x.map(Math.exp));
  const s = be.readSync(be.reduce("sum", view(xb, [300, 1000], [1000, 1]), [0]));
  const ws = new Float32Array(1000);
  for (let i = 0; i < 300; i++) for (let j = 0; j < 1000; j++) ws[j] += x[i * 1000 + j];
  results.sum = worst(s, ws);
  const out = { variant: be.variant, threads: be.threads, threadsSupported: be.threadsSupported, isolated: self.crossOriginIsolated, warnings, results };
  await be.dispose();
  return out;
}
`;

const PAGE_ENTRY = `
import { runChecks } from "./checks.ts";
window.runMain = () => runChecks(2);
window.runInWorker = () => new Promise((resolve, reject) => {
  const w = new Worker("worker.js", { type: "module" });
  w.onmessage = (e) => resolve(e.data);
  w.onerror = (e) => reject(new Error(e.message));
});
`;
const WORKER_ENTRY = `
import { runChecks } from "./checks.ts";
runChecks(2).then((r) => self.postMessage(r), (e) => self.postMessage({ error: String(e && e.stack || e) }));
`;

test("wasm backend in headless Chromium: st build, COI main thread, 2 threads in a Worker", { skip }, async () => {
  const build = async (contents: string) =>
    (
      await esbuild!.build({
        stdin: { contents, resolveDir: root, sourcefile: "entry.ts", loader: "ts" },
        bundle: true,
        format: "esm",
        platform: "browser",
        target: "es2022",
        write: false,
        logLevel: "silent",
        plugins: [
          {
            name: "checks",
            setup(b) {
              b.onResolve({ filter: /^\.\/checks\.ts$/ }, () => ({ path: "checks", namespace: "checks" }));
              b.onLoad({ filter: /.*/, namespace: "checks" }, () => ({ contents: CHECKS, resolveDir: root, loader: "ts" }));
            },
          },
        ],
      })
    ).outputFiles[0]!.text;
  const pageJs = await build(PAGE_ENTRY);
  const workerJs = await build(WORKER_ENTRY);
  assert.ok(!/from\s*["']node:/.test(pageJs), "no static node: imports in the browser bundle");
  const html = `<!doctype html><meta charset="utf-8"><script type="module" src="bundle.js"></script>`;
  const server = createServer((req, res) => {
    const coi = req.url!.startsWith("/coi/");
    const headers: Record<string, string> = coi
      ? { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" }
      : {};
    const path = req.url!.replace(/^\/coi/, "");
    if (path === "/bundle.js") res.writeHead(200, { ...headers, "content-type": "text/javascript" }).end(pageJs);
    else if (path === "/worker.js") res.writeHead(200, { ...headers, "content-type": "text/javascript" }).end(workerJs);
    else res.writeHead(200, { ...headers, "content-type": "text/html" }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    type R = { variant: string; threads: number; threadsSupported: boolean; isolated: boolean; warnings: string[]; results: Record<string, number>; error?: string };
    const check = (r: R, label: string) => {
      assert.ok(!r.error, `${label}: ${r.error}`);
      for (const [k, v] of Object.entries(r.results)) assert.ok(v <= 1, `${label} ${k}: error ${v}`);
    };

    await page.goto(`http://127.0.0.1:${port}/index.html`);
    await page.waitForFunction(() => typeof (window as any).runMain === "function");
    const plain = (await page.evaluate(() => (window as any).runMain())) as R;
    check(plain, "no isolation");
    assert.equal(plain.isolated, false);
    assert.match(plain.variant, /-st$/);
    assert.equal(plain.threads, 1);
    assert.ok(plain.warnings.some((w) => /single-threaded/.test(w)), `warns: ${plain.warnings}`);

    await page.goto(`http://127.0.0.1:${port}/coi/index.html`);
    await page.waitForFunction(() => typeof (window as any).runMain === "function");
    const main = (await page.evaluate(() => (window as any).runMain())) as R;
    check(main, "isolated main thread");
    assert.equal(main.isolated, true);
    assert.match(main.variant, /-mt$/);
    assert.equal(main.threads, 1, "the window's main thread may not block in Atomics.wait");

    const worker = (await page.evaluate(() => (window as any).runInWorker())) as R;
    check(worker, "isolated worker");
    assert.match(worker.variant, /-mt$/);
    assert.equal(worker.threads, 2);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
