import { test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import * as nt from "../src/index.js";
import { tensorsReclaimedByGc } from "../src/tensor/tensor.js";
import { HandleFinalizer, type Finalizable } from "../src/memory/handle-finalizer.js";

test("tidy frees intermediates and keeps the returned tensor", () => {
  const before = nt.memory();
  const kept = nt.tidy(() => {
    const a = nt.randn([10, 10]);
    const b = a.mul(2).add(1).relu();
    return b.sum();
  });
  const after = nt.memory();
  assert.equal(after.numTensors, before.numTensors + 1);
  kept.dispose();
  assert.equal(nt.memory().numTensors, before.numTensors);
  assert.equal(nt.memory().numBytes, before.numBytes);
});

test("tidy works across await", async () => {
  const before = nt.memory().numTensors;
  const result = await nt.tidy(async () => {
    const a = nt.ones([4]);
    await new Promise((r) => setTimeout(r, 5));
    const b = a.add(1);
    await Promise.resolve();
    return b.mul(3);
  });
  assert.equal(nt.memory().numTensors, before + 1);
  assert.deepEqual([...result.dataSync()], [6, 6, 6, 6]);
  result.dispose();
  assert.equal(nt.memory().numTensors, before);
});

test("Symbol.dispose releases a tensor (using)", () => {
  const before = nt.memory().numTensors;
  {
    const t = nt.zeros([3]);
    t[Symbol.dispose]();
    assert.ok(t.isDisposed);
  }
  assert.equal(nt.memory().numTensors, before);
});

test("views share storage: disposing the base keeps the view's data alive", () => {
  const before = nt.memory();
  const base = nt.arange(6, undefined, 1, { dtype: "float32" });
  const r = base.reshape(2, 3);
  const v = r.T;
  r.dispose();
  assert.equal(nt.memory().numBytes, before.numBytes + 24, "a view allocates no new storage");
  base.dispose();
  assert.deepEqual([...v.dataSync()], [0, 3, 1, 4, 2, 5]);
  v.dispose();
  assert.equal(nt.memory().numBytes, before.numBytes);
});

test("a disposed tensor gives a clear error", () => {
  const t = nt.ones([2, 2]);
  t.dispose();
  assert.throws(() => t.add(1), /already disposed/);
});

test("backward releases saved tensors: training step returns to baseline", async () => {
  nt.manualSeed(0);
  const model = new nt.nn.Sequential(new nt.nn.Linear(8, 16), new nt.nn.ReLU(), new nt.nn.Linear(16, 3));
  const x = nt.randn([5, 8]).keep();
  const y = nt.tensor([0, 1, 2, 1, 0]).keep();
  const step = () =>
    nt.tidy(() => {
      model.zeroGrad();
      const loss = nt.F.crossEntropy(model.forward(x) as nt.Tensor, y);
      loss.backward();
      return loss.itemSync();
    });
  step();
  const baseline = nt.memory();
  for (let i = 0; i < 3; i++) step();
  const after = nt.memory();
  assert.equal(after.numTensors, baseline.numTensors, "live tensors return to baseline");
  assert.equal(after.numBytes, baseline.numBytes, "live bytes return to baseline");
  model.dispose();
  x.dispose();
  y.dispose();
});

test("graph survives tidy: backward after the forward's scope closed", () => {
  const w = nt.randn([3, 3], { requiresGrad: true });
  const out = nt.tidy(() => w.matmul(w).tanh().sum());
  out.backward();
  assert.ok(w.grad);
  assert.equal(w.grad.shape.length, 2);
  out.dispose();
  w.dispose();
});

test("noGrad works for sync and async functions", async () => {
  const w = nt.ones([2], { requiresGrad: true });
  const a = nt.noGrad(() => w.mul(2));
  assert.equal(a.requiresGrad, false);
  const b = await nt.noGrad(async () => {
    await Promise.resolve();
    return w.mul(2);
  });
  assert.equal(b.requiresGrad, false);
  assert.equal(w.mul(2).requiresGrad, true);
});

test("tidy releases graph nodes nobody can reach (forward without noGrad)", () => {
  const lin = new nt.nn.Linear(4, 3);
  const x = nt.randn([2, 4]).keep();
  const before = nt.memory();
  const pred = nt.tidy(() => (lin.forward(x) as nt.Tensor).argmax(1));
  pred.dispose();
  const after = nt.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
  lin.dispose();
  x.dispose();
});

test("out of memory names the op, the tensor size and what is live", () => {
  // 2^31 float32 elements (8 GiB) cannot be allocated by any backend in this process.
  assert.throws(() => nt.zeros([2 ** 16, 2 ** 15]), /out of memory: full on '\w+' could not allocate 8\.00 GiB for a float32 tensor \[65536, 32768\]/);
  const x = nt.ones([2 ** 15, 2 ** 15], { dtype: "bool" });
  assert.throws(() => x.astype("float64").add(1), /out of memory: cast on '\w+' could not allocate the output of 'cast' \(inputs bool \[32768, 32768\]\)/);
  x.dispose();
});

test("Sequential under noGrad releases each intermediate once consumed; with autograd it keeps them for backward", () => {
  const { nn } = nt;
  // Layers without internal temporaries, so the bytes left alive are exactly the module outputs.
  const model = new nn.Sequential(new nn.Tanh(), new nn.ReLU(), new nn.Dropout(0.5), new nn.Identity(), new nn.Sigmoid(), new nn.Flatten(), new nn.ReLU());
  model.eval();
  const x = nt.randn([8, 2, 32]).requiresGrad_(true).keep();
  const outBytes = 8 * 64 * 4;
  const aliveAfterForward = (grad: boolean) => {
    let alive = 0;
    nt.tidy(() => {
      const before = nt.memory().numBytes;
      const run = () => model.forward(x) as nt.Tensor;
      const y = grad ? run() : nt.noGrad(run);
      alive = nt.memory().numBytes - before;
      assert.deepEqual(y.shape, [8, 64]);
      assert.ok(!x.isDisposed, "the caller's input is never released");
      if (grad) y.sum().backward();
    });
    return alive;
  };
  assert.equal(aliveAfterForward(false), outBytes, "noGrad: only the output stays alive");
  assert.equal(aliveAfterForward(true), 4 * outBytes, "autograd: the tanh, relu, sigmoid and relu outputs stay alive for backward");
  assert.ok(x.grad !== null);
  x.dispose();
});

/** The V8 `gc()` function (node --test runs without --expose-gc). */
function exposeGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

/** Runs GC and yields (finalization callbacks run in later tasks) until `done()` or ~5 s. */
async function collectUntil(gc: () => void, done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("handle finalizer: only handles alive at the (deferred) registration are registered, and those are reclaimed after GC", async () => {
  const gc = exposeGc();
  const reclaimed: string[] = [];
  const finalizer = new HandleFinalizer((held) => reclaimed.push((held as unknown as { name: string }).name));
  // 2500 handles cross the pending limit twice (registered synchronously), the rest wait for the microtask.
  (() => {
    for (let i = 0; i < 2500; i++) {
      const disposed = i % 2 === 0;
      finalizer.watch({ finalizable: () => (disposed ? null : ({ name: `live ${i}` } as unknown as Finalizable)) });
    }
  })();
  await collectUntil(gc, () => reclaimed.length >= 1250);
  assert.equal(reclaimed.length, 1250);
  assert.ok(reclaimed.every((n) => Number(n.split(" ")[1]) % 2 === 1));
});

test("tensors dropped without dispose() are released by the garbage collector", async () => {
  const gc = exposeGc();
  const before = tensorsReclaimedByGc();
  // Each iteration leaks 3 handles (the ones, the scalar 1 and the sum).
  (() => {
    for (let i = 0; i < 1000; i++) nt.ones([8]).add(1);
  })();
  await collectUntil(gc, () => tensorsReclaimedByGc() - before >= 3000);
  assert.ok(tensorsReclaimedByGc() - before >= 3000, `reclaimed ${tensorsReclaimedByGc() - before} of 3000 leaked handles`);
});
