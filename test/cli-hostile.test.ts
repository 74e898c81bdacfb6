// The CLI against hostile inputs and concurrent runs: a second `train` into a busy folder,
// finished run folders, a closed stdout, tampered weights, lying metadata, huge images,
// many-tensor files, devices and FIFOs, names of JavaScript internals, negative numbers, /proc.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { neuriteAsync, NEURITE } from "./cli-bin.js";
import { encodeSafetensors } from "../src/io/safetensors-format.js";
import { manyTensors } from "../tools/hostile-safetensors.js";
import { encodePng } from "../src/data/png.js";

const root = new URL("..", import.meta.url).pathname;
const bundled = join(root, "data/fashion-mnist-subset");
const RUN = ["--model", "mlp", "--data", bundled, "--limit", "256", "--test-limit", "64", "--batch-size", "64", "--epochs", "1", "--backend", "cpu", "--no-report"];

const neurite = (args: string[], env: Record<string, string> = {}) => neuriteAsync(args, { env, timeoutMs: 120_000 });
const tmp = () => mkdtempSync(join(tmpdir(), "neurite-cli-hostile-"));
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const smallPng = await encodePng({ width: 28, height: 28, channels: 1, data: Uint8Array.from({ length: 784 }, (_, i) => (i * 7) % 256) });
const oneLine = (s: string) => s.trim().split("\n").filter((l) => !l.startsWith("Warning:")).length === 1;

/** A PNG with a valid signature and IHDR declaring width x height (no pixel data needed: it must be refused first). */
function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // gray
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
  };
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(64))), chunk("IEND", Buffer.alloc(0))]);
}

