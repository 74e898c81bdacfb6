// The metadata a weights file carries about its model (vocab, block_size, classes), checked
// before it sizes anything. A file is untrusted input: its metadata could ask for an
// 8,000,000-character context (a 4 GB position table) before a single weight is compared.

import { CLASS_NAMES } from "../data/fashion-mnist.js";
import { checkImageTransform } from "../data/image-transform.js";
import { checkTableEncoder, encodedWidth, MAX_CLASSES } from "../data/tabular.js";
import type { InputSpec } from "./own-data.js";

/** Characters in a char-lm vocabulary: far above any text's alphabet, small enough for bigram's V x V table. */
export const MAX_VOCAB = 4096;
/** Context length of a char-lm model. */
export const MAX_BLOCK_SIZE = 4096;

/** A file whose metadata cannot describe a model (exit code 1, one line). */
export class MetadataError extends Error {
  override name = "MetadataError";
}

export interface ModelMetadata {
  vocab?: string;
  blockSize?: number;
  classNames: string[];
  /** Own-data models: how inputs are prepared (metadata "input"). */
  input?: InputSpec;
  /** The input shape of one sample that `input` implies ([C, H, W] or [F]). */
  inputShape?: number[];
}

function parseJsonField(file: string, key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MetadataError(`${file}: metadata "${key}" is not valid JSON (${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? "…" : ""})`);
  }
}

/**
 * Reads and checks `vocab` (a JSON string of distinct characters), `block_size` (an integer)
 * `classes` (a JSON array of `numClasses` strings) and `input` (own-data models: an image
 * transform or table encoder, whose classes may be any number up to MAX_CLASSES). Absent
 * fields are left out (classes: the Fashion-MNIST names).
 */
export function parseModelMetadata(file: string, metadata: Record<string, string>, numClasses: number = CLASS_NAMES.length): ModelMetadata {
  const out: ModelMetadata = { classNames: [...CLASS_NAMES] };
  if (Object.hasOwn(metadata, "input")) {
    const raw = parseJsonField(file, "input", metadata.input!) as { kind?: unknown } | null;
    try {
      if (raw?.kind === "table") {
        const enc = checkTableEncoder(raw, `${file}: metadata "input"`);
        out.input = enc;
        out.inputShape = [encodedWidth(enc)];
        numClasses = enc.classes.length;
      } else {
        const t = checkImageTransform(raw, `${file}: metadata "input"`);
        out.input = t;
        out.inputShape = [t.channels, t.height, t.width];
        numClasses = -1; // any number of class folders
      }
    } catch (e) {
      throw new MetadataError((e as Error).message);
    }
  }
  if (Object.hasOwn(metadata, "vocab")) {
    const vocab = parseJsonField(file, "vocab", metadata.vocab!);
    if (typeof vocab !== "string") throw new MetadataError(`${file}: metadata "vocab" must be a JSON string of characters, got ${Array.isArray(vocab) ? "an array" : typeof vocab}`);
    const chars = [...vocab];
    if (chars.length === 0 || chars.length > MAX_VOCAB) throw new MetadataError(`${file}: metadata "vocab" has ${chars.length} characters; expected 1 to ${MAX_VOCAB}`);
    if (new Set(chars).size !== chars.length) throw new MetadataError(`${file}: metadata "vocab" repeats a character`);
    out.vocab = vocab;
  }
  if (Object.hasOwn(metadata, "block_size")) {
    const text = metadata.block_size!;
    const n = Number(text);
    if (!/^\d{1,10}$/.test(text) || n < 1 || n > MAX_BLOCK_SIZE) {
      throw new MetadataError(`${file}: metadata "block_size" must be an integer from 1 to ${MAX_BLOCK_SIZE}, got ${JSON.stringify(text.slice(0, 40))}`);
    }
    out.blockSize = n;
  }
  if (Object.hasOwn(metadata, "classes")) {
    const classes = parseJsonField(file, "classes", metadata.classes!);
    const countOk = (n: number) => (numClasses < 0 ? n >= 1 && n <= MAX_CLASSES : n === numClasses);
    if (!Array.isArray(classes) || !countOk(classes.length) || !classes.every((c) => typeof c === "string" && c.length > 0 && c.length <= 200)) {
      throw new MetadataError(`${file}: metadata "classes" must be a JSON array of ${numClasses < 0 ? `1 to ${MAX_CLASSES}` : numClasses} class names, got ${JSON.stringify(metadata.classes!.slice(0, 60))}`);
    }
    out.classNames = classes as string[];
  }
  return out;
}
