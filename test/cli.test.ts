import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/index.js";

const root = new URL("..", import.meta.url).pathname;
const bundled = join(root, "data/fashion-mnist-subset");

function neurite(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], { cwd: root, encoding: "utf8", timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("neurite train --json trains the MLP on the bundled subset and writes a loadable checkpoint", async () => {
  const out = mkdtempSync(join(tmpdir(), "neurite-cli-"));
  const r = neurite(["train", "--model", "mlp", "--epochs", "1", "--data", bundled, "--out", out, "--json", "--backend", "cpu"]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout.trim().split("\n").pop()!);
  for (const key of ["testAccuracy", "testLoss", "epochs", "seconds", "imagesPerSecond", "backend", "checkpoint"]) assert.ok(key in result, `missing ${key}`);
  assert.equal(result.epochs, 1);
  assert.equal(result.backend, "cpu");
  assert.equal(result.testSamples, 1000);
  assert.ok(result.testAccuracy > 0.6, `one epoch on 6000 images should beat 60%, got ${result.testAccuracy}`);
  assert.ok(existsSync(result.checkpoint));
  assert.match(r.stderr, /epoch 1\/1/, "progress is shown on stderr");
  const sd = await nt.io.load(result.checkpoint);
  assert.deepEqual([...sd.keys()].sort(), ["1.bias", "1.weight", "3.bias", "3.weight", "5.bias", "5.weight"]);
  assert.deepEqual([...sd.get("1.weight")!.shape], [256, 784]);
  const saved = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
  assert.equal(saved.testAccuracy, result.testAccuracy);

  const ev = neurite(["eval", "--checkpoint", result.checkpoint, "--data", bundled, "--json"]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).testAccuracy, result.testAccuracy, "eval reproduces the training run's test accuracy");
});

test("CLI rejects bad arguments with one line and a non-zero exit", () => {
  const cases: [string[], RegExp][] = [
    [["train", "--model", "nope"], /unknown model 'nope'/],
    [["train", "--epochs", "abc"], /--epochs must be an integer/],
    [["train", "--epochs", "0"], /--epochs must be an integer >= 1/],
    [["train", "--lr", "fast"], /--lr must be a number/],
    [["train", "--backend", "tpu"], /unknown backend 'tpu'/],
    [["train", "--frobnicate"], /Unknown option '--frobnicate'/],
    [["fly"], /unknown command 'fly'/],
    [["eval"], /--checkpoint FILE is required/],
  ];
  for (const [args, pattern] of cases) {
    const r = neurite(args);
    assert.equal(r.code, 2, `${args.join(" ")}: exit code`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split("\n").length, 1, `${args.join(" ")}: one-line message, got ${r.stderr}`);
  }
  const missing = neurite(["train", "--data", "/nonexistent/dir", "--epochs", "1"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nonexistent/);
});

test("neurite eval refuses a corrupt checkpoint clearly", () => {
  const dir = mkdtempSync(join(tmpdir(), "neurite-bad-"));
  const bad = join(dir, "bad.safetensors");
  spawnSync("sh", ["-c", `printf 'garbage' > ${bad}`]);
  const r = neurite(["eval", "--checkpoint", bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /safetensors/);
});
