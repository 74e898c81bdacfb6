// A folder's manifest: the size and SHA-256 of every file in it, plus the manifest's own hash.
//
//   manifest.json  { "format": "neurite-manifest", "version": 1,
//                    "files": { "model.safetensors": { "bytes": N, "sha256": "..." }, ... },
//                    "sha256": SHA-256 of the canonical JSON of the three fields above }
//
// Checkpoints and run folders write one last, after every file it lists. Readers verify it
// first, then every file against it, and only then look inside a file: no byte of an edited,
// truncated or swapped file (state.json included) is trusted. Names are plain file names in the
// folder itself: no path separators, no "..", no hidden files, so a manifest cannot point a
// reader at /dev/zero or another folder.
//
// Node only (node:crypto and node:fs are imported lazily).

import { parseStrictJson } from "../io/strict-json.js";
import { nodeBuiltin } from "../platform/node-builtins.js";

/** What needs Node here, and what to do instead in a browser (for NodeOnlyError). */
const NODE_ONLY = ["checkpoint and run-folder manifests"] as const;

export const MANIFEST_NAME = "manifest.json";
export const MANIFEST_FORMAT = "neurite-manifest";
export const MANIFEST_VERSION = 1;
/** A manifest lists a handful of files: anything bigger is not one. */
const MAX_MANIFEST_BYTES = 1_000_000;

export interface FileRecord {
  bytes: number;
  sha256: string;
}

/** A manifest, or a file it lists, that is missing, edited, truncated or not one of ours. */
export class ManifestError extends Error {
  override name = "ManifestError";
}

/** Plain file names only: letters, digits, '.', '_', '-', not starting with '.'. */
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function isPlainFileName(name: string): boolean {
  return PLAIN_NAME.test(name);
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const { createHash } = nodeBuiltin("crypto", ...NODE_ONLY);
  return createHash("sha256").update(bytes).digest("hex");
}

/** The exact text the manifest's own hash covers: fields and files in a fixed order. */
function canonical(files: Record<string, FileRecord>): string {
  const sorted = Object.keys(files).sort();
  return JSON.stringify({
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    files: Object.fromEntries(sorted.map((n) => [n, { bytes: files[n]!.bytes, sha256: files[n]!.sha256 }])),
  });
}

