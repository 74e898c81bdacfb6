// fit()'s collaborators on their own: TrainingState's serialize/restore round trip, the saved
// position's field checks, the step records' thinning and scheduler stepping by interface.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/index.js";
import { fit } from "../src/train/fit.js";
import { loadCheckpoint, disposeCheckpoint, CheckpointError } from "../src/train/checkpoint.js";
import { TrainingState } from "../src/train/training-state.js";
import { SchedulerStepper, type MetricScheduler, type StepScheduler } from "../src/train/scheduling.js";
import { recordStep, MAX_STEP_RECORDS, type StepLog } from "../src/train/step-records.js";
import { checkSavedPosition } from "../src/train/progress-schema.js";
import { EarlyStopping, LRSchedulerCallback } from "../src/train/callbacks.js";
import { Adam } from "../src/optim/adam.js";
import { StepLR } from "../src/optim/lr-scheduler/step-lr.js";
import { crossEntropy } from "../src/nn/functional/loss.js";
import { signDataset } from "./helpers/toy-data.js";

const { nn, data } = nt;

function parts(seed: number) {
  nt.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(8, 2));
  const ds = signDataset();
  const train = new data.DataLoader(ds, { batchSize: 8, shuffle: true, seed: 3 });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const lrScheduler = new StepLR(optimizer, { stepSize: 1, gamma: 0.5 });
  const early = new EarlyStopping({ monitor: "train.loss", patience: 5 });
  return { model, train, optimizer, lrScheduler, early };
}

test("TrainingState: restoring a checkpoint and serializing again gives the saved state back", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "neurite-state-")), "checkpoint");
  const a = parts(1);
  // Stops mid-epoch 2: a position with a shuffled loader under way, sums, history and callback state.
  await fit(a.model, { train: a.train, optimizer: a.optimizer, loss: crossEntropy, epochs: 3, scheduler: a.lrScheduler, callbacks: [a.early], checkpointDir: dir, maxSteps: 7 });
  const loaded = await loadCheckpoint(dir);
  const saved = loaded.state.train as Record<string, unknown>;
  assert.equal(saved.epoch, 2);
  assert.equal(saved.epochDone, false);

  const b = parts(99); // other weights, generator and loader position: all must come from the checkpoint
  const state = new TrainingState({ model: b.model, optimizer: b.optimizer, train: b.train, scheduler: new SchedulerStepper(b.lrScheduler), callbacks: [b.early] }, 3);
  const at = await state.resume(loaded);
  assert.deepEqual(at, { dir: loaded.dir, epoch: 2, step: 2, globalStep: 7 });
  const again = JSON.parse(JSON.stringify(state.serialize())) as Record<string, unknown>;
  assert.deepEqual({ ...again, stopReason: saved.stopReason }, JSON.parse(JSON.stringify(saved)), "serialize(restore(saved)) == saved");
  assert.equal(again.stopReason, null, "a resumed run has not stopped");
  assert.equal(b.optimizer.paramGroups[0]!.lr, a.optimizer.paramGroups[0]!.lr, "the scheduler's learning rate is restored");
  for (const [name, t] of b.model.stateDict()) assert.deepEqual(await t.data(), await a.model.stateDict().get(name)!.data(), `weights ${name}`);
  disposeCheckpoint(loaded);
});

test("TrainingState: a saved position missing a field or with a bad one is refused before anything is restored", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "neurite-state-")), "checkpoint");
  const a = parts(2);
  await fit(a.model, { train: a.train, optimizer: a.optimizer, loss: crossEntropy, epochs: 1, checkpointDir: dir });
  const loaded = await loadCheckpoint(dir);
  const good = loaded.state.train as Record<string, unknown>;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, loaderRng: undefined }, /\.loaderRng must be a generator state/],
    [{ ...good, stopReason: "bored" }, /\.stopReason must be null or one of completed, early-stop, interrupted, max-steps/],
    [{ ...good, steps: {} }, /\.steps must be an array/],
    [{ ...good, callbacks: 3 }, /\.callbacks must be an object of callback states/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(() => checkSavedPosition(bad, 5, "checkpoint x"), (e: unknown) => e instanceof CheckpointError && message.test(e.message));
  }
  const b = parts(3);
  const before = await b.model.stateDict().get("0.weight")!.data();
  const state = new TrainingState({ model: b.model, optimizer: b.optimizer, train: b.train, scheduler: new SchedulerStepper(undefined), callbacks: [] }, 1);
  await assert.rejects(state.resume({ ...loaded, state: { ...loaded.state, train: { ...good, globalStep: 4 } } }), /\.globalStep 4 disagrees with epoch 1/);
  assert.deepEqual(await b.model.stateDict().get("0.weight")!.data(), before, "nothing restored");
  assert.equal(state.progress.globalStep, 0);
  disposeCheckpoint(loaded);
});

test("step records: every step until the log is full, then every other one (the stride doubles)", () => {
  const log: StepLog = { steps: [], stepStride: 1 };
  for (let step = 1; step <= MAX_STEP_RECORDS + 1; step++) recordStep(log, { step, epoch: 1, loss: 1 / step, lr: 0.1 });
  assert.equal(log.stepStride, 2);
  assert.equal(log.steps.length, (MAX_STEP_RECORDS + 1 - ((MAX_STEP_RECORDS + 1) % 2)) / 2);
  assert.ok(log.steps.every((r) => r.step % 2 === 0));
  recordStep(log, { step: MAX_STEP_RECORDS + 2, epoch: 1, loss: 0, lr: 0.1 });
  recordStep(log, { step: MAX_STEP_RECORDS + 3, epoch: 1, loss: 0, lr: 0.1 });
  assert.equal(log.steps.at(-1)!.step, MAX_STEP_RECORDS + 2, "an odd step is skipped at stride 2");
});

test("SchedulerStepper steps by the scheduler's interface and interval", () => {
  const calls: (number | undefined)[] = [];
  const plain: StepScheduler = { step: () => calls.push(undefined) };
  const onMetric: MetricScheduler = { stepsOnMetric: true, step: (m) => calls.push(m) };
  assert.throws(() => new SchedulerStepper(onMetric, "step"), /steps once per epoch/);

  const perStep = new SchedulerStepper(plain, "step");
  perStep.afterOptimizerStep();
  perStep.afterEpoch({ trainLoss: 1 });
  assert.deepEqual(calls, [undefined], "a per-step scheduler steps after optimizer steps only");

  calls.length = 0;
  const perEpoch = new SchedulerStepper(onMetric);
  perEpoch.afterOptimizerStep();
  perEpoch.afterEpoch({ trainLoss: 2, val: { loss: 0.5 } });
  perEpoch.afterEpoch({ trainLoss: 2 });
  assert.deepEqual(calls, [0.5, 2], "a metric scheduler gets the validation loss, else the training loss");
});

test("LRSchedulerCallback steps through SchedulerStepper: after optimizer steps, and refuses a metric scheduler per step", async () => {
  const onMetric: MetricScheduler = { stepsOnMetric: true, step: () => undefined };
  assert.throws(() => new LRSchedulerCallback(onMetric, "step"), /steps once per epoch/);
  let steps = 0;
  const counting: StepScheduler = { step: () => void steps++ };
  const a = parts(4); // 5 batches per epoch
  const result = await fit(a.model, { train: a.train, optimizer: a.optimizer, loss: crossEntropy, epochs: 2, accumulate: 2, callbacks: [new LRSchedulerCallback(counting, "step")] });
  assert.equal(result.optimizerSteps, 6, "2 full accumulations + the epoch's last batch, per epoch");
  assert.equal(steps, result.optimizerSteps);
});
