// `neurite export --format onnx` on real checkpoints (a zoo classifier, a character GPT and a
// DDPM U-Net): the files run in ONNX Runtime at two batch sizes and match the loaded models.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import * as nt from "../src/node.js";
import { MODEL_ZOO } from "../src/cli/model-zoo.js";
import { DDPM } from "../models/ddpm.js";
import { neuriteAsync } from "./cli-bin.js";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { assertOnnxClose, checkWithOnnxChecker } from "./helpers/onnx-run.js";
import { flattenTensors } from "../src/onnx/trace.js";

await nt.setBackend("cpu");
const dir = mkdtempSync(join(tmpdir(), "neurite-export-cli-"));
const lastJson = (s: string) => JSON.parse(s.trim().split("\n").pop()!);

async function zooCheckpoint(name: string, meta: Record<string, string> = {}, ctx: { numClasses?: number; inputShape?: number[] } = {}): Promise<nt.nn.Module> {
  nt.manualSeed(7);
  const entry = MODEL_ZOO[name]!;
  const model = entry.create({ numClasses: 10, vocabSize: 12, blockSize: 10, ...ctx });
  await nt.io.save(model.stateDict(), join(dir, name, "model.safetensors"), { model: name, task: entry.task, ...meta });
  return model;
}

async function compare(file: string, model: nt.nn.Module, feeds: (b: number) => Record<string, nt.Tensor>): Promise<void> {
  const session = await ort.InferenceSession.create(file);
  for (const b of [1, 7]) {
    const inputs = feeds(b);
    const got = await session.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, new ort.Tensor(t.dtype === "int32" ? "int32" : "float32", t.dataSync() as Float32Array, [...t.shape])])));
    model.eval();
    const want = flattenTensors(nt.noGrad(() => model.forward(...Object.values(inputs))))[0]!;
    const out = got[session.outputNames[0]!]!;
    assert.deepEqual(out.dims, want.shape, `${file} batch ${b} shape`);
    assertOnnxClose(Array.from(out.data as Float32Array), Array.from(want.dataSync()), `${file} batch ${b}`, 1e-3, 1e-4);
  }
}

