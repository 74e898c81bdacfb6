import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
const { nn } = nt;

class Net extends nn.Module {
  features = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU());
  head = new nn.Linear(8, 2, { bias: false });
  scale = nn.Parameter(nt.ones([2]));
  constructor() {
    super();
    this.registerBuffer("running", nt.zeros([2]));
    this.registerBuffer("scratch", nt.zeros([1]), false);
  }
  override forward(x: nt.Tensor): nt.Tensor {
    return this.head.forward(this.features.forward(x) as nt.Tensor).mul(this.scale);
  }
}

test("parameters, buffers and state_dict use PyTorch's dotted names in definition order", () => {
  const net = new Net();
  assert.deepEqual(
    net.namedParameters().map(([n]) => n),
    ["scale", "features.0.weight", "features.0.bias", "head.weight"],
  );
  assert.deepEqual([...net.stateDict().keys()], ["scale", "running", "features.0.weight", "features.0.bias", "head.weight"]);
  assert.deepEqual(net.namedBuffers().map(([n]) => n), ["running", "scratch"]);
  assert.equal(net.modules().length, 5);
  assert.equal(net.numParameters(), 2 + 32 + 8 + 16);
});

test("tied parameters appear once in parameters() and under both names in stateDict()", () => {
  const a = new nn.Linear(3, 3);
  const b = new nn.Linear(3, 3);
  b.weight = a.weight;
  const seq = new nn.Sequential(a, b);
  assert.equal(seq.parameters().length, 3);
  assert.ok(seq.stateDict().has("1.weight"));
  assert.equal(seq.stateDict().get("1.weight"), seq.stateDict().get("0.weight"));
});

test("train/eval propagate and change Dropout", () => {
  const net = new nn.Sequential(new nn.Linear(10, 10), new nn.Dropout(0.5));
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  const x = nt.ones([4, 10]);
  const y1 = (net.forward(x) as nt.Tensor).dataSync();
  const y2 = (net.forward(x) as nt.Tensor).dataSync();
  assert.deepEqual(y1, y2, "eval mode is deterministic");
  net.train();
  const d = new nn.Dropout(0.5);
  const out = d.forward(nt.ones([10000])).dataSync();
  const zeros = out.filter((v) => v === 0).length;
  assert.ok(zeros > 4700 && zeros < 5300, `about half dropped, got ${zeros}`);
  assert.ok(out.every((v) => v === 0 || v === 2), "survivors are scaled by 1/(1-p)");
});

test("default initialisation matches PyTorch's bounds (kaiming_uniform a=sqrt(5))", () => {
  nt.manualSeed(1);
  const lin = new nn.Linear(400, 300);
  const w = Array.from(lin.weight.dataSync());
  const bound = 1 / Math.sqrt(400);
  assert.ok(w.every((v) => Math.abs(v) <= bound + 1e-7));
  const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
  assert.ok(Math.abs(variance - bound ** 2 / 3) < 0.05 * bound ** 2, `uniform(-b, b) variance b²/3, got ${variance}`);
  assert.ok(lin.bias!.dataSync().every((v) => Math.abs(v) <= bound + 1e-7));
  const t = nt.zeros([300, 200]);
  nn.init.xavierNormal_(t);
  const tv = Array.from(t.dataSync());
  const std = Math.sqrt(tv.reduce((s, v) => s + v * v, 0) / tv.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / 500)) < 0.003, `xavier normal std ${std}`);
  const e = new nn.Embedding(10, 3, { paddingIdx: 0 });
  assert.deepEqual([...e.weight.dataSync().slice(0, 3)], [0, 0, 0]);
});

test("Embedding paddingIdx rows get no gradient", () => {
  const e = new nn.Embedding(5, 2, { paddingIdx: 1 });
  const out = e.forward(nt.tensor([[1, 2], [3, 1]]));
  assert.deepEqual([...out.shape], [2, 2, 2]);
  out.sum().backward();
  const g = e.weight.grad!.dataSync();
  assert.deepEqual([...g], [0, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
});

test("zeroGrad frees gradients and loadStateDict copies values in place", () => {
  const lin = new nn.Linear(2, 2);
  const w = lin.weight;
  lin.forward(nt.ones([1, 2])).sum().backward();
  assert.ok(w.grad);
  lin.zeroGrad();
  assert.equal(w.grad, null);
  lin.loadStateDict({ weight: nt.tensor([[1, 2], [3, 4]], { dtype: "float32" }), bias: nt.tensor([0.5, -0.5]) });
  assert.equal(lin.weight, w, "parameter identity is kept (optimizers still hold it)");
  assert.deepEqual([...w.dataSync()], [1, 2, 3, 4]);
});
