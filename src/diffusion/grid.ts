/**
 * Sample grids: [N, C, H, W] images with C = 1 (gray) or 3 (RGB), in [-1, 1] (the diffusion
 * range) unless `range` says otherwise, tiled into one 8-bit image (grid-png.ts encodes it).
 */
import type { Image } from "../data/png.js";

export interface GridOptions {
  /** Images per row (default ceil(sqrt(N))). */
  nrow?: number;
  /** Pixels between images (default 2). */
  padding?: number;
  /** Value range of the input (default [-1, 1]). */
  range?: [number, number];
  /** Background gray level 0..255 (default 0). */
  padValue?: number;
}

/** Tiles [N, C, H, W] values (flat, row-major) into one 8-bit image. */
export function makeGrid(values: Float32Array | Float64Array, shape: readonly number[], options: GridOptions = {}): Image {
  if (shape.length !== 4) throw new RangeError(`makeGrid: expected [N, C, H, W], got [${shape.join(", ")}]`);
  const [N, C, H, W] = shape as [number, number, number, number];
  if (C !== 1 && C !== 3) throw new RangeError(`makeGrid: expected 1 or 3 channels, got ${C}`);
  if (values.length !== N * C * H * W) throw new RangeError(`makeGrid: ${values.length} values for shape [${shape.join(", ")}]`);
  const nrow = Math.max(1, Math.min(N, options.nrow ?? Math.ceil(Math.sqrt(N))));
  const ncol = Math.ceil(N / nrow);
  const pad = options.padding ?? 2;
  const [lo, hi] = options.range ?? [-1, 1];
  const width = nrow * W + (nrow + 1) * pad;
  const height = ncol * H + (ncol + 1) * pad;
  const data = new Uint8Array(width * height * C).fill(options.padValue ?? 0);
  for (let n = 0; n < N; n++) {
    const ox = pad + (n % nrow) * (W + pad);
    const oy = pad + Math.floor(n / nrow) * (H + pad);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < C; c++) {
          const v = (values[((n * C + c) * H + y) * W + x]! - lo) / (hi - lo);
          data[((oy + y) * width + ox + x) * C + c] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
        }
      }
    }
  }
  return { width, height, channels: C as 1 | 3, data };
}
