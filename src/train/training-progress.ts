// Where a run stands: the fit loop's position, running sums and history. It is plain data so
// that it can be saved as JSON in a checkpoint (state.json "train", together with the loader
// and generator states: SavedTrainingState) and checked field by field before a resume
// (progress-schema.ts derives its checks from these types).
import type { DataLoaderState } from "../data/dataloader.js";
import type { MetricSums } from "./metrics.js";
import type { EpochInfo, StopReason } from "./loop-types.js";
import type { StepLog } from "./step-records.js";

/** The loop's position and running sums; everything of the run but model, optimizer and generators. */
export interface Progress extends StepLog {
  epoch: number;
  epochs: number;
  /** True between epochs (and before the first): the next batch starts epoch `epoch + 1`. */
  epochDone: boolean;
  stepInEpoch: number;
  globalStep: number;
  optimizerSteps: number;
  lossSum: number;
  samples: number;
  metricSums: MetricSums;
  epochSeconds: number;
  trainSeconds: number;
  history: EpochInfo[];
  stopReason: StopReason | null;
}

/** Everything needed to continue a run: saved as `train` in a checkpoint's state.json. */
export interface SavedTrainingState extends Progress {
  dataLoader: DataLoaderState;
  /** The training loader's shuffling generator. */
  loaderRng: number[];
  /** The global generator (dropout, augmentation, initialisation of later layers). */
  rng: number[];
  /** The scheduler's stateDict, where it has one. */
  scheduler?: unknown;
  /** The stateDicts of named callbacks (early stopping's best value, ...). */
  callbacks?: Record<string, unknown>;
}

export function freshProgress(epochs: number): Progress {
  return {
    epoch: 0,
    epochs,
    epochDone: true,
    stepInEpoch: 0,
    globalStep: 0,
    optimizerSteps: 0,
    lossSum: 0,
    samples: 0,
    metricSums: {},
    epochSeconds: 0,
    trainSeconds: 0,
    history: [],
    steps: [],
    stepStride: 1,
    stopReason: null,
  };
}

/** Moves `p` to the start of its next epoch (counters and sums of the epoch reset). */
export function beginEpoch(p: Progress): void {
  p.epoch++;
  p.epochDone = false;
  p.stepInEpoch = 0;
  p.lossSum = 0;
  p.samples = 0;
  p.metricSums = {};
  p.epochSeconds = 0;
}
