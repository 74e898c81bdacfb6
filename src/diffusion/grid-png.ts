/**
 * Sample grids as PNG files (Node: encoded by pngjs through data/png.ts, which is why this is
 * apart from grid.ts, the part browsers use).
 */
import type { Tensor } from "../tensor/tensor.js";
import { encodePng } from "../data/png.js";
import { writeFileAtomic } from "../io/atomic-write.js";
import { makeGrid, type GridOptions } from "./grid.js";

/** Encodes a [N, C, H, W] tensor as a PNG grid; writes it to `path` when given. */
export async function saveImageGrid(images: Tensor, path?: string, options: GridOptions = {}): Promise<Uint8Array> {
  const values = (await images.data()) as Float32Array;
  const png = await encodePng(makeGrid(values, images.shape, options));
  if (path) await writeFileAtomic(path, png);
  return png;
}
