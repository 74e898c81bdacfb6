/** `nt.train`: the fit loop, evaluation and progress display. */
export { fit, NonFiniteLossError } from "./fit.js";
export type { FitOptions, Callback, StepInfo, EpochInfo, SchedulerLike } from "./fit.js";
export { evaluate, countCorrect } from "./evaluate.js";
export type { EvalResult, LossFn } from "./evaluate.js";
export { ProgressLine, formatProgress, formatDuration } from "./progress.js";
