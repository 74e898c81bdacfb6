// What a new user runs into first: printing a tensor, gradients on a number array, the type of
// Sequential.forward, hooks, t(), tolistSync, a forgotten await on setBackend, writeReport(fit result).
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nt from "../src/node.js";
import type { Tensor } from "../src/tensor/tensor.js";
import * as registry from "../src/backend/registry.js";

test("console.log / util.inspect of a tensor prints its values like PyTorch", () => {
  const t = nt.tensor([[1, 2], [3, 4]], { dtype: "float32" });
  assert.equal(inspect(t), "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])");
  assert.equal(inspect({ x: t }).includes("tensor([[1.0000"), true, "nested in an object too");
});

test("requiresGrad on a number array says to pass dtype float32; with it, gradients work", async () => {
  assert.throws(() => nt.tensor([1, 2, 3], { requiresGrad: true }), /got int32\); whole numbers make an integer tensor, so pass the dtype: nt\.tensor\(\[1, 2, 3\], \{ dtype: "float32", requiresGrad: true \}\)/);
  assert.throws(() => nt.tensor([true], { dtype: "bool", requiresGrad: true }), (e: Error) => /got bool\)$/.test(e.message));
  const x = nt.tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
  x.mul(x).sum().backward();
  assert.deepEqual(x.grad!.tolistSync(), [2, 4, 6]);
});

test("t() transposes a matrix, returns vectors as they are, refuses 3-D; tolistSync reads at once", () => {
  const m = nt.tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float32" });
  assert.deepEqual(m.t().tolistSync(), [[1, 4], [2, 5], [3, 6]]);
  const v = nt.tensor([1, 2], { dtype: "float32" });
  assert.equal(v.t(), v);
  assert.throws(() => nt.zeros([2, 2, 2]).t(), /t: expects a tensor with at most 2 dims, got shape \[2, 2, 2\]/);
  assert.deepEqual(nt.tensor([true, false], { dtype: "bool" }).tolistSync(), [true, false]);
});

test("Sequential.forward is typed as a Tensor: no cast needed", () => {
  const seq = new nt.nn.Sequential(new nt.nn.Linear(2, 3), new nt.nn.ReLU());
  const y: Tensor = seq.forward(nt.ones([4, 2]));
  assert.deepEqual(y.shape, [4, 3]);
});

test("forward hooks see inputs and outputs, may replace them, and are removable", () => {
  const lin = new nt.nn.Linear(2, 2);
  const seq = new nt.nn.Sequential(lin, new nt.nn.ReLU());
  const seen: number[][] = [];
  const h = lin.registerForwardHook((_m, _inputs, out) => {
    seen.push([...(out as Tensor).shape]);
  });
  const pre = seq.registerForwardPreHook((_m, inputs) => [(inputs[0] as Tensor).mul(0)]);
  const zeroed = seq.forward(nt.ones([3, 2]));
  assert.deepEqual(seen, [[3, 2]]);
  // The pre-hook zeroed the input: the output is relu(bias).
  const bias = lin.bias!.tolistSync() as number[];
  assert.deepEqual(zeroed.tolistSync(), Array(3).fill(bias.map((b) => Math.fround(Math.max(0, b)))));
  pre.remove();
  const replaced = lin.registerForwardHook(() => nt.zeros([1]));
  assert.deepEqual(seq.forward(nt.ones([3, 2])).tolistSync(), [0]);
  replaced.remove();
  h.remove();
  assert.deepEqual(seq.forward(nt.ones([3, 2])).shape, [3, 2]);
  assert.equal(seen.length, 2, "removed hooks no longer run");
  assert.deepEqual([...lin.stateDict().keys()], ["weight", "bias"], "hooks are not state");
});

test("setBackend without await: creating a tensor during the switch throws, naming the fix", async () => {
  let release!: () => void;
  registry.registerBackend("slow-test", () => new Promise((resolve) => (release = () => resolve(registry.readyBackend("cpu", "test")))));
  const switching = nt.setBackend("slow-test");
  assert.throws(() => nt.tensor([1]), /setBackend\("slow-test"\) has not finished initialising the backend; await it/);
  release();
  await switching;
  assert.doesNotThrow(() => nt.tensor([1]));
  await nt.setBackend("cpu");
  // An initialised backend is selected at once, even without await.
  void nt.setBackend("cpu");
  assert.equal(nt.getBackend(), "cpu");
});

test("writeReport takes a fit() result as it is", async () => {
  const model = new nt.nn.Linear(2, 2);
  const x = nt.randn([16, 2]);
  const y = nt.tensor(Array.from({ length: 16 }, (_, i) => i % 2), { dtype: "int32" });
  const loader = new nt.data.DataLoader(new nt.data.TensorDataset(x, y), { batchSize: 8 });
  const result = await nt.train.fit(model, { train: loader, val: loader, optimizer: new nt.optim.Adam(model.parameters(), { lr: 0.01 }), loss: nt.nn.functional.crossEntropy, epochs: 2 });
  const dir = mkdtempSync(join(tmpdir(), "neurite-report-fit-"));
  const files = await nt.train.writeReport(dir, result, { png: false });
  const html = readFileSync(files.html, "utf8");
  assert.match(html, /<h1>neurite training report<\/h1>/);
  assert.match(html, /validation accuracy/);
  assert.match(html, /stopped<\/t[hd]><td>completed/);
});

test("registerFullBackwardHook sees the gradient at the module's output; removable", () => {
  const lin = new nt.nn.Linear(2, 3);
  const seen: number[][] = [];
  const h = lin.registerFullBackwardHook((m, grad, i) => {
    assert.equal(m, lin);
    assert.equal(i, 0);
    seen.push(Array.from(grad.dataSync()));
  });
  lin.forward(nt.ones([2, 2])).mul(3).sum().backward();
  assert.deepEqual(seen, [[3, 3, 3, 3, 3, 3]]);
  h.remove();
  lin.forward(nt.ones([2, 2])).sum().backward();
  assert.equal(seen.length, 1, "removed: not called again");
});
