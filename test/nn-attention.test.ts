import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { loadFixture } from "./helpers/fixtures.js";
import { backendsUnderTest } from "./helpers/backends.js";
import { gradcheck } from "./helpers/gradcheck.js";
import { runLayerCase, withParameters, float64Parameters, type LayerCase } from "./helpers/nn-parity.js";

const fixture = loadFixture<{ cases: LayerCase[] }>("nn/attention.json");
const backends = await backendsUnderTest();

// PyTorch parity for Embedding, scaled dot-product attention, MultiheadAttention (bool/float
// masks, key padding, kdim/vdim, bias_kv, zero_attn) and Transformer layers/stacks.
for (const backend of backends) {
  describe(`nn attention parity on ${backend}`, () => {
    before(async () => {
      await nt.setBackend(backend);
    });
    for (const c of fixture.cases) test(c.name, () => runLayerCase(c));
  });
}

describe("nn attention gradcheck (float64, cpu)", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });
  const f64 = (shape: number[]) => nt.randn(shape, { dtype: "float64" });

  test("scaledDotProductAttention with causal and float masks", () => {
    nt.manualSeed(41);
    nt.tidy(() => {
      gradcheck((q, k, v) => nt.F.scaledDotProductAttention(q, k, v, { isCausal: true }), [f64([2, 3, 2]), f64([2, 3, 2]), f64([2, 3, 2])], "sdpa causal");
      const mask = f64([3, 4]);
      gradcheck((q, k, v) => nt.F.scaledDotProductAttention(q, k, v, { attnMask: mask }), [f64([1, 3, 2]), f64([1, 4, 2]), f64([1, 4, 3])], "sdpa float mask");
    });
  });

  test("MultiheadAttention with key padding mask", () => {
    nt.manualSeed(42);
    const m = new nt.nn.MultiheadAttention(4, 2);
    nt.tidy(() => {
      const params = float64Parameters(m);
      const names = [...params.keys()];
      const kpm = nt.tensor([[false, false, true], [false, false, false]]);
      gradcheck(
        (q, k, ...ps) => withParameters(m, new Map(names.map((n, i) => [n, ps[i]!])), () => {
          const [out, w] = m.forward(q, k, k, { keyPaddingMask: kpm });
          return nt.cat([out.flatten(), w!.flatten()]);
        }),
        [f64([2, 2, 4]), f64([3, 2, 4]), ...params.values()],
        "MultiheadAttention",
      );
    });
    m.dispose();
  });

  test("TransformerEncoderLayer (pre-norm, gelu)", () => {
    nt.manualSeed(43);
    const layer = new nt.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst: true, activation: "gelu" });
    nt.tidy(() => {
      const params = float64Parameters(layer);
      const names = [...params.keys()];
      gradcheck(
        (x, ...ps) => withParameters(layer, new Map(names.map((n, i) => [n, ps[i]!])), () => layer.forward(x, { isCausal: true })),
        [f64([3, 1, 4]), ...params.values()],
        "TransformerEncoderLayer",
      );
    });
    layer.dispose();
  });
});

