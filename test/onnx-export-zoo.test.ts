import { test } from "node:test";
import * as nt from "../src/index.js";
import * as models from "../models/index.js";
import { createCnnBn } from "../models/cnn-bn.js";
import { DDPM } from "../models/ddpm.js";
import { MODEL_ZOO } from "../src/cli/model-zoo.js";
import assert from "node:assert/strict";
import onnxProto from "onnx-proto";
import { checkWithOnnxChecker, exportAndCompare, seeded, type OnnxCase } from "./helpers/onnx-run.js";

// Every zoo model exported with a dynamic batch runs in ONNX Runtime at batch 1 and 7 and
// matches neurite's forward pass; each file passes onnx.checker's full check.
await nt.setBackend("cpu");
nt.manualSeed(0);

const images = seeded(1, (b) => [nt.rand([b, 1, 28, 28])]);
const chars = (vocab: number, block: number) => seeded(2, (b) => [nt.randint(0, vocab, [b, block], { dtype: "int32" })]);

/** BatchNorm with running statistics that are not the 0/1 defaults, so eval mode matters. */
function withTrainedStats(m: nt.nn.Module): nt.nn.Module {
  m.train();
  nt.noGrad(() => m.forward(nt.randn([16, 1, 28, 28])));
  return m;
}

const cases: OnnxCase[] = [
  { name: "mlp", model: models.createMlp(), inputs: images, inputNames: ["image"] },
  { name: "cnn", model: models.createCnn(), inputs: images, inputNames: ["image"] },
  { name: "cnn-bn", model: withTrainedStats(createCnnBn()), inputs: images, inputNames: ["image"] },
  { name: "row-gru", model: models.createRowGru(), inputs: images, inputNames: ["image"] },
  { name: "tabular-mlp", model: models.createTabularMlp({ inFeatures: 7, numClasses: 3 }), inputs: seeded(4, (b) => [nt.randn([b, 7])]), inputNames: ["features"] },
  { name: "char-lstm", model: models.createCharLstm({ vocabSize: 50 }), inputs: chars(50, 24), inputNames: ["ids"] },
  { name: "char-gpt", model: models.createCharGpt({ vocabSize: 50, blockSize: 32 }), inputs: chars(50, 32), inputNames: ["ids"] },
  {
    // The zoo's ddpm exports its denoiser, the U-Net (at the tiny preset's size here).
    name: "ddpm",
    model: DDPM.preset("tiny").unet,
    inputs: seeded(3, (b) => [nt.randn([b, 1, 8, 8]), nt.randint(0, 100, [b], { dtype: "int32" }), nt.randint(0, 4, [b], { dtype: "int32" })]),
    inputNames: ["x_t", "t", "class"],
  },
];

test("the zoo list is covered (every trainable zoo model but bigram has a case here)", () => {
  const covered = new Set(cases.map((c) => c.name));
  const missing = Object.keys(MODEL_ZOO).filter((n) => n !== "bigram" && !covered.has(n));
  if (missing.length) throw new Error(`zoo models without an ONNX export case: ${missing.join(", ")}`);
});

const files: string[] = [];
for (const c of cases) {
  test(`onnx export: ${c.name} matches neurite in ONNX Runtime at batch 1 and 7`, async () => {
    files.push(await exportAndCompare(c));
  });
}

test("bigram (a bare Embedding) exports too", async () => {
  files.push(await exportAndCompare({ name: "bigram", model: MODEL_ZOO.bigram!.create({ vocabSize: 30 }), inputs: chars(30, 12) }));
});

test("onnx.checker (full check) accepts every exported zoo model", () => {
  if (files.length !== cases.length + 1) throw new Error(`only ${files.length} of ${cases.length + 1} models exported`);
  checkWithOnnxChecker(files);
});

