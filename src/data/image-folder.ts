/**
 * Own image data in the ImageFolder layout (torchvision.datasets.ImageFolder): one sub-folder
 * per class, named after it, holding PNG or JPEG images. Node only (files are read through
 * io/node-file); the preprocessing itself is image-transform.ts and browser-safe.
 */
import { nodeBuiltin } from "../platform/node-builtins.js";
import type { Image } from "./image.js";
import { TensorDataset } from "./dataset.js";
import { tensor } from "../ops/creation.js";
import { resizeToPlanes, type ImageTransform, MAX_IMAGE_SIDE } from "./image-transform.js";

export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"] as const;
/** Image files larger than this are refused before they are read. */
const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

/** Bad image-folder data: the message names the folder or file. */
export class ImageFolderError extends Error {
  override name = "ImageFolderError";
}

export interface ImageFolderOptions {
  /** Square side (or [height, width]) every image is resized to (default: the first image's size, fitted within 64). */
  size?: number | [number, number];
  /** "grey" (1 channel), "rgb" (3) or "auto" (default: grey when every image is grey). */
  color?: "grey" | "rgb" | "auto";
  /** "dataset": standardise each channel with the folder's mean and std (default); "none": keep [0, 1]. */
  normalize?: "dataset" | "none";
  /** Class names in index order (eval/predict: the model's); default: the sorted sub-folder names. */
  classNames?: readonly string[];
  /** A transform to apply instead of fitting one (eval: the model's own). */
  transform?: ImageTransform;
}

export interface ImageFolderData {
  /** [N, C, H, W] float inputs, sample-major. */
  inputs: Float32Array;
  labels: Int32Array;
  classNames: string[];
  files: string[];
  transform: ImageTransform;
}

/** Decodes one PNG or JPEG file (by its bytes, not its extension); errors name the file. */
export async function readImageFile(path: string): Promise<Image> {
  const { readRegularFile } = await import("../io/node-file.js");
  const bytes = await readRegularFile(path, { what: "image", maxBytes: MAX_IMAGE_FILE_BYTES });
  const { isJpeg, decodeJpeg } = await import("./jpeg.js");
  try {
    if (isJpeg(bytes)) return await decodeJpeg(bytes);
    const { decodePng } = await import("./png.js");
    return await decodePng(bytes);
  } catch (e) {
    throw new ImageFolderError(`${path}: not a readable PNG or JPEG image (${(e as Error).message.replace(/^(png|jpeg): /, "")})`);
  }
}

/** The class sub-folders of `dir` and their image files, sorted; empty classes are refused. */
export async function listImageFolder(dir: string): Promise<{ className: string; files: string[] }[]> {
  const fs = nodeBuiltin("fs/promises", `reading the image folder '${dir}'`);
  const { join, extname } = nodeBuiltin("path", `reading the image folder '${dir}'`);
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new ImageFolderError(`image folder '${dir}': ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such folder" : (e as Error).message}`);
  }
  const classes = entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name).sort();
  if (classes.length === 0) throw new ImageFolderError(`image folder '${dir}': no class sub-folders (expected DIR/CLASS/image.png, one sub-folder per class)`);
  const out: { className: string; files: string[] }[] = [];
  for (const className of classes) {
    const sub = join(dir, className);
    const files = (await fs.readdir(sub, { withFileTypes: true }))
      .filter((e) => e.isFile() && (IMAGE_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase()))
      .map((e) => join(sub, e.name))
      .sort();
    if (files.length === 0) throw new ImageFolderError(`image folder '${dir}': the class folder '${sub}' has no PNG or JPEG images`);
    out.push({ className, files });
  }
  return out;
}

function defaultSize(first: Image): [number, number] {
  const scale = Math.max(first.width, first.height) / 64;
  if (scale <= 1) return [first.height, first.width];
  return [Math.max(1, Math.round(first.height / scale)), Math.max(1, Math.round(first.width / scale))];
}

