import { nodeBuiltin } from "../platform/node-builtins.js";

/** What needs Node here, and what to do instead in a browser (for NodeOnlyError). */
const NODE_ONLY = ["writing files", "in a browser call nt.io.save(stateDict) without a path: it returns the bytes"] as const;
// Crash-safe file replacement for checkpoints: readers see either the old file
// or the complete new one, never a half-written file.
//
// Node only. node:fs is imported lazily so that merely importing this module
// does not break browser bundles.

/**
 * Write `bytes` to `path` atomically: write a temporary file in the same
 * directory (rename is only atomic within one file system), fsync it, then
 * rename it over `path`. Parent directories are created. On failure the
 * temporary file is removed and the error rethrown.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const fs = nodeBuiltin("fs/promises", ...NODE_ONLY);
  const { dirname, basename, join } = nodeBuiltin("path", ...NODE_ONLY);
  const { randomBytes } = nodeBuiltin("crypto", ...NODE_ONLY);

  const dir = dirname(path);
  // Not fs.mkdir({ recursive }): it hangs under /proc and blames the wrong path for a file in the way.
  const { makeDirectories } = await import("./node-file.js");
  await makeDirectories(dir);
  // A random suffix keeps concurrent writers to the same target from sharing a temp file.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: Awaited<ReturnType<typeof fs.open>> | null = null;
  try {
    handle = await fs.open(tmp, "wx", 0o644);
    await handle.writeFile(bytes);
    await handle.sync(); // data on disk before the rename makes it visible
    await handle.close();
    handle = null;
    await fs.rename(tmp, path);
  } catch (err) {
    if (handle !== null) await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(fs, dir);
}

/**
 * fsync the directory so the rename itself survives a crash. Best effort:
 * some platforms (Windows) and file systems cannot open or sync directories,
 * and the file's contents are already safe at this point.
 */
async function syncDirectory(fs: ReturnType<typeof nodeBuiltin<"fs/promises">>, dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof fs.open>> | null = null;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch {
    // ignored, see above
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
