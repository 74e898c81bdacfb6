// Checks the run configuration saved in a checkpoint (state.json "config") before `train
// --resume` rebuilds the data, model and optimizer from it.

import { CheckpointError } from "../train/checkpoint.js";
import { MAX_BLOCK_SIZE, MAX_VOCAB } from "./model-metadata.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number) => typeof v === "number" && Number.isSafeInteger(v) && v >= min;

/** Throws CheckpointError naming the first field that `train` could not have written. */
export function checkSavedRunConfig(config: unknown, where: string, choices: { optimizers: readonly string[]; schedulers: readonly string[] }): void {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${where}: state.json "config" ${msg}; refusing to resume from it`);
  };
  if (!isObject(config)) return fail("is missing (the checkpoint was not written by neurite train)");
  const c = config;
  const field = (k: string, ok: boolean, expected: string) => {
    if (!ok) fail(`.${k} must be ${expected}, got ${JSON.stringify(c[k])?.slice(0, 60)}`);
  };
  field("model", typeof c.model === "string" && c.model.length > 0, "a model name");
  field("epochs", isInt(c.epochs, 1), "an integer >= 1");
  field("batchSize", isInt(c.batchSize, 1), "an integer >= 1");
  field("lr", typeof c.lr === "number" && Number.isFinite(c.lr) && c.lr > 0, "a number > 0");
  field("optimizer", typeof c.optimizer === "string" && choices.optimizers.includes(c.optimizer), `one of ${choices.optimizers.join(", ")}`);
  field("scheduler", typeof c.scheduler === "string" && choices.schedulers.includes(c.scheduler), `one of ${choices.schedulers.join(", ")}`);
  field("accumulate", isInt(c.accumulate, 1), "an integer >= 1");
  field("seed", isInt(c.seed, 0), "an integer >= 0");
  field("augment", c.augment === undefined || typeof c.augment === "boolean", "true or false");
  field("gradClip", c.gradClip === null || (typeof c.gradClip === "number" && Number.isFinite(c.gradClip) && c.gradClip >= 0), "null or a number >= 0");
  field("patience", c.patience === null || isInt(c.patience, 0), "null or an integer >= 0");
  field("limit", c.limit === null || isInt(c.limit, 1), "null or an integer >= 1");
  field("testLimit", c.testLimit === null || isInt(c.testLimit, 1), "null or an integer >= 1");
  field("blockSize", c.blockSize === null || (isInt(c.blockSize, 2) && (c.blockSize as number) <= MAX_BLOCK_SIZE), `null or an integer from 2 to ${MAX_BLOCK_SIZE}`);
  field("data", c.data === null || typeof c.data === "string", "null or a path");
  field("text", c.text === null || typeof c.text === "string", "null or a path");
  // Own data and validation (absent in checkpoints written before they existed).
  field("valSplit", c.valSplit === undefined || c.valSplit === null || (typeof c.valSplit === "number" && c.valSplit >= 0 && c.valSplit < 1), "null or a number in [0, 1)");
  field("target", c.target === undefined || c.target === null || typeof c.target === "string", "null or a column name");
  field("size", c.size === undefined || c.size === null || (isInt(c.size, 1) && (c.size as number) <= 1024), "null or an integer from 1 to 1024");
  field("color", c.color === undefined || c.color === "auto" || c.color === "grey" || c.color === "rgb", "auto, grey or rgb");
  field("normalize", c.normalize === undefined || c.normalize === "dataset" || c.normalize === "none", "dataset or none");
  field("vocab", c.vocab === undefined || (typeof c.vocab === "string" && [...c.vocab].length <= MAX_VOCAB), `a string of at most ${MAX_VOCAB} characters`);
}