describe("nn attention behaviour", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });

  test("state_dict names follow PyTorch", () => {
    const mha = new nt.nn.MultiheadAttention(8, 2);
    assert.deepEqual([...mha.stateDict().keys()], ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    const mha2 = new nt.nn.MultiheadAttention(8, 2, { kdim: 3, vdim: 5, addBiasKv: true });
    assert.deepEqual([...mha2.stateDict().keys()], ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]);
    const enc = new nt.nn.TransformerEncoder(new nt.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 2, { norm: new nt.nn.LayerNorm(8) });
    const keys = [...enc.stateDict().keys()];
    assert.ok(keys.includes("layers.1.self_attn.in_proj_weight"));
    assert.ok(keys.includes("layers.0.linear2.bias"));
    assert.ok(keys.includes("layers.0.norm2.weight"));
    assert.ok(keys.includes("norm.weight"));
    const dec = new nt.nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    assert.ok([...dec.stateDict().keys()].includes("multihead_attn.out_proj.weight"));
    assert.ok([...dec.stateDict().keys()].includes("norm3.bias"));
    for (const m of [mha, mha2, enc, dec]) m.dispose();
  });

  test("stack layers start as copies of the given layer (PyTorch's deepcopy)", () => {
    const enc = new nt.nn.TransformerEncoder(new nt.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 2);
    const sd = enc.stateDict();
    assert.deepEqual([...sd.get("layers.0.linear1.weight")!.dataSync()], [...sd.get("layers.1.linear1.weight")!.dataSync()]);
    assert.notEqual(sd.get("layers.0.linear1.weight"), sd.get("layers.1.linear1.weight"));
    enc.dispose();
  });

  test("isCausal equals an explicit causal mask; SDPA bool mask means 'may attend'", () => {
    nt.manualSeed(7);
    const layer = new nt.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0 });
    nt.tidy(() => {
      const x = nt.randn([5, 2, 4]);
      const a = layer.forward(x, { isCausal: true }).dataSync();
      const b = layer.forward(x, { srcMask: nt.nn.Transformer.generateSquareSubsequentMask(5) }).dataSync();
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-6));
      const q = nt.randn([1, 3, 2]);
      const causal = nt.F.scaledDotProductAttention(q, q, q, { isCausal: true }).dataSync();
      const allowed = nt.tensor([[true, false, false], [true, true, false], [true, true, true]]);
      const viaMask = nt.F.scaledDotProductAttention(q, q, q, { attnMask: allowed }).dataSync();
      causal.forEach((v, i) => assert.ok(Math.abs(v - viaMask[i]!) < 1e-6));
    });
    layer.dispose();
  });

  test("attention is stable for huge scores and fully masked rows give zeros, not NaN", () => {
    nt.tidy(() => {
      const q = nt.tensor([[[1000, -1000], [5, 5]]]);
      const k = nt.tensor([[[1000, 1000], [-1000, 1000]]]);
      const v = nt.tensor([[[1, 2], [3, 4]]]);
      const out = nt.F.scaledDotProductAttention(q, k, v).dataSync();
      assert.ok(out.every(Number.isFinite));
      const none = nt.tensor([[false, false], [true, true]]);
      const masked = nt.F.scaledDotProductAttention(q, k, v, { attnMask: none }).dataSync();
      assert.deepEqual([...masked.slice(0, 2)], [0, 0]);
    });
  });

  test("attention dropout: applied when dropoutP > 0, only in training for MultiheadAttention", () => {
    nt.manualSeed(8);
    nt.tidy(() => {
      const q = nt.randn([2, 4, 3]);
      assert.ok(nt.F.scaledDotProductAttention(q, q, q, { dropoutP: 1 }).dataSync().every((v) => v === 0));
      const a = nt.F.scaledDotProductAttention(q, q, q, { dropoutP: 0.5 }).dataSync();
      const b = nt.F.scaledDotProductAttention(q, q, q, { dropoutP: 0.5 }).dataSync();
      assert.notDeepEqual([...a], [...b]);
      const mha = new nt.nn.MultiheadAttention(4, 2, { dropout: 0.5 });
      const x = nt.randn([3, 2, 4]);
      const [, w1] = mha.forward(x, x, x);
      const [, w2] = mha.forward(x, x, x);
      assert.notDeepEqual([...w1!.dataSync()], [...w2!.dataSync()]);
      mha.eval();
      const [o3] = mha.forward(x, x, x);
      const [o4] = mha.forward(x, x, x);
      assert.deepEqual([...o3.dataSync()], [...o4.dataSync()]);
      mha.dispose();
    });
  });

  test("errors name the layer and the expected shape", () => {
    const mha = new nt.nn.MultiheadAttention(8, 2);
    assert.throws(() => new nt.nn.MultiheadAttention(8, 3), /embedDim \(8\) must be divisible by numHeads \(3\)/);
    assert.throws(() => mha.forward(nt.zeros([3, 2, 6]), nt.zeros([3, 2, 8]), nt.zeros([3, 2, 8])), /MultiheadAttention: expected query with 8 features/);
    assert.throws(() => mha.forward(nt.zeros([3, 2, 8]), nt.zeros([4, 2, 8]), nt.zeros([4, 2, 8]), { attnMask: nt.zeros([3, 3]) }), /expected a 2-D attnMask of shape \[3, 4\], got \[3, 3\]/);
    assert.throws(() => mha.forward(nt.zeros([3, 2, 8]), nt.zeros([4, 2, 8]), nt.zeros([4, 2, 8]), { keyPaddingMask: nt.zeros([2, 3], { dtype: "bool" }) }), /expected keyPaddingMask of shape \[2, 4\]/);
    mha.dispose();
  });
});
