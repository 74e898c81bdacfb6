// A small strict JSON parser for untrusted file headers (safetensors). Pure: text in, value out.
//
// Why not JSON.parse: it silently keeps the last of two equal keys, so a file can say one
// thing to one reader and another thing to the next ({"w": A, "w": B}); and it has no depth
// limit. This parser refuses duplicate keys (compared after unescaping, so "a" and "\u0061"
// collide), limits nesting, and is iterative (no recursion), so no input can overflow the stack.
// Keys such as "__proto__" or "constructor" are stored as plain own data properties.

export class StrictJsonError extends Error {
  override name = "StrictJsonError";
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface StrictJsonOptions {
  /** Deepest allowed nesting of objects and arrays (the top level is depth 1). Default 64. */
  maxDepth?: number;
  /** Most keys in one object; checked while parsing, so a huge object is refused early. Default unlimited. */
  maxKeys?: number;
}

interface Frame {
  /** The object or array being filled. */
  container: Record<string, JsonValue> | JsonValue[];
  /** Whether the container is an object (else an array). */
  isObject: boolean;
  /** Keys read so far (objects). */
  keyCount: number;
  /** The key awaiting its value (objects only). */
  pendingKey: string | null;
  /** True right after '[', ',' or a key's ':' — the next token must be a value. */
  expectValue: boolean;
}


/**
 * Parses `text` as one JSON value. Throws StrictJsonError with the character position on
 * malformed JSON, a duplicate key (naming it), or nesting deeper than `maxDepth`.
 */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): JsonValue {
  const maxDepth = options.maxDepth ?? 64;
  const maxKeys = options.maxKeys ?? Infinity;
  const n = text.length;
  let i = 0;
  const fail = (msg: string, at = i): never => {
    throw new StrictJsonError(`${msg} at position ${at}`);
  };
  const skipWs = () => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
  };

  const readString = (): string => {
    // text[i] is the opening quote. One pass: find the end, note escapes and control characters.
    const start = i;
    let k = i + 1;
    let escaped = false;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        k++; // skip the escaped character (it may be a quote)
      } else if (c < 0x20) {
        fail("control character in string", k);
      }
    }
    if (k >= n) return fail("unterminated string", start);
    i = k + 1;
    if (!escaped) return text.slice(start + 1, k);
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail("invalid string escape", start);
    }
  };

  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const readNumber = (): number => {
    // Fast path for the common case, a small non-negative integer (shapes, offsets).
    let v = 0;
    let k = i;
    for (; k < n && k - i < 15; k++) {
      const d = text.charCodeAt(k) - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    const next = k < n ? text.charCodeAt(k) : 0;
    if (k > i && (text.charCodeAt(i) !== 0x30 || k === i + 1) && next !== 0x2e && next !== 0x65 && next !== 0x45 && (next < 0x30 || next > 0x39)) {
      i = k;
      return v;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null || m[0].length === 0) return fail("invalid number");
    i += m[0].length;
    return Number(m[0]);
  };

  const readLiteral = (word: string, value: JsonValue): JsonValue => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail(`unexpected character ${JSON.stringify(text[i])}`);
  };

  const stack: Frame[] = [];
  let result: JsonValue | undefined;
  let haveResult = false;

  /** Stores a finished value into the open container (or as the result). */
  const emit = (value: JsonValue) => {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      result = value;
      haveResult = true;
    } else if (!top.isObject) {
      (top.container as JsonValue[]).push(value);
    } else {
      const key = top.pendingKey!;
      // Assigning "__proto__" would set the prototype: define it as an own property instead.
      if (key === "__proto__") Object.defineProperty(top.container, key, { value, enumerable: true, writable: true, configurable: true });
      else (top.container as Record<string, JsonValue>)[key] = value;
      top.pendingKey = null;
    }
  };

  /** Reads a value; containers are pushed and filled by the main loop. */
  const startValue = () => {
    skipWs();
    if (i >= n) fail("unexpected end of input");
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      const isObject = c === 0x7b;
      stack.push({
        // Plain objects (not Object.create(null), which V8 keeps in slow dictionary mode).
        container: isObject ? ({} as Record<string, JsonValue>) : [],
        isObject,
        keyCount: 0,
        pendingKey: null,
        expectValue: false,
      });
      i++;
      skipWs();
      const close = isObject ? 0x7d : 0x5d;
      if (text.charCodeAt(i) === close) {
        i++;
        emit(stack.pop()!.container as JsonValue);
        return;
      }
      if (isObject) readKey();
      else stack[stack.length - 1]!.expectValue = true;
      return;
    }
    if (c === 0x22) emit(readString());
    else if (c === 0x74) emit(readLiteral("true", true));
    else if (c === 0x66) emit(readLiteral("false", false));
    else if (c === 0x6e) emit(readLiteral("null", null));
    else emit(readNumber());
  };

  const readKey = () => {
    skipWs();
    if (text.charCodeAt(i) !== 0x22) fail("expected a string key");
    const at = i;
    const key = readString();
    const top = stack[stack.length - 1]!;
    // Keys are stored as they are read, so a duplicate is an own property already.
    if (Object.prototype.hasOwnProperty.call(top.container, key)) fail(`duplicate key ${JSON.stringify(key)}`, at);
    if (++top.keyCount > maxKeys) fail(`more than ${maxKeys} keys in one object`, at);
    top.pendingKey = key;
    top.expectValue = true;
    skipWs();
    if (text.charCodeAt(i) !== 0x3a /* : */) fail("expected ':' after a key");
    i++;
  };

  startValue();
  while (stack.length > 0) {
    // A value was just completed inside the top container: expect ',' or its closing bracket.
    const top = stack[stack.length - 1]!;
    if (top.expectValue) {
      top.expectValue = false;
      startValue();
      continue;
    }
    skipWs();
    const c = text.charCodeAt(i);
    const close = top.isObject ? 0x7d : 0x5d;
    if (c === close) {
      i++;
      emit(stack.pop()!.container as JsonValue);
      continue;
    }
    if (c !== 0x2c /* , */) fail(i >= n ? "unexpected end of input" : `expected ',' or '${String.fromCharCode(close)}'`);
    i++;
    if (top.isObject) readKey();
    else top.expectValue = true;
  }
  skipWs();
  if (i < n) fail("unexpected text after the JSON value");
  if (!haveResult) fail("no JSON value");
  return result!;
}
