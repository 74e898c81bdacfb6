import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { loadFixture, assertClose } from "./helpers/fixtures.js";
import { backendsUnderTest } from "./helpers/backends.js";
import { fxTensor, fxValues, type FxTensor } from "./helpers/nn-parity.js";
import * as models from "../models/index.js";

interface ModelCase {
  name: string;
  factory: string;
  config: Record<string, unknown>;
  state_dict: Record<string, FxTensor>;
  input: FxTensor;
  output: FxTensor;
}

const fixture = loadFixture<{ cases: ModelCase[] }>("nn/models.json");
const backends = await backendsUnderTest();
const factories = models as unknown as Record<string, (config: Record<string, unknown>) => nt.nn.Module>;

const firstTensor = (y: unknown): Tensor => (y instanceof nt.Tensor ? y : firstTensor((y as unknown[])[0]));

// Loading a PyTorch state_dict (strict) into each reference model gives PyTorch's outputs.
for (const backend of backends) {
  describe(`reference models load PyTorch weights on ${backend}`, () => {
    before(async () => {
      await nt.setBackend(backend);
    });
    for (const c of fixture.cases) {
      test(c.name, async () => {
        const model = factories[c.factory]!(c.config);
        try {
          await nt.tidy(async () => {
            model.loadStateDict(new Map(Object.entries(c.state_dict).map(([k, v]) => [k, fxTensor(v)])));
            model.eval();
            const y = firstTensor(model.forward(fxTensor(c.input)));
            assert.deepEqual([...y.shape], c.output.shape);
            assertClose(await y.data(), fxValues(c.output), `${c.name} on ${backend}`, 1e-4, 1e-5);
          });
        } finally {
          model.dispose();
        }
      });
    }
  });
}

/** Runs `steps` Adam steps on one fixed batch; returns the first and last loss. */
function overfit(model: nt.nn.Module, lossOf: () => Tensor, steps: number, lr = 1e-2): [number, number] {
  const opt = new nt.optim.Adam(model.parameters(), { lr });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    nt.tidy(() => {
      opt.zeroGrad();
      const loss = lossOf();
      loss.backward();
      opt.step();
      losses.push(loss.itemSync());
    });
  }
  return [losses[0]!, losses[losses.length - 1]!];
}

describe("reference models learn (a few steps on one batch, cpu)", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });

  test("MLP, CNN, CNN-BN and row-GRU", () => {
    nt.manualSeed(1);
    const x = nt.rand([8, 1, 28, 28]).keep();
    const y = nt.randint(0, 10, [8]).keep();
    for (const [name, m] of [
      ["mlp", models.createMlp({ hidden: 32 })],
      ["cnn", models.createCnn({ channels: [4, 8], hidden: 16 })],
      ["cnn-bn", models.createCnnBn({ channels: [4, 8], hidden: 16 })],
      ["row-gru", models.createRowGru({ hiddenSize: 16 })],
    ] as const) {
      const [first, last] = overfit(m, () => nt.F.crossEntropy(m.forward(name === "cnn-bn" ? models.augmentBatch(x, { maxShift: 0, flip: false }) : x) as Tensor, y), 6);
      assert.ok(last < first * 0.8, `${name}: loss ${first} -> ${last}`);
      m.dispose();
    }
    x.dispose();
    y.dispose();
  });

  test("char-lstm and char-gpt", () => {
    nt.manualSeed(2);
    const seq = nt.tensor([[1, 2, 3, 4, 5, 1, 2, 3, 4], [5, 4, 3, 2, 1, 5, 4, 3, 2]], { dtype: "int32" }).keep();
    const inp = seq.index(null, [0, 8]).keep();
    const tgt = seq.index(null, [1, 9]).keep();
    const lstm = models.createCharLstm({ vocabSize: 6, embedDim: 8, hiddenSize: 16, numLayers: 2 });
    const [l0, l1] = overfit(lstm, () => nt.F.crossEntropy(lstm.forward(inp)[0].reshape(-1, 6), tgt.reshape(-1)), 8, 3e-2);
    assert.ok(l1 < l0 * 0.8, `char-lstm: loss ${l0} -> ${l1}`);
    const gpt = models.createCharGpt({ vocabSize: 6, blockSize: 8, dModel: 16, numHeads: 2, numLayers: 2, dropout: 0 });
    const [g0, g1] = overfit(gpt, () => nt.F.crossEntropy(gpt.forward(inp).reshape(-1, 6), tgt.reshape(-1)), 8, 3e-2);
    assert.ok(g1 < g0 * 0.8, `char-gpt: loss ${g0} -> ${g1}`);
    for (const t of [seq, inp, tgt]) t.dispose();
    lstm.dispose();
    gpt.dispose();
  });

  test("sequence classifier", () => {
    nt.manualSeed(3);
    const x = nt.tensor([[0, 0, 1, 2], [3, 3, 3, 1], [0, 2, 2, 2], [1, 3, 1, 3]], { dtype: "int32" }).keep();
    const y = nt.tensor([0, 1, 0, 1], { dtype: "int32" }).keep();
    const m = models.createSeqClassifier({ vocabSize: 4, embedDim: 8, hiddenSize: 8, numClasses: 2 });
    const [first, last] = overfit(m, () => nt.F.crossEntropy(m.forward(x), y), 10, 3e-2);
    assert.ok(last < first * 0.8, `seq-classifier: loss ${first} -> ${last}`);
    m.dispose();
    x.dispose();
    y.dispose();
  });
});

