/** `nt.optim.lrScheduler`: learning-rate schedules with PyTorch's semantics. */
export { LRScheduler, type SchedulerOptions, type SchedulerStateDict } from "./lr-scheduler.js";
export { StepLR, type StepLROptions } from "./step-lr.js";
export { MultiStepLR, type MultiStepLROptions } from "./multi-step-lr.js";
export { ExponentialLR, type ExponentialLROptions } from "./exponential-lr.js";
export { ConstantLR, type ConstantLROptions } from "./constant-lr.js";
export { LinearLR, type LinearLROptions } from "./linear-lr.js";
export { PolynomialLR, type PolynomialLROptions } from "./polynomial-lr.js";
export { CosineAnnealingLR, type CosineAnnealingLROptions } from "./cosine-annealing-lr.js";
export { LambdaLR, MultiplicativeLR, type LambdaLROptions, type LrLambda } from "./lambda-lr.js";
export { OneCycleLR, type OneCycleLROptions, type OneCyclePhase } from "./one-cycle-lr.js";
export { SequentialLR, ChainedScheduler, type SequentialLROptions } from "./sequential-lr.js";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./reduce-lr-on-plateau.js";
