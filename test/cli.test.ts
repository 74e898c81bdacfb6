// The neurite binary as a user runs it: help, train → eval → predict on PNGs, sample, info,
// convert, bench, and one-line errors with non-zero exit codes for every kind of mistake.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/node.js";
import { preprocess } from "../src/cli/commands/predict.js";
import { loadFashionMnist } from "../src/data/fashion-mnist.js";
import { neuriteAsync, neuriteAll } from "./cli-bin.js";

const root = new URL("..", import.meta.url).pathname;
const bundled = join(root, "data/fashion-mnist-subset");

const neurite = (args: string[]) => neuriteAsync(args);
const lastJson = (s: string) => JSON.parse(s.trim().split("\n").pop()!);
const tmp = (p = "cli") => mkdtempSync(join(tmpdir(), `neurite-${p}-`));

let trained: Promise<{ out: string; result: Record<string, unknown> }> | null = null;
/** One real training run (1 epoch, 6000 images), shared by the tests that need weights. */
function trainedMlp() {
  trained ??= (async () => {
    const out = tmp();
    const r = await neurite(["train", "--model", "mlp", "--epochs", "1", "--data", bundled, "--test-limit", "500", "--out", out, "--json", "--backend", "cpu"]);
    assert.equal(r.code, 0, r.stderr);
    return { out, result: lastJson(r.stdout) };
  })();
  return trained;
}

// Two commands at a time: one per core.
describe("neurite CLI", { concurrency: 2 }, () => {
test("neurite --help lists every command with an example", async () => {
  const r = await neurite(["--help"]);
  assert.equal(r.code, 0);
  for (const cmd of ["train", "eval", "predict", "sample", "bench", "info", "convert"]) {
    assert.match(r.stdout, new RegExp(`^  ${cmd} `, "m"), `${cmd} is listed`);
    assert.match(r.stdout, new RegExp(`^ {15}neurite ${cmd} \\S`, "m"), `${cmd} has an example`);
  }
  assert.equal((await neurite([])).code, 2, "no command is a usage error");
  const th = await neurite(["train", "--help"]);
  assert.equal(th.code, 0);
  assert.match(th.stdout, /--resume DIR/);
});

test("neurite train --json trains the MLP on the bundled subset and writes a loadable checkpoint, report and result", async () => {
  const { out, result } = await trainedMlp();
  for (const key of ["testAccuracy", "testLoss", "epochs", "seconds", "imagesPerSecond", "backend", "checkpoint", "report", "checkpointDir"]) assert.ok(key in result, `missing ${key}`);
  assert.equal(result.epochs, 1);
  assert.equal(result.backend, "cpu");
  assert.equal(result.testSamples, 500);
  assert.ok((result.testAccuracy as number) > 0.6, `one epoch on 6000 images should beat 60%, got ${result.testAccuracy}`);
  const sd = await nt.io.load(result.checkpoint as string);
  assert.deepEqual([...sd.keys()].sort(), ["1.bias", "1.weight", "3.bias", "3.weight", "5.bias", "5.weight"]);
  assert.deepEqual([...sd.get("1.weight")!.shape], [256, 784]);
  const saved = JSON.parse(readFileSync(join(out, "result.json"), "utf8"));
  assert.equal(saved.testAccuracy, result.testAccuracy);
  for (const f of ["report.html", "loss.svg", "accuracy.svg", "lr.svg", "confusion.svg", "loss.png", "metrics.jsonl", "checkpoint/state.json", "checkpoint/optimizer.safetensors"]) {
    assert.ok(existsSync(join(out, f)), `${f} is written`);
  }
  const ev = await neurite(["eval", "--checkpoint", result.checkpoint as string, "--data", bundled, "--limit", "500", "--json"]);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).testAccuracy, result.testAccuracy, "eval reproduces the training run's test accuracy");
});