/** Runs neurite with stdout closed by its reader after the first chunk (as `| head -1` does). */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [...NEURITE, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout.once("data", () => child.stdout.destroy());
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

describe("hostile CLI inputs", { concurrency: 2 }, () => {
  test("a second train into a busy run folder exits 2 with one line and changes nothing of the first run", async () => {
    const out = tmp();
    let second: Promise<Awaited<ReturnType<typeof neurite>>> | null = null;
    // The first run announces its checkpoint saves and is slowed, so the second starts while it runs.
    const first = await neuriteAsync(["train", ...RUN, "--epochs", "2", "--checkpoint-every", "1", "--out", out], {
      env: { NEURITE_TEST_CHECKPOINT_DELAY_MS: "150" },
      onLine: (line) => {
        if (second === null && line.startsWith("[checkpoint-test]")) second = neurite(["train", ...RUN, "--out", out, "--overwrite"]);
      },
    });
    assert.equal(first.code, 0, first.stderr);
    const r = await second!;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is in use by another run \(process \d+, 'train' since .*\); wait for it to finish or choose another --out/);
    assert.ok(oneLine(r.stderr), r.stderr);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n");
    assert.equal(lines.length, 2, "metrics.jsonl holds the first run's 2 epochs only");
    assert.equal(JSON.parse(readFileSync(join(out, "result.json"), "utf8")).epochs, 2);
    assert.ok(!existsSync(join(out, "run.lock")), "the lock is released");
  });

  test("a stale lock (its process is gone) is taken over; a finished folder is refused unless --overwrite or --resume --epochs N", async () => {
    const out = tmp();
    writeFileSync(join(out, "run.lock"), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: "then", command: "train" }));
    assert.equal((await neurite(["train", ...RUN, "--out", out, "--quiet"])).code, 0);
    const weights = sha(join(out, "model.safetensors"));

    const again = await neurite(["train", ...RUN, "--out", out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /holds a finished run \(1 epoch\(s\)\); train it longer with 'neurite train --resume .* --epochs N', or start over with --overwrite/);
    assert.equal(sha(join(out, "model.safetensors")), weights, "untouched");
    const same = await neurite(["train", "--resume", out]);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /has already finished its 1 epoch\(s\); pass --epochs N with N > 1/);
    const longer = await neurite(["train", "--resume", out, "--epochs", "2", "--quiet"]);
    assert.equal(longer.code, 0, longer.stderr);
    assert.equal(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").length, 2);
    const over = await neurite(["train", ...RUN, "--out", out, "--overwrite", "--quiet"]);
    assert.equal(over.code, 0, over.stderr);
    assert.equal(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").length, 1, "a fresh start does not append to the old metrics");
  });

  test("a closed stdout never loses a run, and no command prints a trace on EPIPE", async () => {
    const out = tmp();
    const r = await withClosedStdout(["train", ...RUN, "--epochs", "2", "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Error|at /);
    assert.ok(existsSync(join(out, "model.safetensors")) && existsSync(join(out, "checkpoint", "manifest.json")), "the run finished and saved");
    assert.equal(JSON.parse(readFileSync(join(out, "result.json"), "utf8")).epochs, 2);

    const big = join(tmp(), "many.safetensors");
    writeFileSync(big, manyTensors(5000, 1));
    const c = await withClosedStdout(["convert", big]);
    assert.equal(c.code, 0);
    assert.equal(c.stderr, "");
    const images = tmp();
    const png = smallPng;
    for (let i = 0; i < 300; i++) writeFileSync(join(images, `img${String(i).padStart(3, "0")}.png`), png);
    const p = await withClosedStdout(["predict", "--checkpoint", out, images, "--backend", "cpu"]);
    assert.equal(p.code, 0, p.stderr);
    assert.doesNotMatch(p.stderr, /EPIPE|Error|at /);
  });

  test("eval and predict verify a run folder's hashes: one flipped bit is refused", async () => {
    const out = tmp();
    assert.equal((await neurite(["train", ...RUN, "--out", out, "--quiet"])).code, 0);
    const ok = await neurite(["eval", "--checkpoint", out, "--data", bundled, "--limit", "32", "--backend", "cpu"]);
    assert.equal(ok.code, 0, ok.stderr);
    // The run folder's final weights (eval of the folder uses them), then the checkpoint's.
    for (const [folder, file] of [
      [out, join(out, "model.safetensors")],
      [join(out, "checkpoint"), join(out, "checkpoint", "model.safetensors")],
    ] as const) {
      const bytes = readFileSync(file);
      const flipped = Buffer.from(bytes);
      flipped[flipped.length - 2]! ^= 0x40; // an exponent bit of the last weight
      writeFileSync(file, flipped);
      for (const target of [folder, file]) {
        const r = await neurite(["eval", "--checkpoint", target, "--data", bundled, "--limit", "32", "--backend", "cpu"]);
        assert.equal(r.code, 1, `${target}: ${r.stdout}`);
        assert.match(r.stderr, /is corrupt: model\.safetensors does not match the SHA-256 recorded when it was written; refusing to use it/);
        assert.ok(oneLine(r.stderr), r.stderr);
      }
      writeFileSync(file, bytes);
    }
    const img = join(tmp(), "x.png");
    writeFileSync(img, smallPng);
    writeFileSync(join(out, "result.json"), "{}");
    const p = await neurite(["predict", "--checkpoint", out, img, "--backend", "cpu"]);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /result\.json has 2 bytes, \d+ were written/);
  });

  test("metadata is checked before it sizes a model; names of JavaScript internals are not models or commands", async () => {
    const dir = tmp();
    const write = (name: string, metadata: Record<string, string>) => {
      const path = join(dir, name);
      writeFileSync(path, encodeSafetensors([], metadata));
      return path;
    };
    const huge = write("huge.safetensors", { model: "char-gpt", vocab: '"abc"', block_size: "8000000" });
    const t0 = Date.now();
    const r = await neurite(["eval", "--checkpoint", huge, "--backend", "cpu"]);
    assert.ok(Date.now() - t0 < 20_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /metadata "block_size" must be an integer from 1 to 4096, got "8000000"/);
    const cases: [string, Record<string, string>, RegExp][] = [
      ["ctor.safetensors", { model: "constructor" }, /says it holds model 'constructor', which this neurite does not have/],
      ["vocab.safetensors", { model: "bigram", vocab: "abc" }, /metadata "vocab" is not valid JSON \("abc"\)/],
      ["classes.safetensors", { model: "mlp", classes: '["a","b","c"]' }, /metadata "classes" must be a JSON array of 10 class names/],
      ["classes2.safetensors", { model: "mlp", classes: "{}" }, /metadata "classes" must be a JSON array of 10 class names/],
      ["classes3.safetensors", { model: "mlp", classes: "nope" }, /metadata "classes" is not valid JSON/],
    ];
    const img = join(dir, "x.png");
    writeFileSync(img, smallPng);
    for (const [name, meta, pattern] of cases) {
      const res = await neurite(["predict", "--checkpoint", write(name, meta), img, "--backend", "cpu"]);
      assert.equal(res.code, 1, `${name}: ${res.stdout}`);
      assert.match(res.stderr, pattern);
      assert.ok(oneLine(res.stderr), res.stderr);
    }
    const m = await neurite(["train", "--model", "constructor"]);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /unknown model 'constructor' \(choose one of: mlp/);
    for (const c of ["constructor", "__proto__", "toString"]) {
      const res = await neurite([c]);
      assert.equal(res.code, 2);
      assert.match(res.stderr, new RegExp(`unknown command '${c}'`));
    }
  });

  test("negative numbers are parsed and range-checked; --out that cannot be made is one clear line", async () => {
    const cases: [string[], RegExp][] = [
      [["train", "--epochs", "-1"], /--epochs must be an integer >= 1, got '-1'/],
      [["train", "--lr", "-5"], /--lr must be a number >= 0, got '-5'/],
      [["train", "--batch-size", "-0.5"], /--batch-size must be an integer >= 1, got '-0.5'/],
      [["train", ...RUN, "--out", "/proc/neurite-run"], /--out \/proc\/neurite-run: cannot create the run folder '.*': '\/proc' does not accept new folders/],
      [["train", ...RUN, "--out", "/dev/null/run"], /'\/dev\/null' is a file, not a folder/],
    ];
    for (const [args, pattern] of cases) {
      const t0 = Date.now();
      const r = await neurite(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.ok(oneLine(r.stderr), r.stderr);
      assert.ok(Date.now() - t0 < 30_000, `${args.join(" ")} took ${Date.now() - t0} ms`);
    }
    const src = join(tmp(), "a.safetensors");
    writeFileSync(src, encodeSafetensors([{ name: "w", dtype: "float32", shape: [2], data: new Float32Array(2) }]));
    const c = await neurite(["convert", src, "--out", "/dev/null/x.safetensors"]);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /cannot create the folder '\/dev\/null': '\/dev\/null' is a file, not a folder/);
  });

  test("images are checked against a pixel limit from their header; devices, FIFOs and 150k-tensor files are handled", async () => {
    const dir = tmp();
    const bomb = join(dir, "bomb.png");
    writeFileSync(bomb, pngHeaderOnly(25000, 25000));
    const out = tmp();
    assert.equal((await neurite(["train", ...RUN, "--out", out, "--quiet"])).code, 0);
    const t0 = Date.now();
    const p = await neurite(["predict", "--checkpoint", out, bomb, "--backend", "cpu"]);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /the image is 25000x25000 \(625000000 pixels\), more than the 16777216-pixel limit/);
    assert.ok(Date.now() - t0 < 20_000);

    const fifo = join(dir, "pipe.safetensors");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    for (const [file, pattern] of [
      ["/dev/zero", /'\/dev\/zero' is a character device, not a regular file/],
      [fifo, /is a FIFO \(named pipe\), not a regular file/],
      [dir, /is a folder, not a regular file/],
    ] as const) {
      const r = await neurite(["convert", file]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
    }
    const ev = await neurite(["eval", "--checkpoint", "/dev/zero"]);
    assert.equal(ev.code, 1);
    assert.match(ev.stderr, /is a character device/);

    const many = join(dir, "many.safetensors");
    writeFileSync(many, manyTensors(150_000, 1));
    const c = await neurite(["convert", many, "--json"]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).tensors.length, 150_000);
  });
});
