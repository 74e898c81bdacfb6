// result.json (and `--json`'s output): what a finished run reports, built from fit()'s result
// and the final evaluation.
import type { FitResult } from "../../train/loop-types.js";
import type { EvalResult } from "../../train/evaluate.js";
import type { ZooEntry } from "../model-zoo.js";
import type { TaskData } from "../tasks.js";
import type { RunConfig } from "./run-config.js";

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

/** The final evaluation: the test set once, the validation split again with the final weights. */
export interface FinalEvaluation {
  test: EvalResult | null;
  val: EvalResult | null;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

export function buildTrainResult(run: {
  entry: ZooEntry;
  config: RunConfig;
  data: TaskData;
  fitted: FitResult;
  final: FinalEvaluation;
  /** Whether each epoch was evaluated on a validation split (else on the test set). */
  epochsOnVal: boolean;
  seconds: number;
  runDir: string;
  weights: string;
  checkpointDir: string;
}): TrainResult {
  const { entry, config, data, fitted, final, runDir } = run;
  const { test, val } = final;
  const last = fitted.history[fitted.history.length - 1];
  const totalSamples = fitted.history.reduce((s, h) => s + h.samples, 0);
  return {
    model: entry.name,
    task: entry.task,
    backend: config.backend,
    epochs: fitted.history.length,
    stopReason: fitted.stopReason,
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
    seconds: run.seconds,
    trainSeconds: fitted.trainSeconds,
    imagesPerSecond: totalSamples / Math.max(1e-9, fitted.history.reduce((s, h) => s + h.seconds, 0)),
    steps: fitted.globalStep,
    runDir,
    checkpoint: run.weights,
    checkpointDir: run.checkpointDir,
    report: null,
    resumedFrom: fitted.resumedFrom,
    history: fitted.history.map((h) => ({
      epoch: h.epoch,
      trainLoss: h.trainLoss,
      trainAccuracy: finite(h.trainAccuracy),
      // Per-epoch evaluation is on the validation split when there is one, else on the test set.
      ...(run.epochsOnVal ? { valLoss: h.val?.loss ?? null, valAccuracy: finite(h.val?.accuracy ?? NaN), testLoss: null, testAccuracy: null } : { testLoss: h.val?.loss ?? null, testAccuracy: finite(h.val?.accuracy ?? NaN) }),
      lr: h.lr,
      seconds: h.seconds,
    })),
  };
}
