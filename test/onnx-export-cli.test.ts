// `neurite export --format onnx` on real checkpoints (a zoo classifier, a character GPT and a
// DDPM U-Net): the files run in ONNX Runtime at two batch sizes and match the loaded models.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import * as nt from "../src/index.js";
import { MODEL_ZOO } from "../src/cli/model-zoo.js";
import { DDPM } from "../models/ddpm.js";
import { neuriteAsync } from "./cli-bin.js";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { assertClose } from "./helpers/fixtures.js";
import { checkWithOnnxChecker } from "./helpers/onnx-run.js";

await nt.setBackend("cpu");
const dir = mkdtempSync(join(tmpdir(), "neurite-export-cli-"));
const lastJson = (s: string) => JSON.parse(s.trim().split("\n").pop()!);

async function zooCheckpoint(name: string, meta: Record<string, string> = {}): Promise<nt.nn.Module> {
  nt.manualSeed(7);
  const entry = MODEL_ZOO[name]!;
  const model = entry.create({ numClasses: 10, vocabSize: 12, blockSize: 10 });
  await nt.io.save(model.stateDict(), join(dir, name, "model.safetensors"), { model: name, task: entry.task, ...meta });
  return model;
}

async function compare(file: string, model: nt.nn.Module, feeds: (b: number) => Record<string, nt.Tensor>): Promise<void> {
  const session = await ort.InferenceSession.create(file);
  for (const b of [1, 7]) {
    const inputs = feeds(b);
    const got = await session.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, new ort.Tensor(t.dtype === "int32" ? "int32" : "float32", t.dataSync() as Float32Array, [...t.shape])])));
    model.eval();
    const want = nt.noGrad(() => model.forward(...Object.values(inputs))) as nt.Tensor;
    const out = got[session.outputNames[0]!]!;
    assert.deepEqual(out.dims, want.shape, `${file} batch ${b} shape`);
    assertClose(Array.from(out.data as Float32Array), Array.from(want.dataSync()), `${file} batch ${b}`, 1e-3, 1e-4);
  }
}

test("neurite export writes ONNX files that match the checkpoints at batch 1 and 7", async () => {
  const cnnBn = await zooCheckpoint("cnn-bn");
  const gpt = await zooCheckpoint("char-gpt", { vocab: JSON.stringify("abcdefghijkl"), block_size: "10" });
  nt.manualSeed(8);
  const ddpm = DDPM.preset("tiny");
  await ddpm.save(join(dir, "ddpm", "model.safetensors"));

  const runs = await Promise.all(
    ["cnn-bn", "char-gpt", "ddpm"].map((name) => neuriteAsync(["export", "--checkpoint", join(dir, name), "--format", "onnx", "--out", join(dir, `${name}.onnx`), "--dynamic-batch", "--json"])),
  );
  runs.forEach((r) => assert.equal(r.code, 0, r.stderr));
  const [cnnJson, gptJson, ddpmJson] = runs.map((r) => lastJson(r.stdout));
  assert.deepEqual(cnnJson.inputs, [{ name: "image", dtype: "float32", shape: ["batch", 1, 28, 28] }]);
  assert.deepEqual(cnnJson.outputs, [{ name: "logits", dtype: "float32", shape: ["batch", 10] }]);
  assert.deepEqual(gptJson.inputs, [{ name: "ids", dtype: "int32", shape: ["batch", 10] }]);
  assert.deepEqual(ddpmJson.inputs.map((v: { name: string }) => v.name), ["x_t", "t", "class"]);

  await compare(join(dir, "cnn-bn.onnx"), cnnBn, (b) => ({ image: nt.rand([b, 1, 28, 28]) }));
  await compare(join(dir, "char-gpt.onnx"), gpt, (b) => ({ ids: nt.randint(0, 12, [b, 10], { dtype: "int32" }) }));
  await compare(join(dir, "ddpm.onnx"), ddpm.unet, (b) => ({ x_t: nt.randn([b, 1, 8, 8]), t: nt.randint(0, 100, [b], { dtype: "int32" }), class: nt.randint(0, 4, [b], { dtype: "int32" }) }));
  checkWithOnnxChecker(["cnn-bn", "char-gpt", "ddpm"].map((n) => join(dir, `${n}.onnx`)));

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
