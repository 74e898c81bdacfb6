// `neurite train`'s command line: the flags, the help text, and the one function that turns
// argv into a typed request (a fresh run's RunConfig, or the run to resume), throwing a
// UsageError (exit code 2) for any option that is wrong.
import { resolve, join } from "node:path";
import { existsSync } from "node:fs";
import * as registry from "../../backend/registry.js";
import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import { findModel, modelNames, type ZooEntry } from "../model-zoo.js";
import { UsageError, choiceOption, floatOption, intOption, parseCommandArgs, type OptionSpec, type ParsedArgs } from "../args.js";
import { COLOR_MODES, NORMALIZE_MODES, OPTIMIZERS, RUN_FLAGS, SCHEDULERS, WARMUP_STEPS, type RunConfig } from "./run-config.js";

export const TRAIN_HELP = `neurite train --model NAME [options]

Trains a reference model, evaluates it on held-out data every epoch, and writes into the run
folder (default runs/NAME): checkpoint/ (resumable), model.safetensors (final weights),
result.json, metrics.jsonl and report.html with the charts also as SVG and PNG.

Model and data:
  --model NAME          ${modelNames().join(", ")} (default mlp)
  --data DIR            Fashion-MNIST folder (default: /usr/share/datasets/fashion-mnist if
                        installed, else the subset bundled with neurite), or your own images:
                        one sub-folder per class of PNG/JPEG files (DIR/cat/1.jpg, DIR/dog/2.png)
  --data FILE.csv       your own table (header row; default model tabular-mlp); with --target
  --target COLUMN       the table column to predict (its distinct values are the classes)
  --size N              own images: resize to NxN (default: the first image's size, at most 64)
  --color MODE          own images: auto, grey or rgb (default auto: grey if every image is)
  --normalize MODE      own images: dataset (per-channel mean/std, default) or none ([0, 1])
  --val-split X         hold out this fraction of the training data, seeded, for per-epoch
                        validation, --patience and the plateau schedule (default 0.1 for own
                        data, else 0: each epoch is evaluated on the test set)
  --text FILE           text for character models (default: bundled data/fortunes-sample.txt)
  --block-size N        characters per training sequence (character models)
  --limit N             use only the first N training samples
  --test-limit N        evaluate on only the first N test samples
Training:
  --epochs N            passes over the training set (model default)
  --batch-size N        samples per step (model default)
  --lr X                learning rate (model default)
  --optimizer NAME      ${OPTIMIZERS.join(", ")} (model default)
  --scheduler NAME      ${SCHEDULERS.join(", ")} (model default, else none;
                        warmup: linear ramp over the first ${WARMUP_STEPS} steps, then constant)
  --no-augment          train without the model's data augmentation (cnn-bn: random shifts/flips)
  --grad-clip X         clip the gradient norm to X (model default: ddpm 1, else none)
  --accumulate N        accumulate gradients over N batches per optimizer step
  --patience N          stop early when the validation loss has not improved for N epochs
  --seed N              random seed (default 0): initialisation and shuffling use N, the
                        training draws (dropout, augmentation) a separate stream from N + 100
  --backend NAME        ${registry.backends().join(", ")} (default ${registry.getBackend()})
  --threads N           threads of the wasm and native backends (default: all cores)
  --detect-anomaly      find the operation that first produces NaN/Inf (slow)
Checkpoints and output:
  --out DIR             run folder (default runs/NAME)
  --checkpoint-every N  also checkpoint every N optimizer steps (always: every epoch, on Ctrl-C)
  --resume DIR          continue the run in DIR (a run folder or its checkpoint/) exactly where
                        it stopped; --epochs may extend it
  --max-steps N         stop after N optimizer steps in total, with a checkpoint to resume
  --overwrite           start over in a run folder holding an unfinished run
  --no-report           skip report.html and the chart files
  --json                print one JSON result object on stdout (progress goes to stderr)
  --quiet               no progress output

Ctrl-C (or SIGTERM) stops after the current step, saves a checkpoint and exits with code 130
(143); a second Ctrl-C quits at once. Exit codes: 0 done, 1 error, 2 bad arguments, 3 the loss became NaN/Inf.

Examples:
  neurite train --model mlp --epochs 5
  neurite train --model mlp --epochs 10 --scheduler cosine --checkpoint-every 100
  neurite train --resume runs/mlp
  neurite train --model bigram --text data/fortunes-sample.txt --epochs 3
  neurite train --model ddpm --epochs 2 --test-limit 1000   (then: neurite generate --checkpoint runs/ddpm)
  neurite train --model cnn --data photos/ --size 32 --epochs 10
  neurite train --data iris.csv --target species`;

