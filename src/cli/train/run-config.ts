// The settings that define a training run: parsed from `neurite train`'s flags, saved in every
// checkpoint (state.json "config") and reused by --resume.

export const SCHEDULERS = ["none", "cosine", "step", "onecycle", "plateau", "warmup"] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];
/** Optimizer steps of the "warmup" schedule's linear ramp (then the learning rate stays constant). */
export const WARMUP_STEPS = 100;
export const OPTIMIZERS = ["adam", "adamw", "sgd"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export const COLOR_MODES = ["auto", "grey", "rgb"] as const;
export const NORMALIZE_MODES = ["dataset", "none"] as const;

/**
 * A run's settings. A type alias (not an interface) so that it is a plain JSON record for
 * fit()'s `config` without a cast.
 */
export type RunConfig = {
  model: string;
  task: string;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
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
  color?: (typeof COLOR_MODES)[number];
  normalize?: (typeof NORMALIZE_MODES)[number];
};

/** Flags that define the run: not allowed with --resume (the checkpoint's values are used). */
export const RUN_FLAGS = ["model", "batch-size", "lr", "optimizer", "scheduler", "grad-clip", "accumulate", "patience", "seed", "data", "text", "block-size", "limit", "test-limit", "val-split", "target", "size", "color", "normalize"] as const;
