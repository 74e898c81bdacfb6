import { Generator } from "../tensor/random.js";

/**
 * A seeded random split of `n` sample indices into training and validation parts, as
 * torch.utils.data.random_split with a seeded generator: the same `seed` gives the same split.
 * `fraction` of the samples (rounded, at least one when fraction > 0 and n > 1) go to validation.
 */
export function splitIndices(n: number, fraction: number, seed: number): { train: number[]; val: number[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`splitIndices: fraction must be in [0, 1), got ${fraction}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`splitIndices: n must be a non-negative integer, got ${n}`);
  const order = [...Array(n).keys()];
  const g = new Generator(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(0, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let nVal = fraction > 0 ? Math.max(1, Math.round(n * fraction)) : 0;
  if (nVal >= n) nVal = n - 1;
  const val = order.slice(0, Math.max(0, nVal)).sort((a, b) => a - b);
  const train = order.slice(Math.max(0, nVal)).sort((a, b) => a - b);
  return { train, val };
}
