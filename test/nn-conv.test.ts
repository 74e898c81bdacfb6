import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { loadFixture } from "./helpers/fixtures.js";
import { backendsUnderTest } from "./helpers/backends.js";
import { gradcheck } from "./helpers/gradcheck.js";
import { runLayerCase, withParameters, float64Parameters, type LayerCase } from "./helpers/nn-parity.js";

const fixture = loadFixture<{ cases: LayerCase[] }>("nn/conv.json");
const backends = await backendsUnderTest();

// PyTorch parity for convolution, pooling, resizing and padding, on every backend.
for (const backend of backends) {
  describe(`nn conv/pool parity on ${backend}`, () => {
    before(async () => {
      await nt.setBackend(backend);
    });
    for (const c of fixture.cases) test(c.name, () => runLayerCase(c));
  });
}

// The max-pool kernels' rule (PyTorch's max_pool2d_with_indices): ties keep the first tap, a NaN
// is the max (the last NaN of the window), the gradient goes to that tap; relu's gradient passes
// where its output is NaN.
for (const backend of backends) {
  describe(`max-pool and relu gradient kernels on ${backend}`, () => {
    before(async () => {
      await nt.setBackend(backend);
    });
    test("NaN, ties, overlapping windows and the 2x2 path", async () => {
      const N = Number.NaN;
      // 2 rows x 10 columns: five 2x2 windows (the vector path covers 4, the last overlaps)
      const row0 = [1, 1, 5, N, N, 2, 0, 3, 7, 7];
      const row1 = [1, 0, 6, N, 1, 9, 3, 0, 7, 8];
      const x = nt.tensor([...row0, ...row1], { shape: [1, 1, 2, 10], requiresGrad: true });
      const [y, idx] = nt.F.maxPool2d(x, 2, { returnIndices: true });
      assert.deepEqual([...(await idx.data())], [0, 13, 4, 7, 19]);
      const v = [...(await y.data())];
      assert.deepEqual([v[0], v[2], v[3], v[4]], [1, Number.NaN, 3, 8]);
      assert.ok(Number.isNaN(v[1]!));
      nt.sum(nt.mul(y, nt.tensor([1, 2, 3, 4, 5], { shape: [1, 1, 1, 5], dtype: "float32" }))).backward();
      const want = new Array<number>(20).fill(0);
      [0, 13, 4, 7, 19].forEach((i, k) => (want[i] = k + 1));
      assert.deepEqual([...(await x.grad!.data())], want);
      // overlapping 3x3 windows, stride 1: a tap that wins twice gets both gradients
      const z = nt.tensor([0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], { shape: [1, 1, 3, 4], dtype: "float32", requiresGrad: true });
      nt.sum(nt.F.maxPool2d(z, 3, { stride: 1 }) as Tensor).backward();
      assert.deepEqual([...(await z.grad!.data())], [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    });
    test("relu's gradient passes where the output is NaN", async () => {
      const x = nt.tensor([-1, 0, 2, Number.NaN], { dtype: "float32", requiresGrad: true });
      nt.sum(nt.mul(nt.relu(x), nt.tensor([1, 2, 3, 4], { dtype: "float32" }))).backward();
      assert.deepEqual([...(await x.grad!.data())], [0, 0, 3, 4]);
    });
  });
}

describe("nn conv/pool gradcheck (float64, cpu)", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });
  const f64 = (shape: number[]) => nt.randn(shape, { dtype: "float64" });

  test("conv2d: stride, padding, dilation, groups", () => {
    nt.manualSeed(11);
    nt.tidy(() => {
      gradcheck((x, w, b) => nt.F.conv2d(x, w, b, { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }), [f64([1, 4, 5, 6]), f64([2, 2, 3, 2]), f64([2])], "conv2d");
      gradcheck((x, w) => nt.F.conv2d(x, w, null, { padding: "same" }), [f64([1, 2, 4, 4]), f64([2, 2, 2, 2])], "conv2d same");
    });
  });

  test("conv1d and convTranspose2d", () => {
    nt.manualSeed(12);
    nt.tidy(() => {
      gradcheck((x, w, b) => nt.F.conv1d(x, w, b, { stride: 2, padding: 1 }), [f64([2, 2, 6]), f64([3, 2, 3]), f64([3])], "conv1d");
      gradcheck((x, w, b) => nt.F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), [f64([1, 2, 3, 2]), f64([2, 1, 3, 3]), f64([2])], "convTranspose2d");
    });
  });

  test("pooling and interpolation", () => {
    nt.manualSeed(13);
    nt.tidy(() => {
      gradcheck((x) => nt.F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [f64([1, 2, 5, 6])], "maxPool2d");
      gradcheck((x) => nt.F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }), [f64([1, 2, 5, 6])], "avgPool2d");
      gradcheck((x) => nt.F.adaptiveAvgPool2d(x, [3, 2]), [f64([1, 2, 5, 5])], "adaptiveAvgPool2d");
      gradcheck((x) => nt.F.interpolate(x, { scaleFactor: 2, mode: "bilinear" }), [f64([1, 1, 3, 3])], "interpolate bilinear");
      gradcheck((x) => nt.F.interpolate(x, { size: [5, 4], mode: "nearest" }), [f64([1, 1, 3, 3])], "interpolate nearest");
    });
  });

  test("Conv2d module parameters via functional call", () => {
    nt.manualSeed(14);
    const m = new nt.nn.Conv2d(2, 2, 2, { stride: 1, padding: 1 });
    nt.tidy(() => {
      const params = float64Parameters(m);
      const names = [...params.keys()];
      gradcheck(
        (x, ...ps) => withParameters(m, new Map(names.map((n, i) => [n, ps[i]!])), () => m.forward(x)),
        [f64([1, 2, 3, 3]), ...params.values()],
        "Conv2d module",
      );
    });
    m.dispose();
  });
});

