/** Fashion-MNIST as diffusion training data: pixels scaled to [-1, 1], batches drawn on the host. */
import type { Tensor } from "../tensor/tensor.js";
import * as ops from "../ops/index.js";
import type { FashionMnistSplit } from "../data/fashion-mnist.js";
import type { Generator } from "../tensor/random.js";

export interface ImageSet {
  n: number;
  channels: number;
  height: number;
  width: number;
  /** n·C·H·W values in [-1, 1]. */
  pixels: Float32Array;
  labels: Int32Array;
}

/** Converts an IDX split (uint8 pixels) to [-1, 1] floats; `pad` adds a border (28 → 32 with pad 2). */
export function imageSetFromSplit(split: FashionMnistSplit, options: { limit?: number; pad?: number } = {}): ImageSet {
  const n = Math.min(split.n, options.limit ?? split.n);
  const p = options.pad ?? 0;
  const S = 28 + 2 * p;
  const pixels = new Float32Array(n * S * S).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) pixels[i * S * S + (y + p) * S + x + p] = (split.images[i * 784 + y * 28 + x]! / 255) * 2 - 1;
    }
  }
  return { n, channels: 1, height: S, width: S, pixels, labels: Int32Array.from(split.labels.subarray(0, n)) };
}

/** A random batch (with replacement across batches, without within one) as tensors. */
export function randomBatch(set: ImageSet, batch: number, g: Generator, device?: string): { x: Tensor; y: Tensor; labels: Int32Array } {
  const per = set.channels * set.height * set.width;
  const xs = new Float32Array(batch * per);
  const labels = new Int32Array(batch);
  const chosen = new Set<number>();
  for (let i = 0; i < batch; i++) {
    let j = g.int(0, set.n);
    while (chosen.has(j) && chosen.size < set.n) j = g.int(0, set.n);
    chosen.add(j);
    xs.set(set.pixels.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = set.labels[j]!;
  }
  const dev = device ? { device } : {};
  return {
    x: ops.tensor(xs, { shape: [batch, set.channels, set.height, set.width], ...dev }),
    y: ops.tensor(labels, { shape: [batch], dtype: "int32", ...dev }),
    labels,
  };
}
