/**
 * Tiled transposed copies on the native backend (transpose-tiles.ts): the tiles' copy_strided
 * descriptors, run by a JavaScript model of copy_strided, write every output element exactly once
 * with the view's value (remainders in rows, columns or both, batches, offsets); and native's
 * contiguous() of large transposed views equals the cpu backend's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { nativeStatus } from "../src/backend/register-native.js";
import { transposeTiles } from "../src/backend/native/transpose-tiles.js";
import type { StridedCopy } from "../src/backend/native/int32-pieces.js";
import { contiguousStrides, numel } from "../src/tensor/shape.js";

/** move.c's copy_strided: dst[dstOffset + i . dstStrides] = src[srcOffset + i . srcStrides] over the shape. */
function copyStrided(dst: Float64Array, writes: Uint8Array, src: Float64Array, k: StridedCopy): void {
  const nd = k.desc[0]!;
  const shape = k.desc.slice(1, 1 + nd), ds = k.desc.slice(1 + nd, 1 + 2 * nd), ss = k.desc.slice(1 + 2 * nd, 1 + 3 * nd);
  const walk = (d: number, o: number, i: number): void => {
    if (d === nd) {
      dst[o] = src[i]!;
      writes[o]!++;
      return;
    }
    for (let j = 0; j < shape[d]!; j++) walk(d + 1, o + j * ds[d]!, i + j * ss[d]!);
  };
  walk(0, k.dstOffset, k.srcOffset);
}

/** The view's values in row-major order, read directly. */
function expectedCopy(src: Float64Array, shape: readonly number[], strides: readonly number[], offset: number): Float64Array {
  const out = new Float64Array(numel(shape));
  const cs = contiguousStrides(shape);
  for (let p = 0; p < out.length; p++) {
    let o = offset;
    shape.forEach((_, d) => (o += Math.floor(p / cs[d]!) % shape[d]! * strides[d]!));
    out[p] = src[o]!;
  }
  return out;
}

// Elements counted as 1 KiB each, so that views of a few hundred thousand elements pass the size threshold.
const BIG_ELEMENT = 1024;

test("transposeTiles: the tiles and the rows and columns past them write each element once, with the view's value", () => {
  const cases: Array<[string, number[], number[], number]> = [
    ["2-D, remainders in rows and columns", [2100, 150], [1, 2100], 0],
    ["2-D, fewer rows than a tile", [300, 700], [1, 300], 0],
    ["2-D, whole tiles only", [256, 512], [1, 256], 0],
    ["batched transpose(1, 2), offset", [3, 200, 517], [103400, 1, 200], 5],
    ["3-D with a gap between slabs, columns read with stride 70", [70, 6, 400], [1, 30000, 70], 3],
  ];
  for (const [name, shape, strides, offset] of cases) {
    const reach = offset + shape.reduce((r, n, d) => r + (n - 1) * strides[d]!, 0);
    const src = new Float64Array(reach + 1).map((_, i) => i * 7 + 1);
    const copies = transposeTiles(shape, strides, offset, BIG_ELEMENT);
    assert.ok(copies, `${name}: tiled`);
    assert.equal(copies[0]!.desc[0], shape.length + 2, `${name}: one call walks the tiles`);
    const out = new Float64Array(numel(shape));
    const writes = new Uint8Array(out.length);
    for (const k of copies) copyStrided(out, writes, src, k);
    assert.ok(writes.every((w) => w === 1), `${name}: every element written once`);
    assert.deepEqual(out, expectedCopy(src, shape, strides, offset), name);
  }
});

test("transposeTiles: no tiles for small views, reads already in runs, or nothing read in runs", () => {
  assert.equal(transposeTiles([300, 700], [1, 300], 0, 4), null, "small");
  assert.equal(transposeTiles([300, 700], [700, 1], 0, BIG_ELEMENT), null, "contiguous");
  assert.equal(transposeTiles([300, 700], [1400, 2], 0, BIG_ELEMENT), null, "innermost stride 2: runs");
  assert.equal(transposeTiles([300, 700], [10000, 20], 0, BIG_ELEMENT), null, "no dimension read in runs");
});

const status = await nativeStatus();

test(`native contiguous() of transposed views past the tiling threshold equals the cpu backend's${status.available ? "" : ` (native unavailable: ${status.reason})`}`, async () => {
  if (!status.available) return;
  const cases: Array<[string, () => nt.Tensor, (x: nt.Tensor) => nt.Tensor]> = [
    ["float32 [2900, 3001].T", () => nt.randn([2900, 3001]), (x) => x.transpose(0, 1)],
    ["int32 [3, 1500, 2003].transpose(1, 2)", () => nt.randint(-1000, 1000, [3, 1500, 2003], { dtype: "int32" }), (x) => x.transpose(1, 2)],
    ["bool [5800, 6001].T", () => nt.randint(0, 2, [5800, 6001]).gt(0), (x) => x.transpose(0, 1)],
  ];
  for (const [name, make, view] of cases) {
    await nt.setBackend("native");
    const x = make();
    const got = nt.tidy(() => view(x).contiguous());
    const want = x.to("cpu");
    const wantCopy = nt.tidy(() => view(want).contiguous());
    assert.deepEqual(got.shape, wantCopy.shape, name);
    assert.ok(Buffer.from(got.dataSync().buffer).equals(Buffer.from(wantCopy.dataSync().buffer)), name);
    for (const t of [x, got, want, wantCopy]) t.dispose();
  }
});
