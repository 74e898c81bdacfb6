// PNG decode/encode through the pngjs package, with pixels as plain interleaved
// 8-bit arrays. Node only: pngjs relies on Node's Buffer, stream and zlib, so it
// is loaded lazily (hence the async API) and importing this module stays
// browser-safe; toGrayscale works anywhere.

export type PngChannels = 1 | 3 | 4;

export interface Image {
  width: number;
  height: number;
  /** 1 = gray, 3 = RGB, 4 = RGBA. */
  channels: PngChannels;
  /** height * width * channels bytes, row-major, channels interleaved. */
  data: Uint8Array;
}

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

function checkImage(img: Image): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`png: width and height must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`png: channels must be 1, 3 or 4, got ${channels}`);
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new Error(`png: data must be a Uint8Array of ${width}*${height}*${channels} = ${width * height * channels} bytes, got ${data?.length}`);
  }
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

/**
 * Convert to one gray channel with the ITU-R BT.601 luma weights
 * (0.299 R + 0.587 G + 0.114 B, rounded to nearest). Alpha is dropped, not blended.
 */
export function toGrayscale(img: Image): Image {
  checkImage(img);
  const { width, height, channels, data } = img;
  // new Uint8Array(data) always copies (Buffer#slice would return a view).
  if (channels === 1) return { width, height, channels: 1, data: new Uint8Array(data) };
  const pixels = width * height;
  const out = new Uint8Array(pixels);
  for (let i = 0, p = 0; i < pixels; i++, p += channels) {
    // Integer arithmetic: exact, so no float rounding surprises at .5 boundaries.
    out[i] = Math.floor((data[p]! * 299 + data[p + 1]! * 587 + data[p + 2]! * 114 + 500) / 1000);
  }
  return { width, height, channels: 1, data: out };
}
