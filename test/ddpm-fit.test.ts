// ddpm trained through fit(): the ε-prediction objective with the labels (fit's `forward`), an
// EMA of the weights as a callback whose tensors travel in the checkpoint, and a resume that is
// bit for bit the uninterrupted run (weights, optimizer, EMA, loss records).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/node.js";
import { DDPM } from "../models/ddpm.js";
import { noisePredictionLoss } from "../src/diffusion/process.js";
import { EmaCallback } from "../src/train/ema.js";
import { loadCheckpoint, disposeCheckpoint } from "../src/train/checkpoint.js";
import type { FitResult } from "../src/train/fit.js";

/** 3 epochs of 4 batches: the split at N/2 falls in the middle of epoch 2 (data-loader position, epoch sums). */
const EPOCHS = 3;
const BATCH = 4;
const STEPS = EPOCHS * (16 / BATCH);

/** 16 random 8x8 "images" in [0, 1] with labels 0..2, made the same way every time. */
function tinyData(): nt.data.TensorDataset {
  const g = new nt.Generator(7);
  const x = nt.rand([16, 1, 8, 8], { generator: g });
  const y = nt.tensor(Int32Array.from({ length: 16 }, (_, i) => i % 3), { dtype: "int32" });
  return new nt.data.TensorDataset(x, y);
}

/** Trains the tiny DDPM (fresh, seeded) for `epochs` or until `maxSteps`, resuming from `dir` when asked. */
async function run(dir: string, opts: { maxSteps?: number; resume?: boolean }): Promise<{ result: FitResult; ema: EmaCallback; model: DDPM }> {
  nt.manualSeed(3);
  const model = DDPM.preset("tiny");
  const optimizer = new nt.optim.Adam(model.parameters(), { lr: 2e-3 });
  const ema = new EmaCallback(model, { decay: 0.9 });
  const train = new nt.data.DataLoader(tinyData(), { batchSize: BATCH, shuffle: true, seed: 5 });
  const result = await nt.train.fit(model, {
    train,
    optimizer,
    loss: noisePredictionLoss,
    forward: (m, x, y) => (m as DDPM).forward(x, y),
    metrics: [],
    epochs: EPOCHS,
    gradClip: 1,
    callbacks: [ema],
    checkpointDir: join(dir, "checkpoint"),
    seed: 11,
    modelMetadata: { model: "ddpm-tiny" },
    ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
    ...(opts.resume ? { resume: true } : {}),
  });
  return { result, ema, model };
}

const bytes = (dir: string, name: string) => readFileSync(join(dir, "checkpoint", name));

test("ddpm through fit: N steps straight = N/2, resume, N/2 (weights, optimizer, EMA, loss records, bit for bit)", async () => {
  const straight = mkdtempSync(join(tmpdir(), "neurite-ddpm-straight-"));
  const split = mkdtempSync(join(tmpdir(), "neurite-ddpm-split-"));
  try {
    const a = await run(straight, {});
    assert.equal(a.result.optimizerSteps, STEPS);
    assert.equal(a.ema.ema.numUpdates, STEPS, "one EMA update per optimizer step");

    const first = await run(split, { maxSteps: STEPS / 2 });
    assert.equal(first.result.stopReason, "max-steps");
    assert.equal(first.result.optimizerSteps, STEPS / 2);
    const b = await run(split, { resume: true });
    assert.deepEqual(b.result.resumedFrom?.globalStep, STEPS / 2);
    assert.equal(b.result.optimizerSteps, STEPS);
    assert.equal(b.ema.ema.numUpdates, STEPS, "the EMA's update count is restored");

    for (const name of ["model.safetensors", "optimizer.safetensors", "optimizer.json", "callbacks.safetensors"]) {
      assert.ok(bytes(straight, name).equals(bytes(split, name)), `${name} differs between the straight and the resumed run`);
    }
    assert.deepEqual(b.result.steps.map((s) => s.loss), a.result.steps.map((s) => s.loss), "per-step losses");
    assert.deepEqual(b.result.history.map((h) => h.trainLoss), a.result.history.map((h) => h.trainLoss), "per-epoch losses");
    for (const s of a.result.steps) assert.ok(Number.isFinite(s.loss) && s.loss > 0, `loss ${s.loss} at step ${s.step}`);

    // The checkpoint's EMA tensors are the callback's averages, not the raw weights.
    const ckpt = await loadCheckpoint(join(straight, "checkpoint"));
    try {
      const emaWeights = ckpt.callbackTensors!;
      const key = "ema.unet.conv_in.weight";
      assert.ok(emaWeights.has(key), `callbacks.safetensors has ${key}`);
      const avg = (await emaWeights.get(key)!.data()) as Float32Array;
      const own = (await a.ema.ema.shadow.get("unet.conv_in.weight")!.data()) as Float32Array;
      assert.deepEqual(Array.from(avg), Array.from(own));
      const raw = (await ckpt.model.get("unet.conv_in.weight")!.data()) as Float32Array;
      assert.notDeepEqual(Array.from(avg), Array.from(raw));
    } finally {
      disposeCheckpoint(ckpt);
    }
  } finally {
    rmSync(straight, { recursive: true, force: true });
    rmSync(split, { recursive: true, force: true });
  }
});