/** Decodes exported bytes with the same schema library (op types, initializer names, input dims). */
function decode(bytes: Uint8Array) {
  const g = onnxProto.onnx.ModelProto.decode(bytes).graph!;
  const dims = (v: onnxProto.onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  return {
    ops: g.node!.map((n) => n.opType!),
    initializers: new Set(g.initializer!.map((t) => t.name!)),
    inputs: g.input!.map(dims),
    outputs: g.output!.map(dims),
  };
}

test("graphs use ONNX's own conv/pool/recurrent ops, state_dict names and a symbolic batch", () => {
  const cnn = decode(nt.onnx.exportModel(models.createCnn(), [nt.rand([2, 1, 28, 28])], { dynamicAxes: { input_0: { 0: "N" } } }));
  assert.deepEqual(cnn.ops.filter((o) => o === "Conv" || o === "MaxPool"), ["Conv", "MaxPool", "Conv", "MaxPool"]);
  for (const name of ["0.weight", "0.bias", "3.weight", "7.weight", "9.bias"]) assert.ok(cnn.initializers.has(name), `initializer ${name}`);
  assert.deepEqual(cnn.inputs, [["N", 1, 28, 28]]);
  assert.deepEqual(cnn.outputs, [["N", 10]]);

  const lstm = decode(nt.onnx.exportModel(models.createCharLstm({ vocabSize: 20 }), [nt.zeros([3, 8], { dtype: "int32" })], { dynamicAxes: { input_0: [0] } }));
  assert.equal(lstm.ops.filter((o) => o === "LSTM").length, 2, "one ONNX LSTM per layer");
  assert.ok(!lstm.ops.includes("Tanh"), "no unrolled cell math");
  assert.deepEqual(lstm.inputs, [["batch", 8]]);

  const gpt = decode(nt.onnx.exportModel(models.createCharGpt({ vocabSize: 20, blockSize: 8, numLayers: 2 }), [nt.zeros([1, 8], { dtype: "int32" })], { dynamicAxes: { input_0: [0] } }));
  assert.equal(gpt.ops.filter((o) => o === "LayerNormalization").length, 5, "2 per block + ln_f");
  assert.ok(gpt.initializers.has("blocks.1.self_attn.in_proj_weight"));
  assert.deepEqual(decode(nt.onnx.exportModel(new nt.nn.LogSoftmax(1), [nt.zeros([2, 5])])).ops.filter((o) => o !== "Identity"), ["LogSoftmax"]);

  const gru = decode(nt.onnx.exportModel(models.createRowGru(), [nt.rand([1, 1, 28, 28])]));
  assert.equal(gru.ops.filter((o) => o === "GRU").length, 1);
  assert.deepEqual(gru.inputs, [[1, 1, 28, 28]], "no dynamic axes asked: static shapes");
});

test("external-data export: weights in a side file, the model runs from its path and passes the checker", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const ort = await import("onnxruntime-node");
  const model = withTrainedStats(createCnnBn());
  const { model: bytes, data } = nt.onnx.exportModelWithExternalData(model, [nt.rand([1, 1, 28, 28])], { location: "cnn-bn.onnx.data", inputNames: ["image"], dynamicAxes: { image: [0] } });
  assert.ok(bytes.length < 20_000, `the model file holds no weights (${bytes.length} bytes)`);
  assert.ok(data.length > 3_000_000, `the weights are in the data file (${data.length} bytes)`);
  const dir = mkdtempSync(join(tmpdir(), "neurite-onnx-ext-"));
  const path = join(dir, "cnn-bn.onnx");
  await nt.onnx.save(bytes, path);
  await nt.onnx.save(data, join(dir, "cnn-bn.onnx.data"));
  const session = await ort.InferenceSession.create(path);
  const x = nt.rand([3, 1, 28, 28]);
  const got = await session.run({ image: new ort.Tensor("float32", x.dataSync() as Float32Array, [3, 1, 28, 28]) });
  model.eval();
  const want = nt.noGrad(() => model.forward(x)) as nt.Tensor;
  const diff = Math.max(...Array.from(got[session.outputNames[0]!]!.data as Float32Array, (v, i) => Math.abs(v - want.dataSync()[i]!)));
  assert.ok(diff < 1e-4, `max diff ${diff}`);
  checkWithOnnxChecker([path]);
  assert.throws(() => nt.onnx.exportModelWithExternalData(model, [nt.rand([1, 1, 28, 28])], { location: "../w.bin" }), /location must be a plain file name/);
});
