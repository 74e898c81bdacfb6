// Fashion-MNIST loading: from an explicit folder, from the Debian package
// dataset-fashion-mnist, or from the small subset bundled in the repository
// (data/fashion-mnist-subset, first 6000 train / 1000 test examples).
// Node only; node:fs and friends are imported lazily to keep browser bundles working.

import { readIdxFile, type IdxArray } from "./idx.js";
import { nodeBuiltin } from "../platform/node-builtins.js";

/** What needs Node here, and what to do instead in a browser (for NodeOnlyError). */
const NODE_ONLY = ["loading Fashion-MNIST from disk", "in a browser fetch the IDX files and call nt.data.parseIdxAsync"] as const;

/** Label index -> class name, as in the Fashion-MNIST README. */
export const CLASS_NAMES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

export const IMAGE_HEIGHT = 28;
export const IMAGE_WIDTH = 28;

/** Where `apt-get install dataset-fashion-mnist` puts the full data set. */
export const SYSTEM_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist/";

const BUNDLED_SUBDIR = ["data", "fashion-mnist-subset"] as const;

export interface FashionMnistSplit {
  /** n * 28 * 28 pixel values 0..255, row-major, one image after another. */
  images: Uint8Array;
  /** n labels 0..9, see CLASS_NAMES. */
  labels: Uint8Array;
  n: number;
}

export interface FashionMnist {
  train: FashionMnistSplit;
  test: FashionMnistSplit;
  /** Human-readable description of where the data came from. */
  source: string;
}

const FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;
type FileKey = keyof typeof FILES;

/** The names a file may go by: gzip'd or raw, and the dotted variant some mirrors use. */
function candidates(base: string): string[] {
  const dotted = base.replace(/-(idx\d-ubyte)$/, ".$1");
  return [`${base}.gz`, base, `${dotted}.gz`, dotted];
}

async function isFile(path: string): Promise<boolean> {
  const { stat } = nodeBuiltin("fs/promises", ...NODE_ONLY);
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Map each of the four files to the path that exists in `dir`, or list the missing ones. */
async function locateFiles(dir: string): Promise<{ paths: Record<FileKey, string> } | { missing: string[] }> {
  const { join } = nodeBuiltin("path", ...NODE_ONLY);
  const paths: Partial<Record<FileKey, string>> = {};
  const missing: string[] = [];
  for (const key of Object.keys(FILES) as FileKey[]) {
    let found: string | undefined;
    for (const name of candidates(FILES[key])) {
      const p = join(dir, name);
      if (await isFile(p)) {
        found = p;
        break;
      }
    }
    if (found === undefined) missing.push(`${FILES[key]}(.gz)`);
    else paths[key] = found;
  }
  return missing.length > 0 ? { missing } : { paths: paths as Record<FileKey, string> };
}

/** A folder given as Fashion-MNIST lacks some of its four IDX files. */
export class FashionMnistFilesMissingError extends Error {
  override name = "FashionMnistFilesMissingError";
  constructor(
    readonly folder: string,
    readonly missing: readonly string[],
  ) {
    super(`fashion-mnist: ${folder} lacks ${missing.join(", ")}`);
  }
}

/**
 * The folder to load Fashion-MNIST from: `explicit` if given (throws if it
 * lacks any of the four files), else the Debian package's folder if it holds
 * the files, else null (meaning: use the bundled subset).
 */
export async function findFashionMnistDir(explicit?: string): Promise<string | null> {
  if (explicit !== undefined) {
    const found = await locateFiles(explicit);
    if ("missing" in found) throw new FashionMnistFilesMissingError(explicit, found.missing);
    return explicit;
  }
  const system = await locateFiles(SYSTEM_FASHION_MNIST_DIR);
  return "paths" in system ? SYSTEM_FASHION_MNIST_DIR : null;
}

/**
 * Absolute path of the bundled subset. Found by walking up from this module's
 * folder, because the module runs both from src/data (tsx) and dist/src/data
 * (compiled), and from node_modules/neurite when installed.
 */
export async function bundledFashionMnistDir(): Promise<string> {
  const { fileURLToPath } = nodeBuiltin("url", ...NODE_ONLY);
  const { dirname, join } = nodeBuiltin("path", ...NODE_ONLY);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, ...BUNDLED_SUBDIR);
    if (await isFile(join(candidate, `${FILES.trainImages}.gz`))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // The npm package leaves the 3 MB subset out (it lives in the repository): say where data comes from.
  throw new Error(
    `fashion-mnist: no data found: the ${BUNDLED_SUBDIR.join("/")} subset ships with neurite's repository, not its npm package; ` +
      `pass --data DIR (a folder with the four IDX files) or install Debian's dataset-fashion-mnist (${SYSTEM_FASHION_MNIST_DIR})`,
  );
}

function toUint8(a: IdxArray, path: string): Uint8Array {
  if (!(a.data instanceof Uint8Array)) throw new Error(`fashion-mnist: ${path}: expected unsigned-byte data`);
  return a.data;
}

async function loadSplit(imagesPath: string, labelsPath: string): Promise<FashionMnistSplit> {
  const [img, lab] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  const images = toUint8(img, imagesPath);
  const labels = toUint8(lab, labelsPath);
  if (img.shape.length !== 3 || img.shape[1] !== IMAGE_HEIGHT || img.shape[2] !== IMAGE_WIDTH) {
    throw new Error(`fashion-mnist: ${imagesPath}: expected shape [n, 28, 28], got [${img.shape.join(", ")}]`);
  }
  if (lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) {
    throw new Error(`fashion-mnist: ${labelsPath}: expected shape [${img.shape[0]}] to match the images, got [${lab.shape.join(", ")}]`);
  }
  const bad = labels.findIndex((l) => l >= CLASS_NAMES.length);
  if (bad >= 0) throw new Error(`fashion-mnist: ${labelsPath}: label ${labels[bad]} at index ${bad} is not in 0..9`);
  return { images, labels, n: labels.length };
}

/** Load Fashion-MNIST from `dir`, or the bundled subset when `dir` is null. */
export async function loadFashionMnist(dir: string | null): Promise<FashionMnist> {
  const root = dir ?? (await bundledFashionMnistDir());
  const found = await locateFiles(root);
  if ("missing" in found) throw new Error(`fashion-mnist: ${root} lacks ${found.missing.join(", ")}`);
  const { paths } = found;
  const [train, test] = await Promise.all([
    loadSplit(paths.trainImages, paths.trainLabels),
    loadSplit(paths.testImages, paths.testLabels),
  ]);
  const source = dir === null ? `bundled subset (${root})` : root;
  return { train, test, source };
}
