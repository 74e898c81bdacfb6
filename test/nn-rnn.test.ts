import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { loadFixture } from "./helpers/fixtures.js";
import { backendsUnderTest } from "./helpers/backends.js";
import { gradcheck } from "./helpers/gradcheck.js";
import { unbind } from "../src/ops/index.js";
import { runLayerCase, withParameters, float64Parameters, type LayerCase } from "./helpers/nn-parity.js";

const fixture = loadFixture<{ cases: LayerCase[] }>("nn/rnn.json");
const backends = await backendsUnderTest();

// PyTorch parity for RNN/LSTM/GRU (multi-layer, bidirectional, batch-first, initial states) and cells.
for (const backend of backends) {
  describe(`nn recurrent parity on ${backend}`, () => {
    before(async () => {
      await nt.setBackend(backend);
    });
    for (const c of fixture.cases) test(c.name, () => runLayerCase(c));
  });
}

/** gradcheck over the input and every parameter of a module (float64 copies). */
function moduleGradcheck(m: nt.nn.Module, inputs: Tensor[], run: (...xs: Tensor[]) => Tensor, name: string): void {
  nt.tidy(() => {
    const params = float64Parameters(m);
    const names = [...params.keys()];
    const k = inputs.length;
    gradcheck(
      (...xs) => withParameters(m, new Map(names.map((n, i) => [n, xs[k + i]!])), () => run(...xs.slice(0, k))),
      [...inputs, ...params.values()],
      name,
    );
  });
}

describe("nn recurrent gradcheck (float64, cpu)", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });
  const f64 = (shape: number[]) => nt.randn(shape, { dtype: "float64" });

  test("LSTM bidirectional, 2 layers, batch-first, with initial state", () => {
    nt.manualSeed(31);
    const m = new nt.nn.LSTM(2, 2, { numLayers: 2, bidirectional: true, batchFirst: true });
    moduleGradcheck(m, [f64([2, 3, 2]), f64([4, 2, 2]), f64([4, 2, 2])], (x, h, c) => {
      const [out, [hN, cN]] = m.forward(x, [h, c]);
      return nt.cat([out.flatten(), hN.flatten(), cN.flatten()]);
    }, "LSTM");
    m.dispose();
  });

  test("GRU and RNN(relu)", () => {
    nt.manualSeed(32);
    const gru = new nt.nn.GRU(2, 3, { numLayers: 2 });
    moduleGradcheck(gru, [f64([3, 2, 2])], (x) => {
      const [out, h] = gru.forward(x);
      return nt.cat([out.flatten(), h.flatten()]);
    }, "GRU");
    gru.dispose();
    const rnn = new nt.nn.RNN(2, 3, { nonlinearity: "tanh", bidirectional: true });
    moduleGradcheck(rnn, [f64([3, 1, 2])], (x) => rnn.forward(x)[0], "RNN");
    rnn.dispose();
  });

  test("ops.unbind (recursive halving) gives every slice and its gradient", () => {
    nt.manualSeed(34);
    nt.tidy(() => {
      const x = f64([5, 2, 3]);
      const parts = unbind(x, 0);
      assert.equal(parts.length, 5);
      parts.forEach((p, i) => assert.deepEqual([...p.dataSync()], [...x.index(i).dataSync()]));
      gradcheck((t) => nt.stack(unbind(t, 1).map((p, i) => p.mul(i + 1)), 0), [f64([3, 7, 2])], "unbind");
    });
  });

  test("cells", () => {
    nt.manualSeed(33);
    const cell = new nt.nn.GRUCell(2, 3);
    moduleGradcheck(cell, [f64([2, 2]), f64([2, 3])], (x, h) => cell.forward(x, h), "GRUCell");
    const lstm = new nt.nn.LSTMCell(2, 2);
    moduleGradcheck(lstm, [f64([2, 2])], (x) => nt.cat(lstm.forward(x), 1), "LSTMCell");
    cell.dispose();
    lstm.dispose();
  });
});

describe("nn recurrent behaviour", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });

  test("state_dict names and shapes follow PyTorch", () => {
    const lstm = new nt.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const sd = lstm.stateDict();
    assert.deepEqual([...sd.keys()].slice(0, 8), [
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
    ]);
    assert.deepEqual([...sd.get("weight_ih_l1")!.shape], [16, 8]);
    const bound = 1 / Math.sqrt(4);
    for (const p of lstm.parameters()) assert.ok(Math.max(...p.dataSync().map(Math.abs)) <= bound);
    const gru = new nt.nn.GRU(3, 5);
    assert.deepEqual([...gru.stateDict().get("weight_hh_l0")!.shape], [15, 5]);
    lstm.dispose();
    gru.dispose();
  });

  test("errors name the layer and the expected shape", () => {
    const lstm = new nt.nn.LSTM(10, 20, { numLayers: 2 });
    assert.throws(() => lstm.forward(nt.zeros([5, 3, 8])), /LSTM: expected input with 10 features \(inputSize\) in the last dim, got shape \[5, 3, 8\]/);
    assert.throws(() => lstm.forward(nt.zeros([5, 3, 10]), [nt.zeros([1, 3, 20]), nt.zeros([2, 3, 20])]), /LSTM: expected h0 of shape \[2, 3, 20\], got \[1, 3, 20\]/);
    assert.throws(() => new nt.nn.GRUCell(3, 4).forward(nt.zeros([2, 5])), /GRUCell: expected input of shape \[batch, 3\]/);
    lstm.dispose();
  });

  test("inter-layer dropout applies only in training", () => {
    nt.manualSeed(5);
    const gru = new nt.nn.GRU(3, 4, { numLayers: 2, dropout: 0.5 });
    nt.tidy(() => {
      const x = nt.randn([4, 2, 3]);
      const a = gru.forward(x)[0].dataSync();
      const b = gru.forward(x)[0].dataSync();
      assert.notDeepEqual([...a], [...b]);
      gru.eval();
      const c = gru.forward(x)[0].dataSync();
      const d = gru.forward(x)[0].dataSync();
      assert.deepEqual([...c], [...d]);
    });
    gru.dispose();
  });

  test("LSTM matches stepping LSTMCell with the same weights", () => {
    nt.manualSeed(6);
    const lstm = new nt.nn.LSTM(3, 4);
    const cell = new nt.nn.LSTMCell(3, 4);
    cell.loadStateDict({ weight_ih: lstm.stateDict().get("weight_ih_l0")!, weight_hh: lstm.stateDict().get("weight_hh_l0")!, bias_ih: lstm.stateDict().get("bias_ih_l0")!, bias_hh: lstm.stateDict().get("bias_hh_l0")! });
    nt.tidy(() => {
      const x = nt.randn([5, 2, 3]);
      const [out] = lstm.forward(x);
      let state: [Tensor, Tensor] | undefined;
      for (let t = 0; t < 5; t++) state = cell.forward(x.index(t), state);
      const last = out.index(4).dataSync();
      const viaCell = state![0].dataSync();
      last.forEach((v, i) => assert.ok(Math.abs(v - viaCell[i]!) < 1e-6));
    });
    lstm.dispose();
    cell.dispose();
  });
});
