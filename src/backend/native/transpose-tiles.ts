/**
 * A contiguous copy of a transposed view (x.transpose(0, 1).contiguous()) written row by row reads
 * every element of an output row from a different cache line and page: a 2 GiB bool transpose
 * took 40 s that way. Cut into tiles of TILE_ROWS x TILE_COLS, a tile's rows read the same 64
 * pages and lines again while they are cached (7 s). The tiles are dimensions of one copy_strided
 * descriptor (move.c: [nd, shape, dst strides, src strides]), so the kernel walks them in order
 * in one call; the rows and columns left over past whole tiles are two more plain copies.
 */
import { KERNEL_MAX_DIMS } from "../kernel-descriptors.js";
import type { StridedCopy } from "./int32-pieces.js";
import { collapseDims, contiguousStrides, numel } from "../../tensor/shape.js";

/**
 * Views of fewer bytes copy faster row by row: they stay in cache, and ew_copy runs on the
 * kernels' threads where copy_strided runs on one (a 16 MiB float32 transpose on 2 threads:
 * 6 ms row by row, 9 ms in tiles; 64 MiB: 77-156 ms row by row, 60 ms in tiles).
 */
export const TILED_COPY_MIN_BYTES = 32 << 20;
/** An innermost read stride (elements) from which every element of a row is its own cache line. */
const SCATTERED_STRIDE = 16;
/**
 * Tile extents: along the dimension read in runs (most rows, fewer where the view has fewer; at
 * least MIN_TILE_ROWS), and along the output's innermost dimension, whose every column is read
 * from its own page: 64 columns keep those pages in the first-level TLB while a tile's rows
 * reuse them (a 2 GiB bool transpose: 64 x 256 tiles 29 s, 256 x 64 9 s, 1024 x 64 7 s, on a
 * machine loaded by other jobs).
 */
const TILE_ROWS = 1024;
const MIN_TILE_ROWS = 64;
const TILE_COLS = 64;
const INT32_MAX = 0x7fffffff;

/**
 * The copies that write view (shape, strides, offset) of `elementBytes`-byte elements into a
 * contiguous output tile by tile, or null where tiling does not pay (a small view, an innermost
 * read already in runs, no other dimension read in runs) or the descriptors do not fit int32 or
 * KERNEL_MAX_DIMS.
 */
export function transposeTiles(shape: readonly number[], strides: readonly number[], offset: number, elementBytes: number): StridedCopy[] | null {
  if (numel(shape) * elementBytes < TILED_COPY_MIN_BYTES) return null;
  const c = collapseDims(shape, [contiguousStrides(shape), strides]);
  const nd = c.shape.length;
  if (nd < 2 || nd + 2 > KERNEL_MAX_DIMS) return null;
  const [dst, src] = c.strides as [number[], number[]];
  const last = nd - 1;
  if (Math.abs(src[last]!) < SCATTERED_STRIDE) return null;
  // the dimension read in the shortest steps becomes the tiles' rows
  let m = 0;
  for (let d = 1; d < last; d++) if (Math.abs(src[d]!) < Math.abs(src[m]!)) m = d;
  if (Math.abs(src[m]!) >= SCATTERED_STRIDE || c.shape[m]! < MIN_TILE_ROWS || c.shape[last]! < TILE_COLS) return null;
  const rows = c.shape[m]!, cols = c.shape[last]!;
  const tileRows = Math.min(TILE_ROWS, rows);
  const fullRows = rows - (rows % tileRows), fullCols = cols - (cols % TILE_COLS);
  const others = [...Array(last).keys()].filter((d) => d !== m);
  const pick = (a: readonly number[]) => others.map((d) => a[d]!);
  const plain = (nRows: number, nCols: number): number[] =>
    [nd, ...pick(c.shape), nRows, nCols, ...pick(dst), dst[m]!, dst[last]!, ...pick(src), src[m]!, src[last]!];
  const copies: StridedCopy[] = [{
    desc: [nd + 2, ...pick(c.shape), fullRows / tileRows, fullCols / TILE_COLS, tileRows, TILE_COLS,
      ...pick(dst), tileRows * dst[m]!, TILE_COLS * dst[last]!, dst[m]!, dst[last]!,
      ...pick(src), tileRows * src[m]!, TILE_COLS * src[last]!, src[m]!, src[last]!],
    dstOffset: 0,
    srcOffset: offset,
  }];
  // the rows past the whole tiles (every column), then the columns past them (the tiled rows)
  if (fullRows < rows) copies.push({ desc: plain(rows - fullRows, cols), dstOffset: fullRows * dst[m]!, srcOffset: offset + fullRows * src[m]! });
  if (fullCols < cols) copies.push({ desc: plain(fullRows, cols - fullCols), dstOffset: fullCols * dst[last]!, srcOffset: offset + fullCols * src[last]! });
  const fits = copies.every((k) => k.desc.every((v) => Math.abs(v) <= INT32_MAX));
  return fits ? copies : null;
}
