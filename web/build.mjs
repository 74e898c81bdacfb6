#!/usr/bin/env node
// Bundles the playground with esbuild into web/dist/: the page script and the training worker as
// ES modules with code splitting (only the wasm build the browser picks is fetched). "neurite"
// resolves to the repository's browser entry through web/tsconfig.json's paths, exactly what a
// user's bundler gets from the package's "default" export condition.
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const web = fileURLToPath(new URL(".", import.meta.url));

/** Builds web/dist; returns esbuild's metafile for size checks. */
export async function buildPlayground({ minify = true } = {}) {
  const result = await build({
    absWorkingDir: web,
    entryPoints: { main: "src/main.ts", "train-worker": "src/train-worker.ts" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: "dist",
    minify,
    sourcemap: true,
    tsconfig: "tsconfig.json",
    metafile: true,
    logLevel: "warning",
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildPlayground();
  console.log(`web/dist: ${readdirSync(new URL("dist", import.meta.url)).filter((f) => f.endsWith(".js")).length} scripts`);
}
