// Opens the run a `neurite train` invocation works on: a fresh one in --out, or the one
// --resume names, with its settings, backend and checkpoint. The run folder is locked before
// anything in it is read for use, and the lock is released if opening fails.
import { join, resolve } from "node:path";
import * as registry from "../../backend/registry.js";
import { loadCheckpoint, findCheckpointDir, readCheckpointState, CheckpointError, CHECKPOINT_DIRNAME, type LoadedCheckpoint } from "../../train/checkpoint.js";
import { findModel, type ZooEntry } from "../model-zoo.js";
import { UsageError } from "../args.js";
import type { RunLock } from "../run-lock.js";
import type { RunConfig } from "./run-config.js";
import { savedRunConfig } from "./run-config-schema.js";
import type { TrainRequest } from "./options.js";
import { createRunFolder, displayPath, lockRunFolder } from "./run-folder.js";

export interface OpenRun {
  entry: ZooEntry;
  config: RunConfig;
  runDir: string;
  checkpointDir: string;
  /** The checkpoint to continue from (resume), or null for a fresh run. */
  resume: LoadedCheckpoint | null;
  lock: RunLock;
}

/** Runs `open` with the lock held, releasing it if `open` fails. */
async function whileLocked<T>(lock: RunLock, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** A fresh run: its folder created and locked, its backend selected. */
export async function openFreshRun(request: Extract<TrainRequest, { kind: "fresh" }>): Promise<OpenRun> {
  const { entry, config, outDir: runDir, outName } = request;
  await createRunFolder(runDir, outName);
  const lock = lockRunFolder(runDir);
  return whileLocked(lock, async () => {
    await registry.setBackend(config.backend);
    return { entry, config, runDir, checkpointDir: join(runDir, CHECKPOINT_DIRNAME), resume: null, lock };
  });
}

/** The run --resume names, with the settings saved in its checkpoint (CheckpointError: refused, nothing is written). */
export async function openResumedRun(request: Extract<TrainRequest, { kind: "resume" }>): Promise<OpenRun> {
  const found = await findCheckpointDir(request.from);
  const runDir = resolve(found, "..");
  // Locked before anything is read for use: a run still going on there is not resumed twice.
  const lock = lockRunFolder(runDir);
  return whileLocked(lock, async () => {
    // The run continues on its own backend (results are bit-identical only there) unless --backend says otherwise.
    const savedBackend = await savedBackendOf(found);
    const backend = !request.session.backendGiven && savedBackend !== null && registry.backends().includes(savedBackend) ? savedBackend : request.session.backend;
    await registry.setBackend(backend);
    const resume = await loadCheckpoint(found);
    const saved = savedRunConfig(resume.state.config, `checkpoint ${resume.dir}`);
    const entry = findModel(saved.model);
    if (!entry) throw new CheckpointError(`checkpoint ${resume.dir} is for model '${saved.model.slice(0, 60)}', which this neurite does not have`);
    const config: RunConfig = { ...saved, epochs: request.epochs ?? saved.epochs, backend };
    refuseFinishedRun(resume, config.epochs, runDir);
    return { entry, config, runDir, checkpointDir: join(runDir, CHECKPOINT_DIRNAME), resume, lock };
  });
}

async function savedBackendOf(checkpointDir: string): Promise<string | null> {
  const config = (await readCheckpointState(checkpointDir)).config;
  const backend = typeof config === "object" && config !== null && "backend" in config ? config.backend : undefined;
  return typeof backend === "string" ? backend : null;
}

/** A run that has done its epochs is only resumed to train it longer (--epochs N). */
function refuseFinishedRun(resume: LoadedCheckpoint, epochs: number, runDir: string): void {
  const position = resume.state.train;
  if (typeof position !== "object" || position === null) return;
  const { epochDone, epoch } = position as { epochDone?: unknown; epoch?: unknown };
  if (epochDone === true && typeof epoch === "number" && epoch >= epochs) {
    const rel = displayPath(runDir);
    throw new UsageError(`neurite train: ${rel} has already finished its ${epoch} epoch(s); pass --epochs N with N > ${epoch} to train it longer, or start over with --out ${rel} --overwrite`);
  }
}
