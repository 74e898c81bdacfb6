/**
 * The same webgpu backend code in a browser: bundles it with esbuild, serves it on 127.0.0.1 and
 * runs a few kernels (fused elementwise chain, broadcasting, reduction, matmul, im2col) in
 * headless Chromium on navigator.gpu (SwiftShader on a machine without a GPU), comparing with
 * the cpu backend in the page. Skipped where Chromium or playwright-core is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { esbuild, playwright, repoRoot, skip, launchChromium } from "./helpers/browser.js";
import type { AddressInfo } from "node:net";

const root = repoRoot;

const ENTRY = `
import { createWebGPUBackend } from "./src/backend/webgpu/index.ts";
import { CpuBackend } from "./src/backend/cpu/cpu-backend.ts";
window.runCheck = async () => {
  const gpu = await createWebGPUBackend();
  const cpu = new CpuBackend();
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const data = (n) => Float32Array.from({ length: n }, rnd);
  const view = (buf, shape, strides, offset = 0) => ({ buf, shape, strides, offset, dtype: "float32" });
  const results = {};
  const compare = async (name, c, g) => {
    const want = cpu.readSync(c), got = await gpu.read(g);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1e-5 + 1e-4 * Math.abs(want[i])));
    results[name] = got.length === want.length ? worst : Infinity;
  };
  const both = (f) => [f(cpu), f(gpu)];
  const x = data(3 * 17), b = data(17), w = data(17 * 9);
  const [xc, xg] = both((be) => be.upload("float32", x));
  const [bc, bg] = both((be) => be.upload("float32", b));
  const [wc, wg] = both((be) => be.upload("float32", w));
  const chain = (be, xb, bb) => {
    const m = be.binary("mul", view(xb, [3, 17], [17, 1]), view(bb, [3, 17], [0, 1]), "float32");
    const r = be.unary("tanh", view(m, [3, 17], [17, 1]));
    return be.binary("add", view(r, [3, 17], [17, 1]), view(xb, [3, 17], [1, 3]), "float32");
  };
  await compare("fused chain + broadcast + transposed view", chain(cpu, xc, bc), chain(gpu, xg, bg));
  await compare("reduce sum axis 0", cpu.reduce("sum", view(xc, [3, 17], [17, 1]), [0]), gpu.reduce("sum", view(xg, [3, 17], [17, 1]), [0]));
  await compare("matmul [1,3,17]x[1,17,9]", cpu.matmul(view(xc, [1, 3, 17], [0, 17, 1]), view(wc, [1, 17, 9], [0, 9, 1])), gpu.matmul(view(xg, [1, 3, 17], [0, 17, 1]), view(wg, [1, 17, 9], [0, 9, 1])));
  const g = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] };
  await compare("im2col", cpu.im2col(view(xc, [1, 3, 1, 17], [51, 17, 17, 1]), g, 0), gpu.im2col(view(xg, [1, 3, 1, 17], [51, 17, 17, 1]), g, 0));
  const adapter = gpu.description;
  await gpu.dispose();
  return { adapter, results };
};
`;

test("webgpu backend in headless Chromium (navigator.gpu)", { skip }, async () => {
  const bundle = await esbuild!.build({
    stdin: { contents: ENTRY, resolveDir: root, sourcefile: "browser-entry.ts", loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const js = bundle.outputFiles[0]!.text;
  assert.ok(!js.includes("dawn.node"), "the Node-only webgpu package must not end up in the browser bundle");
  const html = `<!doctype html><meta charset="utf-8"><script type="module" src="/bundle.js"></script>`;
  const server = createServer((req, res) => {
    if (req.url === "/bundle.js") res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    else res.writeHead(200, { "content-type": "text/html" }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => typeof (window as unknown as { runCheck?: unknown }).runCheck === "function", undefined, { timeout: 20000 });
    const out = (await page.evaluate(() => (window as unknown as { runCheck: () => Promise<unknown> }).runCheck())) as { adapter: string; results: Record<string, number> };
    console.log(`# browser adapter: ${out.adapter}`);
    assert.deepEqual(errors, []);
    for (const [name, worst] of Object.entries(out.results)) assert.ok(worst <= 1, `${name}: error ${worst} over tolerance`);
    assert.equal(Object.keys(out.results).length, 4);
  } finally {
    await browser.close();
    server.close();
  }
});
