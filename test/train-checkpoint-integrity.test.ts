// Checkpoint integrity: manifest.json covers every file (state.json included) and itself;
// state.json's training position is checked field by field before use; names in the manifest
// are plain file names. Every tampering below is refused with a message naming what is wrong,
// and nothing is restored from a refused checkpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/index.js";
import { fit } from "../src/train/index.js";
import { loadCheckpoint, parseState, stringifyState, CheckpointError } from "../src/train/checkpoint.js";
import { encodeManifest, readVerifiedFolder, ManifestError, MANIFEST_NAME } from "../src/train/manifest.js";
import { Adam } from "../src/optim/adam.js";
import { crossEntropy } from "../src/nn/functional/loss.js";
import { signDataset } from "./helpers/toy-data.js";

const { nn, data } = nt;
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `neurite-${p}-`));

function setup() {
  nt.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
  const ds = signDataset();
  const train = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed: 3 });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  return { model, train, optimizer, loss: (o: nt.Tensor, y: nt.Tensor) => crossEntropy(o, y), epochs: 2 };
}

/** A checkpoint 5 steps into epoch 1 (10 batches per epoch). */
async function midEpochCheckpoint(): Promise<string> {
  const dir = join(tmp("integrity"), "checkpoint");
  const s = setup();
  const r = await fit(s.model, { ...s, checkpointDir: dir, maxSteps: 5 });
  assert.equal(r.stopReason, "max-steps");
  return dir;
}

/** Rewrites state.json with `edit` applied, and (when `reseal`) a manifest recomputed to match, as a careful forger would. */
async function editState(dir: string, edit: (s: Record<string, any>) => void, reseal: boolean): Promise<void> {
  const state = parseState(readFileSync(join(dir, "state.json"), "utf8")) as Record<string, any>;
  edit(state);
  writeFileSync(join(dir, "state.json"), stringifyState(state) + "\n");
  if (reseal) await resealManifest(dir);
}

async function resealManifest(dir: string, names?: string[]): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), "utf8")) as { files: Record<string, unknown> };
  const list = names ?? Object.keys(manifest.files);
  writeFileSync(join(dir, MANIFEST_NAME), await encodeManifest(list.map((n) => [n, readFileSync(join(dir, n))] as [string, Uint8Array])));
}

async function resumeFails(dir: string, pattern: RegExp): Promise<void> {
  const s = setup();
  const before = await s.model.parameters()[0]!.data();
  await assert.rejects(fit(s.model, { ...s, checkpointDir: dir, resume: true }), (e: unknown) => {
    assert.ok(e instanceof CheckpointError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
  assert.deepEqual(await s.model.parameters()[0]!.data(), before, "nothing was restored from the refused checkpoint");
}

test("a checkpoint resumes after its manifest and every file are verified", async () => {
  const dir = await midEpochCheckpoint();
  const files = await readVerifiedFolder(dir, { required: ["state.json"] });
  assert.deepEqual([...files.keys()].sort(), ["model.safetensors", "optimizer.json", "optimizer.safetensors", "state.json"]);
  const s = setup();
  const r = await fit(s.model, { ...s, checkpointDir: dir, resume: true });
  assert.deepEqual(r.resumedFrom, { epoch: 1, step: 5, globalStep: 5 });
});

test("state.json is covered by the manifest: any edit is refused by hash", async () => {
  for (const [field, edit] of [
    ["batchIndex 5 -> 7", (s: Record<string, any>) => (s.train.dataLoader.batchIndex = 7)],
    ["a loader RNG word", (s: Record<string, any>) => (s.train.loaderRng[0] = (s.train.loaderRng[0] + 1) >>> 0)],
    ["epochs", (s: Record<string, any>) => (s.config = { epochs: 9 })],
  ] as const) {
    const dir = await midEpochCheckpoint();
    await editState(dir, edit, false);
    await resumeFails(dir, /corrupt: state\.json (does not match the SHA-256|has \d+ bytes, \d+ were written|is larger than the \d+ bytes written)/);
    assert.ok(field);
  }
});

test("a resealed state.json with inconsistent counters is refused by the schema, naming the field", async () => {
  const cases: [(s: Record<string, any>) => void, RegExp][] = [
    [(s) => (s.train.dataLoader.batchIndex = 7), /\.dataLoader\.batchIndex 7 disagrees with \.stepInEpoch 5/],
    [(s) => (s.train.stepInEpoch = 7), /\.dataLoader\.batchIndex 5 disagrees with \.stepInEpoch 7|\.globalStep 5 disagrees/],
    [(s) => (s.train.stepInEpoch = -1), /\.stepInEpoch must be an integer >= 0, got -1/],
    [(s) => (s.train.epochDone = true), /\.stepInEpoch 5 of a finished epoch must be 10/],
    [(s) => (s.train.stepInEpoch = 50), /\.stepInEpoch 50 is beyond the 10 batches of an epoch/],
    [(s) => (s.train.rng = [1, 2]), /\.rng must be a generator state/],
    [(s) => (s.train.globalStep = "5"), /\.globalStep must be an integer >= 0, got "5"/],
    [(s) => delete s.train, /"train" is missing or not an object/],
  ];
  for (const [edit, pattern] of cases) {
    const dir = await midEpochCheckpoint();
    await editState(dir, edit, true);
    await resumeFails(dir, pattern);
  }
});

test("the manifest is checked against its own hash, and names only plain files in the folder", async () => {
  const dir = await midEpochCheckpoint();
  const good = readFileSync(join(dir, MANIFEST_NAME), "utf8");

  // Dropping the optimizer from a manifest whose own hash is left stale.
  const m = JSON.parse(good);
  delete m.files["optimizer.safetensors"];
  writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify(m));
  await assert.rejects(loadCheckpoint(dir), /manifest\.json does not match its own SHA-256 \(edited or corrupted\)/);

  // A resealed manifest without the optimizer: the checkpoint loads, but resuming refuses a fresh optimizer.
  await resealManifest(dir, ["model.safetensors", "state.json"]);
  await resumeFails(dir, /has no optimizer state/);

  // Paths outside the folder, hidden or device names: refused before anything is opened.
  for (const name of ["../../../../dev/zero", "/dev/zero", "..", ".hidden", "a/b", "a\\b", ""]) {
    const bad = JSON.parse(good);
    bad.files[name] = { bytes: 1, sha256: "0".repeat(64) };
    writeFileSync(join(dir, MANIFEST_NAME), JSON.stringify(bad));
    const t0 = performance.now();
    await assert.rejects(readVerifiedFolder(dir), (e: unknown) => e instanceof ManifestError && /which is not a plain file name in the folder/.test(e.message));
    assert.ok(performance.now() - t0 < 1000);
  }
  await assert.rejects(encodeManifest([["../x", new Uint8Array(1)]]), /not a plain file name/);
});

test("a file listed with a small size is never read beyond it; an old checkpoint without a manifest is refused by name", async () => {
  const dir = await midEpochCheckpoint();
  const copy = join(tmp("big"), "checkpoint");
  cpSync(dir, copy, { recursive: true });
  const model = readFileSync(join(copy, "model.safetensors"));
  writeFileSync(join(copy, "model.safetensors"), Buffer.concat([model, Buffer.alloc(1 << 20)]));
  await assert.rejects(loadCheckpoint(copy), /model\.safetensors is larger than the \d+ bytes written \(changed\)/);

  rmSync(join(dir, MANIFEST_NAME));
  await assert.rejects(loadCheckpoint(dir), /was written by an older neurite \(no manifest\.json/);
});
