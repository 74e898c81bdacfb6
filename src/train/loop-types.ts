// The types the fit loop shares with its callbacks and its caller: what a callback sees after
// each step and epoch, the checkpoints written, and fit()'s result. Re-exported by fit.ts.
import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { EvalResult } from "./evaluate.js";

/** What callbacks see after each batch. */
export interface StepInfo {
  epoch: number;
  epochs: number;
  /** Batch number within the epoch (1-based). */
  step: number;
  stepsPerEpoch: number;
  /** Batches since the start of training (1-based; continues across resumes). */
  globalStep: number;
  /** Optimizer steps since the start of training. */
  optimizerSteps: number;
  loss: number;
  /** Running mean loss and metrics over the epoch so far. */
  epochLoss: number;
  epochAccuracy: number;
  metrics: Record<string, number>;
  samples: number;
  imagesPerSecond: number;
  lr: number;
  /** Training time since the run started (over all resumed sessions). */
  elapsedSeconds: number;
  /** Training time in this session (for ETA). */
  sessionSeconds: number;
  sessionSteps: number;
}

export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  trainMetrics: Record<string, number>;
  val?: EvalResult;
  seconds: number;
  samples: number;
  imagesPerSecond: number;
  lr: number;
}

/** One point of the per-step curves. */
export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  /** The batch's accuracy, when the accuracy metric is computed. */
  accuracy?: number;
}

export interface CheckpointInfo {
  dir: string;
  epoch: number;
  /** Batches done in `epoch` (0 after a completed epoch... equal to stepsPerEpoch). */
  step: number;
  globalStep: number;
  reason: "periodic" | "epoch" | "interrupt" | "final";
}

export interface FitContext {
  model: Module;
  optimizer: Optimizer;
  epochs: number;
  stepsPerEpoch: number;
  /** True when continuing from a checkpoint. */
  resumed: boolean;
  startEpoch: number;
  startStep: number;
}

/**
 * Hooks into the loop. `onStepEnd` or `onEpochEnd` returning `true` stops training (after a
 * checkpoint is written). Callbacks with state that must survive a resume (early stopping's
 * best value) give themselves a `name` and `stateDict`/`loadStateDict`.
 */
export interface Callback {
  name?: string;
  onTrainBegin?(ctx: FitContext): void | Promise<void>;
  onStepEnd?(info: StepInfo): void | boolean | Promise<void | boolean>;
  onEpochEnd?(info: EpochInfo): void | boolean | Promise<void | boolean>;
  onCheckpoint?(info: CheckpointInfo): void | Promise<void>;
  onTrainEnd?(result: FitResult): void | Promise<void>;
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
  /**
   * Tensors that must survive a resume (an EMA's averaged weights): saved in the checkpoint's
   * callbacks.safetensors as `<name>.<key>`, bit for bit, and handed back on resume. Needs a `name`.
   */
  tensorStateDict?(): Map<string, Tensor>;
  loadTensorStateDict?(tensors: Map<string, Tensor>): void;
}

/** Why fit() returned (also saved in checkpoints, where `train --resume` reads it). */
export const STOP_REASONS = ["completed", "early-stop", "interrupted", "max-steps"] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface FitResult {
  history: EpochInfo[];
  steps: StepRecord[];
  stopReason: StopReason;
  epoch: number;
  globalStep: number;
  optimizerSteps: number;
  trainSeconds: number;
  /** The last checkpoint written, if any. */
  checkpoint: CheckpointInfo | null;
  resumedFrom: { epoch: number; step: number; globalStep: number } | null;
}

