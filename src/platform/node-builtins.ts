/**
 * Node's built-in modules for the parts of neurite that touch files, threads or zlib.
 *
 * They are reached through `process.getBuiltinModule` (Node ≥ 20.16) rather than `import`, so
 * that no `node:` specifier appears anywhere in the browser graph: bundlers (esbuild, Vite,
 * webpack) see nothing to resolve, and a browser that calls a file-based function gets a clear
 * error naming the feature and its browser alternative instead of a failed module fetch.
 * The `import type`s below vanish from the emitted JavaScript and from the public declarations.
 */
import type * as FsPromises from "node:fs/promises";
import type * as Fs from "node:fs";
import type * as Path from "node:path";
import type * as Crypto from "node:crypto";
import type * as Zlib from "node:zlib";
import type * as Os from "node:os";
import type * as Url from "node:url";
import type * as V8 from "node:v8";
import type * as WorkerThreads from "node:worker_threads";
import type * as Util from "node:util";
import type * as Module from "node:module";

interface NodeBuiltins {
  "fs/promises": typeof FsPromises;
  fs: typeof Fs;
  path: typeof Path;
  crypto: typeof Crypto;
  zlib: typeof Zlib;
  os: typeof Os;
  url: typeof Url;
  v8: typeof V8;
  worker_threads: typeof WorkerThreads;
  util: typeof Util;
  module: typeof Module;
}

type GetBuiltin = (id: string) => unknown;

function builtinLoader(): GetBuiltin | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: GetBuiltin } }).process;
  return proc?.versions?.node ? proc.getBuiltinModule : undefined;
}

/** True when running in Node (not in a browser, a worker of a browser, or Deno's web mode). */
export function isNode(): boolean {
  return builtinLoader() !== undefined;
}

/** Thrown when a file- or process-based feature is used where Node's built-ins are absent. */
export class NodeOnlyError extends Error {
  constructor(feature: string, alternative?: string) {
    super(`${feature} needs Node (it uses the file system or Node's built-in modules), which this environment lacks${alternative ? `; ${alternative}` : ""}`);
    this.name = "NodeOnlyError";
  }
}

/**
 * Node built-in `name`, for `feature` (named in the error outside Node). `alternative` tells a
 * browser user what to call instead.
 */
export function nodeBuiltin<K extends keyof NodeBuiltins>(name: K, feature: string, alternative?: string): NodeBuiltins[K] {
  const load = builtinLoader();
  if (!load) throw new NodeOnlyError(feature, alternative);
  return load(`node:${name}`) as NodeBuiltins[K];
}
