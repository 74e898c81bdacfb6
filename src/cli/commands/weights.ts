import { join, dirname, basename } from "node:path";
import { statSync } from "node:fs";
import type { Module } from "../../nn/module.js";
import { fromBytes } from "../../io/safetensors.js";
import { readSafetensorsFile, FileReadError } from "../../io/node-file.js";
import { hasManifest, readVerifiedFolder, ManifestError } from "../../train/manifest.js";
import { findModel, modelNames, type ZooEntry } from "../model-zoo.js";
import { parseModelMetadata, MetadataError } from "../model-metadata.js";
import { UsageError } from "../args.js";
import type { InputSpec } from "../own-data.js";

/** A clear, one-line failure to use a weights file (exit code 1). */
export class WeightsError extends Error {}

const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The bytes of a weights file. When its folder has a manifest (a run folder or a checkpoint),
 * the manifest and every file it lists are verified first, exactly as `train --resume` does:
 * one flipped bit is refused, not evaluated.
 */
async function readWeights(command: string, file: string): Promise<Uint8Array> {
  const folder = dirname(file);
  try {
    if (await hasManifest(folder)) {
      const files = await readVerifiedFolder(folder, { required: [basename(file)], what: "folder" });
      return files.get(basename(file))!;
    }
    return await readSafetensorsFile(file);
  } catch (e) {
    if (e instanceof ManifestError || e instanceof FileReadError) throw new WeightsError(`neurite ${command}: ${e.message}`);
    throw e;
  }
}

/**
 * Resolves `path` (a .safetensors file, a run folder or its checkpoint/ folder) and loads it into
 * the zoo model named by `modelName` or the file's metadata.
 */
export async function loadModelFile(
  command: string,
  path: string,
  modelName?: string,
): Promise<{ model: Module; entry: ZooEntry; metadata: Record<string, string>; path: string; classNames: string[]; vocab?: string; blockSize?: number; input?: InputSpec }> {
  let file = path;
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`neurite ${command}: --checkpoint ${path}: no such file or directory`);
  }
  if (st.isDirectory()) {
    const found = [join(path, "model.safetensors"), join(path, "checkpoint", "model.safetensors")].find(isFile);
    if (!found) throw new UsageError(`neurite ${command}: --checkpoint ${path}: the folder has no model.safetensors (nor checkpoint/model.safetensors)`);
    file = found;
  }
  const bytes = await readWeights(command, file);
  let loaded;
  try {
    loaded = fromBytes(bytes, { source: file });
  } catch (e) {
    throw new WeightsError(`neurite ${command}: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    const name = modelName ?? loaded.metadata.model ?? "mlp";
    // Own properties only: a file saying model "constructor" names no model.
    const entry = findModel(name);
    if (!entry) {
      const known = `(choose one of: ${modelNames().join(", ")})`;
      if (modelName !== undefined) throw new UsageError(`neurite ${command}: unknown model '${name}' ${known}`);
      throw new WeightsError(`neurite ${command}: ${file} says it holds model '${name.slice(0, 60)}', which this neurite does not have; pass --model NAME ${known}`);
    }
    let meta;
    try {
      // Checked before the model is built: block_size and vocab size its tables.
      meta = parseModelMetadata(file, loaded.metadata);
    } catch (e) {
      if (e instanceof MetadataError) throw new WeightsError(`neurite ${command}: ${e.message}`);
      throw e;
    }
    const model = entry.create({
      numClasses: meta.classNames.length,
      ...(meta.vocab !== undefined ? { vocabSize: [...meta.vocab].length } : {}),
      ...(meta.blockSize !== undefined ? { blockSize: meta.blockSize } : {}),
      ...(meta.inputShape !== undefined ? { inputShape: meta.inputShape } : {}),
    });
    try {
      model.loadStateDict(loaded.tensors);
    } catch (e) {
      model.dispose();
      const lines = (e as Error).message.split("\n");
      const detail = (lines.slice(1).join("; ") || lines[0]!).replace(/\s+/g, " ").trim();
      throw new WeightsError(`neurite ${command}: ${file} does not hold '${name}' weights${modelName ? "" : " (pass --model NAME if it is another model)"}: ${detail.slice(0, 300)}`);
    }
    return {
      model,
      entry,
      metadata: loaded.metadata,
      path: file,
      classNames: meta.classNames,
      ...(meta.vocab !== undefined ? { vocab: meta.vocab } : {}),
      ...(meta.blockSize !== undefined ? { blockSize: meta.blockSize } : {}),
      ...(meta.input !== undefined ? { input: meta.input } : {}),
    };
  } finally {
    for (const t of loaded.tensors.values()) t.dispose();
  }
}
