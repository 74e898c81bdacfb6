// The data behind each zoo task: Fashion-MNIST images, or a text file for character-level LMs.
import type { Tensor } from "../tensor/tensor.js";
import { tensor } from "../ops/creation.js";
import { TensorDataset } from "../data/dataset.js";
import { DataLoader } from "../data/dataloader.js";
import { getBackend } from "../backend/registry.js";
import { findFashionMnistDir, loadFashionMnist, CLASS_NAMES, FashionMnistFilesMissingError } from "../data/fashion-mnist.js";
import { fashionMnistDataset } from "../data/fashion-mnist-tensors.js";
import { readTextFile } from "../data/text.js";
import { crossEntropy } from "../nn/functional/loss.js";
import type { ModelContext, ZooEntry } from "./model-zoo.js";
import { UsageError } from "./args.js";
import { splitIndices } from "../data/split.js";
import type { Dataset } from "../data/dataset.js";
import { isImageFolder } from "../data/image-folder.js";
import { loadOwnImages, loadOwnTable, type InputSpec, type OwnData } from "./own-data.js";

/**
 * Where task data sets live: host memory. Uploading Fashion-MNIST whole to a GPU would need one
 * 188 MB buffer, above WebGPU's usual 128 MiB binding limit; batches go to the device per step.
 */
export const HOST_DEVICE = "cpu";

/** A loader over a host data set that hands out batches on the current backend. */
export function hostLoader(dataset: Dataset<Tensor[]>, options: { batchSize: number; shuffle?: boolean; seed?: number }): DataLoader<Tensor[]> {
  return new DataLoader(dataset, { ...options, device: getBackend() });
}

export interface TaskData {
  train: TensorDataset;
  /**
   * The validation split (`--val-split`), evaluated every epoch; null without one, when the
   * test data (if any) is what each epoch is evaluated on, as before validation splits existed.
   */
  val: TensorDataset | null;
  /** Test data (Fashion-MNIST: the test split; char-lm: the last 10% of the text); null for own data. */
  test: TensorDataset | null;
  /** Own data: how inputs are prepared (image transform or table encoder), stored with the model. */
  input?: InputSpec;
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
  // ddpm: a U-Net's activations are several times a classifier's.
  return entry.task === "char-lm" ? 64 : entry.task === "diffusion" ? 250 : 500;
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
  /** Fraction of the training data held out for validation (default: 0.1 for own data, else 0). */
  valSplit?: number | null;
  /** Seed of the validation split. */
  seed?: number;
  /** Own tables: the column to predict. */
  target?: string | null;
  /** Own images: resize, colour and normalisation (ignored when `input` is given). */
  size?: number | null;
  color?: "grey" | "rgb" | "auto";
  normalize?: "dataset" | "none";
  /** eval: the model's own input preparation and classes; all of the data is then the test set. */
  input?: InputSpec;
  classNames?: string[];
}

/** Default validation fraction for the user's own data (the "seeded, default for own data"). */
export const OWN_DATA_VAL_SPLIT = 0.1;

/** A seeded split of `ds` into training and validation TensorDatasets (host memory). */
function splitDataset(ds: TensorDataset, fraction: number, seed: number): { train: TensorDataset; val: TensorDataset } {
  const { train, val } = splitIndices(ds.length, fraction, seed);
  const pick = (idx: number[]) => new TensorDataset(...ds.getBatch(idx));
  const out = { train: pick(train), val: pick(val) };
  for (const t of ds.tensors) t.dispose();
  return out;
}

const isCsv = (p: string) => /\.csv$/i.test(p);

/**
 * Task data for `entry`: its built-in data set, or the user's own (`--data DIR` of class
 * folders, `--data table.csv --target COLUMN`), with a seeded validation split when asked
 * (own data: by default).
 */
