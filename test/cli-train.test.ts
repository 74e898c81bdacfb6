// `neurite train` as a user runs it: exact resume, Ctrl-C, a kill in the middle of a save,
// corrupted checkpoints, NaN losses. Each run is small (512 bundled images, 2 epochs of 8 steps).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { neuriteAsync } from "./cli-bin.js";

const root = new URL("..", import.meta.url).pathname;
const bundled = join(root, "data/fashion-mnist-subset");
const RUN = ["--model", "mlp", "--data", bundled, "--limit", "512", "--test-limit", "100", "--batch-size", "64", "--epochs", "2", "--scheduler", "cosine", "--backend", "cpu", "--no-report"];

const neurite = (args: string[], env: Record<string, string> = {}) => neuriteAsync(args, { env });
const start = (args: string[], env: Record<string, string>, onLine: (line: string, kill: (sig: NodeJS.Signals) => void) => void) => neuriteAsync(args, { env, onLine });

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const tmp = () => mkdtempSync(join(tmpdir(), "neurite-cli-train-"));
function folderHashes(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, sha(join(dir, f))]));
}

let referenceWeights: Promise<string> | null = null;
/** The final weights of the uninterrupted run (computed once, shared by the tests). */
function reference(): Promise<string> {
  referenceWeights ??= (async () => {
    const out = tmp();
    const r = await neurite(["train", ...RUN, "--out", out, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    return sha(join(out, "model.safetensors"));
  })();
  return referenceWeights;
}

// Two runs at a time: one per core.
describe("neurite train", { concurrency: 2 }, () => {
test("train --max-steps then --resume ends with bit-identical weights; run settings cannot change on resume", async () => {
  const expected = reference(); // computed alongside
  const out = tmp();
  const first = await neurite(["train", ...RUN, "--out", out, "--max-steps", "11", "--json"]);
  assert.equal(first.code, 0, first.stderr);
  const stopped = JSON.parse(first.stdout.trim().split("\n").pop()!);
  assert.equal(stopped.stopReason, "max-steps");
  assert.equal(stopped.globalStep, 11);
  assert.match(first.stderr, /resume with: neurite train --resume /);

  const clash = await neurite(["train", "--resume", out, "--lr", "0.5"]);
  assert.equal(clash.code, 2);
  assert.match(clash.stderr, /--lr cannot be changed when resuming/);
  const fresh = await neurite(["train", ...RUN, "--out", out]);
  assert.equal(fresh.code, 2, "a fresh run does not clobber an unfinished one");
  assert.match(fresh.stderr, /holds an unfinished run \(epoch 2, step 3\); continue it with 'neurite train --resume/);

  const second = await neurite(["train", "--resume", out, "--json"]);
  assert.equal(second.code, 0, second.stderr);
  const result = JSON.parse(second.stdout.trim().split("\n").pop()!);
  assert.deepEqual(result.resumedFrom, { epoch: 2, step: 3, globalStep: 11 });
  assert.equal(result.history.length, 2);
  assert.equal(sha(join(out, "model.safetensors")), await expected, "resumed weights equal the uninterrupted run's");
});

test("Ctrl-C saves a checkpoint and exits 130; resuming finishes with identical weights", async () => {
  const expected = reference(); // computed alongside
  const out = tmp();
  let sent = false;
  const r = await start(["train", ...RUN, "--out", out], {}, (line, kill) => {
    if (!sent && /^epoch 1\/2 .* 1\/8 /.test(line)) {
      sent = true;
      kill("SIGINT");
    }
  });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /stopping after this step and saving a checkpoint/);
  assert.match(r.stderr, /interrupted; checkpoint saved at epoch 1, step \d+ .*resume with: neurite train --resume/);
  const resumed = await neurite(["train", "--resume", out, "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(sha(join(out, "model.safetensors")), await expected);
});

for (const phase of ["write optimizer.safetensors", "write state.json", "swap"]) {
  test(`a training process killed during a checkpoint save (${phase}) loses nothing`, async () => {
    const expected = reference(); // computed alongside
    const out = tmp();
    let saves = 0;
    let killed = false;
    const r = await start(["train", ...RUN, "--out", out, "--checkpoint-every", "3"], { NEURITE_TEST_CHECKPOINT_DELAY_MS: "100" }, (line, kill) => {
      if (line === "[checkpoint-test] swap") saves++;
      // Kill in the middle of the second save: the first one must survive.
      // (`saves` counts swap lines, so the second save's own swap line makes it 2.)
      if (!killed && saves >= (phase === "swap" ? 2 : 1) && line === `[checkpoint-test] ${phase}`) {
        killed = true;
        kill("SIGKILL");
      }
    });
    assert.equal(r.signal, "SIGKILL", `the process was killed mid-save (${r.stderr.slice(-300)})`);
    const resumed = await neurite(["train", "--resume", out, "--json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const result = JSON.parse(resumed.stdout.trim().split("\n").pop()!);
    // Before the swap the first checkpoint (step 3) is the one in place, and it is used.
    assert.equal(result.resumedFrom.globalStep, 3, "resumed from the last complete checkpoint");
    assert.equal(sha(join(out, "model.safetensors")), await expected);
    assert.deepEqual(readdirSync(out).filter((f) => f.startsWith(".")), [], "no temporary folders are left");
  });
}

test("a corrupted checkpoint is refused, nothing is overwritten, and the error is one line", async () => {
  const out = tmp();
  assert.equal((await neurite(["train", ...RUN, "--out", out, "--max-steps", "5", "--quiet"])).code, 0);
  const ckpt = join(out, "checkpoint");
  const file = join(ckpt, "optimizer.safetensors");
  const bytes = readFileSync(file);
  bytes[bytes.length - 100]! ^= 0x55;
  writeFileSync(file, bytes);
  const before = folderHashes(ckpt);
  const r = await neurite(["train", "--resume", out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /checkpoint .* is corrupt: optimizer\.safetensors does not match the SHA-256 .*refusing to use it/);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  const fresh = await neurite(["train", ...RUN, "--out", out]);
  assert.equal(fresh.code, 2);
  assert.match(fresh.stderr, /holds a checkpoint that cannot be used .*--overwrite/);
  assert.deepEqual(folderHashes(ckpt), before, "the checkpoint files are untouched");
  const truncated = await neurite(["eval", "--checkpoint", join(ckpt, "optimizer.safetensors")]);
  assert.equal(truncated.code, 1);
  const missing = await neurite(["train", "--resume", join(out, "nope")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--resume .*nope: no such directory/);
});

test("a full disk during a checkpoint save stops the run with a clear message and keeps the previous checkpoint", async (t) => {
  const mnt = tmp();
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=5m", "tmpfs", mnt]).status !== 0) return t.skip("cannot mount a tmpfs here (needs root)");
  try {
    // One MLP checkpoint takes 3.2 MB: the first fits, the second (written beside it) does not.
    const r = await neurite(["train", ...RUN, "--out", join(mnt, "run"), "--checkpoint-every", "2", "--quiet"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /could not save a checkpoint in .*checkpoint: the disk is full \(ENOSPC\); the previous checkpoint there is intact/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    const state = JSON.parse(readFileSync(join(mnt, "run", "checkpoint", "state.json"), "utf8"));
    assert.equal(state.train.globalStep, 2);
    assert.deepEqual(readdirSync(join(mnt, "run")).filter((f) => f.startsWith(".")), [], "the partial save was removed");
  } finally {
    spawnSync("umount", [mnt]);
  }
});

test("a NaN loss stops the run with exit code 3, naming the step and the last good checkpoint; --detect-anomaly names the op", async () => {
  const args = ["train", "--data", bundled, "--limit", "640", "--test-limit", "100", "--epochs", "1", "--optimizer", "sgd", "--lr", "1e6", "--checkpoint-every", "2", "--no-report", "--quiet"];
  const out = tmp();
  const r = await neurite([...args, "--out", out]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /the loss is NaN at epoch 1, step 3 \(global step 3\); last good checkpoint: .*checkpoint \(epoch 1, step 2, global step 2\)/);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.ok(existsSync(join(out, "checkpoint", "state.json")));
  const a = await neurite([...args, "--out", tmp(), "--detect-anomaly"]);
  assert.equal(a.code, 3, a.stderr);
  assert.match(a.stderr, /anomaly: '\w+' produced (NaN|-?Infinity) .*\(at epoch 1, step \d/);
});

test("cnn-bn trains with its augmentation and cosine schedule by default; --no-augment turns it off and is a run setting", async () => {
  const small = ["--model", "cnn-bn", "--data", bundled, "--limit", "64", "--test-limit", "32", "--batch-size", "32", "--backend", "cpu", "--no-report"];
  const on = tmp();
  const a = await neurite(["train", ...small, "--epochs", "1", "--out", on]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /cosine schedule, augmented, run folder/);
  const saved = JSON.parse(readFileSync(join(on, "checkpoint", "state.json"), "utf8")).config;
  assert.equal(saved.augment, true);
  assert.equal(saved.scheduler, "cosine");

  const off = tmp();
  const b = await neurite(["train", ...small, "--epochs", "2", "--max-steps", "1", "--no-augment", "--out", off]);
  assert.equal(b.code, 0, b.stderr);
  assert.doesNotMatch(b.stdout, /augmented/);
  assert.equal(JSON.parse(readFileSync(join(off, "checkpoint", "state.json"), "utf8")).config.augment, false);
  const clash = await neurite(["train", "--resume", off, "--no-augment"]);
  assert.equal(clash.code, 2);
  assert.match(clash.stderr, /--no-augment cannot be changed when resuming/);
});
});
