/**
 * The package as a user gets it: `npm pack` (its prepack builds) in a staging copy of the repo,
 * the tarball installed into an empty app, and that app — `import * as nt from "neurite"`,
 * training the MLP — bundled for the browser by esbuild, Vite and webpack at their defaults
 * (no externals, no polyfills). Fails if a Node built-in or a Node-only package (pngjs, vega,
 * resvg, Dawn) enters a browser graph. The esbuild bundle then trains in headless Chromium; the
 * installed package's types compile under a browser tsconfig (no @types/node, skipLibCheck off);
 * and in Node the same import resolves to the Node entry (PNG files, reports).
 * Sizes and the first-import time are printed as `#` lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { repoRoot, skip, launchChromium } from "./helpers/browser.js";

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);

/** Runs a command that must succeed; returns its stdout and everything it printed. */
function run(cmd: string, args: string[], cwd: string): { stdout: string; all: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 300_000 });
  const all = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} (in ${cwd}) failed:\n${all.slice(-4000)}`);
  return { stdout: r.stdout ?? "", all };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile());
}

/** What a browser bundle must never contain: Node built-ins or Node-only packages. */
const NODE_ONLY_PATTERN = /require\(["'](node:)?(fs|path|zlib|stream|util|crypto|os|worker_threads)["']\)|from ?["']node:|import\(["']node:|pngjs|@resvg|vega-lite|dawn\.node/;

/** Fails naming the first Node-only reference in a bundle file (without dumping the file). */
function assertBrowserOnly(file: string, what: string): void {
  const m = NODE_ONLY_PATTERN.exec(readFileSync(file, "utf8"));
  assert.equal(m?.[0], undefined, `${what}: ${file} references a Node-only module`);
}

const APP = `import * as nt from "neurite";
import { createMlp } from "neurite/models";

/** Trains the reference MLP for a few steps on random data; returns the first and last loss. */
export async function trainMlp(steps = 20) {
  nt.manualSeed(0);
  const model = createMlp();
  const opt = new nt.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = nt.rand([64, 1, 28, 28]).keep();
  const y = nt.randint(0, 10, [64]).keep();
  const losses = [];
  for (let i = 0; i < steps; i++) {
    losses.push(await nt.tidy(() => {
      opt.zeroGrad();
      const loss = nt.F.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      return loss.itemSync();
    }));
  }
  const bytes = await nt.io.save(model.stateDict());
  const back = await nt.io.load(new Blob([bytes]));
  return { backend: nt.getBackend(), first: losses[0], last: losses[losses.length - 1], tensors: back.size };
}

