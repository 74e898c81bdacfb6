// Plain-text file reading (Node only; node:fs is imported lazily for browser bundles).

/**
 * Read a UTF-8 text file. A leading byte-order mark is dropped, since it is an
 * encoding artefact rather than text (it would otherwise end up in the first
 * CSV header name or the first token of a corpus).
 */
export async function readTextFile(path: string): Promise<string> {
  // A regular file only: a device or FIFO given as --text is refused instead of read forever.
  const { readRegularFile } = await import("../io/node-file.js");
  const text = new TextDecoder().decode(await readRegularFile(path, { what: "text file" }));
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
