import { join } from "node:path";
import { statSync } from "node:fs";
import type { Module } from "../../nn/module.js";
import { loadWithMetadata } from "../../io/safetensors.js";
import { MODEL_ZOO, modelNames, type ZooEntry } from "../model-zoo.js";
import { UsageError } from "../args.js";
import { CLASS_NAMES } from "../../data/fashion-mnist.js";

/** A clear, one-line failure to use a weights file (exit code 1). */
export class WeightsError extends Error {}

/**
 * Resolves `path` (a .safetensors file, a run folder or its checkpoint/ folder) and loads it into
 * the zoo model named by `modelName` or the file's metadata.
 */
export async function loadModelFile(
  command: string,
  path: string,
  modelName?: string,
): Promise<{ model: Module; entry: ZooEntry; metadata: Record<string, string>; path: string; classNames: string[] }> {
  let file = path;
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`neurite ${command}: --checkpoint ${path}: no such file or directory`);
  }
  if (st.isDirectory()) {
    const candidates = [join(path, "model.safetensors"), join(path, "checkpoint", "model.safetensors")];
    const found = candidates.find((c) => {
      try {
        return statSync(c).isFile();
      } catch {
        return false;
      }
    });
    if (!found) throw new UsageError(`neurite ${command}: --checkpoint ${path}: the folder has no model.safetensors (nor checkpoint/model.safetensors)`);
    file = found;
  }
  let loaded;
  try {
    loaded = await loadWithMetadata(file);
  } catch (e) {
    throw new WeightsError(`neurite ${command}: ${(e as Error).message.split("\n")[0]}`);
  }
  const name = modelName ?? loaded.metadata.model ?? "mlp";
  const entry = MODEL_ZOO[name];
  if (!entry) throw new UsageError(`neurite ${command}: unknown model '${name}' (choose one of: ${modelNames().join(", ")})`);
  const vocab = loaded.metadata.vocab ? (JSON.parse(loaded.metadata.vocab) as string) : undefined;
  const model = entry.create({
    numClasses: 10,
    ...(vocab !== undefined ? { vocabSize: [...vocab].length } : {}),
    ...(loaded.metadata.block_size ? { blockSize: Number(loaded.metadata.block_size) } : {}),
  });
  try {
    model.loadStateDict(loaded.tensors);
  } catch (e) {
    const detail = (e as Error).message.split("\n").slice(1).join("; ").replace(/\s+/g, " ").trim();
    throw new WeightsError(`neurite ${command}: ${file} does not hold '${name}' weights${modelName ? "" : " (pass --model NAME if it is another model)"}: ${detail.slice(0, 300)}`);
  } finally {
    for (const t of loaded.tensors.values()) t.dispose();
  }
  const classNames = loaded.metadata.classes ? (JSON.parse(loaded.metadata.classes) as string[]) : [...CLASS_NAMES];
  return { model, entry, metadata: loaded.metadata, path: file, classNames };
}
