#!/usr/bin/env node
// The README's test command: typecheck, then every test file under test/ with Node's built-in
// runner (TypeScript loaded through tsx). Extra arguments select test files.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  return r.status ?? 1;
};

const root = new URL("..", import.meta.url).pathname;
const selected = process.argv.slice(2);
if (selected.length === 0) {
  console.log("# typecheck (tsc --noEmit)");
  if (run(join(root, "node_modules/.bin/tsc"), ["-p", join(root, "tsconfig.json"), "--noEmit"]) !== 0) {
    console.error("typecheck failed");
    process.exit(1);
  }
}
const files = selected.length
  ? selected
  : readdirSync(join(root, "test"))
      .filter((f) => f.endsWith(".test.ts"))
      .sort()
      .map((f) => join("test", f));
process.exit(run(process.execPath, ["--import", "tsx", "--test", ...files]));