globalThis.__result = trainMlp().catch((e) => ({ error: String(e && e.stack || e) }));
`;

const TYPES_APP = `import * as nt from "neurite";
import { createCnnBn } from "neurite/models";
const model = createCnnBn();
const x: nt.Tensor = nt.data.fromPixels({ width: 28, height: 28, data: new Uint8ClampedArray(28 * 28 * 4) }, { channels: 1 }).unsqueeze(0);
const logits = model.forward(x) as nt.Tensor;
const bytes = await nt.io.save(model.stateDict());
const again: Map<string, nt.Tensor> = await nt.io.load(new Blob([bytes]));
using y = nt.zeros([2]);
export { logits, again, y };
`;

test("npm pack → install → bundle with esbuild, Vite and webpack → train in Chromium; browser types; Node entry", { skip, timeout: 900_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), "neurite-pack-"));
  try {
    // 1. pack from a staging copy, so the prepack build does not touch this checkout's dist/
    const stage = join(work, "stage");
    mkdirSync(stage);
    for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "LICENSE", "src", "models"]) cpSync(join(repoRoot, f), join(stage, f), { recursive: true });
    mkdirSync(join(stage, "data"));
    for (const f of ["fortunes-sample.txt", "fortunes-sample.LICENSE"]) cpSync(join(repoRoot, "data", f), join(stage, "data", f));
    symlinkSync(join(repoRoot, "node_modules"), join(stage, "node_modules"));
    const packOut = run("npm", ["pack", "--json", "--pack-destination", work], stage).stdout;
    const packed = JSON.parse(packOut.slice(packOut.indexOf("[\n"))) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
    const tarball = join(work, packed[0]!.filename);
    const paths = packed[0]!.files.map((f) => f.path);
    console.log(`# tarball: ${(packed[0]!.size / 1024).toFixed(0)} KB packed, ${(packed[0]!.unpackedSize / 1024).toFixed(0)} KB unpacked, ${paths.length} files`);
    assert.ok(paths.includes("LICENSE") && paths.includes("dist/src/index.js") && paths.includes("dist/src/node.js") && paths.includes("dist/models/index.js"));
    assert.deepEqual(paths.filter((p) => p.endsWith(".map") || p.startsWith("data/fashion-mnist") || p.startsWith("wasm/") || p.startsWith("dist/test")), []);

    // 2. install into an empty app (without optional packages: the lean install)
    const app = join(work, "app");
    mkdirSync(join(app, "src"), { recursive: true });
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    run("npm", ["install", "--omit=optional", "--no-audit", "--no-fund", "--prefer-offline", tarball], app);
    writeFileSync(join(app, "src", "index.js"), APP);
    const installed = filesUnder(join(app, "node_modules")).reduce((n, f) => n + statSync(join(app, "node_modules", f)).size, 0);
    console.log(`# installed without optional dependencies: ${(installed / 2 ** 20).toFixed(1)} MB in node_modules`);

    // 3a. esbuild, defaults plus code splitting (so only the wasm build the browser picks loads)
    const esbuild = await import("esbuild");
    const built = await esbuild.build({ absWorkingDir: app, entryPoints: ["src/index.js"], bundle: true, format: "esm", splitting: true, minify: true, outdir: "out-esbuild", metafile: true, logLevel: "silent" });
    assert.deepEqual([...built.errors, ...built.warnings].map((m) => m.text), []);
    const inputs = Object.keys(built.metafile.inputs);
    assert.deepEqual(inputs.filter((p) => /pngjs|vega|resvg|node_modules\/webgpu|^node:/.test(p)), [], "Node-only modules in esbuild's browser graph");
    const outDir = join(app, "out-esbuild");
    const chunks = readdirSync(outDir).filter((f) => f.endsWith(".js"));
    for (const c of chunks) assertBrowserOnly(join(outDir, c), "esbuild");
    const gz = (f: string) => gzipSync(readFileSync(join(outDir, f))).length;
    const wasmBuilds = chunks.filter((c) => /^(relaxed|simd)-(mt|st)-/.test(c));
    const webgpuChunk = chunks.filter((c) => /^webgpu-/.test(c));
    const code = chunks.filter((c) => !wasmBuilds.includes(c) && !webgpuChunk.includes(c)).reduce((n, c) => n + gz(c), 0);
    console.log(`# esbuild app training the MLP: ${(code / 1024).toFixed(1)} KB min+gzip of JS + one wasm kernel build ${(gz(wasmBuilds[0]!) / 1024).toFixed(1)} KB (${wasmBuilds.length} builds, one loaded) + webgpu backend ${(webgpuChunk.reduce((n, c) => n + gz(c), 0) / 1024).toFixed(1)} KB when used`);
    assert.ok(code < 150 * 1024, `the JS of an MLP-training app is ${code} bytes min+gzip; the goal is ≤ 150 KB`);

    // 3b. Vite, default config
    writeFileSync(join(app, "index.html"), `<!doctype html><script type="module" src="/src/index.js"></script>`);
    const viteLog = run(bin("vite"), ["build", "--outDir", "out-vite"], app).all;
    assert.doesNotMatch(viteLog, /externalized for browser compatibility|Could not resolve|error/i, viteLog);
    for (const f of filesUnder(join(app, "out-vite")).filter((f) => f.endsWith(".js"))) assertBrowserOnly(join(app, "out-vite", f), "vite");

    // 3c. webpack, default config (entry ./src/index.js)
    const webpackLog = run(bin("webpack"), ["--mode", "production", "--output-path", "out-webpack"], app).all;
    assert.doesNotMatch(webpackLog, /Module not found|Can't resolve|ERROR/, webpackLog);
    for (const f of filesUnder(join(app, "out-webpack")).filter((f) => f.endsWith(".js"))) assertBrowserOnly(join(app, "out-webpack", f), "webpack");

    // 4. the esbuild bundle trains in Chromium
    const server = createServer((req, res) => {
      const file = join(outDir, relative("/", req.url === "/" ? "/index.html" : req.url!));
      if (req.url === "/" || req.url === "/index.html") res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><script type="module" src="/index.js"></script>`);
      else {
        let body: Buffer | null = null;
        try {
          body = readFileSync(file);
        } catch {}
        if (body) res.writeHead(200, { "content-type": "text/javascript" }).end(body);
        else res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => "__result" in globalThis, undefined, { timeout: 60_000 });
      const result = (await page.evaluate(() => (globalThis as unknown as { __result: Promise<unknown> }).__result)) as { backend: string; first: number; last: number; tensors: number; error?: string };
      assert.equal(result.error, undefined, result.error);
      assert.deepEqual(errors, []);
      assert.equal(result.backend, "wasm");
      assert.ok(result.last < result.first, `loss ${result.first} → ${result.last}`);
      assert.equal(result.tensors, 6);
    } finally {
      await browser.close();
      server.close();
    }

    // 5. the installed types under a browser tsconfig: DOM lib, no @types/node, skipLibCheck off
    writeFileSync(join(app, "app.ts"), TYPES_APP);
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "ESNext", moduleResolution: "bundler", lib: ["ES2022", "DOM", "ESNext.Disposable"], types: [], strict: true, skipLibCheck: false, noEmit: true }, files: ["app.ts"] }),
    );
    run(bin("tsc"), ["-p", "tsconfig.json"], app);

    // 6. Node resolves the same import to the Node entry; time of the first import
    const nodeCheck = run(
      process.execPath,
      ["--input-type=module", "-e", `const t0 = performance.now(); const nt = await import("neurite"); const ms = performance.now() - t0; const m = await import("neurite/models"); const r = await import("neurite/report"); console.log(JSON.stringify({ ms, png: typeof nt.data.decodePng, report: typeof nt.train.writeReport, sub: typeof r.writeReport, mlp: typeof m.createMlp, backend: nt.getBackend() }));`],
      app,
    ).stdout;
    const info = JSON.parse(nodeCheck.trim().split("\n").pop()!) as { ms: number; png: string; report: string; sub: string; mlp: string };
    console.log(`# first import("neurite") in Node: ${info.ms.toFixed(0)} ms`);
    assert.deepEqual([info.png, info.report, info.sub, info.mlp], ["function", "function", "function", "function"]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
