import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/index.js";
import { createMlp } from "../models/mlp.js";
import { loadFixture, assertClose } from "./helpers/fixtures.js";

const root = new URL("..", import.meta.url).pathname;

test("a PyTorch state_dict (safetensors) loads into the neurite MLP and gives PyTorch's logits", async () => {
  const fx = loadFixture<{ input: { shape: number[]; values: number[] }; logits: number[] }>("interop/mlp-torch.json");
  const sd = await nt.io.load(join(root, "test/fixtures/interop/mlp-torch.safetensors"));
  const model = createMlp();
  model.loadStateDict(sd);
  const logits = nt.noGrad(() => model.forward(nt.tensor(fx.input.values, { shape: fx.input.shape })) as nt.Tensor);
  assertClose(logits.dataSync(), fx.logits, "MLP logits", 1e-5, 1e-5);
});

test("a neurite checkpoint loads back into PyTorch with the same outputs", async (t) => {
  const probe = spawnSync("/usr/bin/python3", ["-c", "import torch"]);
  if (probe.status !== 0) {
    // CI installs python3-torch (.ci/run); say so loudly rather than pass silently.
    t.diagnostic("NOTE: /usr/bin/python3 with torch is not available; install python3-torch to run this check");
    assert.fail("python3-torch is required for the PyTorch round trip (apt-get install python3-torch)");
  }
  nt.manualSeed(11);
  const model = createMlp();
  const dir = mkdtempSync(join(tmpdir(), "neurite-interop-"));
  const ckpt = join(dir, "mlp.safetensors");
  await nt.io.save(model.stateDict(), ckpt, { format: "pt" });
  const x = nt.rand([3, 1, 28, 28]);
  const input = join(dir, "input.json");
  writeFileSync(input, JSON.stringify({ shape: x.shape, values: [...x.dataSync()] }));
  const r = spawnSync("/usr/bin/python3", [join(root, "tools/torch_forward_mlp.py"), ckpt, input], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const torchLogits = JSON.parse(r.stdout) as number[];
  const ours = nt.noGrad(() => model.forward(x) as nt.Tensor).dataSync();
  assertClose(ours, torchLogits, "logits in PyTorch vs neurite", 1e-5, 1e-5);
});
