// The fit loop and checkpoints, in process: exact resume, NaN guard, corrupt and partial
// checkpoints, a full disk during a save.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, renameSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import * as nt from "../src/index.js";
import { fit, NonFiniteLossError, EarlyStopping, JsonLinesLogger, accuracy, topKAccuracy } from "../src/train/index.js";
import { saveCheckpoint, loadCheckpoint, findCheckpointDir, CheckpointError, disposeCheckpoint } from "../src/train/checkpoint.js";
import { Adam } from "../src/optim/adam.js";
import { SGD } from "../src/optim/sgd.js";
import { CosineAnnealingLR } from "../src/optim/lr-scheduler/cosine-annealing-lr.js";
import { crossEntropy } from "../src/nn/functional/loss.js";

const { nn, data } = nt;
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `neurite-${p}-`));

/** A small classifier with dropout (so the global generator matters) on fixed random data. */
function setup(seed = 0) {
  nt.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
  const gen = new nt.Generator(123);
  const xs = new Float32Array(70 * 8).map(() => gen.normal());
  const ys = Int32Array.from({ length: 70 }, (_, i) => (xs[i * 8]! > 0 ? 1 : 0) + (xs[i * 8 + 1]! > 0.5 ? 1 : 0));
  const ds = new data.TensorDataset(nt.tensor(xs, { shape: [70, 8] }), nt.tensor(ys, { shape: [70], dtype: "int32" }));
  const train = new data.DataLoader(ds, { batchSize: 8, shuffle: true, seed: 7 });
  const val = new data.DataLoader(ds, { batchSize: 35 });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const scheduler = new CosineAnnealingLR(optimizer, { tMax: 30 });
  return { model, train, val, optimizer, scheduler };
}

async function weights(model: nt.nn.Module): Promise<number[]> {
  const out: number[] = [];
  for (const t of model.stateDict().values()) out.push(...(await t.data()));
  return out;
}

function options(s: ReturnType<typeof setup>, extra: Partial<Parameters<typeof fit>[1]> = {}) {
  return {
    train: s.train,
    val: s.val,
    optimizer: s.optimizer,
    loss: (o: nt.Tensor, y: nt.Tensor) => crossEntropy(o, y),
    epochs: 3,
    scheduler: s.scheduler,
    schedulerInterval: "step" as const,
    metrics: [accuracy(), topKAccuracy(2)],
    gradClip: 1,
    accumulate: 2,
    ...extra,
  };
}

test("fit: usable from code, with metrics, callbacks, history and per-step records", async () => {
  const s = setup();
  const log = join(tmp("fit"), "metrics.jsonl");
  const result = await fit(s.model, options(s, { callbacks: [new JsonLinesLogger(log)] }));
  assert.equal(result.stopReason, "completed");
  assert.equal(result.history.length, 3);
  assert.equal(result.globalStep, 27); // 9 batches per epoch
  assert.equal(result.optimizerSteps, 15); // 4 full accumulations + the epoch's last batch, per epoch
  assert.equal(result.steps.length, 27);
  const h = result.history[2]!;
  assert.ok(h.val && h.val.metrics.top2Accuracy! >= h.val.accuracy);
  assert.ok(h.trainLoss < result.history[0]!.trainLoss, "the loss goes down");
  assert.equal(readFileSync(log, "utf8").trim().split("\n").length, 3);
  assert.equal(nt.train.fit, fit, "the same loop is nt.train.fit");
});

test("fit: a run interrupted (max-steps, then a new process-like restart) resumes to bit-identical weights", async () => {
  const a = setup();
  await fit(a.model, options(a));
  const expected = await weights(a.model);

  const dir = join(tmp("resume"), "checkpoint");
  const b = setup();
  const first = await fit(b.model, options(b, { checkpointDir: dir, maxSteps: 6 }));
  assert.equal(first.stopReason, "max-steps");
  assert.equal(first.checkpoint?.globalStep, 11, "6 optimizer steps = 11 batches (accumulate 2, the 9th batch steps alone)");
  // A fresh model, optimizer, scheduler and loader, as after a restart; the global RNG is scrambled.
  const c = setup(99);
  nt.manualSeed(12345);
  const second = await fit(c.model, options(c, { checkpointDir: dir, resume: true }));
  assert.equal(second.stopReason, "completed");
  assert.deepEqual(second.resumedFrom, { epoch: 2, step: 2, globalStep: 11 });
  assert.equal(second.history.length, 3, "history survives the resume");
  assert.deepEqual(await weights(c.model), expected);
});

test("fit: augment transforms training inputs only, draws from the seeded generator, and resumes bit-identically", async () => {
  // Noise drawn from the global generator: the run is reproducible only if fit seeds it and a
  // checkpoint restores it.
  const augment = (x: nt.Tensor) => x.add(nt.randn(x.shape).mul(0.1));
  const seen: number[] = [];
  const a = setup();
  const ra = await fit(a.model, options(a, { seed: 5, augment: (x) => (seen.push(x.shape[0]!), augment(x)) }));
  assert.equal(seen.length, ra.globalStep, "called once per training batch, never on validation batches");
  const expected = await weights(a.model);

  const plain = setup();
  await fit(plain.model, options(plain, { seed: 5 }));
  assert.notDeepEqual(await weights(plain.model), expected, "augmentation changed what was trained on");

  const dir = join(tmp("augment-resume"), "checkpoint");
  const b = setup();
  await fit(b.model, options(b, { seed: 5, augment, checkpointDir: dir, maxSteps: 4 }));
  const c = setup(99);
  nt.manualSeed(4321);
  await fit(c.model, options(c, { seed: 5, augment, checkpointDir: dir, resume: true }));
  assert.deepEqual(await weights(c.model), expected);
});

