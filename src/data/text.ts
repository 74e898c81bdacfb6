import { nodeBuiltin } from "../platform/node-builtins.js";
// Plain-text file reading (Node only; node:fs is imported lazily for browser bundles).

/**
 * Read a UTF-8 text file. A leading byte-order mark is dropped, since it is an
 * encoding artefact rather than text (it would otherwise end up in the first
 * CSV header name or the first token of a corpus).
 */
export async function readTextFile(path: string): Promise<string> {
  const { readFile } = nodeBuiltin("fs/promises", "reading text files", "in a browser use (await fetch(url)).text()");
  const text = await readFile(path, "utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
