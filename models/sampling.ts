/** Sampling the next token from logits (temperature, top-k), shared by the character models. */
import type { Tensor } from "../src/tensor/tensor.js";
import { narrow } from "../src/ops/index.js";
import { defaultGenerator, type Generator } from "../src/tensor/random.js";

export interface SampleOptions {
  /** Divides the logits; 0 picks the most likely token (greedy). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (null/0: all). */
  topK?: number | null;
  generator?: Generator;
}

export interface GenerateOptions extends SampleOptions {
  maxNewTokens: number;
  /**
   * Called with each new token as soon as it is sampled (stream it to the screen here). Return
   * `false` to stop early.
   */
  onToken?: (token: number, step: number) => void | boolean | Promise<void | boolean>;
}

/** Draws one index from a row of logits. */
export function sampleFromLogits(logits: ArrayLike<number>, options: SampleOptions = {}): number {
  const { temperature = 1, topK = null, generator = defaultGenerator } = options;
  const n = logits.length;
  if (n === 0) throw new RangeError("sampleFromLogits: empty logits");
  if (temperature < 0) throw new RangeError(`sampleFromLogits: temperature must be >= 0, got ${temperature}`);
  let best = 0;
  for (let i = 1; i < n; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature === 0) return best;
  let allowed: number[] = [...Array(n).keys()];
  if (topK && topK > 0 && topK < n) {
    allowed = allowed.sort((a, b) => logits[b]! - logits[a]!).slice(0, topK);
  }
  const max = logits[best]!;
  const weights = allowed.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = generator.random() * total;
  for (let j = 0; j < allowed.length; j++) {
    u -= weights[j]!;
    if (u <= 0) return allowed[j]!;
  }
  return allowed[allowed.length - 1]!;
}

/** Reads the last position's logits of [1, T, V] (or [T, V]) as numbers. */
export async function lastLogits(logits: Tensor): Promise<Float32Array> {
  const T = logits.shape[logits.ndim - 2]!;
  const last = narrow(logits, logits.ndim - 2, T - 1, 1);
  try {
    return Float32Array.from(await last.data());
  } finally {
    if (last !== logits) last.dispose();
  }
}
