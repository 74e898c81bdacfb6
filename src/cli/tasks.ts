// The data behind each zoo task: Fashion-MNIST images, or a text file for character-level LMs.
import type { Tensor } from "../tensor/tensor.js";
import { tensor } from "../ops/creation.js";
import { TensorDataset } from "../data/dataset.js";
import { DataLoader } from "../data/dataloader.js";
import { getBackend } from "../backend/registry.js";
import { findFashionMnistDir, loadFashionMnist, CLASS_NAMES } from "../data/fashion-mnist.js";
import { fashionMnistDataset } from "../data/fashion-mnist-tensors.js";
import { readTextFile } from "../data/text.js";
import { crossEntropy } from "../nn/functional/loss.js";
import type { ModelContext, ZooEntry } from "./model-zoo.js";
import { UsageError } from "./args.js";

/**
 * Where task data sets live: host memory. Uploading Fashion-MNIST whole to a GPU would need one
 * 188 MB buffer, above WebGPU's usual 128 MiB binding limit; batches go to the device per step.
 */
export const HOST_DEVICE = "cpu";

/** A loader over a host data set that hands out batches on the current backend. */
export function hostLoader(dataset: TensorDataset, options: { batchSize: number; shuffle?: boolean; seed?: number }): DataLoader<Tensor[]> {
  return new DataLoader(dataset, { ...options, device: getBackend() });
}

export interface TaskData {
  train: TensorDataset;
  /** Held-out data, evaluated every epoch and at the end (Fashion-MNIST: the test split). */
  test: TensorDataset;
  /** Human-readable description of where the data came from. */
  source: string;
  /** What to record in the checkpoint to rebuild the same data on resume. */
  dataConfig: Record<string, unknown>;
  ctx: ModelContext;
  /** Class names (classification) for reports and predictions. */
  classNames?: string[];
  /** Test images 0..255, 28x28 each (fashion-mnist), for the report's misclassified grid. */
  testImages?: Uint8Array;
  /** The characters, in id order (char-lm). */
  vocab?: string;
}

/**
 * Batch size for evaluation: larger than training (no gradients are kept), but small enough that
 * a convolutional network's im2col buffers (cnn-bn: 500 images → 450 MB) fit in wasm's 4 GiB.
 */
export function evalBatchSize(entry: ZooEntry): number {
  return entry.task === "char-lm" ? 64 : 500;
}

/** Cross-entropy over the last dim, flattening sequence outputs [N, T, V] against targets [N, T]. */
export function taskLoss(output: Tensor, target: Tensor): Tensor {
  if (output.shape.length > 2) {
    const v = output.shape[output.shape.length - 1]!;
    return crossEntropy(output.reshape([-1, v]), target.reshape([-1]));
  }
  return crossEntropy(output, target);
}

/** The bundled text corpus, found above this module (src/cli under tsx, dist/src/cli when built). */
export async function bundledTextPath(): Promise<string> {
  const { fileURLToPath } = await import("node:url");
  const { dirname, join } = await import("node:path");
  const { stat } = await import("node:fs/promises");
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "data", "fortunes-sample.txt");
    try {
      await stat(candidate);
      return candidate;
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("the bundled data/fortunes-sample.txt was not found");
    dir = parent;
  }
}

export interface DataOptions {
  command: string;
  data?: string | null;
  text?: string | null;
  limit?: number | null;
  testLimit?: number | null;
  blockSize?: number;
  /** char-lm: reuse this vocabulary (when resuming) instead of deriving it from the text. */
  vocab?: string;
}

export async function loadTaskData(entry: ZooEntry, o: DataOptions): Promise<TaskData> {
  if (entry.task === "fashion-mnist") {
    if (o.text) throw new UsageError(`neurite ${o.command}: --text is for character models; '${entry.name}' trains on Fashion-MNIST (use --data DIR)`);
    const dir = await findFashionMnistDir(o.data ?? undefined).catch((e: Error) => {
      throw new UsageError(`neurite ${o.command}: --data ${o.data}: ${e.message.replace(/^fashion-mnist: \S+ /, "")}`);
    });
    const fm = await loadFashionMnist(dir);
    const testN = Math.min(fm.test.n, o.testLimit ?? fm.test.n);
    return {
      // On the host: the loaders move one batch at a time to the training device (see hostLoader).
      train: fashionMnistDataset(fm.train, { ...(o.limit ? { limit: o.limit } : {}), device: HOST_DEVICE }),
      test: fashionMnistDataset(fm.test, { limit: testN, device: HOST_DEVICE }),
      source: fm.source,
      dataConfig: { data: dir, limit: o.limit ?? null, testLimit: o.testLimit ?? null },
      ctx: { numClasses: CLASS_NAMES.length },
      classNames: [...CLASS_NAMES],
      testImages: fm.test.images.subarray(0, testN * 784),
    };
  }
  // char-lm
  if (o.data) throw new UsageError(`neurite ${o.command}: --data is for image models; '${entry.name}' trains on text (use --text FILE)`);
  const path = o.text ?? (await bundledTextPath());
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (e) {
    throw new UsageError(`neurite ${o.command}: --text ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  const T = o.blockSize ?? entry.defaults.blockSize ?? 64;
  if (text.length < 2 * (T + 1)) throw new UsageError(`neurite ${o.command}: --text ${path} has ${text.length} characters; need at least ${2 * (T + 1)} for --block-size ${T}`);
  const vocab = o.vocab ?? [...new Set(text)].sort().join("");
  const index = new Map(Array.from(vocab, (c, i) => [c, i]));
  const unknown = [...new Set(text)].filter((c) => !index.has(c));
  if (unknown.length) throw new UsageError(`neurite ${o.command}: --text ${path} has characters the model's vocabulary lacks: ${JSON.stringify(unknown.slice(0, 10).join(""))}`);
  const ids = Int32Array.from(text, (c) => index.get(c)!);
  // 90% of the text for training, the rest held out; non-overlapping windows of T characters.
  const split = Math.floor(ids.length * 0.9);
  const windows = (from: number, to: number, limit?: number | null) => {
    let n = Math.floor((to - from - 1) / T);
    if (limit) n = Math.min(n, limit);
    n = Math.max(n, 1);
    const x = new Int32Array(n * T);
    const y = new Int32Array(n * T);
    for (let i = 0; i < n; i++) {
      x.set(ids.subarray(from + i * T, from + i * T + T), i * T);
      y.set(ids.subarray(from + i * T + 1, from + i * T + T + 1), i * T);
    }
    return new TensorDataset(tensor(x, { shape: [n, T], dtype: "int32", device: HOST_DEVICE }), tensor(y, { shape: [n, T], dtype: "int32", device: HOST_DEVICE }));
  };
  return {
    train: windows(0, split, o.limit),
    test: windows(split, ids.length, o.testLimit),
    source: path,
    dataConfig: { text: path, limit: o.limit ?? null, testLimit: o.testLimit ?? null, blockSize: T },
    ctx: { vocabSize: [...vocab].length, blockSize: T },
    vocab,
  };
}
