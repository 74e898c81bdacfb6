/**
 * The preprocessing of an own-data image model (`neurite train --data DIR`): resize to a fixed
 * size, gray or RGB, per-channel standardisation. Stored with the model as JSON (metadata key
 * "input"), so that `predict` prepares a new image exactly as training did. Browser-safe.
 */
import { checkImage, resizePlaneByArea, type Image } from "./image.js";

export interface ImageTransform {
  kind: "image";
  /** Target height and width in pixels. */
  height: number;
  width: number;
  /** 1 = gray (BT.601 luma), 3 = RGB. */
  channels: 1 | 3;
  /** Per-channel mean and standard deviation of [0, 1] pixel values; (x - mean) / std. */
  mean: number[];
  std: number[];
}

/** Largest side an ImageTransform may ask for (a hostile file could ask for 10^6). */
export const MAX_IMAGE_SIDE = 1024;

/** Throws unless `t` (untrusted: parsed from a file) is a usable ImageTransform; `where` names its source. */
export function checkImageTransform(t: unknown, where: string): ImageTransform {
  const o = t as Partial<ImageTransform> | null;
  const side = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_IMAGE_SIDE;
  const stats = (v: unknown, positive: boolean) =>
    Array.isArray(v) && v.length === o!.channels && v.every((x) => typeof x === "number" && Number.isFinite(x) && (!positive || x > 0));
  if (o === null || typeof o !== "object" || o.kind !== "image") throw new Error(`${where}: the image transform must be an object with kind "image"`);
  if (!side(o.height) || !side(o.width)) throw new Error(`${where}: the image transform's height and width must be integers from 1 to ${MAX_IMAGE_SIDE}, got ${String(o.height)}x${String(o.width)}`);
  if (o.channels !== 1 && o.channels !== 3) throw new Error(`${where}: the image transform's channels must be 1 or 3, got ${String(o.channels)}`);
  if (!stats(o.mean, false) || !stats(o.std, true)) throw new Error(`${where}: the image transform needs ${o.channels} finite mean(s) and ${o.channels} positive std(s)`);
  return { kind: "image", height: o.height!, width: o.width!, channels: o.channels, mean: [...o.mean!], std: [...o.std!] };
}

/**
 * Resizes `img` to width x height by area averaging (each target pixel is the mean of the source
 * area it covers; enlarging repeats pixels) into channel-planar [C, H, W] floats in [0, 1].
 * Gray output uses the BT.601 luma; alpha is composited over black, as torchvision's convert("RGB") drops it.
 */
export function resizeToPlanes(img: Image, width: number, height: number, channels: 1 | 3): Float32Array {
  checkImage(img, "resizeToPlanes");
  const { width: w, height: h, channels: c, data } = img;
  // Source planes in [0, 1] with the requested channel count.
  const src = new Float32Array(channels * w * h);
  const plane = w * h;
  for (let i = 0; i < plane; i++) {
    const p = i * c;
    const alpha = c === 4 ? data[p + 3]! / 255 : 1;
    const r = data[p]! / 255;
    const g = c >= 3 ? data[p + 1]! / 255 : r;
    const b = c >= 3 ? data[p + 2]! / 255 : r;
    if (channels === 1) src[i] = (0.299 * r + 0.587 * g + 0.114 * b) * alpha;
    else {
      src[i] = r * alpha;
      src[plane + i] = g * alpha;
      src[2 * plane + i] = b * alpha;
    }
  }
  const out = new Float32Array(channels * width * height);
  for (let ch = 0; ch < channels; ch++) {
    resizePlaneByArea(src.subarray(ch * plane, (ch + 1) * plane), w, h, out, width, height, ch * width * height);
  }
  return out;
}

/** Standardises [C, H, W] planes in place with the transform's mean and std. */
export function standardizePlanes(planes: Float32Array, t: ImageTransform): Float32Array {
  const plane = t.width * t.height;
  for (let ch = 0; ch < t.channels; ch++) {
    const m = t.mean[ch]!;
    const s = t.std[ch]!;
    for (let i = ch * plane; i < (ch + 1) * plane; i++) planes[i] = (planes[i]! - m) / s;
  }
  return planes;
}

/** One image as the model's input: resized, gray/RGB and standardised, [C, H, W]. */
export function applyImageTransform(img: Image, t: ImageTransform): Float32Array {
  return standardizePlanes(resizeToPlanes(img, t.width, t.height, t.channels), t);
}
