import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/index.js";
import { decodePng } from "../src/data/png.js";
import { DDPM } from "../models/ddpm.js";
import { generateCommand, generationLabels } from "../src/cli/commands/generate.js";
import { classify, splitSequentialClassifier, summarizeConfidence, featureGaussian } from "../src/diffusion/metrics/classifier-score.js";
import { frechetDistance } from "../src/diffusion/metrics/frechet.js";

test("generate: a one-file DDPM sampling model (DDPM.save) → PNG grid (and raw tensors)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "neurite-gen-"));
  const log = console.log;
  const lines: string[] = [];
  try {
    nt.manualSeed(0);
    const ddpm = DDPM.preset("tiny");
    const ckpt = join(dir, "model.safetensors");
    await ddpm.save(ckpt);
    console.log = (s: string) => lines.push(s);
    const out = join(dir, "g.png");
    const code = await generateCommand(["--checkpoint", ckpt, "--n", "6", "--steps", "3", "--class", "2", "--nrow", "3", "--out", out, "--save-tensors", join(dir, "s.safetensors"), "--quiet", "--json"]);
    console.log = log;
    assert.equal(code, 0);
    const r = JSON.parse(lines.at(-1)!) as { n: number; steps: number; imagesPerSecond: number; checkpoint: string };
    assert.equal(r.n, 6);
    assert.equal(r.checkpoint, ckpt);
    assert.equal(r.steps, 3);
    const png = await decodePng(new Uint8Array(readFileSync(out)));
    assert.equal(png.width, 3 * 8 + 4 * 2);
    assert.equal(png.height, 2 * 8 + 3 * 2);
    const saved = await nt.io.load(join(dir, "s.safetensors"));
    assert.deepEqual(saved.get("samples")!.shape, [6, 1, 8, 8]);
    await assert.rejects(generateCommand(["--checkpoint", ckpt, "--class", "3", "--quiet"]), /--class must lie in 0..2/);
    // The folder holding it (no checkpoint/) is read the same way.
    lines.length = 0;
    console.log = (s: string) => lines.push(s);
    assert.equal(await generateCommand(["--checkpoint", dir, "--n", "2", "--steps", "2", "--out", out, "--quiet", "--json"]), 0);
    console.log = log;
    assert.equal((JSON.parse(lines.at(-1)!) as { n: number }).n, 2);
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("generationLabels: classes in turn, one class, or none", () => {
  assert.deepEqual(generationLabels(6, 3, undefined, false), [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(generationLabels(3, 10, 7, false), [7, 7, 7]);
  assert.equal(generationLabels(3, 10, undefined, true), null);
  assert.equal(generationLabels(3, 0, undefined, false), null);
});

test("classifier scoring: confidence, histogram, agreement and features", async () => {
  nt.manualSeed(1);
  const model = new nt.nn.Sequential(new nt.nn.Flatten(), new nt.nn.Linear(4, 3), new nt.nn.ReLU(), new nt.nn.Linear(3, 2));
  const clf = splitSequentialClassifier(model);
  const images = nt.rand([5, 1, 2, 2]);
  const out = await classify(clf, { n: 5, batch: (i, c) => images.narrow(0, i, c) }, 2);
  assert.equal(out.dim, 3);
  assert.equal(out.numClasses, 2);
  assert.equal(out.features.length, 15);
  const logits = (await (model.forward(images) as nt.Tensor).softmax(1).data()) as Float32Array;
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(out.probs[i]! - logits[i]!) < 1e-6);

  const probs = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.7, 0.3]);
  const s = summarizeConfidence({ n: 4, numClasses: 2, probs, features: new Float32Array(8), dim: 2 }, [0, 0, null, 0]);
  assert.ok(Math.abs(s.meanConfidence - (0.9 + 0.8 + 0.6 + 0.7) / 4) < 1e-6);
  assert.deepEqual(s.histogram, [3, 1]);
  assert.equal(s.classesPresent, 2);
  assert.ok(Math.abs(s.agreement! - 2 / 3) < 1e-12);
  const g = featureGaussian(out);
  assert.ok(frechetDistance(g, g) < 1e-9);
});
