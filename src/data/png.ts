// PNG decode/encode through the pngjs package, with pixels as plain interleaved
// 8-bit arrays. Node only: pngjs relies on Node's Buffer, stream and zlib, so it
// is loaded lazily (hence the async API) and importing this module stays
// browser-safe (image.ts has the browser-side image helpers).

import { checkImage, type Image, type ImageChannels } from "./image.js";

export { toGrayscale, type Image } from "./image.js";
export type PngChannels = ImageChannels;

type PngModule = typeof import("pngjs");

async function loadPngjs(): Promise<PngModule> {
  const mod = (await import("pngjs")) as PngModule & { default?: PngModule };
  // pngjs is CommonJS: depending on the loader its exports are on the namespace or on `default`.
  return mod.PNG !== undefined ? mod : mod.default!;
}

/**
 * The most pixels `decodePng` decodes by default: 16,777,216 (4096 x 4096, 64 MiB as RGBA).
 * A 600 KB PNG can declare 25000 x 25000 pixels (2.5 GB decoded); the limit is checked from
 * the header, before any decompression.
 */
export const MAX_PNG_PIXELS = 4096 * 4096;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Width and height from a PNG's IHDR chunk (the first chunk, right after the signature),
 * without decoding anything. Pure: works in browsers too.
 */
export function pngDimensions(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error("png: not a PNG file (no PNG signature)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!);
  if (type !== "IHDR" || view.getUint32(8) !== 13) throw new Error("png: the first chunk is not a 13-byte IHDR header");
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) throw new Error(`png: the header declares an empty ${width}x${height} image`);
  return { width, height };
}

/**
 * Decode a PNG of any bit depth, palette or interlacing. Gray images give 1
 * channel and colour images 3; images with an alpha channel or transparency
 * (tRNS) give RGBA, since gray+alpha has no 2-channel form here. 16-bit
 * samples are scaled to 8 bits. Images above `maxPixels` (default MAX_PNG_PIXELS)
 * are refused from their header, before decoding.
 */
export async function decodePng(bytes: Uint8Array, options: { maxPixels?: number } = {}): Promise<Image> {
  const maxPixels = options.maxPixels ?? MAX_PNG_PIXELS;
  const dims = pngDimensions(bytes);
  if (dims.width * dims.height > maxPixels) {
    throw new Error(`png: the image is ${dims.width}x${dims.height} (${dims.width * dims.height} pixels), more than the ${maxPixels}-pixel limit; scale it down first`);
  }
  const { PNG } = await loadPngjs();
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`png: cannot decode (${(e as Error).message})`);
  }
  const { width, height } = png;
  const rgba = png.data; // pngjs always hands back 8-bit RGBA
  const pixels = width * height;
  let hasAlpha = png.alpha;
  for (let i = 0; !hasAlpha && i < pixels; i++) hasAlpha = rgba[4 * i + 3] !== 255;
  const channels: PngChannels = hasAlpha ? 4 : png.color ? 3 : 1;
  const data = new Uint8Array(pixels * channels);
  if (channels === 4) {
    data.set(rgba.subarray(0, pixels * 4));
  } else {
    for (let i = 0; i < pixels; i++) {
      for (let c = 0; c < channels; c++) data[i * channels + c] = rgba[4 * i + c]!;
    }
  }
  return { width, height, channels, data };
}

/** PNG colour types by channel count: gray, RGB, RGBA. */
const COLOR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;

/** Encode an 8-bit image as PNG (gray, RGB or RGBA according to `channels`). */
export async function encodePng(img: Image): Promise<Uint8Array> {
  checkImage(img);
  const { PNG } = await loadPngjs();
  const colorType = COLOR_TYPE[img.channels];
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  // Same input and output colour type: pngjs writes the samples as given, no conversion.
  const out = PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: img.channels === 4 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
