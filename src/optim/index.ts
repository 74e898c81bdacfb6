/**
 * `nt.optim`: optimizers with PyTorch's update rules, gradient clipping, and learning-rate
 * schedulers under `nt.optim.lrScheduler`.
 *
 *   const opt = new nt.optim.AdamW(model.parameters(), { lr: 3e-4 });
 *   const sched = new nt.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 100 });
 *   // per step: opt.zeroGrad(); loss.backward(); opt.step(); sched.step();
 */
export {
  Optimizer,
  type HyperParams,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type StateValue,
  type OptimizerStateDict,
  type SchedulerGroupFields,
} from "./optimizer.js";
export { SGD, type SGDOptions, type SGDState } from "./sgd.js";
export { Adam, type AdamOptions, type AdamState } from "./adam.js";
export { AdamW, type AdamWOptions, type AdamWState } from "./adamw.js";
export { RMSprop, type RMSpropOptions, type RMSpropState } from "./rmsprop.js";
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions } from "./clip-grad.js";
export * as lrScheduler from "./lr-scheduler/index.js";
