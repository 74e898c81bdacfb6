// Creation functions validate their sizes (finite, non-negative integers, within the element
// limit) and name the op, instead of returning odd shapes or throwing a bare "Invalid typed
// array length".
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { MAX_TENSOR_ELEMENTS } from "../src/ops/creation.js";

const refuses = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RangeError, String(e));
    assert.match(e.message, pattern);
    return true;
  });

test("eye, arange, linspace, randperm: sizes must be finite non-negative integers", () => {
  refuses(() => nt.eye(-1), /^eye: n must be a non-negative integer, got -1$/);
  refuses(() => nt.eye(2.5), /^eye: n must be a non-negative integer, got 2.5$/);
  refuses(() => nt.eye(3, NaN), /^eye: m must be a non-negative integer, got NaN$/);
  refuses(() => nt.eye(100_000), /^eye: shape \[100000, 100000\] has 10000000000 elements, more than the 4294967296 a tensor can hold$/);
  refuses(() => nt.arange(0, Infinity), /^arange: end must be a finite number, got Infinity$/);
  refuses(() => nt.arange(NaN), /^arange: (start|end) must be a finite number, got NaN$/);
  refuses(() => nt.arange(0, 1, 0), /^arange: step must be nonzero$/);
  refuses(() => nt.arange(0, 1e10), /^arange: arange\(0, 10000000000, 1\) has 10000000000 elements/);
  refuses(() => nt.linspace(0, 1, -1), /^linspace: steps must be a non-negative integer, got -1$/);
  refuses(() => nt.linspace(0, 1, 2.5), /^linspace: steps must be a non-negative integer, got 2.5$/);
  refuses(() => nt.linspace(0, Infinity, 3), /^linspace: end must be a finite number/);
  refuses(() => nt.randperm(-3), /^randperm: n must be a non-negative integer, got -3$/);
  assert.deepEqual(nt.eye(0).shape, [0, 0]);
  assert.deepEqual(nt.linspace(0, 1, 0).shape, [0]);
});

test("randn/rand/zeros/randint: shapes within the element limit, randint bounds in int32 range", async () => {
  assert.equal(MAX_TENSOR_ELEMENTS, 2 ** 32);
  refuses(() => nt.randn([1e5, 1e5]), /^randn: shape \[100000, 100000\] has 10000000000 elements, more than the 4294967296 a tensor can hold$/);
  refuses(() => nt.rand([-1]), /^rand: invalid shape \[-1\]/);
  refuses(() => nt.zeros([NaN]), /invalid shape \[NaN\]/);
  refuses(() => nt.randint(0, 2 ** 40, [3]), /^randint: high must be an integer from -2\^31 to 2\^31 \(int32 values\), got 1099511627776$/);
  refuses(() => nt.randint(0.5, 3, [3]), /^randint: low must be an integer/);
  refuses(() => nt.tensor([1, 2], { shape: [-1, -2] }), /^tensor: invalid shape \[-1, -2\]/);
  const r = await nt.randint(-(2 ** 31), 2 ** 31, [1000]).data();
  assert.ok(r.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31));
});

test("chunk and split: counts and sizes must be positive integers", () => {
  const x = nt.arange(0, 6);
  refuses(() => nt.chunk(x, 0), /^chunk: chunks must be a positive integer, got 0$/);
  refuses(() => nt.chunk(x, 1.5), /^chunk: chunks must be a positive integer, got 1.5$/);
  refuses(() => nt.split(x, NaN), /^split: splitSize must be a positive integer, got NaN$/);
  refuses(() => nt.split(x, [3, -1, 4]), /^split: sizes must be non-negative integers, got -1/);
  assert.deepEqual(nt.chunk(x, 4).map((t) => t.shape[0]), [2, 2, 2]);
  // As PyTorch: torch.chunk(torch.empty(0), 3) gives 3 empty tensors, torch.split(torch.empty(0), 2) one.
  assert.deepEqual(nt.chunk(nt.zeros([0]), 3).map((t) => t.shape[0]), [0, 0, 0]);
  assert.deepEqual(nt.split(nt.zeros([0]), 2).map((t) => t.shape[0]), [0]);
});
