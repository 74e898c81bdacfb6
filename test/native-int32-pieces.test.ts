/**
 * int32Pieces (the native backend's cut of views past int32 into pieces the C kernels' int32
 * descriptors take): on shapes of 2^31 elements and more, without allocating them, every piece
 * fits int32 and the pieces tile the iteration space in row-major order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { int32Pieces, type Piece } from "../src/backend/native/int32-pieces.js";
import { contiguousStrides, numel } from "../src/tensor/shape.js";

const INT32_MAX = 0x7fffffff;

/** Per operand, the sum of every element's offset (BigInt: exact), and the element count, over the pieces. */
function checksum(pieces: readonly Piece[], operands: number): { count: number; sums: bigint[] } {
  let count = 0;
  const sums = new Array<bigint>(operands).fill(0n);
  for (const p of pieces) {
    const n = numel(p.shape);
    count += n;
    // over a strided box: n * start + the sum over dims of stride * (extent - 1) * n / 2 ((extent - 1) * n is even)
    for (let k = 0; k < operands; k++) {
      let s = BigInt(n) * BigInt(p.offsets[k]!);
      p.shape.forEach((e, d) => (s += (BigInt(p.strides[k]![d]!) * BigInt(e - 1) * BigInt(n)) / 2n));
      sums[k]! += s;
    }
  }
  return { count, sums };
}

function expectedChecksum(shape: readonly number[], strides: readonly (readonly number[])[], offsets: readonly number[]) {
  return checksum([{ shape: [...shape], strides: strides.map((s) => [...s]), offsets: [...offsets] }], strides.length);
}

function assertFits(pieces: readonly Piece[]): void {
  for (const p of pieces) {
    assert.ok(numel(p.shape) <= INT32_MAX, `piece of ${numel(p.shape)} elements`);
    for (const n of p.shape) assert.ok(n <= INT32_MAX);
    for (const s of p.strides) for (const v of s) assert.ok(Math.abs(v) <= INT32_MAX, `stride ${v}`);
  }
}

test("int32Pieces: a view that fits is one coalesced piece", () => {
  const shape = [4, 5, 6];
  const pieces = int32Pieces(shape, [contiguousStrides(shape), [1, 4, 20]], [0, 7]);
  assert.equal(pieces.length, 1);
  assert.deepEqual(pieces[0]!.shape, [4, 5, 6]);
  assert.deepEqual(pieces[0]!.offsets, [0, 7]);
});

test("int32Pieces: a contiguous run of 2^31 + 17 elements is cut into pieces of 2^30, in order", () => {
  const n = 2 ** 31 + 17;
  const pieces = int32Pieces([n], [[1], [1]], [0, 5]);
  assertFits(pieces);
  assert.deepEqual(pieces.map((p) => p.shape), [[2 ** 30], [2 ** 30], [17]]);
  assert.deepEqual(pieces.map((p) => p.offsets), [[0, 5], [2 ** 30, 2 ** 30 + 5], [2 ** 31, 2 ** 31 + 5]]);
});

test("int32Pieces: rows past int32, strides past int32 and a transposed operand tile the space exactly", () => {
  const cases: Array<[string, number[], number[][], number[]]> = [
    // [R, C] contiguous output, the input transposed: extents and strides fit, only the count passes int32
    ["transposed input", [32769, 65537], [contiguousStrides([32769, 65537]), [1, 32769]], [0, 0]],
    // a row longer than int32 (the outer dim cut one index at a time, the row in pieces)
    ["rows of 2^31 + 3", [3, 2 ** 31 + 3], [contiguousStrides([3, 2 ** 31 + 3]), [2 ** 31 + 3, 1]], [0, 11]],
    // an input stride beyond int32 (a narrow of a huge tensor): that dim is dropped, run by run
    ["stride past int32", [5, 7, 1000], [contiguousStrides([5, 7, 1000]), [2 ** 32, 1000, 1]], [0, 3]],
    // broadcast (stride 0) operand and a count past int32 in 3 dims
    ["broadcast", [9, 3641, 65537], [contiguousStrides([9, 3641, 65537]), [65537, 9 * 65537, 1], [0, 0, 1]], [0, 0, 0]],
  ];
  for (const [name, shape, strides, offsets] of cases) {
    const pieces = int32Pieces(shape, strides, offsets);
    assertFits(pieces);
    assert.deepEqual(checksum(pieces, strides.length), expectedChecksum(shape, strides, offsets), name);
    // the contiguous output (operand 0) is tiled in order: each piece starts where the last ended
    let at = 0;
    for (const p of pieces) {
      assert.equal(p.offsets[0], at, `${name}: piece order`);
      at += numel(p.shape);
    }
    assert.equal(at, numel(shape), name);
  }
});
