/**
 * Images as plain 8-bit pixel arrays, and the ways into tensors: from a browser's ImageData,
 * canvas, <img>, ImageBitmap or video frame (`readPixels`, `fromPixels`), from encoded bytes in a
 * browser (`decodeImage`, PNG/JPEG/WebP through createImageBitmap), and the Fashion-MNIST
 * preprocessing the CLI's `predict` and the playground share. Browser-safe: no Node imports
 * (PNG files in Node: data/png.ts).
 */
import type { Tensor } from "../tensor/tensor.js";
import { fromTypedArray } from "../ops/creation.js";

export type ImageChannels = 1 | 3 | 4;

export interface Image {
  width: number;
  height: number;
  /** 1 = gray, 3 = RGB, 4 = RGBA. */
  channels: ImageChannels;
  /** height * width * channels bytes, row-major, channels interleaved. */
  data: Uint8Array;
}

/** Throws unless `img` is a consistent Image; `op` names the caller. */
export function checkImage(img: Image, op = "png"): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${op}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`${op}: channels must be 1, 3 or 4, got ${channels}`);
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new Error(`${op}: data must be a Uint8Array of ${width}*${height}*${channels} = ${width * height * channels} bytes, got ${data?.length}`);
  }
}

/**
 * Convert to one gray channel with the ITU-R BT.601 luma weights
 * (0.299 R + 0.587 G + 0.114 B, rounded to nearest). Alpha is dropped, not blended.
 */
export function toGrayscale(img: Image): Image {
  checkImage(img, "toGrayscale");
  const { width, height, channels, data } = img;
  if (channels === 1) return { width, height, channels: 1, data: new Uint8Array(data) };
  const pixels = width * height;
  const out = new Uint8Array(pixels);
  for (let i = 0, p = 0; i < pixels; i++, p += channels) {
    // Integer arithmetic: exact, so no float rounding surprises at .5 boundaries.
    out[i] = Math.floor((data[p]! * 299 + data[p + 1]! * 587 + data[p + 2]! * 114 + 500) / 1000);
  }
  return { width, height, channels: 1, data: out };
}

/** Anything a browser can draw: ImageData, canvases, <img>, ImageBitmap, <video>, VideoFrame. */
export type PixelSource =
  | ImageData
  | { width: number; height: number; data: Uint8ClampedArray | Uint8Array }
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | OffscreenCanvas
  | ImageBitmap
  | VideoFrame;

type Context2D = { drawImage(src: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): ImageData };

function isPixelArray(s: PixelSource): s is { width: number; height: number; data: Uint8ClampedArray | Uint8Array } {
  const data = (s as { data?: unknown }).data;
  return data instanceof Uint8ClampedArray || data instanceof Uint8Array;
}

function sourceSize(s: PixelSource): [number, number] {
  const v = s as { naturalWidth?: number; naturalHeight?: number; videoWidth?: number; videoHeight?: number; displayWidth?: number; displayHeight?: number; width?: number; height?: number };
  const w = v.naturalWidth || v.videoWidth || v.displayWidth || v.width || 0;
  const h = v.naturalHeight || v.videoHeight || v.displayHeight || v.height || 0;
  return [w, h];
}

function canvasContext(w: number, h: number): Context2D {
  const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(k: "2d", o?: object): Context2D | null }; document?: { createElement(tag: "canvas"): { width: number; height: number; getContext(k: "2d", o?: object): Context2D | null } } };
  let ctx: Context2D | null = null;
  if (g.OffscreenCanvas) ctx = new g.OffscreenCanvas(w, h).getContext("2d", { willReadFrequently: true });
  else if (g.document) {
    const c = g.document.createElement("canvas");
    c.width = w;
    c.height = h;
    ctx = c.getContext("2d", { willReadFrequently: true });
  }
  if (!ctx) throw new Error("readPixels: no 2D canvas here (OffscreenCanvas or document); in Node decode PNG files with nt.data.decodePng");
  return ctx;
}

/**
 * The RGBA pixels of a browser image source. ImageData and plain `{ width, height, data }`
 * RGBA arrays are read directly; everything else is drawn onto a canvas of its natural size.
 */
