// Tries to break neurite on purpose and prints what happened, as a table.
//
//   npm run build && npx tsx tools/break-neurite.ts [--quick]
//
// Every hostile safetensors file of tools/hostile-safetensors.ts goes through `neurite convert`
// in its own process, then a list of CLI cases (devices, FIFOs, lying metadata, tampered
// checkpoints, concurrent runs, closed pipes, names of JavaScript internals, ...). Each run is
// timed and its peak memory (max RSS, from /usr/bin/time) measured, and classified as:
//   clear error    refused with exit 1 or 2 and one line that names the problem (the expected pattern)
//   crash          any other exit: a stack trace, several lines, a signal, an unexpected message
//   hang           still running after the time limit (killed)
//   too much memory  peak RSS above the limit (200 MB for a refusal)
//   wrong result   a bad input accepted, or a good one giving the wrong answer
// --quick leaves out the three 60-83 MB files.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, mkdirSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { hostileCorpus, manyTensors } from "./hostile-safetensors.js";
import { decodeSafetensors, encodeSafetensors } from "../src/io/safetensors-format.js";
import { encodeManifest } from "../src/train/manifest.js";

const root = new URL("..", import.meta.url).pathname;
const CLI = [join(root, "dist/src/cli/main.js")];
const HANG_MS = 30_000;
const REFUSAL_MS = 1000;
const REFUSAL_RSS_MB = 200;
const bundled = join(root, "data/fashion-mnist-subset");
const RUN = ["--model", "mlp", "--data", bundled, "--limit", "256", "--test-limit", "64", "--batch-size", "64", "--epochs", "1", "--backend", "cpu", "--no-report"];

type Outcome = "clear error" | "crash" | "hang" | "too much memory" | "wrong result" | "ok";

interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  rssMb: number;
  timedOut: boolean;
}

/** Runs neurite under /usr/bin/time for its peak RSS; `closeStdoutAfterFirstChunk` acts as `| head -1`. */
function run(args: string[], options: { closeStdout?: boolean; timeoutMs?: number } = {}): Promise<Run> {
  const t0 = performance.now();
  // Its own process group, so that a hang is ended by killing exactly that group.
  const child = spawn("/usr/bin/time", ["-f", "__RSS_KB %M", process.execPath, ...CLI, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (options.closeStdout) child.stdout.destroy();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid!, "SIGKILL");
  }, options.timeoutMs ?? HANG_MS);
  return new Promise((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const m = /__RSS_KB (\d+)/.exec(stderr);
      // /usr/bin/time's own lines are not neurite's output.
      stderr = stderr.replace(/^(__RSS_KB \d+|Command exited with non-zero status \d+|Command terminated by signal \d+)\n?/gm, "");
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, rssMb: m ? Number(m[1]) / 1024 : NaN, timedOut });
    }),
  );
}

interface Case {
  group: string;
  name: string;
  args: string[];
  /** A refusal is expected: exit code and a pattern for the one-line message. */
  refuse?: { code: number; pattern: RegExp };
  /** Otherwise: success, checked by `check` (returns an error text or null). */
  check?: (r: Run) => string | null;
  closeStdout?: boolean;
  /** Runs before the case (after the previous ones). */
  setup?: () => void | Promise<void>;
  /** Refusals must be fast and small; heavy but valid work has its own limits. */
  limits?: { ms: number; rssMb: number };
  /** Started while another case runs (the concurrent-run case). */
  during?: () => Promise<Run>;
}

function classify(c: Case, r: Run): { outcome: Outcome; note: string } {
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("Warning:"));
  if (r.timedOut) return { outcome: "hang", note: `killed after ${HANG_MS / 1000} s` };
  const limits = c.limits ?? (c.refuse ? { ms: REFUSAL_MS, rssMb: REFUSAL_RSS_MB } : { ms: HANG_MS, rssMb: 2000 });
  if (r.rssMb > limits.rssMb) return { outcome: "too much memory", note: `${r.rssMb.toFixed(0)} MB` };
  if (c.refuse) {
    if (r.code === 0) return { outcome: "wrong result", note: "accepted" };
    if (r.code !== c.refuse.code || lines.length !== 1 || /^\s+at |Error:/.test(r.stderr)) return { outcome: "crash", note: `exit ${r.code ?? r.signal}: ${lines.slice(0, 2).join(" | ").slice(0, 160)}` };
    if (!c.refuse.pattern.test(lines[0]!)) return { outcome: "crash", note: `unexpected message: ${lines[0]!.slice(0, 160)}` };
    return { outcome: "clear error", note: lines[0]!.slice(0, 140) };
  }
  if (r.code !== 0 || /\s+at |EPIPE|Error/.test(r.stderr)) return { outcome: "crash", note: `exit ${r.code ?? r.signal}: ${lines.slice(-2).join(" | ").slice(0, 160)}` };
  const wrong = c.check?.(r) ?? null;
  return wrong ? { outcome: "wrong result", note: wrong } : { outcome: "ok", note: "" };
}

