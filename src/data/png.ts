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
 * Decode a PNG of any bit depth, palette or interlacing. Gray images give 1
 * channel and colour images 3; images with an alpha channel or transparency
 * (tRNS) give RGBA, since gray+alpha has no 2-channel form here. 16-bit
 * samples are scaled to 8 bits.
 */
export async function decodePng(bytes: Uint8Array): Promise<Image> {
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
