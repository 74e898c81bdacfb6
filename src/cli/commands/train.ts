import { join, resolve, relative } from "node:path";
import { existsSync, statSync } from "node:fs";
import * as registry from "../../backend/registry.js";
import { BACKEND_OPTION_SPEC, backendFromArgs } from "../backend-options.js";
import { manualSeed } from "../../tensor/random.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Adam } from "../../optim/adam.js";
import { AdamW } from "../../optim/adamw.js";
import { SGD } from "../../optim/sgd.js";
import type { Optimizer } from "../../optim/optimizer.js";
import { CosineAnnealingLR } from "../../optim/lr-scheduler/cosine-annealing-lr.js";
import { StepLR } from "../../optim/lr-scheduler/step-lr.js";
import { OneCycleLR } from "../../optim/lr-scheduler/one-cycle-lr.js";
import { ReduceLROnPlateau } from "../../optim/lr-scheduler/reduce-lr-on-plateau.js";
import { setDetectAnomaly, AnomalyError } from "../../autograd/anomaly.js";
import { OutOfMemoryError, isAllocationFailure } from "../../memory/out-of-memory.js";
import { fit, NonFiniteLossError, TrainingError, type Callback, type SchedulerLike } from "../../train/fit.js";
import { evaluate } from "../../train/evaluate.js";
import { EarlyStopping, ProgressLogger, JsonLinesLogger } from "../../train/callbacks.js";
import { formatDuration } from "../../train/progress.js";
import { loadCheckpoint, findCheckpointDir, readCheckpointState, disposeCheckpoint, CheckpointError, CHECKPOINT_DIRNAME, type LoadedCheckpoint } from "../../train/checkpoint.js";
import { writeReport, confusionMatrix, sparkline, type MisclassifiedImage } from "../../train/report.js";
import { save } from "../../io/safetensors.js";
import { writeFileAtomic } from "../../io/atomic-write.js";
import { findModel, modelNames, type ZooEntry } from "../model-zoo.js";
import { evalBatchSize, hostLoader, loadTaskData, taskLoss } from "../tasks.js";
import { generateText } from "./sample.js";
import { checkSavedRunConfig } from "../run-config-schema.js";
import { RunLock, RunLockedError } from "../run-lock.js";
import { makeDirectories } from "../../io/node-file.js";
import { MANIFEST_NAME, encodeManifest } from "../../train/manifest.js";
import { UsageError, choiceOption, floatOption, intOption, parseCommandArgs, type ParsedArgs } from "../args.js";