function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
  };
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(64))), chunk("IEND", Buffer.alloc(0))]);
}

async function reseal(dir: string, names: string[]): Promise<void> {
  writeFileSync(join(dir, "manifest.json"), await encodeManifest(names.map((n) => [n, readFileSync(join(dir, n))] as [string, Uint8Array])));
}

function editState(dir: string, edit: (s: Record<string, any>) => void): void {
  const s = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as Record<string, any>;
  edit(s);
  writeFileSync(join(dir, "state.json"), JSON.stringify(s, null, 1) + "\n");
}

async function main(): Promise<void> {
  if (!existsSync(CLI[0]!)) {
    console.error("build first: npm run build");
    process.exit(2);
  }
  const quick = process.argv.includes("--quick");
  const work = mkdtempSync(join(tmpdir(), "neurite-break-"));
  const cases: Case[] = [];

  // ---- the corpus, one process per file ----
  const corpusDir = join(work, "corpus");
  mkdirSync(corpusDir);
  for (const f of hostileCorpus({ big: !quick })) {
    const path = join(corpusDir, `${f.name}.safetensors`);
    writeFileSync(path, f.bytes);
    if (f.expect) {
      cases.push({ group: "safetensors corpus (bad files)", name: f.name, args: ["convert", path], refuse: { code: 1, pattern: f.expect } });
    } else {
      const want = f.stress!.tensors;
      cases.push({
        group: "safetensors corpus (valid, extreme)",
        name: f.name,
        args: ["convert", path, "--json"],
        check: (r) => {
          const n = (JSON.parse(r.stdout) as { tensors: unknown[] }).tensors.length;
          return n === want ? null : `${n} tensors, expected ${want}`;
        },
        limits: { ms: 20_000, rssMb: 1000 },
      });
    }
  }
  const fifo = join(work, "pipe.safetensors");
  spawnSync("mkfifo", [fifo]);
  for (const [name, path, pattern] of [
    ["/dev/zero", "/dev/zero", /is a character device, not a regular file/],
    ["/dev/urandom", "/dev/urandom", /is a character device/],
    ["FIFO", fifo, /is a FIFO \(named pipe\)/],
    ["folder", corpusDir, /is a folder, not a regular file/],
    ["/proc/self/status", "/proc/self/status", /is 0 bytes, shorter than the 8-byte/],
  ] as const) {
    cases.push({ group: "file types", name: `convert ${name}`, args: ["convert", path], refuse: { code: name === "/proc/self/status" ? 1 : 2, pattern } });
  }
  cases.push({ group: "file types", name: "eval --checkpoint /dev/zero", args: ["eval", "--checkpoint", "/dev/zero"], refuse: { code: 1, pattern: /is a character device/ } });

  // ---- a trained run folder to attack ----
  const runDir = join(work, "run");
  const trained = await run(["train", ...RUN, "--out", runDir, "--quiet"], { timeoutMs: 120_000 });
  if (trained.code !== 0) throw new Error(`could not train the run to attack: ${trained.stderr}`);
  const copyRun = (name: string) => {
    const dst = join(work, name);
    spawnSync("cp", ["-r", runDir, dst]);
    return dst;
  };
  const img = join(work, "img.png");
  const { encodePng } = await import("../src/data/png.js");
  writeFileSync(img, await encodePng({ width: 28, height: 28, channels: 1, data: new Uint8Array(784).fill(90) }));
  const meta = (name: string, metadata: Record<string, string>) => {
    const p = join(work, name);
    writeFileSync(p, encodeSafetensors([], metadata));
    return p;
  };

  const cli = (name: string, args: string[], code: number, pattern: RegExp, extra: Partial<Case> = {}) =>
    cases.push({ group: "CLI", name, args, refuse: { code, pattern }, ...extra });
  cli("train --model constructor", ["train", "--model", "constructor"], 2, /unknown model 'constructor'/);
  cli("neurite constructor", ["constructor"], 2, /unknown command 'constructor'/);
  cli("neurite __proto__", ["__proto__"], 2, /unknown command '__proto__'/);
  cli("train --epochs -1", ["train", "--epochs", "-1"], 2, /--epochs must be an integer >= 1, got '-1'/);
  cli("train --lr -5", ["train", "--lr", "-5"], 2, /--lr must be a number >= 0, got '-5'/);
  cli("train --out /proc/neurite-run", ["train", ...RUN, "--out", "/proc/neurite-run"], 2, /'\/proc' does not accept new folders/, { limits: { ms: 5000, rssMb: 300 } });
  cli("train --out /dev/null/run", ["train", ...RUN, "--out", "/dev/null/run"], 2, /'\/dev\/null' is a file, not a folder/, { limits: { ms: 5000, rssMb: 300 } });
  cli("convert --out /dev/null/x", ["convert", join(corpusDir, "proto-names.safetensors"), "--out", "/dev/null/x.safetensors"], 1, /'\/dev\/null' is a file, not a folder/);
  cli("eval: metadata block_size 8000000", ["eval", "--checkpoint", meta("huge.safetensors", { model: "char-gpt", vocab: '"abc"', block_size: "8000000" })], 1, /metadata "block_size" must be an integer from 1 to 4096/);
  cli("predict: metadata model constructor", ["predict", "--checkpoint", meta("ctor.safetensors", { model: "constructor" }), img], 1, /says it holds model 'constructor'/);
  cli("predict: vocab not JSON", ["predict", "--checkpoint", meta("vocab.safetensors", { model: "mlp", vocab: "abc" }), img], 1, /metadata "vocab" is not valid JSON/);
  cli("predict: 3 classes for 10 outputs", ["predict", "--checkpoint", meta("classes.safetensors", { model: "mlp", classes: '["a","b","c"]' }), img], 1, /"classes" must be a JSON array of 10 class names/);
  cli("predict: classes not an array", ["predict", "--checkpoint", meta("classes2.safetensors", { model: "mlp", classes: '{"a":1}' }), img], 1, /"classes" must be a JSON array/);
  const bomb = join(work, "bomb.png");
  writeFileSync(bomb, pngHeaderOnly(25000, 25000));
  cli("predict: PNG declaring 25000x25000", ["predict", "--checkpoint", runDir, bomb, "--backend", "cpu"], 1, /more than the 16777216-pixel limit/, { limits: { ms: 3000, rssMb: 300 } });
  const fifoPng = join(work, "fifo.png");
  spawnSync("mkfifo", [fifoPng]);
  cli("predict: a FIFO named .png", ["predict", "--checkpoint", runDir, fifoPng, "--backend", "cpu"], 1, /is a FIFO/, { limits: { ms: 3000, rssMb: 300 } });

  const flipped = copyRun("flipped");
  cases.push({
    group: "CLI",
    name: "eval: one flipped bit in checkpoint/model.safetensors",
    args: ["eval", "--checkpoint", join(flipped, "checkpoint"), "--backend", "cpu"],
    refuse: { code: 1, pattern: /model\.safetensors does not match the SHA-256/ },
    setup: () => {
      const f = join(flipped, "checkpoint", "model.safetensors");
      const b = readFileSync(f);
      b[b.length - 2]! ^= 0x40;
      writeFileSync(f, b);
    },
  });
  const tamper = (name: string, edit: (dir: string) => void | Promise<void>, pattern: RegExp) => {
    const dir = copyRun(`tamper-${cases.length}`);
    cases.push({ group: "CLI", name, args: ["train", "--resume", dir, "--epochs", "2"], refuse: { code: 1, pattern }, setup: () => edit(join(dir, "checkpoint")), limits: { ms: 3000, rssMb: 300 } });
  };
  tamper("resume: state.json epochDone edited", (d) => editState(d, (s) => (s.train.epochDone = false)), /state\.json (does not match the SHA-256|has \d+ bytes|is larger)/);
  tamper("resume: state.json loader RNG edited", (d) => editState(d, (s) => (s.train.loaderRng[1] = 7)), /state\.json (does not match the SHA-256|has \d+ bytes|is larger)/);
  tamper(
    "resume: stepInEpoch 5 -> 7, manifest resealed",
    async (d) => {
      editState(d, (s) => (s.train.stepInEpoch = 7));
      await reseal(d, ["model.safetensors", "optimizer.safetensors", "optimizer.json", "state.json"]);
    },
    /"train" \.stepInEpoch 7 is beyond the 4 batches of an epoch/,
  );
  tamper(
    "resume: optimizer dropped, manifest resealed",
    (d) => reseal(d, ["model.safetensors", "state.json"]),
    /has no optimizer state/,
  );
  tamper(
    "resume: manifest names ../../../../dev/zero",
    (d) => {
      const m = JSON.parse(readFileSync(join(d, "manifest.json"), "utf8"));
      m.files["../../../../dev/zero"] = { bytes: 1, sha256: "0".repeat(64) };
      writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
    },
    /not a plain file name/,
  );

  // ---- concurrent and repeated runs ----
  const busy = join(work, "busy");
  cases.push({
    group: "runs",
    name: "second train into a busy folder",
    args: ["train", ...RUN, "--out", busy, "--overwrite"],
    refuse: { code: 2, pattern: /is in use by another run \(process \d+/ },
    setup: () => {
      mkdirSync(busy);
      // A live lock: this very process holds it, as a running train would.
      writeFileSync(join(busy, "run.lock"), JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), command: "train" }));
    },
    limits: { ms: 3000, rssMb: 300 },
  });
  cli("train into a finished folder", ["train", ...RUN, "--out", runDir], 2, /holds a finished run/, { limits: { ms: 3000, rssMb: 300 } });
  cli("resume a finished run without more epochs", ["train", "--resume", runDir], 2, /has already finished its 1 epoch/, { limits: { ms: 3000, rssMb: 300 } });
  const piped = join(work, "piped");
  cases.push({
    group: "runs",
    name: "train | head -1 (stdout closed)",
    args: ["train", ...RUN, "--epochs", "2", "--out", piped],
    closeStdout: true,
    check: () => (existsSync(join(piped, "model.safetensors")) && JSON.parse(readFileSync(join(piped, "result.json"), "utf8")).epochs === 2 ? null : "the run was not finished and saved"),
  });
  const many = join(work, "many.safetensors");
  writeFileSync(many, manyTensors(20_000, 1));
  cases.push({ group: "runs", name: "convert FILE | head -1", args: ["convert", many], closeStdout: true });

  // ---- run and tabulate ----
  const rows: { group: string; name: string; outcome: Outcome; note: string; ms: number; rssMb: number }[] = [];
  for (const c of cases) {
    await c.setup?.();
    const r = await run(c.args, { closeStdout: c.closeStdout ?? false });
    const { outcome, note } = classify(c, r);
    rows.push({ group: c.group, name: c.name, outcome, note, ms: r.ms, rssMb: r.rssMb });
    if (process.argv.includes("--verbose") || (outcome !== "clear error" && outcome !== "ok")) {
      console.log(`${outcome.padEnd(15)} ${c.group} / ${c.name}: ${note} (${r.ms.toFixed(0)} ms, ${r.rssMb.toFixed(0)} MB)`);
    }
  }
  const groups = [...new Set(rows.map((r) => r.group))];
  const cols: Outcome[] = ["clear error", "ok", "crash", "hang", "too much memory", "wrong result"];
  const header = ["", "tried", "clear error", "ok (valid)", "crash", "hang", "too much memory", "wrong result", "slowest", "max RSS"];
  const table = groups.map((g) => {
    const rs = rows.filter((r) => r.group === g);
    return [g, String(rs.length), ...cols.map((o) => String(rs.filter((r) => r.outcome === o).length)), `${(Math.max(...rs.map((r) => r.ms)) / 1000).toFixed(2)} s`, `${Math.max(...rs.map((r) => r.rssMb)).toFixed(0)} MB`];
  });
  const total = ["total", String(rows.length), ...cols.map((o) => String(rows.filter((r) => r.outcome === o).length)), `${(Math.max(...rows.map((r) => r.ms)) / 1000).toFixed(2)} s`, `${Math.max(...rows.map((r) => r.rssMb)).toFixed(0)} MB`];
  const all = [header, ...table, total];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  console.log(fmt(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(fmt(row));
  console.log(fmt(total));
  const slowRefusals = rows.filter((r, i) => cases[i]!.refuse && !cases[i]!.limits && r.ms > REFUSAL_MS);
  console.log(`refusals over ${REFUSAL_MS} ms (whole process, start-up included): ${slowRefusals.length}${slowRefusals.length ? ` (${slowRefusals.map((r) => `${r.name} ${r.ms.toFixed(0)} ms`).join(", ")})` : ""}`);
  // The same files decoded in this process: the parser's own time, without Node's start-up.
  let slowest = { name: "", ms: 0 };
  for (const f of hostileCorpus({ big: !quick }).filter((x) => x.expect)) {
    const t0 = performance.now();
    try {
      decodeSafetensors(f.bytes, f.name);
    } catch {
      // refused, as the table shows
    }
    const ms = performance.now() - t0;
    if (ms > slowest.ms) slowest = { name: f.name, ms };
  }
  console.log(`in-process refusal of the slowest bad file: ${slowest.name} ${slowest.ms.toFixed(0)} ms; neurite --version alone takes ${(await run(["--version"])).ms.toFixed(0)} ms here`);
  rmSync(work, { recursive: true, force: true });
  const bad = rows.filter((r) => r.outcome !== "clear error" && r.outcome !== "ok").length;
  process.exit(bad ? 1 : 0);
}

void main();