const TRAIN_OPTIONS: OptionSpec = {
  model: { type: "string" },
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  optimizer: { type: "string" },
  scheduler: { type: "string" },
  "grad-clip": { type: "string" },
  accumulate: { type: "string" },
  patience: { type: "string" },
  data: { type: "string" },
  text: { type: "string" },
  "block-size": { type: "string" },
  limit: { type: "string" },
  "test-limit": { type: "string" },
  "val-split": { type: "string" },
  target: { type: "string" },
  size: { type: "string" },
  color: { type: "string" },
  normalize: { type: "string" },
  out: { type: "string" },
  ...BACKEND_OPTION_SPEC,
  seed: { type: "string" },
  "checkpoint-every": { type: "string" },
  resume: { type: "string" },
  "max-steps": { type: "string" },
  overwrite: { type: "boolean", default: false },
  "no-report": { type: "boolean", default: false },
  "no-augment": { type: "boolean", default: false },
  "detect-anomaly": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
};

/** How this invocation runs and reports, whatever the run. */
export interface SessionOptions {
  /** One JSON result object on stdout; progress on stderr. */
  json: boolean;
  quiet: boolean;
  /** Write report.html and the chart files. */
  report: boolean;
  detectAnomaly: boolean;
  /** Start over in a folder that holds an earlier run. */
  overwrite: boolean;
  checkpointEvery: number | null;
  maxSteps: number | null;
  /** The backend to train on: --backend, else the current default. */
  backend: string;
  /** Whether --backend was given (a resumed run otherwise continues on its own backend). */
  backendGiven: boolean;
}

export type TrainRequest =
  | { kind: "help" }
  /** A new run in `outDir` (`outName` as the user wrote it, for messages). */
  | { kind: "fresh"; session: SessionOptions; entry: ZooEntry; config: RunConfig; outDir: string; outName: string }
  /** Continue the run whose checkpoint is in or under `from`; `epochs` may extend it. */
  | { kind: "resume"; session: SessionOptions; from: string; epochs: number | null };

/** Parses `neurite train`'s argv into a request; every option error is a UsageError. */
export function parseTrainArgs(argv: string[]): TrainRequest {
  const args = parseCommandArgs("train", argv, TRAIN_OPTIONS);
  if (args.flag("help")) return { kind: "help" };
  const optionalInt = (flag: string, min: number) => (args.str(flag) === undefined ? null : intOption("train", flag, args.str(flag), 0, min));
  const session: SessionOptions = {
    json: args.flag("json"),
    quiet: args.flag("quiet"),
    report: !args.flag("no-report"),
    detectAnomaly: args.flag("detect-anomaly"),
    overwrite: args.flag("overwrite"),
    checkpointEvery: optionalInt("checkpoint-every", 0),
    maxSteps: optionalInt("max-steps", 0),
    backend: backendFromArgs("train", args),
    backendGiven: args.str("backend") !== undefined,
  };
  const resume = args.str("resume");
  if (resume !== undefined) {
    const given: string[] = RUN_FLAGS.filter((f) => args.str(f) !== undefined);
    if (args.flag("no-augment")) given.push("no-augment");
    if (given.length) throw new UsageError(`neurite train: --${given[0]} cannot be changed when resuming (the run's own settings are used; only --epochs can extend it)`);
    if (args.str("out") !== undefined) throw new UsageError("neurite train: --out cannot be used with --resume (the run continues in its own folder)");
    if (!existsSync(resume)) throw new UsageError(`neurite train: --resume ${resume}: no such directory`);
    return { kind: "resume", session, from: resume, epochs: optionalInt("epochs", 1) };
  }
  const { entry, config } = runConfigFromArgs(args, session.backend);
  const outName = args.str("out") ?? join("runs", entry.name);
  return { kind: "fresh", session, entry, config, outDir: resolve(outName), outName };
}