test("neurite export writes every zoo model and the DDPM U-Net; the files match the checkpoints at batch 1 and 7", async () => {
  const charMeta = { vocab: JSON.stringify("abcdefghijkl"), block_size: "10" };
  const images = (b: number) => ({ image: nt.rand([b, 1, 28, 28]) });
  const ids = (b: number) => ({ ids: nt.randint(0, 12, [b, 10], { dtype: "int32" }) });
  const cases: { name: string; model: nt.nn.Module; feeds: (b: number) => Record<string, nt.Tensor> }[] = [];
  for (const name of ["mlp", "cnn", "cnn-bn", "row-gru"]) cases.push({ name, model: await zooCheckpoint(name), feeds: images });
  const tableMeta = { classes: '["a","b","c"]', input: JSON.stringify({ kind: "table", target: "y", classes: ["a", "b", "c"], columns: [{ name: "x", kind: "numeric", mean: 0, std: 1 }, { name: "c", kind: "categorical", categories: ["p", "q", "r", "s"] }] }) };
  cases.push({ name: "tabular-mlp", model: await zooCheckpoint("tabular-mlp", tableMeta, { numClasses: 3, inputShape: [5] }), feeds: (b) => ({ features: nt.randn([b, 5]) }) });
  for (const name of ["char-lstm", "char-gpt", "bigram"]) cases.push({ name, model: await zooCheckpoint(name, charMeta), feeds: ids });
  // ddpm: the zoo's (a run's model.safetensors) and a one-file sampling model (DDPM.save); both export the U-Net.
  const zooDdpm = (await zooCheckpoint("ddpm")) as DDPM;
  cases.push({ name: "ddpm", model: zooDdpm.unet, feeds: (b) => ({ x_t: nt.randn([b, 1, 28, 28]), t: nt.randint(0, 1000, [b], { dtype: "int32" }), class: nt.randint(0, 11, [b], { dtype: "int32" }) }) });
  nt.manualSeed(8);
  const ddpm = DDPM.preset("tiny");
  await ddpm.save(join(dir, "ddpm-one-file", "model.safetensors"));
  cases.push({ name: "ddpm-one-file", model: ddpm.unet, feeds: (b) => ({ x_t: nt.randn([b, 1, 8, 8]), t: nt.randint(0, 100, [b], { dtype: "int32" }), class: nt.randint(0, 4, [b], { dtype: "int32" }) }) });
  assert.deepEqual(cases.map((c) => c.name).filter((n) => n !== "ddpm-one-file").sort(), Object.keys(MODEL_ZOO).sort(), "every zoo model");

  const runs = await Promise.all(cases.map((c) => neuriteAsync(["export", "--checkpoint", join(dir, c.name), "--format", "onnx", "--out", join(dir, `${c.name}.onnx`), "--dynamic-batch", "--json"])));
  runs.forEach((r, i) => assert.equal(r.code, 0, `${cases[i]!.name}: ${r.stderr}`));
  const json = Object.fromEntries(runs.map((r, i) => [cases[i]!.name, lastJson(r.stdout)]));
  assert.deepEqual(json["cnn-bn"].inputs, [{ name: "image", dtype: "float32", shape: ["batch", 1, 28, 28] }]);
  assert.deepEqual(json["cnn-bn"].outputs, [{ name: "logits", dtype: "float32", shape: ["batch", 10] }]);
  assert.deepEqual(json["char-gpt"].inputs, [{ name: "ids", dtype: "int32", shape: ["batch", 10] }]);
  assert.deepEqual(json["char-lstm"].outputs.map((v: { name: string; shape: unknown[] }) => [v.name, v.shape]), [["logits", ["batch", 10, 12]], ["h_n", [2, "batch", 256]], ["c_n", [2, "batch", 256]]]);
  assert.deepEqual(json.ddpm.inputs.map((v: { name: string }) => v.name), ["x_t", "t", "class"]);
  assert.deepEqual(json["ddpm-one-file"].inputs.map((v: { name: string }) => v.name), ["x_t", "t", "class"]);

  for (const c of cases) await compare(join(dir, `${c.name}.onnx`), c.model, c.feeds);
  checkWithOnnxChecker(cases.map((c) => join(dir, `${c.name}.onnx`)));
  const cnnBn = cases.find((c) => c.name === "cnn-bn")!.model;

  // docs/onnx.md's worked example classifies a PNG with the exported file as neurite does.
  const data = await nt.data.loadFashionMnist(await nt.data.bundledFashionMnistDir());
  const pixels = data.test.images.subarray(0, 784);
  writeFileSync(join(dir, "item.png"), await nt.data.encodePng({ width: 28, height: 28, channels: 1, data: pixels }));
  const root = new URL("..", import.meta.url).pathname;
  const ex = spawnSync(process.execPath, ["--import", "tsx", join(root, "examples/onnx-classify-png.ts"), join(dir, "cnn-bn.onnx"), join(dir, "item.png")], { encoding: "utf8", cwd: root });
  assert.equal(ex.status, 0, ex.stderr);
  cnnBn.eval();
  const logits = nt.noGrad(() => cnnBn.forward(nt.div(nt.tensor(Float32Array.from(pixels), { shape: [1, 1, 28, 28] }), 255)) as nt.Tensor);
  const best = (await nt.argmax(logits, 1).data())[0]!;
  assert.equal(ex.stdout.trim(), `${nt.data.FASHION_MNIST_CLASSES[best]} (class ${best})`);
});

test("neurite export --external-data writes the weights next to the model", async () => {
  const model = await zooCheckpoint("mlp");
  const out = join(dir, "ext", "mlp.onnx");
  const r = await neuriteAsync(["export", "--checkpoint", join(dir, "mlp"), "--out", out, "--external-data", "--dynamic-batch", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastJson(r.stdout).externalData, `${out}.data`);
  assert.ok(readFileSync(`${out}.data`).length > 1_000_000);
  assert.ok(readFileSync(out).length < 10_000);
  await compare(out, model, (b) => ({ image: nt.rand([b, 1, 28, 28]) }));
});

test("neurite export refuses bad arguments in one line with exit code 2", async () => {
  const [noOut, badFormat, missing] = await Promise.all([
    neuriteAsync(["export", "--checkpoint", dir]),
    neuriteAsync(["export", "--checkpoint", dir, "--format", "tflite", "--out", join(dir, "x")]),
    neuriteAsync(["export", "--checkpoint", join(dir, "nope"), "--out", join(dir, "y.onnx")]),
  ]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out FILE is required/);
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.stderr, /unknown --format 'tflite' \(choose one of: onnx\)/);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file or directory/);
  assert.ok(!existsSync(join(dir, "y.onnx")));
});
