// The final files of a finished run: model.safetensors, result.json and the folder's manifest
// (which eval and predict verify model.safetensors against, as --resume verifies the checkpoint).
import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Module } from "../../nn/module.js";
import { save } from "../../io/safetensors.js";
import { writeFileAtomic } from "../../io/atomic-write.js";
import { MANIFEST_NAME, encodeManifest } from "../../train/manifest.js";
import type { TrainResult } from "./train-result.js";

export const WEIGHTS_NAME = "model.safetensors";
export const RESULT_NAME = "result.json";

/**
 * Saves the final weights. The folder's manifest is removed first and rewritten (by
 * `writeResult`) once both final files are in place; until then there is none, rather than one
 * that no longer matches. Returns the bytes written, for the manifest.
 */
export async function writeWeights(runDir: string, model: Module, metadata: Record<string, string>): Promise<Uint8Array> {
  await rm(join(runDir, MANIFEST_NAME), { force: true });
  return save(model.stateDict(), join(runDir, WEIGHTS_NAME), { format: "pt", ...metadata });
}

/** Writes result.json, then the manifest covering it and the weights. */
export async function writeResult(runDir: string, result: TrainResult, weightBytes: Uint8Array): Promise<void> {
  const resultBytes = new TextEncoder().encode(JSON.stringify(result, null, 2) + "\n");
  await writeFileAtomic(join(runDir, RESULT_NAME), resultBytes);
  await writeFileAtomic(join(runDir, MANIFEST_NAME), await encodeManifest([[WEIGHTS_NAME, weightBytes], [RESULT_NAME, resultBytes]]));
}