test("fit: early stopping stops when the monitored value stops improving", async () => {
  const s = setup();
  const es = new EarlyStopping({ monitor: "train.loss", patience: 0, minDelta: 10 });
  const r = await fit(s.model, options(s, { callbacks: [es] }));
  assert.equal(r.stopReason, "early-stop");
  assert.equal(r.history.length, 2);
});

test("fit: a NaN loss stops with the step and the last good checkpoint", async () => {
  const s = setup();
  const dir = join(tmp("nan"), "checkpoint");
  let calls = 0;
  const loss = (o: nt.Tensor, y: nt.Tensor) => (++calls === 5 ? crossEntropy(o, y).mul(NaN) : crossEntropy(o, y));
  await assert.rejects(
    fit(s.model, { ...options(s, { checkpointDir: dir, checkpointEvery: 1, accumulate: 1 }), loss }),
    (e: unknown) => {
      assert.ok(e instanceof NonFiniteLossError);
      assert.equal(e.step, 5);
      assert.match(e.message, /loss is NaN at epoch 1, step 5/);
      assert.match(e.message, /last good checkpoint: .*checkpoint \(epoch 1, step 4/);
      return true;
    },
  );
});

async function smallCheckpoint(dir: string, value: number) {
  const model = new nn.Linear(4, 2);
  nt.noGrad(() => model.weight.fill_(value));
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  model.weight.grad = nt.onesLike(model.weight);
  model.bias!.grad = nt.onesLike(model.bias!);
  opt.step();
  await saveCheckpoint(dir, { model, optimizer: opt, state: { note: value } });
  return model;
}

test("checkpoint: corrupt, truncated or missing files are refused with a clear message", async () => {
  const dir = join(tmp("corrupt"), "checkpoint");
  await smallCheckpoint(dir, 1);
  const good = await loadCheckpoint(dir);
  assert.equal(good.state.note, 1);
  assert.ok(good.optimizer && Object.keys(good.optimizer.state).length === 2);
  disposeCheckpoint(good);

  const file = join(dir, "model.safetensors");
  const bytes = readFileSync(file);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 3]! ^= 0xff;
  writeFileSync(file, flipped);
  await assert.rejects(loadCheckpoint(dir), (e: unknown) => e instanceof CheckpointError && /corrupt: model\.safetensors does not match the SHA-256/.test(e.message));
  writeFileSync(file, bytes.subarray(0, 100));
  await assert.rejects(loadCheckpoint(dir), /corrupt: model\.safetensors has 100 bytes, \d+ were written \(truncated/);
  writeFileSync(file, bytes);
  writeFileSync(join(dir, "state.json"), "{ \"format\": \"neurite-che");
  await assert.rejects(loadCheckpoint(dir), /corrupt: state\.json has \d+ bytes, \d+ were written/);
  await assert.rejects(loadCheckpoint(join(tmp("none"), "nope")), /no checkpoint at/);
});

test("checkpoint: a crash between the two renames of a save leaves a loadable checkpoint", async () => {
  const run = tmp("swap");
  const dir = join(run, "checkpoint");
  await smallCheckpoint(dir, 1);
  await smallCheckpoint(join(run, "staging"), 2);
  // State after the first rename of a second save: old moved aside, new complete but not in place.
  renameSync(dir, join(run, ".checkpoint.old"));
  renameSync(join(run, "staging"), join(run, ".checkpoint.new"));
  assert.equal(await findCheckpointDir(run), join(run, ".checkpoint.new"));
  const c = await loadCheckpoint(run);
  assert.equal(c.state.note, 2);
  disposeCheckpoint(c);
  // The next save cleans up and puts the checkpoint back in place.
  await smallCheckpoint(dir, 3);
  assert.deepEqual(readdirSync(run).sort(), ["checkpoint"]);
  assert.equal((await loadCheckpoint(run)).state.note, 3);
});

test("checkpoint: a full disk during a save leaves the previous checkpoint intact", async () => {
  const dir = join(tmp("enospc"), "checkpoint");
  await smallCheckpoint(dir, 1);
  const before = readFileSync(join(dir, "model.safetensors"));
  const model = new nn.Linear(4, 2);
  let writes = 0;
  const writeFile = async (path: string, bytes: Uint8Array) => {
    if (++writes === 2) {
      writeFileSync(path, bytes.subarray(0, 10)); // a partial file, then the error
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }
    writeFileSync(path, bytes);
  };
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  await assert.rejects(saveCheckpoint(dir, { model, optimizer: opt, state: { note: 2 }, writeFile }), /the disk is full \(ENOSPC\); the previous checkpoint there is intact/);
  assert.ok(!existsSync(join(dir, "..", ".checkpoint.new")), "the partial new checkpoint is removed");
  const c = await loadCheckpoint(dir);
  assert.equal(c.state.note, 1);
  assert.deepEqual(readFileSync(join(dir, "model.safetensors")), before);
  disposeCheckpoint(c);
});

test("checkpoint: a real full file system (tmpfs) during a save leaves the previous checkpoint intact", async (t) => {
  const mnt = tmp("tmpfs");
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt]);
  if (m.status !== 0) return t.skip("cannot mount a tmpfs here (needs root)");
  try {
    const dir = join(mnt, "checkpoint");
    await smallCheckpoint(dir, 1); // a few KB
    const big = new nn.Linear(150, 150); // 90 KB of weights: more than the file system holds
    await assert.rejects(saveCheckpoint(dir, { model: big, state: { note: 2 } }), /disk is full/);
    const c = await loadCheckpoint(dir);
    assert.equal(c.state.note, 1);
    disposeCheckpoint(c);
  } finally {
    spawnSync("umount", [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});
