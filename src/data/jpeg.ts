// JPEG decoding through the pure-JavaScript jpeg-js package. With `useTArray` it needs no
// Buffer, so it works in browsers too; it is still loaded lazily so that programs that never
// read a JPEG do not load the decoder.

import type { Image } from "./image.js";

/** The most pixels `decodeJpeg` decodes by default (as MAX_PNG_PIXELS: 4096 x 4096). */
export const MAX_JPEG_PIXELS = 4096 * 4096;

type JpegModule = typeof import("jpeg-js");

async function loadJpegJs(): Promise<JpegModule> {
  const mod = (await import("jpeg-js")) as JpegModule & { default?: JpegModule };
  // jpeg-js is CommonJS: depending on the loader its exports are on the namespace or on `default`.
  return typeof mod.decode === "function" ? mod : mod.default!;
}

/** True when `bytes` start with the JPEG start-of-image marker (FF D8 FF). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Decode a baseline or progressive JPEG into RGB pixels (3 channels; gray JPEGs repeat their
 * one channel). Images above `maxPixels` are refused before their pixels are allocated.
 */
export async function decodeJpeg(bytes: Uint8Array, options: { maxPixels?: number } = {}): Promise<Image> {
  if (!isJpeg(bytes)) throw new Error("jpeg: not a JPEG file (no FF D8 FF start marker)");
  const maxPixels = options.maxPixels ?? MAX_JPEG_PIXELS;
  const { decode } = await loadJpegJs();
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    throw new Error(`jpeg: cannot decode (${(e as Error).message})`);
  }
  const { width, height, data: rgba } = raw;
  if (width < 1 || height < 1) throw new Error(`jpeg: the image is empty (${width}x${height})`);
  const pixels = width * height;
  const data = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    data[3 * i] = rgba[4 * i]!;
    data[3 * i + 1] = rgba[4 * i + 1]!;
    data[3 * i + 2] = rgba[4 * i + 2]!;
  }
  return { width, height, channels: 3, data };
}
