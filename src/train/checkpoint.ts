/**
 * Training checkpoints that resume exactly and survive crashes.
 *
 * A checkpoint is a folder:
 *
 *   checkpoint/
 *     model.safetensors       the model's state_dict (PyTorch names; loads in torch too)
 *     optimizer.safetensors   the optimizer's state tensors, keyed "state.<param>.<name>"
 *     optimizer.json          the rest of the optimizer's state dict (param groups, step counts)
 *     callbacks.safetensors   tensors of callbacks with state (an EMA's weights), keyed
 *                             "<callback>.<name>"; only when a callback has some
 *     state.json              epoch, step, data-loader position, generator states, scheduler
 *                             state, config, metric history
 *     manifest.json           the size and SHA-256 of every file above, state.json included,
 *                             and its own SHA-256; written last (see manifest.ts)
 *
 * Saving writes a complete new folder next to the old one (`.checkpoint.new`, every file
 * fsynced, state.json last), then swaps the two with renames. A crash, a kill or a full disk at
 * any point leaves a complete checkpoint that `loadCheckpoint` finds: the old one, or the new one
 * when the crash fell between the two renames. Loading verifies the manifest and every file's
 * size and hash before reading anything from them, then checks state.json's fields, so a
 * truncated, corrupted or edited checkpoint is refused with a message naming the file instead of
 * resuming from garbage. Node only (node:fs is imported lazily).
 */
import type { Module } from "../nn/module.js";
import type { Optimizer, OptimizerStateDict, StateValue } from "../optim/optimizer.js";
import type { Tensor } from "../tensor/tensor.js";
import { toBytes, fromBytes, type StateDict } from "../io/safetensors.js";
import { writeFileAtomic } from "../io/atomic-write.js";
import { encodeManifest, readVerifiedFolder, ManifestError, MANIFEST_NAME } from "./manifest.js";
import { nodeBuiltin } from "../platform/node-builtins.js";

/** What needs Node here, and what to do instead in a browser (for NodeOnlyError). */
const NODE_ONLY = ["checkpoints (fit's checkpointDir)", "in a browser train without checkpointDir and keep weights with nt.io.save(stateDict) (returns bytes)"] as const;

export const CHECKPOINT_FORMAT = "neurite-checkpoint";
/** 2: integrity moved from state.json's "files" to manifest.json, which covers state.json too. */
export const CHECKPOINT_VERSION = 2;
export const CHECKPOINT_DIRNAME = "checkpoint";

/** A checkpoint that cannot be used: missing, truncated, corrupted or from another program. */
export class CheckpointError extends Error {
  override name = "CheckpointError";
}

/** The JSON part of a checkpoint. `train` is owned by the fit loop; anything else by the caller. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  savedAt: string;
  [key: string]: unknown;
}

export interface SaveCheckpointOptions {
  model: Module;
  optimizer?: Optimizer;
  /** Callbacks' tensors (keys "<callback>.<name>"), saved as callbacks.safetensors when there are any. */
  callbackTensors?: Map<string, Tensor>;
  /** Extra JSON saved in state.json (the fit loop's position, config, history). */
  state: Record<string, unknown>;
  /** Metadata for model.safetensors (e.g. `{ model: "mlp" }`). */
  modelMetadata?: Record<string, string>;
  /** File writer (tests inject faults here); default: atomic write with fsync. */
  writeFile?: (path: string, bytes: Uint8Array) => Promise<void>;
}

export interface LoadedCheckpoint {
  /** The folder that was loaded. */
  dir: string;
  state: CheckpointState & Record<string, unknown>;
  model: StateDict;
  modelMetadata: Record<string, string>;
  optimizer: OptimizerStateDict | null;
  /** callbacks.safetensors, when the run had callbacks with tensor state. */
  callbackTensors: StateDict | null;
}

