// Loads a diffusion model for sampling (`neurite generate`, `neurite eval-samples`) from what
// `neurite train --model ddpm` writes: a run folder or its checkpoint/ (the EMA weights kept by
// the run's EmaCallback, else the raw weights), a model.safetensors file, or a one-file sampling
// model (`DDPM.save`, metadata "format": "neurite-ddpm", e.g. the playground's asset). Any other
// zoo model is named by its kind, from its zoo entry's task: `generate` hands a character model to
// `sample` and refuses a classifier.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Module } from "../nn/module.js";
import { DDPM } from "../../models/ddpm.js";
import { loadWithMetadata } from "../io/safetensors.js";
import { findCheckpointDir, loadCheckpoint, disposeCheckpoint, CheckpointError } from "../train/checkpoint.js";
import { findModel, modelNames, type ZooEntry } from "./model-zoo.js";
import { parseModelMetadata, MetadataError } from "./model-metadata.js";
import { UsageError } from "./args.js";
import { loadModelFile, WeightsError } from "./commands/weights.js";

/** The prefix of the EMA callback's tensors in a checkpoint's callbacks.safetensors. */
const EMA_PREFIX = "ema.";

export type GenerativeModel =
  | { kind: "diffusion"; ddpm: DDPM; path: string; weights: "ema" | "raw" }
  /** A character model: `neurite generate` hands it to `neurite sample`. */
  | { kind: "text"; entry: ZooEntry; path: string }
  /** A model that does not generate (a classifier). */
  | { kind: "other"; entry: ZooEntry; path: string };

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The zoo entry a checkpoint names; a name this neurite does not have is refused. */
function zooEntry(command: string, name: string, where: string): ZooEntry {
  const entry = findModel(name);
  if (!entry) throw new WeightsError(`neurite ${command}: ${where} holds model '${name.slice(0, 60)}', which this neurite does not have (models: ${modelNames().join(", ")})`);
  return entry;
}

function asDdpm(command: string, model: Module, where: string): DDPM {
  if (!(model instanceof DDPM)) throw new UsageError(`neurite ${command}: ${where} does not hold a diffusion model`);
  return model;
}

/** A run folder (or its checkpoint/): the checkpoint's EMA weights, verified against its manifest. */
async function fromCheckpoint(command: string, dir: string): Promise<GenerativeModel> {
  const loaded = await loadCheckpoint(dir);
  try {
    const name = loaded.modelMetadata.model ?? (loaded.state.config as { model?: unknown } | undefined)?.model;
    if (typeof name !== "string") throw new CheckpointError(`checkpoint ${loaded.dir} does not say which model it holds (no "model" in model.safetensors' metadata)`);
    const entry = zooEntry(command, name, `checkpoint ${loaded.dir}`);
    if (entry.task === "char-lm") return { kind: "text", entry, path: loaded.dir };
    if (entry.task !== "diffusion") return { kind: "other", entry, path: loaded.dir };
    let meta;
    try {
      meta = parseModelMetadata(`${loaded.dir}/model.safetensors`, loaded.modelMetadata);
    } catch (e) {
      if (e instanceof MetadataError) throw new WeightsError(`neurite ${command}: ${e.message}`);
      throw e;
    }
    const ddpm = asDdpm(command, entry.create({ numClasses: meta.classNames.length }), loaded.dir);
    const ema = new Map([...(loaded.callbackTensors ?? [])].filter(([k]) => k.startsWith(EMA_PREFIX)).map(([k, v]) => [k.slice(EMA_PREFIX.length), v]));
    ddpm.loadStateDict(ema.size > 0 ? ema : loaded.model);
    ddpm.eval();
    return { kind: "diffusion", ddpm, path: loaded.dir, weights: ema.size > 0 ? "ema" : "raw" };
  } finally {
    disposeCheckpoint(loaded);
  }
}

/** The error for a model that does not generate, naming the ones that do. */
export function notGenerative(command: string, where: string, entry: ZooEntry): UsageError {
  const generative = modelNames().filter((n) => ["diffusion", "char-lm"].includes(findModel(n)!.task));
  return new UsageError(`neurite ${command}: ${where} holds a '${entry.name}' model, which does not generate (generative models: ${generative.join(", ")}); use neurite predict for classifiers`);
}

/** Resolves `path` to a diffusion model for sampling, or says which other kind of model it holds. */
export async function loadGenerativeModel(command: string, path: string): Promise<GenerativeModel> {
  if (!existsSync(path)) throw new UsageError(`neurite ${command}: --checkpoint ${path}: no such file or directory`);
  if (isDir(path)) {
    let dir: string | null = null;
    try {
      dir = await findCheckpointDir(path);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
    }
    if (dir !== null) return fromCheckpoint(command, dir);
    // No checkpoint: a folder holding a finished model.safetensors (or a one-file sampling model).
    path = join(path, "model.safetensors");
  }
  const { metadata, tensors } = await loadWithMetadata(path).catch((e: Error) => {
    throw new UsageError(`neurite ${command}: --checkpoint ${path}: ${e.message.split("\n")[0]}`);
  });
  for (const t of tensors.values()) t.dispose();
  if (metadata.format === "neurite-ddpm") return { kind: "diffusion", ddpm: await DDPM.fromSafetensors(path), path, weights: "ema" };
  const { model, entry } = await loadModelFile(command, path);
  if (entry.task === "char-lm") {
    model.dispose();
    return { kind: "text", entry, path };
  }
  if (entry.task !== "diffusion") {
    model.dispose();
    return { kind: "other", entry, path };
  }
  const ddpm = asDdpm(command, model, path);
  ddpm.eval();
  // A run's model.safetensors holds the EMA weights (the run's EmaCallback applies them at the end).
  return { kind: "diffusion", ddpm, path, weights: "ema" };
}