export function readPixels(source: PixelSource): Image {
  if (isPixelArray(source)) {
    const { width, height, data } = source;
    if (data.length !== width * height * 4) {
      throw new Error(`readPixels: expected ${width}*${height}*4 = ${width * height * 4} RGBA bytes, got ${data.length}`);
    }
    const img: Image = { width, height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
    checkImage(img, "readPixels");
    return img;
  }
  const [w, h] = sourceSize(source);
  if (w < 1 || h < 1) throw new Error(`readPixels: the image has no pixels yet (${w}x${h}); wait for it to load (img.decode())`);
  const ctx = canvasContext(w, h);
  ctx.drawImage(source, 0, 0);
  const data = ctx.getImageData(0, 0, w, h).data;
  return { width: w, height: h, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * A float32 tensor [C, H, W] with values in [0, 1] (torchvision's `to_tensor` convention) from
 * an Image or any browser pixel source. `channels`: 1 (gray, BT.601), 3 (RGB, the default) or 4.
 */
export function fromPixels(source: Image | PixelSource, options: { channels?: ImageChannels; device?: string } = {}): Tensor {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new RangeError(`fromPixels: channels must be 1, 3 or 4, got ${channels}`);
  const img = "channels" in source && (source as Image).data instanceof Uint8Array ? (source as Image) : readPixels(source as PixelSource);
  checkImage(img, "fromPixels");
  const { width, height } = img;
  const src = channels === 1 ? toGrayscale(img) : img;
  const sc = src.channels;
  const plane = width * height;
  const out = new Float32Array(channels * plane);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) {
      // Missing channels: gray repeats into RGB, and alpha is opaque.
      const v = c < sc ? src.data[i * sc + c]! : c === 3 ? 255 : src.data[i * sc]!;
      out[c * plane + i] = v / 255;
    }
  }
  return fromTypedArray(out, [channels, height, width], "float32", options.device === undefined ? {} : { device: options.device });
}

/**
 * Decodes PNG, JPEG, WebP or GIF bytes (or a Blob/File) into RGBA pixels with the browser's
 * decoder. Needs createImageBitmap (browsers, workers); in Node use nt.data.decodePng.
 */
export async function decodeImage(source: Uint8Array | ArrayBuffer | Blob): Promise<Image> {
  const create = (globalThis as { createImageBitmap?: (b: Blob) => Promise<ImageBitmap> }).createImageBitmap;
  if (!create) throw new Error("decodeImage: createImageBitmap is not available here (it is a browser API); in Node use nt.data.decodePng");
  const blob = source instanceof Blob ? source : new Blob([source instanceof Uint8Array ? new Uint8Array(source) : source]);
  let bitmap: ImageBitmap;
  try {
    bitmap = await create(blob);
  } catch (e) {
    const name = (source as { name?: string }).name;
    throw new Error(`decodeImage: ${name ? `${name}: ` : ""}not an image this browser can decode (${(e as Error).message})`);
  }
  try {
    return readPixels(bitmap);
  } finally {
    bitmap.close();
  }
}

/**
 * Fashion-MNIST-style input from any image: alpha over white, gray, inverted when the
 * background is light, fitted into 28x28 (box-filtered, aspect kept) and centred. Values in [0, 1].
 */
export function prepareFashionMnistImage(img: Image, invert: "auto" | "yes" | "no" = "auto", size = 28): Float32Array {
  checkImage(img, "prepareFashionMnistImage");
  const { width: w, height: h, channels: c, data } = img;
  const gray = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const p = i * c;
    let v = c === 1 ? data[p]! : 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
    if (c === 4) {
      const a = data[p + 3]! / 255;
      v = v * a + 255 * (1 - a);
    }
    gray[i] = v / 255;
  }
  let doInvert = invert === "yes";
  if (invert === "auto") {
    let sum = 0;
    let n = 0;
    for (let x = 0; x < w; x++) {
      sum += gray[x]! + gray[(h - 1) * w + x]!;
      n += 2;
    }
    for (let y = 0; y < h; y++) {
      sum += gray[y * w]! + gray[y * w + w - 1]!;
      n += 2;
    }
    doInvert = sum / n > 0.5;
  }
  if (doInvert) for (let i = 0; i < gray.length; i++) gray[i] = 1 - gray[i]!;
  // Fit the longer side to `size`, keep the aspect ratio, centre; area-average each target pixel.
  const scale = Math.max(w, h) / size;
  const tw = Math.max(1, Math.round(w / scale));
  const th = Math.max(1, Math.round(h / scale));
  const ox = Math.floor((size - tw) / 2);
  const oy = Math.floor((size - th) / 2);
  const out = new Float32Array(size * size);
  resizePlaneByArea(gray, w, h, out, tw, th, oy * size + ox, size);
  return out;
}

/**
 * Resizes one w x h float plane to tw x th by area averaging (each target pixel is the mean of
 * the source area it covers; enlarging repeats pixels), writing row ty of the result at
 * out[offset + ty * rowStride]. Shared by the Fashion-MNIST preprocessing and own-data transforms.
 */
export function resizePlaneByArea(src: Float32Array, w: number, h: number, out: Float32Array, tw: number, th: number, offset = 0, rowStride = tw): void {
  for (let ty = 0; ty < th; ty++) {
    const y0 = (ty * h) / th;
    const y1 = ((ty + 1) * h) / th;
    for (let tx = 0; tx < tw; tx++) {
      const x0 = (tx * w) / tw;
      const x1 = ((tx + 1) * w) / tw;
      let acc = 0;
      let area = 0;
      for (let sy = Math.floor(y0); sy < Math.min(h, Math.ceil(y1)); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.min(w, Math.ceil(x1)); sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          acc += src[sy * w + sx]! * wx * wy;
          area += wx * wy;
        }
      }
      out[offset + ty * rowStride + tx] = area > 0 ? acc / area : 0;
    }
  }
}