/** Disposes the tensors of a loaded checkpoint. */
export function disposeCheckpoint(c: LoadedCheckpoint): void {
  for (const t of c.model.values()) t.dispose();
  for (const t of c.callbackTensors?.values() ?? []) t.dispose();
  if (c.optimizer) for (const s of Object.values(c.optimizer.state)) for (const v of Object.values(s)) (v as Tensor | null)?.dispose?.();
}

const testDelayMs = () => Number(process.env.NEURITE_TEST_CHECKPOINT_DELAY_MS ?? 0);

/** Test hook: announces each phase of a save on stderr and slows it, so fault tests can kill the process mid-save. */
async function testHook(phase: string): Promise<void> {
  const delay = testDelayMs();
  if (!delay) return;
  process.stderr.write(`[checkpoint-test] ${phase}\n`);
  await new Promise((r) => setTimeout(r, delay));
}

/** Splits an optimizer state dict into tensors (safetensors) and plain JSON. */
function packOptimizer(sd: OptimizerStateDict): { tensors: Map<string, Tensor>; json: unknown } {
  const tensors = new Map<string, Tensor>();
  const state: Record<string, Record<string, StateValue | { tensor: string }>> = {};
  for (const [id, entry] of Object.entries(sd.state)) {
    const packed: Record<string, StateValue | { tensor: string }> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (value !== null && typeof value === "object") {
        const name = `state.${id}.${key}`;
        tensors.set(name, value);
        packed[key] = { tensor: name };
      } else {
        packed[key] = value;
      }
    }
    state[id] = packed;
  }
  return { tensors, json: { state, param_groups: sd.param_groups } };
}

function unpackOptimizer(json: unknown, tensors: StateDict, where: string): OptimizerStateDict {
  const j = json as { state?: Record<string, Record<string, unknown>>; param_groups?: unknown };
  if (!j || typeof j !== "object" || typeof j.state !== "object" || !Array.isArray(j.param_groups)) {
    throw new CheckpointError(`${where}: optimizer.json is not an optimizer state`);
  }
  const state: OptimizerStateDict["state"] = {};
  for (const [id, entry] of Object.entries(j.state!)) {
    const out: Record<string, StateValue> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (value !== null && typeof value === "object") {
        const name = (value as { tensor?: string }).tensor;
        const t = name === undefined ? undefined : tensors.get(name);
        if (!t) throw new CheckpointError(`${where}: optimizer.safetensors has no tensor '${String(name)}'`);
        out[key] = t;
      } else {
        out[key] = value as number | null;
      }
    }
    state[id] = out;
  }
  return { state, param_groups: j.param_groups as OptimizerStateDict["param_groups"] };
}

/** JSON that keeps NaN/Infinity (generator states, diverged losses) as strings. */
export function stringifyState(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? { $number: String(v) } : v), 1);
}

export function parseState(text: string): unknown {
  return JSON.parse(text, (_k, v) => (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$number === "string" ? Number(v.$number) : v));
}

/** The sibling folders a save uses: `.NAME.new` (being written) and `.NAME.old` (being replaced). */
async function siblings(dir: string): Promise<{ newDir: string; oldDir: string }> {
  const { join, dirname, basename } = nodeBuiltin("path", ...NODE_ONLY);
  const parent = dirname(dir);
  const base = basename(dir);
  return { newDir: join(parent, `.${base}.new`), oldDir: join(parent, `.${base}.old`) };
}

