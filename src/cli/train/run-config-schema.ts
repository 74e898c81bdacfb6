// Checks the run configuration saved in a checkpoint (state.json "config") before `train
// --resume` rebuilds the data, model and optimizer from it.

import { CheckpointError } from "../../train/checkpoint.js";
import { MAX_BLOCK_SIZE, MAX_VOCAB } from "../model-metadata.js";
import { COLOR_MODES, NORMALIZE_MODES, OPTIMIZERS, SCHEDULERS, type RunConfig } from "./run-config.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number) => typeof v === "number" && Number.isSafeInteger(v) && v >= min;
const isOneOf = <T extends string>(v: unknown, choices: readonly T[]): v is T => typeof v === "string" && (choices as readonly string[]).includes(v);

/** The saved config of a checkpoint written by `neurite train`; CheckpointError names the first field it could not have written. */
export function savedRunConfig(config: unknown, where: string): RunConfig {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${where}: state.json "config" ${msg}; refusing to resume from it`);
  };
  if (!isObject(config)) return fail("is missing (the checkpoint was not written by neurite train)");
  const c = config;
  const field = (k: string, ok: boolean, expected: string) => {
    if (!ok) fail(`.${k} must be ${expected}, got ${JSON.stringify(c[k])?.slice(0, 60)}`);
  };
  const orNull = (v: unknown, ok: (v: unknown) => boolean) => v === null || ok(v);
  const absentOrNull = (v: unknown, ok: (v: unknown) => boolean) => v === undefined || v === null || ok(v);
  field("model", typeof c.model === "string" && c.model.length > 0, "a model name");
  field("epochs", isInt(c.epochs, 1), "an integer >= 1");
  field("batchSize", isInt(c.batchSize, 1), "an integer >= 1");
  field("lr", typeof c.lr === "number" && Number.isFinite(c.lr) && c.lr > 0, "a number > 0");
  field("optimizer", isOneOf(c.optimizer, OPTIMIZERS), `one of ${OPTIMIZERS.join(", ")}`);
  field("scheduler", isOneOf(c.scheduler, SCHEDULERS), `one of ${SCHEDULERS.join(", ")}`);
  field("accumulate", isInt(c.accumulate, 1), "an integer >= 1");
  field("seed", isInt(c.seed, 0), "an integer >= 0");
  field("augment", c.augment === undefined || typeof c.augment === "boolean", "true or false");
  field("gradClip", orNull(c.gradClip, (v) => typeof v === "number" && Number.isFinite(v) && v >= 0), "null or a number >= 0");
  field("patience", orNull(c.patience, (v) => isInt(v, 0)), "null or an integer >= 0");
  field("limit", orNull(c.limit, (v) => isInt(v, 1)), "null or an integer >= 1");
  field("testLimit", orNull(c.testLimit, (v) => isInt(v, 1)), "null or an integer >= 1");
  field("blockSize", orNull(c.blockSize, (v) => isInt(v, 2) && (v as number) <= MAX_BLOCK_SIZE), `null or an integer from 2 to ${MAX_BLOCK_SIZE}`);
  field("data", orNull(c.data, (v) => typeof v === "string"), "null or a path");
  field("text", orNull(c.text, (v) => typeof v === "string"), "null or a path");
  // Own data and validation (absent in checkpoints written before they existed).
  field("valSplit", absentOrNull(c.valSplit, (v) => typeof v === "number" && v >= 0 && v < 1), "null or a number in [0, 1)");
  field("target", absentOrNull(c.target, (v) => typeof v === "string"), "null or a column name");
  field("size", absentOrNull(c.size, (v) => isInt(v, 1) && (v as number) <= 1024), "null or an integer from 1 to 1024");
  field("color", c.color === undefined || isOneOf(c.color, COLOR_MODES), "auto, grey or rgb");
  field("normalize", c.normalize === undefined || isOneOf(c.normalize, NORMALIZE_MODES), "dataset or none");
  field("vocab", c.vocab === undefined || (typeof c.vocab === "string" && [...c.vocab].length <= MAX_VOCAB), `a string of at most ${MAX_VOCAB} characters`);

  // Each field was checked above; this builds the typed value from them.
  const num = (k: string) => c[k] as number;
  const numOrNull = (k: string) => (c[k] ?? null) as number | null;
  const strOrNull = (k: string) => (c[k] ?? null) as string | null;
  return {
    model: c.model as string,
    task: typeof c.task === "string" ? c.task : "",
    epochs: num("epochs"),
    batchSize: num("batchSize"),
    lr: num("lr"),
    optimizer: c.optimizer as RunConfig["optimizer"],
    scheduler: c.scheduler as RunConfig["scheduler"],
    augment: (c.augment as boolean | undefined) ?? false,
    gradClip: numOrNull("gradClip"),
    accumulate: num("accumulate"),
    patience: numOrNull("patience"),
    seed: num("seed"),
    data: strOrNull("data"),
    text: strOrNull("text"),
    blockSize: numOrNull("blockSize"),
    limit: numOrNull("limit"),
    testLimit: numOrNull("testLimit"),
    backend: typeof c.backend === "string" ? c.backend : "",
    ...(typeof c.vocab === "string" ? { vocab: c.vocab } : {}),
    valSplit: numOrNull("valSplit"),
    target: strOrNull("target"),
    size: numOrNull("size"),
    ...(c.color !== undefined ? { color: c.color as NonNullable<RunConfig["color"]> } : {}),
    ...(c.normalize !== undefined ? { normalize: c.normalize as NonNullable<RunConfig["normalize"]> } : {}),
  };
}
