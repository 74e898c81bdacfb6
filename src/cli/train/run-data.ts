// The data a run trains on, as its settings describe it (the same on --resume).
import type { ZooEntry } from "../model-zoo.js";
import { loadTaskData, type TaskData } from "../tasks.js";
import type { RunConfig } from "./run-config.js";

export function loadRunData(entry: ZooEntry, config: RunConfig): Promise<TaskData> {
  return loadTaskData(entry, {
    command: "train",
    data: config.data,
    text: config.text,
    limit: config.limit,
    testLimit: config.testLimit,
    ...(config.blockSize !== null ? { blockSize: config.blockSize } : {}),
    ...(config.vocab !== undefined ? { vocab: config.vocab } : {}),
    valSplit: config.valSplit ?? null,
    seed: config.seed,
    target: config.target ?? null,
    size: config.size ?? null,
    ...(config.color ? { color: config.color } : {}),
    ...(config.normalize ? { normalize: config.normalize } : {}),
  });
}

/** The settings with the data's vocabulary (character models), saved so that --resume reuses it. */
export function withVocabulary(config: RunConfig, data: TaskData): RunConfig {
  return data.vocab === undefined ? config : { ...config, vocab: data.vocab };
}