/**
 * Saves a checkpoint into the folder `dir` (e.g. `runs/mlp/checkpoint`), replacing the previous
 * one only once the new one is complete on disk. Returns `dir`.
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<string> {
  const fs = nodeBuiltin("fs/promises", ...NODE_ONLY);
  const { join, dirname } = nodeBuiltin("path", ...NODE_ONLY);
  const write = options.writeFile ?? writeFileAtomic;
  const finalDir = dir;
  const { newDir, oldDir } = await siblings(dir);

  // Encode everything first: a failure here touches no file.
  const modelBytes = await toBytes(options.model.stateDict(), { format: "pt", ...options.modelMetadata });
  const files: [string, Uint8Array][] = [["model.safetensors", modelBytes]];
  if (options.optimizer) {
    const sd = options.optimizer.stateDict();
    try {
      const { tensors, json } = packOptimizer(sd);
      files.push(["optimizer.safetensors", await toBytes(tensors)]);
      files.push(["optimizer.json", new TextEncoder().encode(JSON.stringify(json))]);
    } finally {
      for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (v !== null && typeof v === "object") v.dispose();
    }
  }
  if (options.callbackTensors && options.callbackTensors.size > 0) files.push(["callbacks.safetensors", await toBytes(options.callbackTensors)]);
  const state: CheckpointState = {
    ...options.state,
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    savedAt: new Date().toISOString(),
  };
  files.push(["state.json", new TextEncoder().encode(stringifyState(state) + "\n")]);
  const manifest = await encodeManifest(files);

  // Not fs.mkdir({ recursive }): it never returns under /proc (see makeDirectories).
  const { makeDirectories } = await import("../io/node-file.js");
  await makeDirectories(dirname(dir), "checkpoint folder");
  // A folder left by an earlier crash is incomplete or superseded: start clean.
  await fs.rm(newDir, { recursive: true, force: true });
  try {
    await fs.mkdir(newDir);
    for (const [name, bytes] of files) {
      await testHook(`write ${name}`);
      await write(join(newDir, name), bytes);
    }
    // Last: a folder with a manifest is complete (findCheckpointDir relies on it).
    await testHook(`write ${MANIFEST_NAME}`);
    await write(join(newDir, MANIFEST_NAME), manifest);
  } catch (e) {
    await fs.rm(newDir, { recursive: true, force: true }).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOSPC" ? "the disk is full (ENOSPC)" : err.message;
    const prev = (await exists(join(finalDir, MANIFEST_NAME))) ? "the previous checkpoint there is intact" : "no earlier checkpoint exists";
    throw new CheckpointError(`could not save a checkpoint in ${finalDir}: ${why}; ${prev}`, { cause: e });
  }
  // Swap: a crash between these renames leaves the new folder complete (findCheckpointDir uses it).
  await testHook("swap");
  await fs.rm(oldDir, { recursive: true, force: true });
  const hadOld = await exists(finalDir);
  if (hadOld) await fs.rename(finalDir, oldDir);
  await fs.rename(newDir, finalDir);
  await syncDir(dirname(dir));
  if (hadOld) await fs.rm(oldDir, { recursive: true, force: true });
  return finalDir;
}

async function exists(path: string): Promise<boolean> {
  const fs = nodeBuiltin("fs/promises", ...NODE_ONLY);
  try {
    await fs.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fs = nodeBuiltin("fs/promises", ...NODE_ONLY);
  let h: Awaited<ReturnType<typeof fs.open>> | null = null;
  try {
    h = await fs.open(dir, "r");
    await h.sync();
  } catch {
    // best effort (see atomic-write.ts)
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/**
 * Finds the checkpoint folder for `path`: a checkpoint folder, or a run folder holding
 * `checkpoint/`. When a crash interrupted a save between its two renames, the complete new (or
 * else old) folder is used. Throws CheckpointError when there is none.
 */
