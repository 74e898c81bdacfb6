// `neurite train`'s pieces in process: argv → typed request (with its option errors), the saved
// run config read back from a checkpoint, and how fit() failures become exit codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import "../src/backend/register-all.js";
import { parseTrainArgs } from "../src/cli/train/options.js";
import { savedRunConfig } from "../src/cli/train/run-config-schema.js";
import { reportFitError, TrainingOutOfMemoryError, EXIT_NON_FINITE } from "../src/cli/train/fit-errors.js";
import { UsageError } from "../src/cli/args.js";
import { CheckpointError } from "../src/train/checkpoint.js";
import { TrainingError, NonFiniteLossError } from "../src/train/training-errors.js";
import { OutOfMemoryError } from "../src/memory/out-of-memory.js";
import { AnomalyError } from "../src/autograd/anomaly.js";

const usage = (argv: string[], message: RegExp) => assert.throws(() => parseTrainArgs(argv), (e: unknown) => e instanceof UsageError && message.test(e.message));

test("train options: a fresh run's config is the flags over the model's defaults", () => {
  const r = parseTrainArgs(["--model", "cnn", "--epochs", "3", "--lr", "0.01", "--scheduler", "cosine", "--val-split", "0.2", "--out", "x/y", "--max-steps", "9", "--json"]);
  assert.equal(r.kind, "fresh");
  if (r.kind !== "fresh") return;
  assert.equal(r.entry.name, "cnn");
  assert.equal(r.outDir, resolve("x/y"));
  assert.equal(r.config.epochs, 3);
  assert.equal(r.config.batchSize, r.entry.defaults.batchSize);
  assert.equal(r.config.lr, 0.01);
  assert.equal(r.config.scheduler, "cosine");
  assert.equal(r.config.valSplit, 0.2);
  assert.equal(r.config.gradClip, null);
  assert.equal(r.config.backend, r.session.backend);
  assert.equal(r.session.maxSteps, 9);
  assert.equal(r.session.checkpointEvery, null);
  assert.equal(r.session.json, true);
  assert.deepEqual(parseTrainArgs(["--help"]), { kind: "help" });
});

test("train options: a table trains tabular-mlp unless --model says otherwise", () => {
  const csv = join(mkdtempSync(join(tmpdir(), "neurite-opts-")), "t.csv");
  writeFileSync(csv, "a,b\n1,x\n");
  const r = parseTrainArgs(["--data", csv, "--target", "b"]);
  assert.ok(r.kind === "fresh" && r.entry.name === "tabular-mlp" && r.config.target === "b" && r.config.data === csv);
});

test("train options: each wrong option is a usage error naming it", () => {
  usage(["--epochs", "0"], /--epochs must be an integer >= 1, got '0'/);
  usage(["--lr", "0"], /--lr must be a number > 0, got '0'/);
  usage(["--val-split", "1"], /--val-split must be a fraction in \[0, 1\), got '1'/);
  usage(["--model", "resnet"], /unknown model 'resnet' \(choose one of: mlp, /);
  usage(["--optimizer", "rmsprop"], /unknown --optimizer 'rmsprop'/);
  usage(["--backend", "tpu"], /unknown backend 'tpu'/);
  usage(["--data", "/no/such/folder"], /--data \/no\/such\/folder: no such file or directory/);
  usage(["--bogus"], /Unknown option '--bogus'/);
  const dir = mkdtempSync(join(tmpdir(), "neurite-opts-"));
  usage(["--resume", dir, "--lr", "0.1"], /--lr cannot be changed when resuming/);
  usage(["--resume", dir, "--out", "x"], /--out cannot be used with --resume/);
  usage(["--resume", join(dir, "missing")], /--resume .*missing: no such directory/);
  usage(["--resume", dir, "--epochs", "-2"], /--epochs must be an integer >= 1, got '-2'/);
  const r = parseTrainArgs(["--resume", dir, "--epochs", "7"]);
  assert.deepEqual(r.kind === "resume" && { from: r.from, epochs: r.epochs }, { from: dir, epochs: 7 });
});

test("saved run config: what train writes reads back as the same config; a bad field is refused by name", () => {
  const r = parseTrainArgs(["--model", "bigram", "--block-size", "16", "--patience", "2"]);
  assert.equal(r.kind, "fresh");
  if (r.kind !== "fresh") return;
  const config = { ...r.config, vocab: "abc" };
  const saved = JSON.parse(JSON.stringify(config)) as unknown;
  assert.deepEqual(savedRunConfig(saved, "checkpoint c"), config);
  const bad = (edit: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => savedRunConfig({ ...config, ...edit }, "checkpoint c"), (e: unknown) => e instanceof CheckpointError && message.test(e.message));
  bad({ optimizer: "lbfgs" }, /^checkpoint c: state.json "config" \.optimizer must be one of adam, adamw, sgd, got "lbfgs"; refusing to resume from it$/);
  bad({ blockSize: 1e9 }, /\.blockSize must be null or an integer from 2 to 4096/);
  bad({ color: "sepia" }, /\.color must be auto, grey or rgb/);
  assert.throws(() => savedRunConfig(undefined, "checkpoint c"), /"config" is missing/);
});

test("fit failures: NaN/Inf and anomalies exit with 3, out of memory says so once with the remedy", () => {
  const quiet = console.error;
  const printed: string[] = [];
  console.error = (s: string) => printed.push(s);
  try {
    assert.equal(reportFitError(new NonFiniteLossError(1, 2, NaN), false), EXIT_NON_FINITE);
    assert.match(printed[0]!, /the loss is NaN at epoch 1, step 2.*rerun with --detect-anomaly/);
    const anomaly = new TrainingError("anomaly: 'log' produced NaN", 1, 1, 1, null, { cause: new AnomalyError("anomaly", "log", "forward") });
    assert.equal(reportFitError(anomaly, true), EXIT_NON_FINITE);
  } finally {
    console.error = quiet;
  }
  const oom = new OutOfMemoryError("matmul", "cpu", "4.00 GiB", new RangeError("Array buffer allocation failed"));
  const failure = new TrainingError(`${oom.message} (at epoch 1, step 3, global step 3); no checkpoint was written`, 1, 3, 3, null, { cause: oom });
  assert.throws(
    () => reportFitError(failure, false),
    (e: unknown) => e instanceof TrainingOutOfMemoryError && /^out of memory: matmul on 'cpu' could not allocate 4\.00 GiB .*; try a smaller --batch-size$/.test(e.message) && e.message.split("out of memory").length === 2,
  );
  const other = new TrainingError("shape mismatch", 1, 1, 1, null, { cause: new TypeError("shape mismatch") });
  assert.throws(() => reportFitError(other, false), (e: unknown) => e === other);
});
