import type { Tensor } from "../tensor/tensor.js";
import { tensor } from "../ops/creation.js";
import type { FashionMnistSplit } from "./fashion-mnist.js";
import { TensorDataset } from "./dataset.js";

/** Images as float32 [N, 1, 28, 28] scaled to [0, 1] and labels as int32 [N]. */
export function fashionMnistTensors(split: FashionMnistSplit, options: { limit?: number; device?: string } = {}): { images: Tensor; labels: Tensor } {
  const n = Math.min(split.n, options.limit ?? split.n);
  const pixels = new Float32Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = split.images[i]! / 255;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = split.labels[i]!;
  const dev = options.device === undefined ? {} : { device: options.device };
  return {
    images: tensor(pixels, { shape: [n, 1, 28, 28], ...dev }).keep(),
    labels: tensor(labels, { shape: [n], dtype: "int32", ...dev }).keep(),
  };
}

export function fashionMnistDataset(split: FashionMnistSplit, options: { limit?: number; device?: string } = {}): TensorDataset {
  const { images, labels } = fashionMnistTensors(split, options);
  return new TensorDataset(images, labels);
}