/** The manifest.json bytes for these files (name → contents). */
export async function encodeManifest(files: Iterable<[string, Uint8Array]>): Promise<Uint8Array> {
  const records: Record<string, FileRecord> = {};
  for (const [name, bytes] of files) {
    if (!isPlainFileName(name) || name === MANIFEST_NAME) throw new ManifestError(`manifest: '${name}' is not a plain file name`);
    records[name] = { bytes: bytes.byteLength, sha256: await sha256Hex(bytes) };
  }
  const body = canonical(records);
  const sha256 = await sha256Hex(new TextEncoder().encode(body));
  return new TextEncoder().encode(`${body.slice(0, -1)},"sha256":"${sha256}"}\n`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks a parsed manifest's fields, names and own hash; returns its file records. */
async function checkManifest(value: unknown, where: string): Promise<Record<string, FileRecord>> {
  const fail = (msg: string): never => {
    throw new ManifestError(`${where} ${msg}`);
  };
  if (!isRecord(value) || value.format !== MANIFEST_FORMAT) return fail(`is not a neurite manifest (no "format": "${MANIFEST_FORMAT}")`);
  if (value.version !== MANIFEST_VERSION) fail(`has version ${JSON.stringify(value.version)}; this neurite reads version ${MANIFEST_VERSION}`);
  const extra = Object.keys(value).filter((k) => !["format", "version", "files", "sha256"].includes(k));
  if (extra.length) fail(`has an unexpected field ${JSON.stringify(extra[0])}`);
  if (!isRecord(value.files)) return fail(`has no "files" object`);
  const files: Record<string, FileRecord> = {};
  for (const [name, rec] of Object.entries(value.files)) {
    if (!isPlainFileName(name) || name === MANIFEST_NAME) fail(`lists ${JSON.stringify(name)}, which is not a plain file name in the folder; refusing it`);
    if (!isRecord(rec) || !Number.isSafeInteger(rec.bytes) || (rec.bytes as number) < 0 || typeof rec.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(rec.sha256)) {
      fail(`has a bad record for ${name} (expected { "bytes": integer >= 0, "sha256": 64 hex digits })`);
    }
    files[name] = { bytes: (rec as { bytes: number }).bytes, sha256: (rec as { sha256: string }).sha256 };
  }
  if (typeof value.sha256 !== "string") fail(`has no "sha256" of its own`);
  if ((await sha256Hex(new TextEncoder().encode(canonical(files)))) !== value.sha256) {
    fail("does not match its own SHA-256 (edited or corrupted)");
  }
  return files;
}

/**
 * Reads `dir`/manifest.json, verifies it and then every file it lists (size first, before
 * reading; then the hash). Returns the verified contents by name. `required` names files that
 * must be listed. Throws ManifestError naming the folder and the file.
 */
export async function readVerifiedFolder(dir: string, options: { required?: string[]; what?: string } = {}): Promise<Map<string, Uint8Array>> {
  const { readRegularFile, FileReadError } = await import("../io/node-file.js");
  const { join } = nodeBuiltin("path", ...NODE_ONLY);
  const what = options.what ?? "folder";
  const read = async (name: string, maxBytes: number) => {
    try {
      return await readRegularFile(join(dir, name), { what: name, maxBytes });
    } catch (e) {
      if (e instanceof FileReadError) {
        if (e.code === "EFBIG") throw new ManifestError(`${what} ${dir} is corrupt: ${name} is larger than the ${maxBytes} bytes written (changed); refusing to use it`);
        throw new ManifestError(`${what} ${dir} is incomplete: cannot read ${e.message}; refusing to use it`);
      }
      throw e;
    }
  };
  const manifestBytes = await read(MANIFEST_NAME, MAX_MANIFEST_BYTES);
  let parsed: unknown;
  try {
    parsed = parseStrictJson(new TextDecoder("utf-8", { fatal: true }).decode(manifestBytes), { maxDepth: 3 });
  } catch (e) {
    throw new ManifestError(`${what} ${dir} is corrupt: ${MANIFEST_NAME} is not valid JSON (${(e as Error).message}); refusing to use it`);
  }
  let records: Record<string, FileRecord>;
  try {
    records = await checkManifest(parsed, `${what} ${dir} is corrupt: ${MANIFEST_NAME}`);
  } catch (e) {
    throw new ManifestError(`${(e as Error).message}; refusing to use it`);
  }
  for (const name of options.required ?? []) {
    if (!Object.hasOwn(records, name)) throw new ManifestError(`${what} ${dir} is corrupt: ${MANIFEST_NAME} does not list ${name}; refusing to use it`);
  }
  const out = new Map<string, Uint8Array>();
  for (const [name, rec] of Object.entries(records)) {
    const bytes = await read(name, rec.bytes);
    if (bytes.byteLength !== rec.bytes) {
      throw new ManifestError(`${what} ${dir} is corrupt: ${name} has ${bytes.byteLength} bytes, ${rec.bytes} were written (truncated or changed); refusing to use it`);
    }
    if ((await sha256Hex(bytes)) !== rec.sha256) {
      throw new ManifestError(`${what} ${dir} is corrupt: ${name} does not match the SHA-256 recorded when it was written; refusing to use it`);
    }
    out.set(name, bytes);
  }
  return out;
}

/** Whether `dir` has a manifest (not whether it is valid). */
export async function hasManifest(dir: string): Promise<boolean> {
  const { stat } = nodeBuiltin("fs/promises", ...NODE_ONLY);
  const { join } = nodeBuiltin("path", ...NODE_ONLY);
  try {
    return (await stat(join(dir, MANIFEST_NAME))).isFile();
  } catch {
    return false;
  }
}