export async function loadTaskData(entry: ZooEntry, o: DataOptions): Promise<TaskData> {
  const own = entry.task === "tabular" || (entry.task === "fashion-mnist" && o.data != null && (isCsv(o.data) || (await isImageFolder(o.data))));
  const fraction = o.valSplit ?? (own ? OWN_DATA_VAL_SPLIT : 0);
  if (!own) {
    const data = await loadBuiltinData(entry, o);
    if (fraction === 0 || o.input) return data;
    if (entry.task === "char-lm") throw new UsageError(`neurite ${o.command}: --val-split is for image and table data; character models hold out the last 10% of the text`);
    return { ...data, ...splitDataset(data.train, fraction, o.seed ?? 0) };
  }
  if (o.limit || o.testLimit) throw new UsageError(`neurite ${o.command}: --limit and --test-limit are for the built-in data sets; with your own data, give a smaller folder or table`);
  const loaded = await loadOwnData(entry, o);
  const ctx = { numClasses: loaded.classNames.length, inputShape: loaded.sampleShape };
  const base = { source: loaded.source, classNames: loaded.classNames, input: loaded.input, ctx, dataConfig: { data: o.data ?? null } };
  // eval: everything is test data, prepared as the model was trained.
  if (o.input) return { ...base, train: loaded.all, val: null, test: loaded.all };
  if (fraction === 0) return { ...base, train: loaded.all, val: null, test: null };
  if (loaded.all.length < 2) throw new UsageError(`neurite ${o.command}: --data ${o.data} has ${loaded.all.length} sample; a validation split needs at least 2 (or pass --val-split 0)`);
  return { ...base, ...splitDataset(loaded.all, fraction, o.seed ?? 0), test: null };
}

async function loadOwnData(entry: ZooEntry, o: DataOptions): Promise<OwnData> {
  const data = o.data;
  if (entry.task === "tabular") {
    if (!data || !isCsv(data)) throw new UsageError(`neurite ${o.command}: '${entry.name}' trains on a table; pass --data table.csv --target COLUMN`);
    if (o.input && o.input.kind !== "table") throw new UsageError(`neurite ${o.command}: the model's input metadata is not a table encoder`);
    if (!o.input && !o.target) throw new UsageError(`neurite ${o.command}: --data ${data} is a table; say which column to predict with --target COLUMN`);
    return loadOwnTable(o.command, data, o.target ?? null, o.input?.kind === "table" ? o.input : undefined);
  }
  if (isCsv(data!)) throw new UsageError(`neurite ${o.command}: --data ${data} is a table; train a table model with --model tabular-mlp --target COLUMN`);
  if (o.input && o.input.kind !== "image") throw new UsageError(`neurite ${o.command}: the model's input metadata is not an image transform`);
  return loadOwnImages(o.command, data!, {
    ...(o.size != null ? { size: o.size } : {}),
    ...(o.color ? { color: o.color } : {}),
    ...(o.normalize ? { normalize: o.normalize } : {}),
    ...(o.input?.kind === "image" ? { transform: o.input } : {}),
    ...(o.classNames ? { classNames: o.classNames } : {}),
  });
}

async function loadBuiltinData(entry: ZooEntry, o: DataOptions): Promise<TaskData> {
  // Diffusion models learn the same images (and labels, for class conditioning).
  if (entry.task === "fashion-mnist" || entry.task === "diffusion") {
    if (o.text) throw new UsageError(`neurite ${o.command}: --text is for character models; '${entry.name}' trains on Fashion-MNIST (use --data DIR)`);
    const dir = await findFashionMnistDir(o.data ?? undefined).catch((e: unknown) => {
      const why = e instanceof FashionMnistFilesMissingError ? `lacks ${e.missing.join(", ")}` : e instanceof Error ? e.message : String(e);
      throw new UsageError(`neurite ${o.command}: --data ${o.data}: ${why}`);
    });
    const fm = await loadFashionMnist(dir);
    const testN = Math.min(fm.test.n, o.testLimit ?? fm.test.n);
    return {
      // On the host: the loaders move one batch at a time to the training device (see hostLoader).
      train: fashionMnistDataset(fm.train, { ...(o.limit ? { limit: o.limit } : {}), device: HOST_DEVICE }),
      val: null,
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
    val: null,
    test: windows(split, ids.length, o.testLimit),
    source: path,
    dataConfig: { text: path, limit: o.limit ?? null, testLimit: o.testLimit ?? null, blockSize: T },
    ctx: { vocabSize: [...vocab].length, blockSize: T },
    vocab,
  };
}
