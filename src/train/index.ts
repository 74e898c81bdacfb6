/** `nt.train`: the fit loop, callbacks, metrics, checkpoints, evaluation, progress (the report renderer is Node-only: `neurite/report`, and in Node also `nt.train`). */
export { fit, NonFiniteLossError, TrainingError, describeCheckpoint } from "./fit.js";
export type { FitOptions, FitResult, FitContext, ForwardFn, Callback, StepInfo, EpochInfo, StepRecord, CheckpointInfo, SchedulerLike, StepScheduler, MetricScheduler, StopReason } from "./fit.js";
export { ProgressLogger, EarlyStopping, LRSchedulerCallback, JsonLinesLogger } from "./callbacks.js";
export type { Monitor } from "./callbacks.js";
export { accuracy, topKAccuracy } from "./metrics.js";
export type { Metric } from "./metrics.js";
export { EMA, EmaCallback } from "./ema.js";
export { saveCheckpoint, loadCheckpoint, findCheckpointDir, readCheckpointState, disposeCheckpoint, CheckpointError } from "./checkpoint.js";
export type { LoadedCheckpoint, CheckpointState, SaveCheckpointOptions } from "./checkpoint.js";
export { evaluate, countCorrect, modelOutput } from "./evaluate.js";
export type { EvalResult, LossFn } from "./evaluate.js";
export { ProgressLine, formatProgress, formatDuration } from "./progress.js";