describe("nn conv/pool errors and defaults", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });

  test("errors name the layer, the shape and what was expected", () => {
    const conv = new nt.nn.Conv2d(3, 8, 3);
    assert.throws(() => conv.forward(nt.zeros([8, 1, 28, 28])), /Conv2d: expected input with 3 channels, got shape \[8, 1, 28, 28\]/);
    assert.throws(() => conv.forward(nt.zeros([8, 28, 28, 3, 1])), /Conv2d: expected a 4-D input/);
    assert.throws(() => new nt.nn.Conv2d(3, 8, 3, { groups: 2 }), /Conv2d: inChannels \(3\) must be divisible by groups \(2\)/);
    assert.throws(() => new nt.nn.Conv2d(3, 8, 3, { padding: "same", stride: 2 }), /padding='same'/);
    assert.throws(() => conv.forward(nt.zeros([1, 3, 2, 2])), /Conv2d: kernel 3x3/);
    assert.throws(() => new nt.nn.MaxPool2d(2, { padding: 2 }).forward(nt.zeros([1, 1, 4, 4])), /MaxPool2d: padding 2 should be at most half/);
    // dilation 3 with padding 1 over 2 rows: the window's taps (rows -1 and 2) miss the input
    assert.throws(() => nt.F.maxPool2d(nt.zeros([1, 1, 2, 2]), 2, { stride: 1, padding: 1, dilation: 3 }), /maxPool2d: an output grid of 1x1 has windows without an element of the input of shape \[1, 1, 2, 2\]/);
    assert.throws(() => new nt.nn.ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 }).forward(nt.zeros([1, 2, 3, 3])), /outputPadding 2 must be smaller/);
    conv.dispose();
  });

  test("PyTorch default initialisation bounds and state_dict names", () => {
    nt.manualSeed(1);
    const conv = new nt.nn.Conv2d(4, 6, 3, { groups: 2 });
    const fanIn = 2 * 9;
    const w = conv.weight.dataSync();
    const bound = 1 / Math.sqrt(fanIn); // kaiming_uniform(a=√5) gives 1/√fan_in
    assert.ok(Math.max(...w.map(Math.abs)) <= bound + 1e-7);
    assert.ok(Math.max(...w.map(Math.abs)) > bound * 0.8);
    assert.ok(Math.max(...conv.bias!.dataSync().map(Math.abs)) <= bound + 1e-7);
    assert.deepEqual([...conv.stateDict().keys()], ["weight", "bias"]);
    const ct = new nt.nn.ConvTranspose2d(4, 6, 3);
    assert.deepEqual([...ct.weight.shape], [4, 6, 3, 3]);
    conv.dispose();
    ct.dispose();
  });

  test("ConvTranspose2d outputSize picks the output padding", () => {
    const ct = new nt.nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
    nt.tidy(() => {
      const x = nt.randn([1, 2, 4, 4]);
      assert.deepEqual([...ct.forward(x).shape], [1, 3, 7, 7]);
      assert.deepEqual([...ct.forward(x, [8, 8]).shape], [1, 3, 8, 8]);
      assert.throws(() => ct.forward(x, [9, 9]), /not reachable/);
    });
    ct.dispose();
  });

  test("the BENCH CNN shapes flow through", () => {
    nt.tidy(() => {
      const x = nt.randn([2, 1, 28, 28]);
      const c1 = new nt.nn.Conv2d(1, 32, 3, { padding: 1 });
      const p = new nt.nn.MaxPool2d(2);
      const y = p.forward(c1.forward(x).relu()) as Tensor;
      assert.deepEqual([...y.shape], [2, 32, 14, 14]);
      c1.dispose();
    });
  });
});
