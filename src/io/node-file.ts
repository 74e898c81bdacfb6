// Reading untrusted files safely (Node only: import this module lazily or from CLI code).
//
// A path may name a device (/dev/zero never ends), a FIFO (opening it blocks until a writer
// comes), a folder, or a /proc file whose size is not what it reads. Every reader here opens
// the path without blocking, checks the opened descriptor's type with fstat (no race between
// checking and reading), and reads exactly the size fstat reported, never "until EOF".

import { headerSizeFromPrefix } from "./safetensors-format.js";
import { nodeBuiltin } from "../platform/node-builtins.js";

/** What needs Node here, and what to do instead in a browser (for NodeOnlyError). */
const NODE_ONLY = ["reading and writing files", "in a browser pass bytes, a Blob/File or a Response to nt.io.load, and call nt.io.save(stateDict) without a path"] as const;

/** A file that is not there, not a regular file, or not readable; the message names it. */
export class FileReadError extends Error {
  override name = "FileReadError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

type FileHandle = import("node:fs/promises").FileHandle;

function describeType(st: import("node:fs").Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/**
 * Opens `path` for reading and checks that it is a regular file. O_NONBLOCK keeps a FIFO from
 * hanging the open; the type check is on the descriptor itself.
 */
async function openRegular(path: string, what: string): Promise<{ handle: FileHandle; size: number }> {
  const fs = nodeBuiltin("fs/promises", `reading ${what} '${path}'`, NODE_ONLY[1]);
  const { constants } = nodeBuiltin("fs", `reading ${what} '${path}'`, NODE_ONLY[1]);
  let handle: FileHandle;
  try {
    handle = await fs.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file (ENOENT)" : err.code === "EACCES" ? "permission denied (EACCES)" : (err.code ?? err.message);
    throw new FileReadError(`${what} '${path}': ${why}`, err.code);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new FileReadError(`${what} '${path}' is ${describeType(st)}, not a regular file; refusing to read it`, "ENOTREG");
    return { handle, size: st.size };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}

async function readExactly(handle: FileHandle, into: Uint8Array, position: number, path: string, what: string): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new FileReadError(`${what} '${path}' shrank while it was read (${position + done} of ${position + into.length} bytes); is another program writing it?`);
    done += bytesRead;
  }
}

/**
 * Reads a whole regular file. `maxBytes` refuses larger files before anything is read.
 * Throws FileReadError naming the file for anything else (devices, FIFOs, folders...).
 */
export async function readRegularFile(path: string, options: { what?: string; maxBytes?: number } = {}): Promise<Uint8Array> {
  const what = options.what ?? "file";
  const { handle, size } = await openRegular(path, what);
  try {
    if (options.maxBytes !== undefined && size > options.maxBytes) {
      throw new FileReadError(`${what} '${path}' is ${size} bytes, more than the ${options.maxBytes}-byte limit for it`, "EFBIG");
    }
    const bytes = new Uint8Array(size);
    await readExactly(handle, bytes, 0, path, what);
    return bytes;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Reads a safetensors file: a regular file whose 8-byte prefix announces a header within the
 * cap and within the file, checked before the rest is read.
 */
export async function readSafetensorsFile(path: string): Promise<Uint8Array> {
  const { handle, size } = await openRegular(path, "safetensors file");
  try {
    const prefix = new Uint8Array(Math.min(8, size));
    await readExactly(handle, prefix, 0, path, "safetensors file");
    headerSizeFromPrefix(prefix, size, path); // throws "safetensors: PATH: ..." for a bad prefix
    const bytes = new Uint8Array(size);
    bytes.set(prefix);
    await readExactly(handle, bytes.subarray(8), 8, path, "safetensors file");
    return bytes;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * `mkdir -p` that cannot hang and says what is in the way. Node's own recursive mkdir retries
 * forever on file systems that refuse new folders with ENOENT (/proc), and reports a file in
 * the way as "EEXIST … mkdir '/dev/null'". This one creates one level at a time.
 */
export async function makeDirectories(path: string, what = "folder"): Promise<void> {
  const fs = nodeBuiltin("fs/promises", ...NODE_ONLY);
  const { resolve, dirname } = nodeBuiltin("path", ...NODE_ONLY);
  const target = resolve(path);
  // Walk up to the nearest existing ancestor, then create the levels below it in order.
  const missing: string[] = [];
  let dir = target;
  for (;;) {
    let st;
    try {
      st = await fs.stat(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR") {
        missing.push(dir);
        dir = dirname(dir);
        continue;
      }
      if (code !== "ENOENT") throw new FileReadError(`cannot create the ${what} '${path}': ${code ?? (e as Error).message} at '${dir}'`, code);
      missing.push(dir);
      const parent = dirname(dir);
      if (parent === dir) throw new FileReadError(`cannot create the ${what} '${path}': no root`, code);
      dir = parent;
      continue;
    }
    if (!st.isDirectory()) throw new FileReadError(`cannot create the ${what} '${path}': '${dir}' is a file, not a folder`, "ENOTDIR");
    break;
  }
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") {
        const st = await fs.stat(d).catch(() => null);
        if (st?.isDirectory()) continue; // made by someone else meanwhile
        throw new FileReadError(`cannot create the ${what} '${path}': '${d}' is a file, not a folder`, "ENOTDIR");
      }
      const why = code === "ENOENT" ? `'${dirname(d)}' does not accept new folders` : code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EROFS" ? "read-only file system" : (code ?? (e as Error).message);
      throw new FileReadError(`cannot create the ${what} '${path}': ${why}`, code);
    }
  }
}