test("fit: a checkpoint without a callback's tensors is refused on resume instead of restarting its average", async () => {
  const dir = mkdtempSync(join(tmpdir(), "neurite-ddpm-noema-"));
  try {
    nt.manualSeed(1);
    const model = DDPM.preset("tiny");
    const optimizer = new nt.optim.Adam(model.parameters(), { lr: 1e-3 });
    const train = new nt.data.DataLoader(tinyData(), { batchSize: 8 });
    const common = { train, optimizer, loss: noisePredictionLoss, forward: (m: nt.nn.Module, x: nt.Tensor, y: nt.Tensor) => (m as DDPM).forward(x, y), metrics: [], checkpointDir: join(dir, "checkpoint") };
    await nt.train.fit(model, { ...common, epochs: 1 });
    assert.equal(existsSync(join(dir, "checkpoint", "callbacks.safetensors")), false, "no callback tensors, no file");
    await assert.rejects(nt.train.fit(model, { ...common, epochs: 2, resume: true, callbacks: [new EmaCallback(model)] }), /has no tensors of callback 'ema'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("EmaCallback: one update per optimizer step (not per accumulated micro-batch); applyAtEnd puts the average in the model", async () => {
  nt.manualSeed(2);
  const model = new nt.nn.Linear(3, 2);
  const before = (await model.weight.data()).slice();
  const ema = new EmaCallback(model, { decay: 0.5, warmup: false, applyAtEnd: true });
  const x = nt.randn([8, 3]);
  const y = nt.tensor(Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]), { dtype: "int32" });
  const result = await nt.train.fit(model, {
    train: new nt.data.DataLoader(new nt.data.TensorDataset(x, y), { batchSize: 2 }),
    optimizer: new nt.optim.SGD(model.parameters(), { lr: 0.1 }),
    loss: nt.nn.functional.crossEntropy,
    epochs: 1,
    accumulate: 2,
    callbacks: [ema],
  });
  assert.equal(result.optimizerSteps, 2);
  assert.equal(ema.ema.numUpdates, 2);
  const after = (await model.weight.data()) as Float32Array;
  const shadow = (await ema.ema.shadow.get("weight")!.data()) as Float32Array;
  assert.deepEqual(Array.from(after), Array.from(shadow), "the model holds the average after training");
  assert.notDeepEqual(Array.from(after), Array.from(before));
});

test("DDPM.forward: images in [0, 1] and labels → ε-prediction error of the images' shape; a wrong shape is named", () => {
  nt.manualSeed(4);
  const ddpm = DDPM.preset("tiny");
  const err = ddpm.forward(nt.rand([2, 1, 8, 8]), nt.tensor([0, 2], { dtype: "int32" }));
  assert.deepEqual(err.shape, [2, 1, 8, 8]);
  assert.throws(() => ddpm.forward(nt.rand([2, 1, 28, 28])), /DDPM\.forward: expected images \[B, 1, 8, 8\] in \[0, 1\], got \[2, 1, 28, 28\]/);
  assert.ok(ddpm.stateDict().has("unet.conv_in.weight"), "the U-Net's weights are under unet.");
});