/**
 * Loads an image folder into memory: every image resized to one size, gray or RGB, and (by
 * default) standardised per channel with the folder's own mean and std, which the returned
 * transform records for prediction.
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageFolderData> {
  const listed = await listImageFolder(dir);
  const classNames = options.classNames ? [...options.classNames] : listed.map((c) => c.className);
  const classIndex = new Map(classNames.map((c, i) => [c, i]));
  for (const c of listed) {
    if (!classIndex.has(c.className)) throw new ImageFolderError(`image folder '${dir}': the class folder '${c.className}' is not one of the model's classes (${classNames.slice(0, 10).join(", ")})`);
  }
  const images: Image[] = [];
  const labels: number[] = [];
  const files: string[] = [];
  for (const c of listed) {
    for (const f of c.files) {
      images.push(await readImageFile(f));
      labels.push(classIndex.get(c.className)!);
      files.push(f);
    }
  }
  let transform = options.transform;
  if (!transform) {
    const size = options.size;
    const [height, width] = size === undefined ? defaultSize(images[0]!) : typeof size === "number" ? [size, size] : size;
    if (!(height >= 1 && width >= 1 && height <= MAX_IMAGE_SIDE && width <= MAX_IMAGE_SIDE)) throw new ImageFolderError(`image folder: size must be from 1 to ${MAX_IMAGE_SIDE} pixels, got ${height}x${width}`);
    const color = options.color ?? "auto";
    const channels: 1 | 3 = color === "grey" ? 1 : color === "rgb" ? 3 : images.every((im) => im.channels === 1) ? 1 : 3;
    transform = { kind: "image", height, width, channels, mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1) };
  }
  const t = transform;
  const per = t.channels * t.height * t.width;
  const inputs = new Float32Array(images.length * per);
  for (const [i, im] of images.entries()) inputs.set(resizeToPlanes(im, t.width, t.height, t.channels), i * per);
  if (!options.transform && (options.normalize ?? "dataset") === "dataset") {
    const plane = t.height * t.width;
    for (let ch = 0; ch < t.channels; ch++) {
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < images.length; i++) {
        for (let p = i * per + ch * plane, end = p + plane; p < end; p++) {
          sum += inputs[p]!;
          sq += inputs[p]! * inputs[p]!;
        }
      }
      const n = images.length * plane;
      const mean = sum / n;
      const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
      t.mean[ch] = mean;
      t.std[ch] = std > 1e-6 ? std : 1;
    }
  }
  // Standardise the stored [0, 1] planes with the (fitted or given) statistics.
  const plane = t.height * t.width;
  for (let i = 0; i < images.length; i++) {
    for (let ch = 0; ch < t.channels; ch++) {
      const m = t.mean[ch]!;
      const s = t.std[ch]!;
      for (let p = i * per + ch * plane, end = p + plane; p < end; p++) inputs[p] = (inputs[p]! - m) / s;
    }
  }
  return { inputs, labels: Int32Array.from(labels), classNames, files, transform: t };
}

/**
 * True when `dir` looks like an image folder: no IDX files (a Fashion-MNIST folder) and a
 * sub-folder holding a PNG or JPEG file.
 */
export async function isImageFolder(dir: string): Promise<boolean> {
  const fs = nodeBuiltin("fs/promises", `reading the folder '${dir}'`);
  const { join, extname } = nodeBuiltin("path", `reading the folder '${dir}'`);
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    if (entries.some((e) => /idx\d-ubyte/.test(e.name))) return false;
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith(".")) continue;
      const files = await fs.readdir(join(dir, e.name)).catch(() => [] as string[]);
      if (files.some((f) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase()))) return true;
    }
    return false;
  } catch {
    return false;
  }
}

/**
 * An image folder as a TensorDataset of [images [N, C, H, W] float32, labels [N] int32], with
 * its class names and the transform to prepare new images with (`applyImageTransform`).
 */
export async function imageFolderDataset(dir: string, options: ImageFolderOptions & { device?: string } = {}): Promise<{ dataset: TensorDataset; classNames: string[]; transform: ImageTransform }> {
  const d = await loadImageFolder(dir, options);
  const t = d.transform;
  const n = d.labels.length;
  const on = options.device === undefined ? {} : { device: options.device };
  const dataset = new TensorDataset(tensor(d.inputs, { shape: [n, t.channels, t.height, t.width], ...on }), tensor(d.labels, { shape: [n], dtype: "int32", ...on }));
  return { dataset, classNames: d.classNames, transform: t };
}