test("progress goes to stderr as plain lines when it is not a TTY", async () => {
  const r = await neurite(["train", "--data", bundled, "--limit", "256", "--test-limit", "100", "--epochs", "1", "--out", tmp(), "--no-report"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^epoch 1\/1 [█░]+ \d+\/\d+ loss \d/m);
  assert.doesNotMatch(r.stderr, /\r|\x1b\[/, "no cursor control codes in logs");
  assert.match(r.stdout, /^epoch 1: train loss .*test accuracy/m);
});

/** A test image as a user might photograph it: 4x larger, RGB, dark garment on a white background. */
function userPhoto(pixels: Uint8Array): { width: number; height: number; channels: 3; data: Uint8Array } {
  const s = 4;
  const data = new Uint8Array(28 * s * 28 * s * 3);
  for (let y = 0; y < 28 * s; y++)
    for (let x = 0; x < 28 * s; x++) {
      const v = 255 - pixels[Math.floor(y / s) * 28 + Math.floor(x / s)]!;
      data.set([v, v, v], (y * 28 * s + x) * 3);
    }
  return { width: 28 * s, height: 28 * s, channels: 3, data };
}

test("predict: user PNGs are converted like Fashion-MNIST and classified (file, folder, --json, bad files)", async () => {
  const fm = await loadFashionMnist(bundled);
  const dir = tmp("predict");
  const photos = join(dir, "photos");
  mkdirSync(photos);
  for (let i = 0; i < 3; i++) {
    const pixels = fm.test.images.subarray(i * 784, (i + 1) * 784);
    const photo = userPhoto(pixels);
    // Preprocessing recovers the original 28x28 image.
    const x = preprocess(photo);
    const worst = Math.max(...Array.from(x, (v, j) => Math.abs(v - pixels[j]! / 255)));
    assert.ok(worst < 1e-5, `preprocess round trip, worst error ${worst}`);
    writeFileSync(join(photos, `item${i}.png`), await nt.data.encodePng(photo));
    writeFileSync(join(dir, `raw${i}.png`), await nt.data.encodePng({ width: 28, height: 28, channels: 1, data: pixels }));
  }
  const { result } = await trainedMlp();
  const ckpt = result.checkpoint as string;
  const one = await neurite(["predict", "--checkpoint", ckpt, join(photos, "item0.png")]);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^item0\.png +[\w/ -]+ \d+\.\d%, .+%, .+%$/m);

  const many = await neurite(["predict", "--checkpoint", ckpt, photos, join(dir, "raw0.png"), join(dir, "raw1.png"), join(dir, "raw2.png"), "--top-k", "2", "--json"]);
  assert.equal(many.code, 0, many.stderr);
  const preds = JSON.parse(many.stdout).predictions as { file: string; top: { class: string; probability: number }[] }[];
  assert.equal(preds.length, 6);
  for (const p of preds) assert.equal(p.top.length, 2);
  for (let i = 0; i < 3; i++) assert.equal(preds[i]!.top[0]!.class, preds[i + 3]!.top[0]!.class, "the photo and the raw image get the same class");

  writeFileSync(join(photos, "broken.png"), "not a png");
  const bad = await neurite(["predict", "--checkpoint", ckpt, photos]);
  assert.equal(bad.code, 1, "an unreadable image makes the exit code 1");
  assert.match(bad.stderr, /broken\.png: not a readable PNG image/);
  writeFileSync(join(dir, "shoe.jpg"), "\xff\xd8\xff\xe0 JFIF");
  const jpeg = await neurite(["predict", "--checkpoint", ckpt, join(dir, "shoe.jpg")]);
  assert.equal(jpeg.code, 1);
  assert.match(jpeg.stderr, /shoe\.jpg: not a readable PNG image: .*only PNG images are read; convert \.jpg to PNG first/);
  assert.equal((bad.stdout.match(/^item/gm) ?? []).length, 3, "the other images are still classified");
});

test("convert inspects and converts safetensors files; info and bench report the machine", async () => {
  const { result, out } = await trainedMlp();
  const c = await neurite(["convert", result.checkpoint as string, "--json"]);
  assert.equal(c.code, 0, c.stderr);
  const info = JSON.parse(c.stdout);
  assert.equal(info.tensors.length, 6);
  assert.deepEqual(info.tensors.find((t: { name: string }) => t.name === "1.weight"), { name: "1.weight", dtype: "F32", loadsAs: "float32", shape: [256, 784], numel: 200704 });
  assert.equal(info.totalParams, 269322);
  assert.equal(info.metadata.model, "mlp");
  const text = await neurite(["convert", join(out, "checkpoint", "optimizer.safetensors"), "--out", join(out, "copy.safetensors")]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /state\.0\.exp_avg +F32 +\[256, 784\]/);
  assert.ok(existsSync(join(out, "copy.safetensors")));

  const i = await neurite(["info", "--json", "--timeout-ms", "3000"]);
  assert.equal(i.code, 0, i.stderr);
  const m = JSON.parse(i.stdout);
  assert.equal(m.node, process.version);
  assert.ok(m.backends.includes("cpu") && m.threads >= 1 && typeof m.gpu.available === "boolean");
  const plain = await neurite(["info", "--timeout-ms", "3000"]);
  assert.match(plain.stdout, /^backends +.*cpu/m);

  const b = await neurite(["bench", "--model", "mlp", "--backend", "cpu", "--steps", "2", "--warmup", "1", "--batch-size", "16", "--json"]);
  assert.equal(b.code, 0, b.stderr);
  const bench = JSON.parse(b.stdout);
  assert.ok(bench.results[0].trainSamplesPerSecond > 0 && bench.results[0].inferSamplesPerSecond > 0);
  const oom = await neurite(["bench", "--backend", "cpu", "--batch-size", "20000000", "--steps", "1", "--warmup", "0"]);
  assert.equal(oom.code, 1);
  assert.match(oom.stdout, /out of memory at batch size 20000000 .*try a smaller --batch-size/);
});

test("a character model trains on text and generates with sample/generate", async () => {
  const out = tmp("bigram");
  const r = await neurite(["train", "--model", "bigram", "--epochs", "2", "--lr", "0.1", "--out", out, "--json", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const result = lastJson(r.stdout);
  assert.equal(result.task, "char-lm");
  assert.ok(result.testLoss < 3.5, `well below the initial ~4.9: ${result.testLoss}`);
  assert.ok(existsSync(join(out, "report.html")));
  const s = await neurite(["sample", "--checkpoint", out, "--prompt", "The ", "--length", "40", "--seed", "1", "--json"]);
  assert.equal(s.code, 0, s.stderr);
  const text = JSON.parse(s.stdout).text as string;
  assert.equal(text.length, 44);
  assert.ok(text.startsWith("The "));
  const again = await neurite(["generate", "--checkpoint", join(out, "model.safetensors"), "--prompt", "The ", "--length", "40", "--seed", "1"]);
  assert.equal(again.stdout.trimEnd(), text.trimEnd(), "same seed, same text");
  const png = join(out, "x.png");
  writeFileSync(png, await nt.data.encodePng({ width: 8, height: 8, channels: 1, data: new Uint8Array(64).fill(200) }));
  const wrong = await neurite(["predict", "--checkpoint", out, png]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /does not classify images/);
  const emoji = await neurite(["sample", "--checkpoint", out, "--prompt", "☃"]);
  assert.equal(emoji.code, 2);
  assert.match(emoji.stderr, /never seen/);
});

test("CLI rejects bad arguments with one line and exit code 2", async () => {
  const notData = tmp("not-data");
  mkdirSync(join(notData, "notes"));
  writeFileSync(join(notData, "notes", "readme.txt"), "no images here");
  const cases: [string[], RegExp][] = [
    [["train", "--model", "nope"], /unknown model 'nope' \(choose one of: mlp/],
    [["train", "--epochs", "abc"], /--epochs must be an integer/],
    [["train", "--epochs", "0"], /--epochs must be an integer >= 1/],
    [["train", "--lr", "fast"], /--lr must be a number/],
    [["train", "--backend", "tpu"], /unknown backend 'tpu'/],
    [["train", "--scheduler", "warp"], /unknown --scheduler 'warp'/],
    [["train", "--frobnicate"], /Unknown option '--frobnicate'/],
    [["train", "--data", "/nonexistent/dir"], /--data \/nonexistent\/dir: no such file or directory/],
    // A folder that is neither Fashion-MNIST nor an image folder (its sub-folder holds no images).
    [["train", "--data", notData], /--data .*neurite-not-data-.*: lacks /],
    [["train", "--model", "mlp", "--text", "README.md"], /--text is for character models/],
    [["train", "--resume", "/nonexistent/run"], /--resume \/nonexistent\/run: no such directory/],
    [["train", "--out", "README.md"], /--out README\.md is a file, not a folder/],
    [["train", "--out", "/dev/null/run"], /--out \/dev\/null\/run: cannot create the run folder '\/dev\/null\/run': '\/dev\/null' is a file, not a folder/],
    [["fly"], /unknown command 'fly'/],
    [["eval"], /--checkpoint FILE is required/],
    [["eval", "--checkpoint", "/nonexistent.safetensors"], /no such file or directory/],
    [["predict", "--checkpoint", "README.md"], /give at least one PNG image or folder/],
    [["predict", "--checkpoint", "README.md", "/nonexistent.png"], /\/nonexistent\.png: no such file or directory/],
    [["predict", "--checkpoint", "README.md", "x.png", "--top-k", "0"], /--top-k must be an integer >= 1/],
    [["sample"], /--checkpoint FILE is required/],
    [["sample", "--checkpoint", "x", "--temperature=-1"], /--temperature must be a number >= 0/],
    [["bench", "--model", "nope"], /unknown model 'nope'/],
    [["bench", "--steps", "1.5"], /--steps must be an integer/],
    [["train", "--threads", "0"], /--threads must be an integer >= 1/],
    [["sample", "--checkpoint", "x", "--threads", "0"], /neurite sample: --threads must be an integer >= 1/],
    [["eval", "--checkpoint", "x", "--threads", "two"], /neurite eval: --threads must be an integer >= 1, got 'two'/],
    [["predict", "--checkpoint", "README.md", "x.png", "--backend", "tpu"], /neurite predict: unknown backend 'tpu'/],
    [["bench", "--backend", "tpu"], /neurite bench: unknown backend 'tpu' \(choose one of: .*, all\)/],
    [["convert"], /give exactly one safetensors file/],
    [["convert", "/nonexistent.safetensors"], /no such file/],
    [["info", "--gpu"], /Unknown option '--gpu'/],
  ];
  for (const [args, pattern] of cases) {
    const r = await neurite(args);
    assert.equal(r.code, 2, `${args.join(" ")}: exit code (stderr: ${r.stderr})`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, `${args.join(" ")}: one-line message, got ${r.stderr}`);
  }
  const j = await neurite(["train", "--epochs", "x", "--json"]);
  assert.deepEqual(JSON.parse(j.stdout), { error: "neurite train: --epochs must be an integer >= 1, got 'x'", exitCode: 2 });
});

test("corrupt or non-safetensors weights are refused clearly with exit code 1", async () => {
  const dir = tmp("bad");
  const bad = join(dir, "bad.safetensors");
  writeFileSync(bad, "garbage");
  const png = join(dir, "x.png");
  writeFileSync(png, await nt.data.encodePng({ width: 8, height: 8, channels: 1, data: new Uint8Array(64).fill(200) }));
  for (const cmd of [["eval", "--checkpoint", bad], ["convert", bad], ["predict", "--checkpoint", bad, png]]) {
    const r = await neurite(cmd);
    assert.equal(r.code, 1, cmd.join(" "));
    assert.match(r.stderr, /safetensors/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
});