/** A fresh run's settings: the flags over the model's defaults. */
function runConfigFromArgs(args: ParsedArgs, backend: string): { entry: ZooEntry; config: RunConfig } {
  // A table trains the table model unless --model says otherwise.
  const name = args.str("model") ?? (/\.csv$/i.test(args.str("data") ?? "") ? "tabular-mlp" : "mlp");
  const entry = findModel(name);
  if (!entry) throw new UsageError(`neurite train: unknown model '${name}' (choose one of: ${modelNames().join(", ")})`);
  const d = entry.defaults;
  const optional = (flag: string, parse: (v: string) => number) => {
    const v = args.str(flag);
    return v === undefined ? null : parse(v);
  };
  const path = (flag: string) => {
    const v = args.str(flag);
    return v === undefined ? null : resolve(v);
  };
  const config: RunConfig = {
    model: name,
    task: entry.task,
    epochs: intOption("train", "epochs", args.str("epochs"), d.epochs),
    batchSize: intOption("train", "batch-size", args.str("batch-size"), d.batchSize),
    lr: floatOption("train", "lr", args.str("lr"), d.lr, 0),
    optimizer: choiceOption("train", "optimizer", args.str("optimizer"), OPTIMIZERS, d.optimizer),
    scheduler: choiceOption("train", "scheduler", args.str("scheduler"), SCHEDULERS, d.scheduler ?? "none"),
    augment: entry.augment !== undefined && !args.flag("no-augment"),
    gradClip: optional("grad-clip", (v) => floatOption("train", "grad-clip", v, 0, 0)) ?? d.gradClip ?? null,
    accumulate: intOption("train", "accumulate", args.str("accumulate"), 1),
    patience: optional("patience", (v) => intOption("train", "patience", v, 0, 0)),
    seed: intOption("train", "seed", args.str("seed"), 0, 0),
    data: path("data"),
    text: path("text"),
    blockSize: optional("block-size", (v) => intOption("train", "block-size", v, 0, 2)),
    limit: optional("limit", (v) => intOption("train", "limit", v, 0)),
    testLimit: optional("test-limit", (v) => intOption("train", "test-limit", v, 0)),
    backend,
    valSplit: optional("val-split", (v) => {
      const x = floatOption("train", "val-split", v, 0, 0);
      if (x >= 1) throw new UsageError(`neurite train: --val-split must be a fraction in [0, 1), got '${v}'`);
      return x;
    }),
    target: args.str("target") ?? null,
    size: optional("size", (v) => intOption("train", "size", v, 0, 1)),
    color: choiceOption("train", "color", args.str("color"), COLOR_MODES, "auto"),
    normalize: choiceOption("train", "normalize", args.str("normalize"), NORMALIZE_MODES, "dataset"),
  };
  if (config.lr === 0) throw new UsageError("neurite train: --lr must be a number > 0, got '0'");
  if (config.data !== null && !existsSync(config.data)) throw new UsageError(`neurite train: --data ${args.str("data")}: no such file or directory`);
  if (config.text !== null && !existsSync(config.text)) throw new UsageError(`neurite train: --text ${args.str("text")}: no such file`);
  return { entry, config };
}