const SCHEDULERS = ["none", "cosine", "step", "onecycle", "plateau"] as const;
type SchedulerName = (typeof SCHEDULERS)[number];
const OPTIMIZERS = ["adam", "adamw", "sgd"] as const;

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
  --scheduler NAME      ${SCHEDULERS.join(", ")} (model default, else none)
  --no-augment          train without the model's data augmentation (cnn-bn: random shifts/flips)
  --grad-clip X         clip the gradient norm to X
  --accumulate N        accumulate gradients over N batches per optimizer step
  --patience N          stop early when the validation loss has not improved for N epochs
  --seed N              random seed for initialisation, shuffling and dropout (default 0)
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
  neurite train --model cnn --data photos/ --size 32 --epochs 10
  neurite train --data iris.csv --target species`;

export interface TrainResult {
  model: string;
  task: string;
  backend: string;
  epochs: number;
  stopReason: string;
  batchSize: number;
  trainSamples: number;
  /** 0 when there is no test set (own data). */
  testSamples: number;
  valSamples?: number;
  dataSource: string;
  trainLoss: number;
  trainAccuracy: number | null;
  /** The test set, evaluated once at the end; null when there is none (own data). */
  testLoss: number | null;
  testAccuracy: number | null;
  /** The validation split (--val-split), where there is one. */
  valLoss?: number;
  valAccuracy?: number | null;
  classes?: string[];
  seconds: number;
  trainSeconds: number;
  imagesPerSecond: number;
  steps: number;
  runDir: string;
  checkpoint: string;
  checkpointDir: string;
  report: string | null;
  resumedFrom: { epoch: number; step: number; globalStep: number } | null;
  history: { epoch: number; trainLoss: number; trainAccuracy: number | null; testLoss: number | null; testAccuracy: number | null; valLoss?: number | null; valAccuracy?: number | null; lr: number; seconds: number }[];
}

/** The settings that define a run, saved in every checkpoint and reused by --resume. */
interface RunConfig {
  model: string;
  task: string;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: (typeof OPTIMIZERS)[number];
  scheduler: SchedulerName;
  /** Training-time augmentation of the model's zoo entry (cnn-bn: random shifts and flips). */
  augment: boolean;
  gradClip: number | null;
  accumulate: number;
  patience: number | null;
  seed: number;
  data: string | null;
  text: string | null;
  blockSize: number | null;
  limit: number | null;
  testLimit: number | null;
  backend: string;
  vocab?: string;
  /** Fraction held out for validation (null: the data's default). */
  valSplit?: number | null;
  target?: string | null;
  size?: number | null;
  color?: "auto" | "grey" | "rgb";
  normalize?: "dataset" | "none";
}

/** Flags that define the run: not allowed with --resume (the checkpoint's values are used). */
const RUN_FLAGS = ["model", "batch-size", "lr", "optimizer", "scheduler", "grad-clip", "accumulate", "patience", "seed", "data", "text", "block-size", "limit", "test-limit", "val-split", "target", "size", "color", "normalize"];

const finite = (x: number) => (Number.isFinite(x) ? x : null);

function configFromArgs(args: ParsedArgs): { entry: ZooEntry; config: RunConfig } {
  // A table trains the table model unless --model says otherwise.
  const name = args.str("model") ?? (/\.csv$/i.test(args.str("data") ?? "") ? "tabular-mlp" : "mlp");
  const entry = findModel(name);
  if (!entry) throw new UsageError(`neurite train: unknown model '${name}' (choose one of: ${modelNames().join(", ")})`);
  const d = entry.defaults;
  const optional = (flag: string, parse: (v: string) => number) => (args.str(flag) === undefined ? null : parse(args.str(flag)!));
  const config: RunConfig = {
    model: name,
    task: entry.task,
    epochs: intOption("train", "epochs", args.str("epochs"), d.epochs),
    batchSize: intOption("train", "batch-size", args.str("batch-size"), d.batchSize),
    lr: floatOption("train", "lr", args.str("lr"), d.lr, 0),
    optimizer: choiceOption("train", "optimizer", args.str("optimizer"), OPTIMIZERS, d.optimizer),
    scheduler: choiceOption("train", "scheduler", args.str("scheduler"), SCHEDULERS, d.scheduler ?? "none"),
    augment: entry.augment !== undefined && !args.flag("no-augment"),
    gradClip: optional("grad-clip", (v) => floatOption("train", "grad-clip", v, 0, 0)),
    accumulate: intOption("train", "accumulate", args.str("accumulate"), 1),
    patience: optional("patience", (v) => intOption("train", "patience", v, 0, 0)),
    seed: intOption("train", "seed", args.str("seed"), 0, 0),
    data: args.str("data") === undefined ? null : resolve(args.str("data")!),
    text: args.str("text") === undefined ? null : resolve(args.str("text")!),
    blockSize: optional("block-size", (v) => intOption("train", "block-size", v, 0, 2)),
    limit: optional("limit", (v) => intOption("train", "limit", v, 0)),
    testLimit: optional("test-limit", (v) => intOption("train", "test-limit", v, 0)),
    backend: "", // set by the caller
    valSplit: optional("val-split", (v) => {
      const x = floatOption("train", "val-split", v, 0, 0);
      if (x >= 1) throw new UsageError(`neurite train: --val-split must be a fraction in [0, 1), got '${v}'`);
      return x;
    }),
    target: args.str("target") ?? null,
    size: optional("size", (v) => intOption("train", "size", v, 0, 1)),
    color: choiceOption("train", "color", args.str("color"), ["auto", "grey", "rgb"] as const, "auto"),
    normalize: choiceOption("train", "normalize", args.str("normalize"), ["dataset", "none"] as const, "dataset"),
  };
  if (config.lr === 0) throw new UsageError("neurite train: --lr must be a number > 0, got '0'");
  if (config.data !== null && !existsSync(config.data)) throw new UsageError(`neurite train: --data ${args.str("data")}: no such file or directory`);
  if (config.text !== null && !existsSync(config.text)) throw new UsageError(`neurite train: --text ${args.str("text")}: no such file`);
  return { entry, config };
}

function makeOptimizer(config: RunConfig, params: Tensor[]): Optimizer {
  const { lr } = config;
  if (config.optimizer === "adam") return new Adam(params, { lr });
  if (config.optimizer === "adamw") return new AdamW(params, { lr });
  return new SGD(params, { lr, momentum: 0.9 });
}

function makeScheduler(config: RunConfig, optimizer: Optimizer, stepsPerEpoch: number): { scheduler?: SchedulerLike; interval: "step" | "epoch" } {
  const optSteps = Math.ceil(stepsPerEpoch / config.accumulate);
  switch (config.scheduler) {
    case "cosine":
      return { scheduler: new CosineAnnealingLR(optimizer, { tMax: Math.max(1, optSteps * config.epochs) }), interval: "step" };
    case "onecycle":
      return { scheduler: new OneCycleLR(optimizer, { maxLr: config.lr, totalSteps: Math.max(1, optSteps * config.epochs) }), interval: "step" };
    case "step":
      return { scheduler: new StepLR(optimizer, { stepSize: Math.max(1, Math.ceil(config.epochs / 3)), gamma: 0.1 }), interval: "epoch" };
    case "plateau":
      return { scheduler: new ReduceLROnPlateau(optimizer, { patience: 1, factor: 0.5 }), interval: "epoch" };
    default:
      return { interval: "epoch" };
  }
}

/** The files a run writes in its folder (besides the report's), removed before a fresh start. */
const RUN_FILES = ["metrics.jsonl", "model.safetensors", "result.json", MANIFEST_NAME];

/** Locks the run folder for this process; another run there is a usage error (exit 2). */
function lockRunFolder(runDir: string): RunLock {
  try {
    return RunLock.acquire(runDir, relative(process.cwd(), runDir) || ".");
  } catch (e) {
    if (e instanceof RunLockedError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Refuses to start over in a folder that holds a run, unless `overwrite`: an unfinished one
 * (resume it instead), a finished one (train it longer with --resume --epochs), or one whose
 * checkpoint cannot be read.
 */
async function refuseEarlierRun(runDir: string, overwrite: boolean): Promise<void> {
  if (overwrite) return;
  const rel = relative(process.cwd(), runDir) || ".";
  let dir: string | null = null;
  try {
    dir = await findCheckpointDir(join(runDir, CHECKPOINT_DIRNAME));
  } catch {
    // no checkpoint
  }
  if (dir !== null) {
    let st: { stopReason?: unknown; epoch?: unknown; stepInEpoch?: unknown } | undefined;
    try {
      st = (await readCheckpointState(dir)).train as typeof st;
    } catch (e) {
      throw new UsageError(`neurite train: ${rel} holds a checkpoint that cannot be used (${(e as Error).message}); start over with --overwrite`);
    }
    if (st && st.stopReason !== "completed" && st.stopReason !== "early-stop") {
      throw new UsageError(
        `neurite train: ${rel} holds an unfinished run (epoch ${String(st.epoch)}, step ${String(st.stepInEpoch)}); continue it with 'neurite train --resume ${rel}' or start over with --overwrite`,
      );
    }
    throw new UsageError(
      `neurite train: ${rel} holds a finished run (${String(st?.epoch)} epoch(s)); train it longer with 'neurite train --resume ${rel} --epochs N', or start over with --overwrite`,
    );
  }
  const earlier = RUN_FILES.filter((f) => existsSync(join(runDir, f)));
  if (earlier.length) throw new UsageError(`neurite train: ${rel} holds files of an earlier run (${earlier.join(", ")}); choose another --out, or start over with --overwrite`);
}

async function clearRunFiles(runDir: string): Promise<void> {
  const { rm } = await import("node:fs/promises");
  for (const f of RUN_FILES) await rm(join(runDir, f), { force: true });
  for (const d of [CHECKPOINT_DIRNAME, `.${CHECKPOINT_DIRNAME}.new`, `.${CHECKPOINT_DIRNAME}.old`]) await rm(join(runDir, d), { recursive: true, force: true });
}

export async function trainCommand(argv: string[]): Promise<number> {
  const held: { lock: RunLock | null } = { lock: null };
  try {
    return await trainInRunFolder(argv, held);
  } finally {
    held.lock?.release();
  }
}

async function trainInRunFolder(argv: string[], held: { lock: RunLock | null }): Promise<number> {
  const args = parseCommandArgs("train", argv, {
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
  });
  if (args.flag("help")) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const json = args.flag("json");
  const quiet = args.flag("quiet");
  const checkpointEvery = args.str("checkpoint-every") === undefined ? undefined : intOption("train", "checkpoint-every", args.str("checkpoint-every"), 0);
  const maxSteps = args.str("max-steps") === undefined ? undefined : intOption("train", "max-steps", args.str("max-steps"), 0);
  let backendName = backendFromArgs("train", args);

  // ---- the run's configuration: from the flags, or from the checkpoint when resuming ----
  let entry: ZooEntry;
  let config: RunConfig;
  let runDir: string;
  let resume: LoadedCheckpoint | null = null;
  const resumeArg = args.str("resume");
  if (resumeArg !== undefined) {
    const given = RUN_FLAGS.filter((f) => args.str(f) !== undefined);
    if (args.flag("no-augment")) given.push("no-augment");
    if (given.length) throw new UsageError(`neurite train: --${given[0]} cannot be changed when resuming (the run's own settings are used; only --epochs can extend it)`);
    if (args.str("out") !== undefined) throw new UsageError("neurite train: --out cannot be used with --resume (the run continues in its own folder)");
    if (!existsSync(resumeArg)) throw new UsageError(`neurite train: --resume ${resumeArg}: no such directory`);
    const found = await findCheckpointDir(resumeArg);
    runDir = resolve(found, "..");
    // Locked before anything is read for use: a run still going on there is not resumed twice.
    held.lock = lockRunFolder(runDir);
    // The run continues on its own backend (results are bit-identical only there) unless --backend says otherwise.
    const savedBackend = ((await readCheckpointState(found)).config as { backend?: string } | undefined)?.backend;
    if (args.str("backend") === undefined && typeof savedBackend === "string" && registry.backends().includes(savedBackend)) backendName = savedBackend;
    await registry.setBackend(backendName);
    resume = await loadCheckpoint(found); // CheckpointError: refused, nothing is written
    checkSavedRunConfig(resume.state.config, `checkpoint ${resume.dir}`, { optimizers: OPTIMIZERS, schedulers: SCHEDULERS });
    const saved = resume.state.config as RunConfig;
    const e = findModel(saved.model);
    if (!e) throw new CheckpointError(`checkpoint ${resume.dir} is for model '${saved.model.slice(0, 60)}', which this neurite does not have`);
    entry = e;
    config = { ...saved, augment: saved.augment ?? false, epochs: intOption("train", "epochs", args.str("epochs"), saved.epochs), backend: backendName };
    const position = resume.state.train as { epochDone?: unknown; epoch?: unknown } | undefined;
    if (position?.epochDone === true && typeof position.epoch === "number" && position.epoch >= config.epochs) {
      const rel = relative(process.cwd(), runDir) || ".";
      throw new UsageError(`neurite train: ${rel} has already finished its ${position.epoch} epoch(s); pass --epochs N with N > ${position.epoch} to train it longer, or start over with --out ${rel} --overwrite`);
    }
  } else {
    ({ entry, config } = configFromArgs(args));
    config.backend = backendName;
    runDir = resolve(args.str("out") ?? join("runs", entry.name));
    const outName = args.str("out") ?? join("runs", entry.name);
    if (existsSync(runDir) && !statSync(runDir).isDirectory()) throw new UsageError(`neurite train: --out ${outName} is a file, not a folder`);
    try {
      await makeDirectories(runDir, "run folder");
    } catch (e) {
      throw new UsageError(`neurite train: --out ${outName}: ${(e as Error).message}`);
    }
    held.lock = lockRunFolder(runDir);
    await registry.setBackend(backendName);
  }
  const checkpointDir = join(runDir, CHECKPOINT_DIRNAME);
  const out = (s: string) => {
    if (quiet) return;
    if (json) process.stderr.write(s + "\n");
    else console.log(s);
  };

  const started = performance.now();
  manualSeed(config.seed);
  const data = await loadTaskData(entry, {
    command: "train",
    data: config.data,
    text: config.text,
    limit: config.limit,
    testLimit: config.testLimit,
    ...(config.blockSize !== null ? { blockSize: config.blockSize } : {}),
    ...(config.vocab !== undefined ? { vocab: config.vocab } : {}),
    valSplit: config.valSplit ?? null,
    seed: config.seed,
    target: config.target ?? null,
    size: config.size ?? null,
    ...(config.color ? { color: config.color } : {}),
    ...(config.normalize ? { normalize: config.normalize } : {}),
  });
  if (!resume) {
    // After the data are read, so that a mistake in the options is reported as such even where
    // the folder holds an earlier run (e.g. the README's main job in runs/mlp).
    await refuseEarlierRun(runDir, args.flag("overwrite"));
    // A fresh start: nothing of an earlier run may mix into this one (metrics.jsonl is appended to).
    await clearRunFiles(runDir);
  }
  if (data.vocab !== undefined) config.vocab = data.vocab;
  const model = entry.create(data.ctx);
  const optimizer = makeOptimizer(config, model.parameters());
  const trainLoader = hostLoader(data.train, { batchSize: config.batchSize, shuffle: true, seed: config.seed });
  const testLoader = data.test ? hostLoader(data.test, { batchSize: evalBatchSize(entry) }) : null;
  const valLoader = data.val ? hostLoader(data.val, { batchSize: evalBatchSize(entry) }) : null;
  // Each epoch is evaluated on the validation split, else (as before splits existed) on the test set.
  const epochLoader = valLoader ?? testLoader;
  const epochLabel = valLoader ? "val" : "test";
  const noun = entry.task === "char-lm" ? "sequences" : entry.task === "tabular" ? "rows" : "images";
  const { scheduler, interval } = makeScheduler(config, optimizer, trainLoader.length);
  if (args.flag("detect-anomaly")) setDetectAnomaly(true);

  out(
    resume
      ? `neurite: resuming ${entry.name} from ${resume.dir}, backend ${backendName}`
      : `neurite: training ${entry.name} on ${data.train.length} ${noun}${data.val ? ` (+${data.val.length} held out for validation)` : ""} (${data.source}), backend ${backendName}, ${config.epochs} epoch(s), batch ${config.batchSize}${config.scheduler !== "none" ? `, ${config.scheduler} schedule` : ""}${config.augment ? ", augmented" : ""}, run folder ${relative(process.cwd(), runDir) || "."}`,
  );

  // Ctrl-C: stop after the current step and checkpoint; a second Ctrl-C quits at once.
  const abort = new AbortController();
  let signalName = "SIGINT" as NodeJS.Signals;
  const onSigint = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      process.stderr.write("\nneurite train: interrupted again, quitting without saving\n");
      process.exit(sig === "SIGTERM" ? 143 : 130);
    }
    signalName = sig;
    process.stderr.write("\nneurite train: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n");
    abort.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);

  const callbacks: Callback[] = [
    new ProgressLogger({ enabled: !quiet, log: (s) => out(s), valLabel: epochLabel }),
    new JsonLinesLogger(join(runDir, "metrics.jsonl")),
  ];
  if (config.patience !== null) callbacks.push(new EarlyStopping({ monitor: "val.loss", patience: config.patience }));
  const modelMetadata: Record<string, string> = { model: entry.name, task: entry.task };
  if (data.vocab !== undefined) modelMetadata.vocab = JSON.stringify(data.vocab);
  if (data.ctx.blockSize !== undefined) modelMetadata.block_size = String(data.ctx.blockSize);
  if (data.classNames) modelMetadata.classes = JSON.stringify(data.classNames);
  if (data.input) modelMetadata.input = JSON.stringify(data.input);

  let result;
  try {
    result = await fit(model, {
      train: trainLoader,
      ...(epochLoader ? { val: epochLoader } : {}),
      optimizer,
      loss: taskLoss,
      epochs: config.epochs,
      ...(scheduler ? { scheduler, schedulerInterval: interval } : {}),
      callbacks,
      ...(config.gradClip !== null ? { gradClip: config.gradClip } : {}),
      accumulate: config.accumulate,
      ...(config.augment && entry.augment ? { augment: entry.augment } : {}),
      checkpointDir,
      ...(checkpointEvery !== undefined ? { checkpointEvery } : {}),
      ...(maxSteps !== undefined ? { maxSteps } : {}),
      ...(resume ? { resume } : {}),
      signal: abort.signal,
      config: config as unknown as Record<string, unknown>,
      modelMetadata,
    });
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      console.error(`neurite train: ${e.message}${args.flag("detect-anomaly") ? "" : "; rerun with --detect-anomaly to find the operation that produced it, or lower --lr"}`);
      return 3;
    }
    if (e instanceof TrainingError && e.cause instanceof AnomalyError) {
      console.error(`neurite train: ${e.message}`);
      return 3;
    }
    if (e instanceof TrainingError) {
      const cause = e.cause as Error | undefined;
      const oom = cause instanceof OutOfMemoryError || isAllocationFailure(cause);
      throw new Error(`${oom ? "out of memory: " : ""}${e.message}${oom ? "; try a smaller --batch-size" : ""}`, { cause: e });
    }
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    if (resume) disposeCheckpoint(resume);
  }
  const rel = relative(process.cwd(), runDir) || ".";
  if (result.stopReason === "interrupted" || result.stopReason === "max-steps") {
    const c = result.checkpoint;
    const where = c ? `checkpoint saved at epoch ${c.epoch}, step ${c.step} (global step ${c.globalStep})` : "no checkpoint";
    if (json) console.log(JSON.stringify({ stopReason: result.stopReason, runDir, checkpointDir, epoch: c?.epoch ?? null, step: c?.step ?? null, globalStep: c?.globalStep ?? null }));
    console.error(`neurite train: ${result.stopReason === "interrupted" ? "interrupted" : `stopped after ${maxSteps} steps`}; ${where}; resume with: neurite train --resume ${rel}`);
    model.dispose();
    return result.stopReason === "interrupted" ? (signalName === "SIGTERM" ? 143 : 130) : 0;
  }

  if (result.resumedFrom && result.globalStep === result.resumedFrom.globalStep && result.stopReason === "completed") {
    out(`the run had already finished its ${config.epochs} epoch(s); pass --epochs N with N > ${config.epochs} to train it longer`);
  }

  // ---- final evaluation, weights, result, report ----
  // The test set is evaluated once, here; the validation split again with the final weights.
  const classify = entry.task !== "char-lm";
  const test = testLoader ? await evaluate(model, testLoader, taskLoss, { keepPredictions: classify }) : null;
  const val = valLoader ? await evaluate(model, valLoader, taskLoss, { keepPredictions: classify }) : null;
  const heldOut = test ?? val;
  const weights = join(runDir, "model.safetensors");
  // The folder's manifest is rewritten once both final files are in place; until then there is
  // none, rather than one that no longer matches.
  const { rm } = await import("node:fs/promises");
  await rm(join(runDir, MANIFEST_NAME), { force: true });
  const weightBytes = await save(model.stateDict(), weights, { format: "pt", ...modelMetadata, epochs: String(result.history.length) });
  const last = result.history[result.history.length - 1];
  const totalSamples = result.history.reduce((s, h) => s + h.samples, 0);
  const trainResult: TrainResult = {
    model: entry.name,
    task: entry.task,
    backend: backendName,
    epochs: result.history.length,
    stopReason: result.stopReason,
    batchSize: config.batchSize,
    trainSamples: data.train.length,
    testSamples: test?.count ?? 0,
    ...(val ? { valSamples: val.count } : {}),
    dataSource: data.source,
    trainLoss: last?.trainLoss ?? NaN,
    trainAccuracy: finite(last?.trainAccuracy ?? NaN),
    testLoss: test?.loss ?? null,
    testAccuracy: test ? finite(test.accuracy) : null,
    ...(val ? { valLoss: val.loss, valAccuracy: finite(val.accuracy) } : {}),
    ...(data.input && data.classNames ? { classes: data.classNames } : {}),
    seconds: (performance.now() - started) / 1000,
    trainSeconds: result.trainSeconds,
    imagesPerSecond: totalSamples / Math.max(1e-9, result.history.reduce((s, h) => s + h.seconds, 0)),
    steps: result.globalStep,
    runDir,
    checkpoint: weights,
    checkpointDir,
    report: null,
    resumedFrom: result.resumedFrom,
    history: result.history.map((h) => ({
      epoch: h.epoch,
      trainLoss: h.trainLoss,
      trainAccuracy: finite(h.trainAccuracy),
      // Per-epoch evaluation is on the validation split when there is one, else on the test set.
      ...(valLoader ? { valLoss: h.val?.loss ?? null, valAccuracy: finite(h.val?.accuracy ?? NaN), testLoss: null, testAccuracy: null } : { testLoss: h.val?.loss ?? null, testAccuracy: finite(h.val?.accuracy ?? NaN) }),
      lr: h.lr,
      seconds: h.seconds,
    })),
  };

  if (!args.flag("no-report")) {
    try {
      let text: { title: string; body: string } | undefined;
      if (entry.task === "char-lm" && data.vocab) {
        const body = await generateText(model, data.vocab, { length: 300, temperature: 0.8, seed: config.seed, blockSize: data.ctx.blockSize ?? 64, prompt: "" });
        text = { title: "Sample (temperature 0.8)", body };
      }
      const misclassified: MisclassifiedImage[] = [];
      let confusion;
      if (heldOut?.predictions && heldOut.targets && data.classNames) {
        confusion = { classNames: data.classNames, matrix: confusionMatrix(heldOut.targets, heldOut.predictions, data.classNames.length) };
      }
      if (test?.predictions && test.targets && data.classNames && data.testImages) {
        const wrong = [...test.predictions.keys()].filter((i) => test.predictions![i] !== test.targets![i]);
        wrong.sort((a, b) => test.confidences![b]! - test.confidences![a]! || a - b);
        for (const i of wrong.slice(0, 40)) {
          misclassified.push({
            pixels: data.testImages.subarray(i * 784, (i + 1) * 784),
            width: 28,
            height: 28,
            label: data.classNames[test.targets[i]!]!,
            predicted: data.classNames[test.predictions[i]!]!,
            confidence: test.confidences![i]!,
            index: i,
          });
        }
      }
      const files = await writeReport(runDir, {
        title: `neurite train: ${entry.name} on ${data.input ? config.data : entry.task === "fashion-mnist" ? "Fashion-MNIST" : (config.text ?? "fortunes-sample.txt")}`,
        config: Object.fromEntries(Object.entries({ ...config, data: data.source, runDir }).filter(([k, v]) => v !== null && k !== "vocab")),
        summary: {
          ...(test ? { "test loss": test.loss } : {}),
          ...(test && Number.isFinite(test.accuracy) ? { "test accuracy": `${(test.accuracy * 100).toFixed(2)}%` } : {}),
          ...(test && entry.task === "char-lm" ? { "test perplexity": Math.exp(test.loss) } : {}),
          ...(val ? { "validation loss": val.loss } : {}),
          ...(val && Number.isFinite(val.accuracy) ? { "validation accuracy": `${(val.accuracy * 100).toFixed(2)}%` } : {}),
          "train loss": trainResult.trainLoss,
          epochs: trainResult.epochs,
          steps: trainResult.steps,
          "training time": formatDuration(trainResult.trainSeconds),
          "throughput (samples/s)": Math.round(trainResult.imagesPerSecond),
          stopped: result.stopReason,
          ...(result.resumedFrom ? { "resumed from": `epoch ${result.resumedFrom.epoch}, step ${result.resumedFrom.step}` } : {}),
        },
        history: result.history,
        steps: result.steps,
        ...(confusion ? { confusion } : {}),
        ...(misclassified.length ? { misclassified } : {}),
        ...(text ? { text } : {}),
      });
      trainResult.report = files.html;
      for (const w of files.warnings) console.error(`neurite train: ${w}`);
    } catch (e) {
      console.error(`neurite train: the report could not be written (${(e as Error).message.split("\n")[0]}); the run itself is saved`);
    }
  }
  const resultBytes = new TextEncoder().encode(JSON.stringify(trainResult, null, 2) + "\n");
  await writeFileAtomic(join(runDir, "result.json"), resultBytes);
  // eval and predict verify model.safetensors against this, as --resume verifies the checkpoint.
  await writeFileAtomic(join(runDir, MANIFEST_NAME), await encodeManifest([["model.safetensors", weightBytes], ["result.json", resultBytes]]));

  if (json) {
    console.log(JSON.stringify(trainResult));
  } else if (!quiet) {
    for (const [label, r] of [["validation", val], ["test", test]] as const) {
      if (!r) continue;
      const acc = Number.isFinite(r.accuracy) ? `, ${label} accuracy ${(r.accuracy * 100).toFixed(2)}%` : "";
      const ppl = entry.task === "char-lm" ? `, perplexity ${Math.exp(r.loss).toFixed(2)}` : "";
      console.log(`${label} loss ${r.loss.toFixed(4)}${acc}${ppl} on ${r.count} ${noun}`);
    }
    console.log(`loss per step  ${sparkline(result.steps.map((s) => s.loss))}`);
    if (result.stopReason === "early-stop") console.log(`stopped early: the ${epochLabel === "val" ? "validation" : "test"} loss did not improve for ${config.patience} epoch(s)`);
    console.log(`trained in ${formatDuration(trainResult.trainSeconds)} (${Math.round(trainResult.imagesPerSecond)} samples/s)`);
    console.log(`weights: ${relative(process.cwd(), weights)}   checkpoint: ${relative(process.cwd(), checkpointDir)}/`);
    if (trainResult.report) console.log(`report:  ${relative(process.cwd(), trainResult.report)}`);
  }
  model.dispose();
  optimizer.dispose();
  return 0;
}
