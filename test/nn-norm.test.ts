import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { loadFixture } from "./helpers/fixtures.js";
import { backendsUnderTest } from "./helpers/backends.js";
import { gradcheck } from "./helpers/gradcheck.js";
import { runLayerCase, type LayerCase } from "./helpers/nn-parity.js";

const fixture = loadFixture<{ cases: LayerCase[] }>("nn/norm.json");
const backends = await backendsUnderTest();

// PyTorch parity for BatchNorm (train/eval, running stats), LayerNorm, GroupNorm, on every backend.
for (const backend of backends) {
  describe(`nn normalisation parity on ${backend}`, () => {
    before(async () => {
      await nt.setBackend(backend);
    });
    for (const c of fixture.cases) test(c.name, () => runLayerCase(c));
  });
}

describe("nn normalisation gradcheck (float64, cpu)", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });
  const f64 = (shape: number[]) => nt.randn(shape, { dtype: "float64" });

  test("batchNorm (training statistics), layerNorm, groupNorm", () => {
    nt.manualSeed(21);
    nt.tidy(() => {
      gradcheck((x, w, b) => nt.F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), [f64([3, 2, 2, 2]), f64([2]), f64([2])], "batchNorm");
      const rm = nt.randn([2], { dtype: "float64" });
      const rv = nt.rand([2], { dtype: "float64" }).add(0.5);
      gradcheck((x, w, b) => nt.F.batchNorm(x, rm, rv, { weight: w, bias: b, training: false }), [f64([3, 2, 2]), f64([2]), f64([2])], "batchNorm eval");
      gradcheck((x, w, b) => nt.F.layerNorm(x, [2, 3], w, b), [f64([2, 2, 3]), f64([2, 3]), f64([2, 3])], "layerNorm");
      gradcheck((x, w, b) => nt.F.groupNorm(x, 2, w, b), [f64([2, 4, 3]), f64([4]), f64([4])], "groupNorm");
    });
  });
});

describe("nn normalisation behaviour", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });

  test("BatchNorm state_dict matches PyTorch, num_batches_tracked is an int32 scalar", () => {
    const bn = new nt.nn.BatchNorm2d(4);
    assert.deepEqual([...bn.stateDict().keys()], ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    const nbt = bn.stateDict().get("num_batches_tracked")!;
    assert.equal(nbt.dtype, "int32");
    assert.deepEqual([...nbt.shape], []);
    assert.deepEqual(bn.parameters().length, 2);
    nt.tidy(() => {
      bn.forward(nt.randn([2, 4, 3, 3]));
      bn.forward(nt.randn([2, 4, 3, 3]));
    });
    assert.equal(nbt.itemSync(), 2);
    bn.eval();
    const before = [...bn.running_mean!.dataSync()];
    nt.tidy(() => bn.forward(nt.randn([2, 4, 3, 3])));
    assert.deepEqual([...bn.running_mean!.dataSync()], before, "eval mode must not update running stats");
    bn.dispose();
  });

  test("errors name the layer and the expected shape", () => {
    const bn = new nt.nn.BatchNorm2d(3);
    assert.throws(() => bn.forward(nt.zeros([2, 4, 5, 5])), /BatchNorm2d: expected input with 3 channels, got shape \[2, 4, 5, 5\]/);
    assert.throws(() => bn.forward(nt.zeros([2, 3, 5])), /BatchNorm2d: expected a 4-D input/);
    assert.throws(() => new nt.nn.BatchNorm1d(3).forward(nt.zeros([1, 3])), /more than 1 value per channel/);
    assert.throws(() => new nt.nn.LayerNorm([4, 5]).forward(nt.zeros([2, 5, 4])), /LayerNorm: expected input with trailing shape \[4, 5\], got shape \[2, 5, 4\]/);
    assert.throws(() => new nt.nn.GroupNorm(3, 6).forward(nt.zeros([2, 4, 5])), /GroupNorm: expected input with 6 channels/);
    assert.throws(() => new nt.nn.GroupNorm(4, 6), /divisible/);
    bn.dispose();
  });

  test("no gradient flows into running statistics; memory returns to baseline", () => {
    const bn = new nt.nn.BatchNorm1d(3);
    const base = nt.memory();
    nt.tidy(() => {
      const x = nt.randn([4, 3], { requiresGrad: true });
      bn.forward(x).square().sum().backward();
      assert.ok(x.grad);
      assert.equal(bn.running_mean!.requiresGrad, false);
      assert.equal(bn.running_mean!.gradFn, null);
    });
    bn.zeroGrad();
    const after = nt.memory();
    assert.deepEqual(JSON.stringify(after), JSON.stringify(base));
    bn.dispose();
  });
});
