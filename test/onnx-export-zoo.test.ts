import { test } from "node:test";
import * as nt from "../src/index.js";
import * as models from "../models/index.js";
import { createCnnBn } from "../models/cnn-bn.js";
import { DDPM } from "../models/ddpm.js";
import { MODEL_ZOO } from "../src/cli/model-zoo.js";
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
  { name: "char-lstm", model: models.createCharLstm({ vocabSize: 50 }), inputs: chars(50, 24), inputNames: ["ids"] },
  { name: "char-gpt", model: models.createCharGpt({ vocabSize: 50, blockSize: 32 }), inputs: chars(50, 32), inputNames: ["ids"] },
  {
    name: "ddpm-unet",
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
