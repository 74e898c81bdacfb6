// The run folder (runs/NAME): created and locked for one process, and refused when it holds an
// earlier run that a fresh start would silently mix with or destroy.
import { join, relative } from "node:path";
import { existsSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { findCheckpointDir, readCheckpointState, CHECKPOINT_DIRNAME } from "../../train/checkpoint.js";
import { MANIFEST_NAME } from "../../train/manifest.js";
import { makeDirectories } from "../../io/node-file.js";
import { RunLock, RunLockedError } from "../run-lock.js";
import { UsageError } from "../args.js";

/** The files a run writes in its folder (besides the report's), removed before a fresh start. */
const RUN_FILES = ["metrics.jsonl", "model.safetensors", "result.json", MANIFEST_NAME];

/** The folder as the user would write it (relative to the working directory). */
export const displayPath = (dir: string): string => relative(process.cwd(), dir) || ".";

/** Creates the folder of a fresh run (`outName`: as the user wrote --out, for messages). */
export async function createRunFolder(runDir: string, outName: string): Promise<void> {
  if (existsSync(runDir) && !statSync(runDir).isDirectory()) throw new UsageError(`neurite train: --out ${outName} is a file, not a folder`);
  try {
    await makeDirectories(runDir, "run folder");
  } catch (e) {
    throw new UsageError(`neurite train: --out ${outName}: ${(e as Error).message}`);
  }
}

/** Locks the run folder for this process; another run there is a usage error (exit 2). */
export function lockRunFolder(runDir: string): RunLock {
  try {
    return RunLock.acquire(runDir, displayPath(runDir));
  } catch (e) {
    if (e instanceof RunLockedError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Refuses to start over in a folder that holds a run, unless `overwrite`: an unfinished one
 * (resume it instead), a finished one (train it longer with --resume --epochs), or one whose
 * checkpoint cannot be read.
 */
export async function refuseEarlierRun(runDir: string, overwrite: boolean): Promise<void> {
  if (overwrite) return;
  const rel = displayPath(runDir);
  let dir: string | null = null;
  try {
    dir = await findCheckpointDir(join(runDir, CHECKPOINT_DIRNAME));
  } catch {
    // no checkpoint
  }
  if (dir !== null) {
    let st: { stopReason?: unknown; epoch?: unknown; stepInEpoch?: unknown } | undefined;
    try {
      const train = (await readCheckpointState(dir)).train;
      st = train === undefined || train === null ? undefined : typeof train === "object" ? train : {};
    } catch (e) {
      throw new UsageError(`neurite train: ${rel} holds a checkpoint that cannot be used (${(e as Error).message}); start over with --overwrite`);
    }
    if (st && st.stopReason !== "completed" && st.stopReason !== "early-stop") {
      throw new UsageError(
        `neurite train: ${rel} holds an unfinished run (epoch ${String(st.epoch)}, step ${String(st.stepInEpoch)}); continue it with 'neurite train --resume ${rel}' or start over with --overwrite`,
      );
    }
    throw new UsageError(
      `neurite train: ${rel} holds a finished run (${String(st?.epoch)} epoch(s)); train it longer with 'neurite train --resume ${rel} --epochs N', or start over with --overwrite`,
    );
  }
  const earlier = RUN_FILES.filter((f) => existsSync(join(runDir, f)));
  if (earlier.length) throw new UsageError(`neurite train: ${rel} holds files of an earlier run (${earlier.join(", ")}); choose another --out, or start over with --overwrite`);
}

/** A fresh start: nothing of an earlier run may mix into this one (metrics.jsonl is appended to). */
export async function clearRunFiles(runDir: string): Promise<void> {
  for (const f of RUN_FILES) await rm(join(runDir, f), { force: true });
  for (const d of [CHECKPOINT_DIRNAME, `.${CHECKPOINT_DIRNAME}.new`, `.${CHECKPOINT_DIRNAME}.old`]) await rm(join(runDir, d), { recursive: true, force: true });
}