describe("reference model utilities", () => {
  before(async () => {
    await nt.setBackend("cpu");
  });

  test("state_dict keys match PyTorch's nn.Sequential for the BENCH models", () => {
    const cnn = models.createCnn();
    assert.deepEqual([...cnn.stateDict().keys()], ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"]);
    assert.deepEqual([...cnn.stateDict().get("7.weight")!.shape], [128, 3136]);
    const mlp = models.createMlp();
    assert.deepEqual([...mlp.stateDict().keys()], ["1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"]);
    cnn.dispose();
    mlp.dispose();
  });

  test("char-gpt weight tying shares one tensor under both names", () => {
    const gpt = models.createCharGpt({ vocabSize: 10, blockSize: 4, dModel: 8, numHeads: 2, numLayers: 1 });
    const sd = gpt.stateDict();
    assert.equal(sd.get("head.weight"), sd.get("tok_emb.weight"));
    assert.equal(gpt.parameters().filter((p) => p === sd.get("head.weight")).length, 1);
    gpt.dispose();
  });

  test("generation streams tokens, honours temperature 0, top-k and early stop", async () => {
    nt.manualSeed(4);
    const gpt = models.createCharGpt({ vocabSize: 7, blockSize: 4, dModel: 8, numHeads: 2, numLayers: 1 });
    const streamed: number[] = [];
    const out = await models.generateCharGpt(gpt, [1, 2], { maxNewTokens: 6, temperature: 0, onToken: (t) => void streamed.push(t) });
    assert.equal(out.length, 6);
    assert.deepEqual(streamed, out);
    const again = await models.generateCharGpt(gpt, [1, 2], { maxNewTokens: 6, temperature: 0 });
    assert.deepEqual(again, out, "greedy decoding is deterministic");
    const lstm = models.createCharLstm({ vocabSize: 7, embedDim: 4, hiddenSize: 8, numLayers: 1 });
    const seen: number[] = [];
    const stopped = await models.generateCharLstm(lstm, [3], { maxNewTokens: 10, temperature: 0.8, topK: 3, onToken: (t, i) => (seen.push(t), i < 2) });
    assert.equal(stopped.length, 3);
    assert.deepEqual(seen, stopped);
    assert.equal(gpt.training, true, "generation restores training mode");
    gpt.dispose();
    lstm.dispose();
  });

  test("a training step leaves no tensors behind (BatchNorm buffers, LSTM state, attention masks)", () => {
    nt.manualSeed(5);
    const cases: [nt.nn.Module, () => Tensor][] = [];
    const img = nt.rand([4, 1, 28, 28]).keep();
    const lab = nt.randint(0, 10, [4]).keep();
    const ids = nt.randint(0, 6, [2, 5]).keep();
    const cnnBn = models.createCnnBn({ channels: [2, 4], hidden: 8 });
    cases.push([cnnBn, () => nt.F.crossEntropy(cnnBn.forward(models.augmentBatch(img)) as Tensor, lab)]);
    const lstm = models.createCharLstm({ vocabSize: 6, embedDim: 4, hiddenSize: 4, numLayers: 2 });
    cases.push([lstm, () => nt.F.crossEntropy(lstm.forward(ids)[0].reshape(-1, 6), ids.reshape(-1))]);
    const gpt = models.createCharGpt({ vocabSize: 6, blockSize: 5, dModel: 4, numHeads: 2, numLayers: 1 });
    cases.push([gpt, () => nt.F.crossEntropy(gpt.forward(ids).reshape(-1, 6), ids.reshape(-1))]);
    for (const [m, lossOf] of cases) {
      const opt = new nt.optim.Adam(m.parameters(), { lr: 1e-3 });
      const step = () => nt.tidy(() => {
        opt.zeroGrad();
        lossOf().backward();
        opt.step();
      });
      step();
      const before = JSON.stringify(nt.memory());
      step();
      step();
      assert.equal(JSON.stringify(nt.memory()), before, `${m.constructor.name}: live tensors changed across training steps`);
      m.dispose();
    }
    for (const t of [img, lab, ids]) t.dispose();
  });

  test("sampleFromLogits", () => {
    const g = new nt.Generator(9);
    assert.equal(models.sampleFromLogits([0.1, 3, 0.2], { temperature: 0 }), 1);
    for (let i = 0; i < 20; i++) assert.equal(models.sampleFromLogits([0.1, 3, 0.2, 2.9], { topK: 1, generator: g }), 1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 300; i++) counts[models.sampleFromLogits([0, 0, -50], { generator: g })]!++;
    assert.equal(counts[2], 0);
    assert.ok(counts[0]! > 100 && counts[1]! > 100);
  });

  test("augmentBatch: identity without shift/flip, mirror with flip", () => {
    nt.tidy(() => {
      const x = nt.arange(0, 18, 1, { dtype: "float32" }).reshape(2, 1, 3, 3);
      assert.deepEqual([...models.augmentBatch(x, { maxShift: 0, flip: false }).dataSync()], [...x.dataSync()]);
      const g = new nt.Generator(1);
      const y = models.augmentBatch(x, { maxShift: 1, flip: true, generator: g });
      assert.deepEqual([...y.shape], [2, 1, 3, 3]);
      const vocab = models.CharVocab.fromText("hello");
      assert.equal(vocab.decode(vocab.encode("hole")), "hole");
      assert.equal(vocab.size, 4);
    });
  });
});
