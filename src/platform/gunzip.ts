/**
 * gzip decompression in Node (zlib, several times faster than the web stream on big files) and
 * in browsers (the standard DecompressionStream). `source` names the data in errors.
 */
import { isNode, nodeBuiltin } from "./node-builtins.js";

/** Decompress with zlib when in Node, else with DecompressionStream. */
export async function gunzip(bytes: Uint8Array, source = "<buffer>"): Promise<Uint8Array> {
  if (!isNode()) return gunzipWeb(bytes, source);
  const zlib = nodeBuiltin("zlib", "gzip decompression");
  const out = await new Promise<Uint8Array>((resolve, reject) =>
    zlib.gunzip(bytes, (e, r) => (e ? reject(new Error(`${source}: gzip decompression failed (${e.message})`)) : resolve(r))),
  );
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Synchronous decompression; only Node has it. */
export function gunzipSync(bytes: Uint8Array, source = "<buffer>"): Uint8Array {
  const zlib = nodeBuiltin("zlib", `${source}: synchronous gzip decompression`, "use the async variant (parseIdxAsync) in a browser");
  try {
    const out = zlib.gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new Error(`${source}: gzip decompression failed (${(e as Error).message})`);
  }
}

/** Decompress with the web-standard DecompressionStream (browsers; exported for tests). */
export async function gunzipWeb(bytes: Uint8Array, source = "<buffer>"): Promise<Uint8Array> {
  try {
    // new Uint8Array(bytes) copies into a plain ArrayBuffer, which Blob requires.
    const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${source}: gzip decompression failed (${(e as Error).message})`);
  }
}