export async function findCheckpointDir(path: string): Promise<string> {
  const { join } = nodeBuiltin("path", ...NODE_ONLY);
  const fs = nodeBuiltin("fs/promises", ...NODE_ONLY);
  const candidates = [path, join(path, CHECKPOINT_DIRNAME)];
  let st;
  try {
    st = await fs.stat(path);
  } catch {
    st = null;
  }
  if (st && !st.isDirectory()) throw new CheckpointError(`no checkpoint at '${path}': it is a file, not a folder (pass the run folder, e.g. runs/mlp)`);
  // A folder is a checkpoint when it has a state.json (a run folder has a manifest too, but no
  // state.json; an older neurite's checkpoint has no manifest and is refused by name when read).
  const isCheckpoint = (dir: string) => exists(join(dir, "state.json"));
  for (const dir of candidates) {
    if (await isCheckpoint(dir)) return dir;
    if (await exists(dir)) {
      if (dir === path && (await exists(join(path, CHECKPOINT_DIRNAME)))) continue;
      // An interrupted swap leaves no state.json here; else the folder is not a checkpoint.
    }
    const { newDir, oldDir } = await siblings(dir);
    for (const alt of [newDir, oldDir]) {
      if (!(await exists(join(alt, MANIFEST_NAME)))) continue;
      try {
        await readCheckpointState(alt);
        return alt;
      } catch {
        // try the next one
      }
    }
  }
  if (!st) throw new CheckpointError(`no checkpoint at '${path}': no such file or directory`);
  throw new CheckpointError(`no checkpoint in '${path}' (expected ${join(path, CHECKPOINT_DIRNAME, MANIFEST_NAME)})`);
}

/** Reads and checks state.json and every file's size and hash; returns the state. */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  return (await readVerified(dir)).state;
}

async function readVerified(dir: string): Promise<{ state: CheckpointState; files: Map<string, Uint8Array> }> {
  const { join } = nodeBuiltin("path", ...NODE_ONLY);
  if (!(await exists(join(dir, MANIFEST_NAME))) && (await exists(join(dir, "state.json")))) {
    throw new CheckpointError(`checkpoint ${dir} was written by an older neurite (no ${MANIFEST_NAME}, whose hashes cover every file); start the run over with --overwrite`);
  }
  let files: Map<string, Uint8Array>;
  try {
    // Every file's size and hash, state.json's included, before any of them is parsed.
    files = await readVerifiedFolder(dir, { required: ["model.safetensors", "state.json"], what: "checkpoint" });
  } catch (e) {
    if (e instanceof ManifestError) throw new CheckpointError(e.message);
    throw e;
  }
  const statePath = join(dir, "state.json");
  let state: CheckpointState;
  try {
    state = parseState(new TextDecoder().decode(files.get("state.json")!)) as CheckpointState;
  } catch (e) {
    throw new CheckpointError(`checkpoint ${dir} is corrupt: state.json is not valid JSON (${(e as Error).message}); refusing to use it`);
  }
  if (!state || typeof state !== "object" || Array.isArray(state) || state.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${statePath} is not a neurite checkpoint (no "format": "${CHECKPOINT_FORMAT}")`);
  }
  if (state.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${statePath} has checkpoint version ${JSON.stringify(state.version)}; this neurite reads version ${CHECKPOINT_VERSION}`);
  }
  return { state, files };
}

/** Loads and verifies a checkpoint (see `findCheckpointDir` for what `path` may be). */
export async function loadCheckpoint(path: string, options: { device?: string } = {}): Promise<LoadedCheckpoint> {
  const dir = await findCheckpointDir(path);
  const { state, files } = await readVerified(dir);
  const decode = (name: string) => {
    try {
      return fromBytes(files.get(name)!, { ...options, source: `${dir}/${name}` });
    } catch (e) {
      throw new CheckpointError(`checkpoint ${dir} is corrupt: ${(e as Error).message}`);
    }
  };
  const model = decode("model.safetensors");
  let optimizer: OptimizerStateDict | null = null;
  if (files.has("optimizer.json")) {
    const tensors = files.has("optimizer.safetensors") ? decode("optimizer.safetensors").tensors : new Map<string, Tensor>();
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(files.get("optimizer.json")!));
    } catch (e) {
      throw new CheckpointError(`checkpoint ${dir} is corrupt: optimizer.json: ${(e as Error).message}`);
    }
    optimizer = unpackOptimizer(json, tensors, `checkpoint ${dir}`);
  }
  const callbackTensors = files.has("callbacks.safetensors") ? decode("callbacks.safetensors").tensors : null;
  return { dir, state: state as LoadedCheckpoint["state"], model: model.tensors, modelMetadata: model.metadata, optimizer, callbackTensors };
}
