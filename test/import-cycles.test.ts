// No import cycles outside the tensor core (.dependency-cruiser.cjs says what the core is and why
// its cycles are allowed): the library's own graph, and the rule itself on a made-up tree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
/** DEPCRUISE_BIN: another copy of dependency-cruiser's CLI (e.g. one installed outside the repo). */
const bin = process.env.DEPCRUISE_BIN ?? join(root, "node_modules/.bin/depcruise");
const config = join(root, ".dependency-cruiser.cjs");

function depcruise(cwd: string, paths: string[]): { code: number; out: string } {
  assert.ok(existsSync(bin), `dependency-cruiser is not installed (${bin}); it is a devDependency: run npm ci`);
  const r = spawnSync(bin, ["--config", config, "--output-type", "err", ...paths], { cwd, encoding: "utf8" });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

test("src/ and models/ have no import cycles outside the tensor core (npm run check:cycles)", () => {
  const r = depcruise(root, ["src", "models"]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /no dependency violations found \((\d{3,}) modules/);
});

test("the cycle rules: folders and files outside the core are caught, the core's own cycles and type-only ones are not", () => {
  const dir = mkdtempSync(join(tmpdir(), "neurite-cycles-"));
  const files: Record<string, string> = {
    "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }),
    // Tensor core: tensor ↔ ops, allowed.
    "src/tensor/tensor.ts": 'import { add } from "../ops/add.js";\nexport const t = () => add;\n',
    "src/ops/add.ts": 'import { t } from "../tensor/tensor.js";\nexport const add = () => t;\n',
    // Folders: cli → diffusion → cli, caught.
    "src/cli/main.ts": 'import { train } from "../diffusion/train.js";\nexport const main = () => train;\n',
    "src/diffusion/train.ts": 'import { args } from "../cli/args.js";\nexport const train = () => args;\n',
    "src/cli/args.ts": "export const args = 1;\n",
    // Files in one folder, at run time: caught.
    "src/onnx/a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
    "src/onnx/b.ts": 'import { a } from "./a.js";\nexport const b = () => a;\n',
    // Files in one folder, type-only one way: allowed.
    "src/nn/module.ts": 'import { hook } from "./hooks.js";\nexport class Module { h = hook; }\n',
    "src/nn/hooks.ts": 'import type { Module } from "./module.js";\nexport const hook = (m: Module) => m;\n',
  };
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const r = depcruise(dir, ["src"]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /no-folder-cycles-outside-tensor-core: src\/(cli|diffusion)/);
    assert.match(r.out, /no-file-cycles-outside-tensor-core: src\/onnx\/(a|b)\.ts/);
    assert.doesNotMatch(r.out, /src\/nn\//, "a type-only import back is not a cycle");
    assert.doesNotMatch(r.out, /: src\/(tensor|ops)/, "the tensor core's cycles are allowed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
